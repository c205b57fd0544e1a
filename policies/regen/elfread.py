"""A small ELF reader for the build-time data scripts: class, byte order, machine, type,
PT_INTERP, DT_SONAME, DT_NEEDED and the version definitions (.gnu.version_d) of a file.

Build-time only (policies/regen/*): preflight itself reads ELF with goblin at run time.
It covers what the host data needs on every architecture of the profiles (32- and 64-bit,
little- and big-endian: i386, armhf, s390x ...), so the data of architectures that
`preflight profiles capture` does not accept yet is read the same way. capture.py
cross-checks it against preflight's own capture where preflight accepts the platform.
"""
import struct

ET_DYN, ET_EXEC = 3, 2
PT_INTERP, PT_DYNAMIC = 3, 2
DT_NEEDED, DT_STRTAB, DT_SONAME = 1, 5, 14
SHT_GNU_VERDEF = 0x6FFFFFFD
VER_FLG_BASE = 0x1

MACHINES = {3: "i386", 40: "arm", 62: "x86_64", 183: "aarch64", 21: "ppc64", 22: "s390", 243: "riscv"}


class NotElf(Exception):
    pass


class Elf:
    """Facts of one ELF file, read from its bytes (whole file in memory; libraries are small)."""

    def __init__(self, data):
        if len(data) < 52 or data[:4] != b"\x7fELF":
            raise NotElf("not an ELF file")
        self.data = data
        self.bits = {1: 32, 2: 64}.get(data[4])
        self.endian = {1: "<", 2: ">"}.get(data[5])
        if self.bits is None or self.endian is None:
            raise NotElf("bad ELF class or byte order")
        e = self.endian
        if self.bits == 64:
            (self.type, self.machine, _v, _entry, self.phoff, self.shoff, _flags, _eh, self.phentsize,
             self.phnum, self.shentsize, self.shnum, _shstrndx) = struct.unpack_from(e + "HHIQQQIHHHHHH", data, 16)
        else:
            (self.type, self.machine, _v, _entry, self.phoff, self.shoff, _flags, _eh, self.phentsize,
             self.phnum, self.shentsize, self.shnum, _shstrndx) = struct.unpack_from(e + "HHIIIIIHHHHHH", data, 16)
        self.interp = None
        self.soname = None
        self.needed = []
        self.version_defs = []
        self._read_segments()
        self._read_verdefs()

    # -- program headers -------------------------------------------------------------
    def _phdrs(self):
        e, d = self.endian, self.data
        for i in range(self.phnum):
            off = self.phoff + i * self.phentsize
            if off + self.phentsize > len(d):
                return
            if self.bits == 64:
                p_type, _flags, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _align = struct.unpack_from(e + "IIQQQQQQ", d, off)
            else:
                p_type, p_offset, p_vaddr, _paddr, p_filesz, _memsz, _flags, _align = struct.unpack_from(e + "IIIIIIII", d, off)
            yield p_type, p_offset, p_vaddr, p_filesz

    def _vaddr_to_offset(self, vaddr):
        for p_type, p_offset, p_vaddr, p_filesz in self._phdrs():
            if p_type == 1 and p_vaddr <= vaddr < p_vaddr + p_filesz:  # PT_LOAD
                return vaddr - p_vaddr + p_offset
        return None

    def _read_segments(self):
        e, d = self.endian, self.data
        dynamic = None
        for p_type, p_offset, _vaddr, p_filesz in self._phdrs():
            if p_type == PT_INTERP:
                self.interp = d[p_offset:p_offset + p_filesz].split(b"\0")[0].decode("utf-8", "replace")
            elif p_type == PT_DYNAMIC:
                dynamic = (p_offset, p_filesz)
        self.dynamic = dynamic is not None
        if dynamic is None:
            return
        fmt, size = (e + "qQ", 16) if self.bits == 64 else (e + "iI", 8)
        entries = []
        off, end = dynamic[0], min(dynamic[0] + dynamic[1], len(d))
        while off + size <= end:
            tag, val = struct.unpack_from(fmt, d, off)
            if tag == 0:
                break
            entries.append((tag, val))
            off += size
        strtab = next((v for t, v in entries if t == DT_STRTAB), None)
        stroff = self._vaddr_to_offset(strtab) if strtab is not None else None
        if stroff is None:
            return
        for tag, val in entries:
            if tag in (DT_NEEDED, DT_SONAME):
                name = self._cstr(stroff + val)
                if tag == DT_NEEDED:
                    self.needed.append(name)
                else:
                    self.soname = name

    def _cstr(self, off):
        end = self.data.find(b"\0", off)
        return self.data[off:end if end >= 0 else len(self.data)].decode("utf-8", "replace")

    # -- section headers: version definitions ----------------------------------------
    def _sections(self):
        e, d = self.endian, self.data
        for i in range(self.shnum):
            off = self.shoff + i * self.shentsize
            if self.shoff == 0 or off + self.shentsize > len(d):
                return
            if self.bits == 64:
                _name, sh_type, _fl, _addr, sh_offset, sh_size, sh_link, sh_info, _al, _es = struct.unpack_from(e + "IIQQQQIIQQ", d, off)
            else:
                _name, sh_type, _fl, _addr, sh_offset, sh_size, sh_link, sh_info, _al, _es = struct.unpack_from(e + "IIIIIIIIII", d, off)
            yield sh_type, sh_offset, sh_size, sh_link, sh_info

    def _read_verdefs(self):
        sections = list(self._sections())
        e, d = self.endian, self.data
        for sh_type, sh_offset, _size, sh_link, sh_info in sections:
            if sh_type != SHT_GNU_VERDEF or sh_link >= len(sections):
                continue
            stroff = sections[sh_link][1]
            off = sh_offset
            for _ in range(sh_info):
                if off + 20 > len(d):
                    break
                _ver, flags, _ndx, cnt, _hash, aux, nxt = struct.unpack_from(e + "HHHHIII", d, off)
                if cnt and not flags & VER_FLG_BASE and off + aux + 8 <= len(d):
                    vda_name, _vda_next = struct.unpack_from(e + "II", d, off + aux)
                    self.version_defs.append(self._cstr(stroff + vda_name))
                if nxt == 0:
                    break
                off += nxt


def read(path, limit=256 << 20):
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            raise NotElf("not an ELF file")
        return Elf(head + f.read(limit))
