//! Every rule, declared once: its id, default severity, whether a preset turns it on,
//! its description, the fix in one line (SARIF's rule help), and the why and fix a
//! finding of it carries, for each case its check tells apart. `{name}` in a why or
//! fix is filled in by the check (`FindingBuilder::arg`).
//!
//! The JSON schema's rule enum and the README's rule table list the same ids
//! (tests/rule_catalogue.rs checks it, and that every rule fires on a fixture).

use super::Severity::{self, Error, Note, Warning};

/// A rule's declaration: everything about it but its check.
#[derive(Debug)]
pub struct RuleSpec {
    /// Stable kebab-case id (JSON, SARIF, policy files, waivers).
    pub id: &'static str,
    /// Its severity unless a case, a profile or a policy file says otherwise.
    pub severity: Severity,
    /// Off unless this preset, a policy file or a profile turns it on.
    pub preset: Option<&'static str>,
    pub description: &'static str,
    /// The fix in one line: SARIF's rule help.
    pub help: &'static str,
    /// Why it matters on the target (the default case).
    pub why: &'static str,
    /// How to fix it (the default case).
    pub fix: &'static str,
    /// The other cases the check tells apart, each changing some of the above.
    pub cases: &'static [Case],
}

/// A case of a rule: what differs from the rule's default.
#[derive(Debug)]
pub struct Case {
    pub name: &'static str,
    pub severity: Option<Severity>,
    pub why: Option<&'static str>,
    pub fix: Option<&'static str>,
}

const fn case(
    name: &'static str,
    severity: Option<Severity>,
    why: Option<&'static str>,
    fix: Option<&'static str>,
) -> Case {
    Case {
        name,
        severity,
        why,
        fix,
    }
}

const NONE: &[Case] = &[];

macro_rules! rules {
    ($($(#[$doc:meta])* $variant:ident = $spec:expr;)*) => {
        /// The rules preflight knows, in the order reports list them.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule { $($(#[$doc])* $variant),* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),*];

            /// Its declaration.
            pub fn spec(self) -> &'static RuleSpec {
                match self {
                    $(Rule::$variant => {
                        static SPEC: RuleSpec = $spec;
                        &SPEC
                    })*
                }
            }
        }
    };
}

rules! {
    SymbolVersion = RuleSpec {
        id: "symbol-version",
        severity: Error,
        preset: None,
        description: "A library on the target lacks a symbol version the file needs (GLIBC_2.34, GLIBCXX_3.4.30, ...).",
        help: "Build against the oldest glibc/libstdc++ you support (an older distribution, or a manylinux container), or ship the newer library with the program.",
        why: "The program fails to start with \"{library}: version `{version}' not found (required by {needed_by})\".",
        fix: "Build against the oldest glibc you support: on an older distribution, or in a manylinux_2_28 / \
              manylinux2014 container (or with zig cc -target x86_64-linux-gnu.2.28); or target a newer host.",
        cases: &[
            case("libstdc++", None, None, Some(
                "Build with the target's GCC, link libstdc++ statically (-static-libstdc++), or ship the newer \
                 libstdc++.so.6 with the program and set RUNPATH to $ORIGIN/../lib.")),
            case("libgcc", None, None, Some(
                "Build with the target's GCC, or link libgcc statically (-static-libgcc).")),
            case("other-library", None, None, Some(
                "The target's library is older than the one the file was linked against: ship the library \
                 it was built with next to it (RUNPATH $ORIGIN/../lib), or build against the target's \
                 version, which lacks {version}.")),
        ],
    };
    MissingLibrary = RuleSpec {
        id: "missing-library",
        severity: Error,
        preset: None,
        description: "A NEEDED library is found neither in the scanned tree nor on the target.",
        help: "Ship the library with the program and set RUNPATH to $ORIGIN/../lib, install it on the host, or link it statically.",
        why: "The program fails to start with \"{error}\".",
        fix: "Ship {soname} with the program and point RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib'), \
              install the package that provides it on the host, or link it statically.",
        cases: &[
            // The target's repositories have it, its base image does not.
            case("installable", Some(Warning), None, Some(
                "Install it on the host ({install}), or ship {soname} with the program and point \
                 RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib').")),
            // The root's loader cache predates the library or its ld.so.conf file
            // (`ld-cache-stale` says which); ldconfig would make it load.
            case("stale-cache", None, Some(
                "The program fails to start with \"{error}\": ld.so looks {soname} up in \
                 /etc/ld.so.cache, which was written before {conf_path} was there, and does not \
                 search the folders /etc/ld.so.conf names itself."), Some(
                "Run ldconfig in the root after installing {soname} or adding its ld.so.conf file \
                 (in a Dockerfile: RUN ldconfig after the step that adds them); it rewrites \
                 /etc/ld.so.cache so that ld.so finds {conf_path}.")),
            // A wheel policy's whitelist lacks it: the wheel must carry it.
            case("not-whitelisted", None, Some(
                "A wheel with this tag may only use the libraries of its policy's whitelist: pip \
                 installs it on hosts that lack {soname}, where importing it fails with \
                 \"{soname}: cannot open shared object file\"."), Some(
                "Bundle {soname} into the wheel: auditwheel repair copies it in and points RUNPATH \
                 at the copy.")),
        ],
    };
    LdCacheStale = RuleSpec {
        id: "ld-cache-stale",
        severity: Warning,
        preset: None,
        description: "The root's /etc/ld.so.cache disagrees with its libraries and /etc/ld.so.conf in a way that changes what ld.so loads (ldconfig was not run after they changed).",
        help: "Run ldconfig in the root after installing libraries or adding an ld.so.conf file (RUN ldconfig in a Dockerfile).",
        why: "ld.so finds libraries through /etc/ld.so.cache, not by reading /etc/ld.so.conf: {conf_path} \
              is in a folder ld.so.conf names, but the cache has no entry for {soname}, so ld.so {outcome}.",
        fix: "Run ldconfig in the root after the step that installs {soname} or adds its ld.so.conf file \
              (in a Dockerfile: RUN ldconfig); it rewrites /etc/ld.so.cache from ld.so.conf and changes \
              nothing else.",
        cases: &[
            // The cache's entry names a file that is gone.
            case("gone", None, Some(
                "/etc/ld.so.cache sends ld.so to {cache_path} for {soname}, a file that no longer \
                 exists (or cannot be loaded); ld.so then searches only the default folders, so it \
                 {outcome}."), None),
            // ld.so ignores the whole cache.
            case("ignored", None, Some(
                "ld.so ignores /etc/ld.so.cache ({cache_error}) and then searches only the default \
                 folders, none of the folders /etc/ld.so.conf names: it {outcome}."), Some(
                "Run ldconfig in the root to rewrite /etc/ld.so.cache (in a Dockerfile: RUN ldconfig \
                 after the last step that changes libraries); never ship a cache copied from \
                 another system.")),
        ],
    };
    DlopenMissing = RuleSpec {
        id: "dlopen-missing",
        severity: Warning,
        preset: None,
        description: "A library the file declares it dlopen()s (.note.dlopen) is found neither in the scanned tree nor on the target.",
        help: "Ship the library with the program, or install it on the host; the note's priority says how much it matters.",
        why: "The program starts, but {feature} fails when it calls dlopen(\"{soname}\"): its .note.dlopen \
              says the library is recommended (important functionality needs it).",
        fix: "Ship {soname} with the program and point RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib'), or \
              install the package that provides it on the host.",
        cases: &[
            case("required", Some(Error), Some(
                "Its .note.dlopen says {feature} is core functionality: the program does not work \
                 without {soname}, although it starts (dlopen() fails at run time, not the loader)."), None),
            case("suggested", Some(Note), Some(
                "Its .note.dlopen says {feature} is secondary: only full-featured installations need \
                 {soname}; without it dlopen() fails and the program goes on without the feature."), None),
            // The target's repositories have it.
            case("installable", None, None, Some(
                "Install it on the host ({install}), or ship {soname} with the program and point \
                 RUNPATH at it (-Wl,-rpath,'$ORIGIN/../lib').")),
        ],
    };
    UndefinedSymbol = RuleSpec {
        id: "undefined-symbol",
        severity: Error,
        preset: None,
        description: "An undefined symbol is defined by no object the loader would load.",
        help: "Ship the library the program was built against, or build against the host's version.",
        why: "The program fails with \"undefined symbol\" when it starts (with BIND_NOW) or when a \
              symbol is first used.",
        fix: "A library on the host is an older or different build than the one linked against: ship \
              the library the program was built with, or build against the host's version.",
        cases: &[
            // A NEEDED library is missing too: ld.so stops at it ("cannot open shared object
            // file", glibc elf/dl-load.c _dl_map_object) before relocation binds a symbol, so
            // the older-build fix would send the user after the wrong cause.
            case("library-missing", None, Some(
                "The loader stops at the missing {missing} before it binds any symbol; no loaded \
                 object defines these, and they are most likely the missing library's own."), Some(
                "Make {missing} load first (the missing-library finding says how), then check again: \
                 only symbols still undefined then point at a host library built differently from the \
                 one linked against.")),
            // A library no scanned program loads, checked with its own NEEDED only.
            case("alone", Some(Warning), Some(
                "Checked alone, this library's NEEDED libraries do not define these symbols. That is fine \
                 when the program that loads it provides them (a plugin, a Perl or Python extension, \
                 libthread_db); otherwise loading it fails with \"undefined symbol\"."), Some(
                "Add the library that defines them to its NEEDED (link with -lNAME), or check it with the \
                 program that loads it.")),
            // A module of a program (by the entry point the program looks up) that is not
            // in the scanned tree: what the program exports cannot be checked.
            case("program-absent", Some(Note), Some(
                "It is a module of {program}; that program is not in the scanned tree, and it \
                 provides the module's symbols when it opens it (it is linked with -export-dynamic). \
                 Scan the module with its program to check them."), Some(
                "Scan the module together with the program that loads it (both folders, or the \
                 image that has both).")),
            // A module judged in the process of the program that opens it (a program of
            // the tree exports its API, or a JDK's VM): what that process lacks too.
            case("in-host", Some(Warning), Some(
                "Opened by {host}, it still needs symbols that neither that process nor its own NEEDED \
                 libraries define: dlopen() fails with \"undefined symbol\" unless a module opened before \
                 it, with RTLD_GLOBAL, defines them."), Some(
                "Add the library that defines them to its NEEDED (link with -lNAME), or make sure the \
                 module that defines them is loaded first.")),
        ],
    };
    BlacklistedSymbol = RuleSpec {
        id: "blacklisted-symbol",
        severity: Error,
        preset: None,
        description: "A file imports a symbol its wheel policy forbids (auditwheel's symbol blacklist).",
        help: "Build the wheel in the policy's own manylinux/musllinux image, or stop using the symbol.",
        why: "Some hosts of this wheel tag have a {library} that does not export it (a symbol only some \
              builds carry, such as glibc 2.18's functions backported to some EL7 builds, or zlib's \
              internals): importing the wheel there fails with \"undefined symbol: {symbol}\", so \
              auditwheel does not grant the tag.",
        fix: "Build the wheel in the policy's own manylinux/musllinux image, whose {library} offers \
              no {symbol}, or stop calling it.",
        cases: NONE,
    };
    ArchMismatch = RuleSpec {
        id: "arch-mismatch",
        severity: Error,
        preset: None,
        description: "The file's class or machine differs from the target's architecture.",
        help: "Build for the target's architecture.",
        why: "The kernel refuses to run it (\"Exec format error\") and the loader skips it as a library.",
        fix: "Build it for {machine} (a cross compiler, or a build on that architecture).",
        cases: &[
            // In /usr/TRIPLET/ (a cross toolchain's sysroot): not for this host to run.
            case("cross-sysroot", Some(Note), Some(
                "It belongs to a cross-compilation sysroot (/usr/TRIPLET/): the cross linker and \
                 qemu use it, this host never runs it."), Some(
                "Nothing to do if it is there for cross builds; leave /usr/TRIPLET out of the scan \
                 (--path) or waive the rule for it.")),
        ],
    };
    LibcMismatch = RuleSpec {
        id: "libc-mismatch",
        severity: Error,
        preset: None,
        description: "A musl binary on a glibc host, or a glibc binary on a musl host.",
        help: "Build against the target's libc, or link fully statically.",
        why: "Its loader and libc do not exist there: it fails with \"No such file or directory\" \
              or, with a compatibility layer, in subtle ways.",
        fix: "Build it against {libc} (e.g. in the target's image), or link it fully statically \
              (Rust: the *-unknown-linux-musl targets; Go: CGO_ENABLED=0).",
        cases: NONE,
    };
    InterpreterMissing = RuleSpec {
        id: "interpreter-missing",
        severity: Error,
        preset: None,
        description: "The program interpreter (dynamic loader) the file names is not on the target.",
        help: "Build for the target's loader, link statically, or install the loader.",
        why: "The kernel cannot start the program: exec fails with \"No such file or directory\" \
              although the file exists.",
        fix: "Build for the target's loader (in the target's image, or for its libc and architecture), \
              link statically, or install that loader on the host.",
        cases: NONE,
    };
    Textrel = RuleSpec {
        id: "textrel",
        severity: Warning,
        preset: None,
        description: "The file has text relocations: the loader must write into its code.",
        help: "Recompile every object with -fPIC; -Wl,-z,text names the objects at fault.",
        why: "Its code cannot be shared between processes, it loads slower, and hardened hosts refuse \
              it (SELinux execmod denials, PaX).",
        fix: "Recompile the objects that define or use these symbols with -fPIC (assembly: use \
              RIP-relative addressing); linking with -Wl,-z,text names the objects at fault.",
        cases: NONE,
    };
    Rpath = RuleSpec {
        id: "rpath",
        severity: Warning,
        preset: None,
        description: "A search folder (DT_RPATH or DT_RUNPATH) is the build machine's, absent from the host, relative to the current folder, or leaves the scanned tree.",
        help: "Search only $ORIGIN-relative folders inside the shipped tree (-Wl,-rpath,'$ORIGIN/../lib').",
        why: "The loader searches these folders for the file's libraries: one that is not part of what \
              is shipped finds nothing on the target, or whatever someone put there.",
        fix: "Link with a path relative to the file: -Wl,-rpath,'$ORIGIN/../lib' (auditwheel and \
              patchelf --set-rpath do this for a built file).",
        cases: &[
            case("build-machine", None, Some(
                "The folder is where the file was built: it does not exist on the target, and on a \
                 shared machine anyone may create it and fill it with a library of that name."), Some(
                "Replace it with a path relative to the file: -Wl,-rpath,'$ORIGIN/../lib', or \
                 patchelf --set-rpath '$ORIGIN/../lib' on the built file.")),
            case("absolute", None, Some(
                "An absolute search folder that the host does not have: the libraries there are \
                 not shipped with the file, and anyone able to create that folder chooses them."), Some(
                "Use a path relative to the file: -Wl,-rpath,'$ORIGIN/../lib'.")),
            case("cwd-relative", None, Some(
                "glibc takes a relative search folder (or an empty element) relative to the \
                 process's current folder: run from another folder it finds nothing, run from a \
                 folder someone else controls it loads their library."), Some(
                "Prefix the folder with $ORIGIN (-Wl,-rpath,'$ORIGIN/lib'), and drop empty \
                 elements (a stray ':').")),
            case("leaves-tree", None, Some(
                "The libraries there are not shipped with the file: it works only where that \
                 folder happens to exist."), Some(
                "Ship the libraries inside the tree and point the search path there ($ORIGIN/../lib).")),
        ],
    };
    ExecutableStack = RuleSpec {
        id: "executable-stack",
        severity: Warning,
        preset: None,
        description: "The file asks for an executable stack (glibc 2.41+ refuses to dlopen such libraries).",
        help: "Add .note.GNU-stack to assembly sources, or link with -Wl,-z,noexecstack.",
        why: "It makes the whole process's stack executable, which turns stack overflows into code \
              execution; glibc 2.41 and newer refuse to dlopen such libraries.",
        fix: "Find the object without a .note.GNU-stack section (usually assembly: add \
              `.section .note.GNU-stack,\"\",@progbits`), or link with -Wl,-z,noexecstack.",
        cases: &[
            // A library, on a target whose glibc is 2.41 or newer.
            case("dlopen-refused", Some(Error), Some(
                "glibc 2.41 and newer refuse to dlopen a library that needs an executable stack, and \
                 loading it as a dependency makes every thread's stack executable."), None),
        ],
    };
    PrivateSymbol = RuleSpec {
        id: "private-symbol",
        severity: Error,
        preset: None,
        description: "The file needs GLIBC_PRIVATE, which only the exact glibc build it was linked against honours.",
        help: "Use glibc's public interface only.",
        why: "GLIBC_PRIVATE is glibc's internal interface: it changes between builds, so the file only \
              works with the exact glibc it was linked against.",
        fix: "Do not link against glibc internals: use the public interface, or ship the file only with \
              that exact glibc.",
        cases: NONE,
    };
    IsaLevel = RuleSpec {
        id: "isa-level",
        severity: Error,
        preset: None,
        description: "The file needs an x86-64 micro-architecture level above the target's CPU baseline.",
        help: "Build for the target's x86-64 level (-march=x86-64-v1/v2) and dispatch at run time.",
        why: "On a CPU without those instructions (AVX2 and BMI for v3, AVX-512 for v4) it dies with \
              SIGILL (\"Illegal instruction\"); glibc 2.33+ may also refuse to load it.",
        fix: "Build with -march=x86-64-v{baseline} (or the target's level), and do not link with \
              -z x86-64-v{needed}; dispatch at run time for faster code paths.",
        cases: NONE,
    };
    UnreadableFile = RuleSpec {
        id: "unreadable-file",
        severity: Warning,
        preset: None,
        description: "A file starts like ELF but is truncated or malformed.",
        help: "Rebuild or re-copy the file.",
        why: "The file starts like an ELF binary but is cut short or damaged (an interrupted download, \
              copy or build step): anything that runs or loads it will fail.",
        fix: "Rebuild or re-copy it.",
        cases: &[
            case("archive-member", None, Some("A link that pulls this member in fails."),
                Some("Rebuild the archive.")),
        ],
    };
    LinkageForbidden = RuleSpec {
        id: "linkage-forbidden",
        severity: Error,
        preset: None,
        description: "A file links a library the policy file's linkage assertions forbid for its path.",
        help: "Stop linking the library, or change the policy's linkage assertion.",
        why: "The policy forbids {soname} here: {reason}",
        fix: "Stop linking {soname} (remove it from the link line; check with readelf -d which NEEDED \
              entry pulls it in), or change the policy's linkage assertion.",
        cases: NONE,
    };
    LinkageRequired = RuleSpec {
        id: "linkage-required",
        severity: Error,
        preset: None,
        description: "A file does not link a library the policy file's linkage assertions require for its path.",
        help: "Link the library, or change the policy's linkage assertion.",
        why: "The policy requires {soname} here: {reason}",
        fix: "Link it (-l with the library's name; with --as-needed, only if a symbol of it is used), \
              or change the policy's linkage assertion.",
        cases: NONE,
    };
    LinkageNotAllowed = RuleSpec {
        id: "linkage-not-allowed",
        severity: Error,
        preset: None,
        description: "A file links an external library outside the policy file's allow_only list for its path.",
        help: "Ship the library in the tree, stop linking it, or add it to the allow_only list.",
        why: "Only the libraries of the allow_only list may come from the host here: {reason}",
        fix: "Ship {soname} in the tree (RUNPATH $ORIGIN/../lib), stop linking it, or add it to the \
              policy's allow_only list.",
        cases: NONE,
    };
    UnusedWaiver = RuleSpec {
        id: "unused-waiver",
        severity: Note,
        preset: None,
        description: "A waiver in the policy file matched no finding.",
        help: "Remove or correct the waiver.",
        why: "A waiver that matches nothing may hide a future problem, or its path is mistyped.",
        fix: "Remove the waiver, or correct its rule or path.",
        cases: NONE,
    };
    UnsafeImageEntry = RuleSpec {
        id: "unsafe-image-entry",
        severity: Warning,
        preset: None,
        description: "An image layer has an entry with `..`, an absolute name, or a device: never applied or opened.",
        help: "Rebuild the image with a standard tool.",
        why: "A layer entry that climbs out of the image, names an absolute path or is a device \
              is either hostile or broken; runtimes differ in what they do with it.",
        fix: "Rebuild the image with a standard tool (docker build, buildah, umoci).",
        cases: NONE,
    };
    UnsafeArchiveEntry = RuleSpec {
        id: "unsafe-archive-entry",
        severity: Warning,
        preset: None,
        description: "An archive or package has an entry with `..`, an absolute name, a link out of it or a device, is cut short, or is larger than preflight reads (a decompression bomb): never applied, followed or opened.",
        help: "Rebuild the archive with a standard tool, from a clean folder.",
        why: "Extracting such an archive writes outside the folder it is extracted to, creates \
              devices, or never ends; an archive that is cut short or refused was not checked whole.",
        fix: "Rebuild the archive with a standard tool (tar, zip, pip wheel, dpkg-deb, rpmbuild) from a clean folder, and check it arrived whole.",
        cases: NONE,
    };
    PackageTagMismatch = RuleSpec {
        id: "package-tag-mismatch",
        severity: Error,
        preset: None,
        description: "A file of a Python wheel or npm package contradicts the platform the package declares (its tags, or package.json's os, cpu and libc).",
        help: "Build the package for the platform it declares, or declare the platform it was built for.",
        why: "Installers choose a package by what it declares ({tag}): pip and npm install it on hosts \
              where this file cannot load.",
        fix: "Tag the package for what it holds (auditwheel repair, or the platform it was built on), \
              or rebuild the file for the declared platform.",
        cases: &[
            case("glibc-version", None, Some(
                "pip installs a wheel tagged {tag} on any host with at least that glibc; there the \
                 loader refuses the file (\"version `GLIBC_...' not found\")."), Some(
                "Build the wheel in the manylinux image of its tag (or an older one) and run \
                 auditwheel repair, or tag it for the glibc it needs.")),
            case("architecture", None, None, Some(
                "Build the file for the declared architecture, or tag the package for the one it was built for.")),
            case("libc", None, Some(
                "The package is declared for one C library ({tag}) and the file links against the \
                 other: its loader is not on the hosts that install it."), Some(
                "Build the file against the declared C library (a manylinux or musllinux image), or \
                 declare the one it links against.")),
            case("pure", None, Some(
                "A wheel tagged `any` is installed on every platform, but a native file runs on one."), Some(
                "Build a platform wheel (bdist_wheel with the extension), not a pure one.")),
            case("os", None, Some(
                "The package is declared for another system ({tag}); its Linux ELF file is installed where it cannot run, and not where it can."), None),
        ],
    };
    NonPicObject = RuleSpec {
        id: "non-pic-object",
        severity: Warning,
        preset: None,
        description: "A relocatable object (.o, or a member of a .a) has relocations position-independent code never contains.",
        help: "Recompile the object with -fPIC (or -fPIE for executables only).",
        why: "The linker refuses absolute addresses in position-independent output (\"relocation \
              R_X86_64_32 against ... can not be used when making a PIE object; recompile with \
              -fPIE\"), or, with -z notext, makes a library with text relocations.",
        fix: "Recompile it with -fPIC (or -fPIE for executables only).",
        cases: &[
            // An executable or PIE can still take it.
            case("shared-library-only", Some(Note), Some(
                "It refers directly to symbols that may bind to another module; in a shared library \
                 the linker refuses that (\"relocation ... can not be used when making a shared \
                 object; recompile with -fPIC\")."), None),
            case("archive", None, None, Some(
                "Recompile {members} with -fPIC (static libraries meant for shared objects must be built PIC).")),
        ],
    };
    SmallGotOverflow = RuleSpec {
        id: "small-got-overflow",
        severity: Error,
        preset: None,
        description: "Objects linked together need more GOT entries than their -fpic code model can reach.",
        help: "Recompile the objects that use -fpic with -fPIC.",
        why: "With -fpic the GOT is addressed with a short offset; past {limit} entries the linker \
              stops with \"relocation truncated to fit: {relocation}\".",
        fix: "Recompile the objects that use -fpic with -fPIC (the large GOT model costs one more \
              instruction per access).",
        cases: &[
            // From 90 % of the limit on: the rest of a link adds entries.
            case("near-limit", Some(Warning), None, None),
        ],
    };
    ForeignBinary = RuleSpec {
        id: "foreign-binary",
        severity: Warning,
        preset: None,
        description: "A Mach-O or PE file, or an ELF file for another OS (FreeBSD, ...), in a tree meant for Linux.",
        help: "Remove the file from the Linux artifact, or replace it with the Linux build.",
        why: "Linux can neither run nor load it (\"Exec format error\"): a build for another platform \
              was packaged into the Linux artifact.",
        fix: "Remove it from the Linux artifact, or replace it with the Linux build.",
        cases: &[
            case("other-os-elf", None, Some(
                "Linux refuses to run it or runs it with the wrong system call conventions, and its \
                 libraries and loader (e.g. /libexec/ld-elf.so.1) do not exist there."), None),
        ],
    };
    StaticGlibcRuntime = RuleSpec {
        id: "static-glibc-runtime",
        severity: Warning,
        preset: None,
        description: "A static glibc binary uses NSS or dlopen, which load shared objects of its exact glibc version at run time.",
        help: "Link dynamically against glibc, or statically against musl; avoid NSS and dlopen in static glibc binaries.",
        why: "Those shared objects must come from the exact glibc version it was linked with; on a \
              host with another glibc, or none (Alpine, distroless), user, group and host lookups \
              fail or crash.",
        fix: "Link it dynamically against glibc, or statically against musl; or avoid NSS (Go: \
              CGO_ENABLED=0, or the netgo and osusergo build tags).",
        cases: NONE,
    };
    HardeningPie = RuleSpec {
        id: "hardening-pie",
        severity: Warning,
        preset: Some("hardened"),
        description: "(off by default) The executable is not position-independent, so ASLR cannot move its code.",
        help: "Build with -fPIE -pie.",
        why: "ASLR cannot move it, so an attacker knows where every gadget of its code is.",
        fix: "Build with -fPIE -pie (the default of Debian's, Ubuntu's and Fedora's gcc).",
        cases: NONE,
    };
    HardeningRelro = RuleSpec {
        id: "hardening-relro",
        severity: Warning,
        preset: Some("hardened"),
        description: "(off by default) No full RELRO (-z relro -z now): the GOT stays writable.",
        help: "Link with -Wl,-z,relro,-z,now.",
        why: "A memory-corruption bug can overwrite a GOT entry and redirect a library call.",
        fix: "Link with -Wl,-z,relro,-z,now.",
        cases: NONE,
    };
    HardeningStackProtector = RuleSpec {
        id: "hardening-stack-protector",
        severity: Warning,
        preset: Some("hardened"),
        description: "(off by default) No stack protector (__stack_chk_fail is never called).",
        help: "Compile with -fstack-protector-strong.",
        why: "A stack buffer overflow overwrites the return address undetected.",
        fix: "Compile with -fstack-protector-strong.",
        cases: NONE,
    };
    HardeningFortify = RuleSpec {
        id: "hardening-fortify",
        severity: Warning,
        preset: Some("hardened"),
        description: "(off by default) Calls functions FORTIFY_SOURCE can check, through none of their checked variants.",
        help: "Compile with -O2 -D_FORTIFY_SOURCE=2 (or 3).",
        why: "Buffer overflows in these calls go unchecked where the compiler knows the size.",
        fix: "Compile with -O2 -D_FORTIFY_SOURCE=2 (or 3).",
        cases: NONE,
    };
    HardeningCet = RuleSpec {
        id: "hardening-cet",
        severity: Warning,
        preset: Some("hardened"),
        description: "(off by default) x86 code not marked for CET (IBT and shadow stack: -fcf-protection).",
        help: "Compile every object, assembly included, with -fcf-protection=full.",
        why: "On CPUs and kernels with CET, unmarked code runs without indirect-branch tracking \
              and shadow stacks, which stop ROP and JOP attacks.",
        fix: "Compile every object, assembly included, with -fcf-protection=full; one unmarked \
              object unmarks the whole file.",
        cases: NONE,
    };
}
