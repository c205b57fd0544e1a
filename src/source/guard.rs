//! Reading a memory-mapped file that another process may cut short.
//!
//! Touching a page of a mapping that lies past the end of its file raises SIGBUS
//! (mmap(2)), whose default action ends the process: a scan of a live `/`, or of a
//! build that is still writing, died with no report. Two ways out were weighed:
//!
//! - Reading with `pread` instead of mapping. The reader looks at a few pages of each
//!   file (headers, dynamic and symbol tables), wherever they are; reading every
//!   binary whole cost `scan /usr` (4 GB of binaries) 2.5 s of system time instead of
//!   0.5 s, and reading only what the reader touches means rewriting it around a
//!   reader of ranges.
//! - Recovering from the signal. Jumping out of a signal handler (`siglongjmp`) over
//!   Rust frames is undefined behaviour, and unwinding from one is not possible. But a
//!   handler need not jump: it maps zero-filled anonymous pages over the rest of the
//!   mapping (`mmap` with MAP_FIXED is one system call, safe in a handler), marks the
//!   mapping as faulted and returns. The read resumes on zeros, and whatever the
//!   reader makes of them is replaced by "changed while read" (`Guard::faulted`, and
//!   the file's size and time checked once more after reading). The cost is an atomic
//!   store when a file is mapped and one when it is unmapped.
//!
//! The second is what this module does. Faults outside a registered mapping go to the
//! handler that was installed before (the Rust runtime's stack-overflow handler) or to
//! the default action, so a real bug still ends the process.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Once, OnceLock};

/// How many mappings can be guarded at once: one per reading thread is in use at a
/// time; the rest is room. When all are taken, the caller reads the file instead.
const SLOTS: usize = 1024;

const FREE: u8 = 0;
const CLAIMED: u8 = 1;
const ACTIVE: u8 = 2;

struct Slot {
    state: AtomicU8,
    start: AtomicUsize,
    len: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)] // each slot is a fresh value
const EMPTY: Slot = Slot {
    state: AtomicU8::new(FREE),
    start: AtomicUsize::new(0),
    len: AtomicUsize::new(0),
    faulted: AtomicBool::new(false),
};

static TABLE: [Slot; SLOTS] = [EMPTY; SLOTS];
static PAGE: AtomicUsize = AtomicUsize::new(4096);
static INSTALL: Once = Once::new();
/// The SIGBUS action before ours; None when installing ours failed.
static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();

/// A mapping registered with the handler; unregistered when dropped, which must
/// happen before the mapping is unmapped.
#[derive(Debug)]
pub(crate) struct Guard {
    slot: usize,
}

impl Guard {
    /// Registers the mapping at `start`, `len` bytes long. None when the handler could
    /// not be installed or every slot is taken: the caller must not rely on a mapping.
    pub(crate) fn register(start: *const u8, len: usize) -> Option<Guard> {
        install();
        if !matches!(PREVIOUS.get(), Some(Some(_))) {
            return None;
        }
        for (index, slot) in TABLE.iter().enumerate() {
            if slot
                .state
                .compare_exchange(FREE, CLAIMED, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
            {
                slot.start.store(start as usize, Ordering::Relaxed);
                slot.len.store(len, Ordering::Relaxed);
                slot.faulted.store(false, Ordering::Relaxed);
                slot.state.store(ACTIVE, Ordering::Release);
                return Some(Guard { slot: index });
            }
        }
        None
    }

    /// Whether a read past the end of the file was caught (the rest of the mapping
    /// then reads as zeros).
    pub(crate) fn faulted(&self) -> bool {
        TABLE[self.slot].faulted.load(Ordering::Acquire)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        TABLE[self.slot].state.store(FREE, Ordering::Release);
    }
}

fn install() {
    INSTALL.call_once(|| {
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if let Ok(page) = usize::try_from(page) {
            if page.is_power_of_two() {
                PAGE.store(page, Ordering::Relaxed);
            }
        }
        // SAFETY: a zeroed sigaction is a valid value; the handler has the signature
        // SA_SIGINFO asks for, and only does what a signal handler may (atomics, mmap,
        // sigaction, calling the previous handler).
        let previous = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            // PREVIOUS is set before the handler can run for one of our mappings (no
            // mapping is registered before this returns).
            (libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0).then_some(previous)
        };
        let _ = PREVIOUS.set(previous);
    });
}

extern "C" fn on_sigbus(
    signal: libc::c_int,
    info: *mut libc::siginfo_t,
    context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    let page = PAGE.load(Ordering::Relaxed);
    for slot in &TABLE {
        if slot.state.load(Ordering::Acquire) != ACTIVE {
            continue;
        }
        let start = slot.start.load(Ordering::Relaxed);
        let len = slot.len.load(Ordering::Relaxed);
        if address < start || address - start >= len {
            continue;
        }
        let from = address & !(page - 1);
        let end = (start + len).next_multiple_of(page);
        // SAFETY: [from, end) lies inside a live read-only mapping of ours (registered
        // mappings are unregistered before they are unmapped, and the faulting thread
        // is reading it, so it is borrowed); replacing its pages with zeros changes
        // only what the reader sees, which is then thrown away.
        let mapped = unsafe {
            libc::mmap(
                from as *mut libc::c_void,
                end - from,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if mapped != libc::MAP_FAILED {
            slot.faulted.store(true, Ordering::Release);
            return;
        }
        break;
    }
    // SAFETY: what the previous action asks for, as the kernel would have done it.
    unsafe { pass_on(signal, info, context) }
}

/// Hands a fault that is not ours to the action installed before ours.
unsafe fn pass_on(signal: libc::c_int, info: *mut libc::siginfo_t, context: *mut libc::c_void) {
    if let Some(Some(previous)) = PREVIOUS.get() {
        let handler = previous.sa_sigaction;
        if handler != libc::SIG_DFL && handler != libc::SIG_IGN {
            if previous.sa_flags & libc::SA_SIGINFO != 0 {
                let handler: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(handler);
                handler(signal, info, context);
            } else {
                let handler: extern "C" fn(libc::c_int) = std::mem::transmute(handler);
                handler(signal);
            }
            return;
        }
    }
    // The default action: restored, the faulting access runs again and ends the
    // process with SIGBUS, as it would have without us.
    let mut action: libc::sigaction = std::mem::zeroed();
    action.sa_sigaction = libc::SIG_DFL;
    libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_and_run_out() {
        let data = [0u8; 16];
        let guards: Vec<Guard> = std::iter::from_fn(|| Guard::register(data.as_ptr(), 16))
            .take(SLOTS + 1)
            .collect();
        // Other tests may hold a slot or two at the same time.
        assert!(guards.len() <= SLOTS && guards.len() > SLOTS - 16);
        assert!(Guard::register(data.as_ptr(), 16).is_none());
        assert!(!guards[0].faulted());
        drop(guards);
        assert!(Guard::register(data.as_ptr(), 16).is_some());
    }
}
