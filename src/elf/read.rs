//! From bytes to `ElfFacts`: the header, the program headers, the dynamic section.

use super::facts::{Class, ElfFacts, Endian, Kind};
use super::foreign::elf_platform;
use super::hardening::hardening;
use super::layout::{DynamicTags, Layout, StringTable};
use super::limits::{too_many, TextBudget, MAX_NEEDED, MAX_PROGRAM_HEADER_BYTES, MAX_SEARCH_PATHS};
use super::machine::{machine_name, Machine};
use super::notes;
use super::relocations::object_relocations;
use super::symbols::read_symbols_and_versions;
use super::tables::SymbolTables;
use super::textrel::text_relocations;
use super::toolchain::{compilers, go_build_info, static_runtime};
use super::ElfError;
use goblin::container::{Container, Ctx};
use goblin::elf::dynamic::{
    DF_1_NODEFLIB, DF_1_PIE, DF_TEXTREL, DT_FLAGS, DT_FLAGS_1, DT_NEEDED, DT_NULL, DT_RPATH,
    DT_RUNPATH, DT_SONAME, DT_STRSZ, DT_STRTAB, DT_TEXTREL,
};
use goblin::elf::header::{self, Header};
use goblin::elf::program_header::{PT_DYNAMIC, PT_INTERP, PT_LOAD};
use goblin::elf::{Dynamic, ProgramHeader, SectionHeader};
use scroll::Pread;
use std::borrow::Cow;

/// The dynamic entries preflight needs, with strings already looked up.
#[derive(Default)]
pub(super) struct DynamicFacts {
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    pub textrel: bool,
    pub pie: bool,
    pub nodeflib: bool,
}

pub fn read_facts(bytes: &[u8]) -> Result<ElfFacts, ElfError> {
    read_facts_with(bytes, Detail::Full)
}

/// How much of a file to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Detail {
    /// Everything, including the dynamic symbol table (for symbol binding).
    #[default]
    Full,
    /// What loading and version checks need: no dynamic symbol table, so no
    /// `symbols`, so no `symbols_by_version` (a dependency tree needs no more).
    Links,
}

pub fn read_facts_with(bytes: &[u8], detail: Detail) -> Result<ElfFacts, ElfError> {
    let (header, class, endian, layout) = read_layout(bytes)?;
    let ctx = layout.ctx;
    let interpreter = read_interpreter(&layout)?;
    let dynamic = Dynamic::parse(bytes, &layout.phdrs, ctx)
        .map_err(|e| ElfError::Malformed(format!("dynamic section: {e}")))?;
    let dyns = DynamicTags(
        dynamic
            .map(|d| d.dyns.iter().map(|e| (e.d_tag, e.d_val)).collect())
            .unwrap_or_default(),
    );
    let dynstr = dynamic_string_table(&layout, &dyns)?;
    let facts = read_dynamic(
        &dyns,
        &|val, what| dynstr.require_borrowed(val, what),
        &layout.text,
    )?;
    let tables = SymbolTables::locate(&layout, &dyns, dynstr, header.e_machine)?;
    let versions = read_symbols_and_versions(&layout, &tables, detail == Detail::Full)?;

    let machine = machine_name(header.e_machine, class, endian);
    let kind = if is_debug_companion(&layout) {
        Kind::Other
    } else {
        classify(
            header.e_type,
            interpreter.is_some(),
            facts.pie,
            facts.soname.is_some(),
        )
    };
    let linked = matches!(
        kind,
        Kind::Executable
            | Kind::PieExecutable
            | Kind::SharedLibrary
            | Kind::StaticExecutable
            | Kind::StaticPie
    );
    let notes = notes::notes(&layout);
    let (text_relocations, text_relocation_count) = if facts.textrel {
        text_relocations(&layout, &dyns, &tables, header.e_machine)
    } else {
        (Vec::new(), 0)
    };
    let relocations = match kind == Kind::Relocatable {
        true => Some(object_relocations(&layout, header.e_machine)?),
        false => None,
    };
    let executable_stack =
        linked && notes::executable_stack(&layout, Machine::from(header.e_machine), class);
    let interpreter_ref = interpreter.as_deref();
    let statics = match kind.is_static() {
        true => static_function_names(&layout)?,
        false => None,
    };
    let hardening = (linked && detail == Detail::Full).then(|| {
        let imports = versions.symbols.undefined_names();
        let functions: Option<Box<dyn Iterator<Item = &str>>> = match &statics {
            Some(names) => Some(Box::new(names.iter().map(String::as_str))),
            None if kind.is_static() => None,
            None => Some(Box::new(imports)),
        };
        hardening(
            &layout,
            &dyns,
            kind,
            executable_stack,
            header.e_machine,
            notes::x86_features(&layout, &notes),
            functions,
        )
    });
    Ok(ElfFacts {
        class,
        endian,
        machine,
        e_machine: header.e_machine,
        kind,
        interpreter: interpreter.clone(),
        soname: facts.soname,
        needed: facts.needed,
        rpath: facts.rpath,
        runpath: facts.runpath,
        textrel: facts.textrel,
        nodeflib: facts.nodeflib,
        executable_stack,
        x86_isa_level: notes::x86_isa_level(&layout, &notes),
        x86_isa_used: notes::x86_isa_used(&layout, &notes),
        version_needs: versions.needs,
        version_defs: versions.defs,
        foreign_os: elf_platform(&layout, interpreter_ref, &notes),
        hardening,
        text_relocations,
        text_relocation_count,
        relocations,
        go: go_build_info(&layout),
        compilers: compilers(&layout),
        static_runtime: static_runtime(
            &layout,
            kind,
            Machine::from(header.e_machine),
            &notes,
            statics.as_deref(),
        ),
        dlopen: notes::dlopen_dependencies(&notes),
        symbols: versions.symbols,
    })
}

/// A relocatable object as a link sees it: what an archive member needs, without the
/// loader's facts (it has no dynamic section, notes or build information that matter
/// member by member).
pub(crate) struct ObjectFile {
    pub class: Class,
    pub machine: String,
    pub e_machine: u16,
    pub relocations: Option<super::relocations::ObjectRelocations>,
}

pub(crate) fn read_object(bytes: &[u8]) -> Result<ObjectFile, ElfError> {
    let (header, class, endian, layout) = read_layout(bytes)?;
    let relocations = match header.e_type == header::ET_REL {
        true => Some(object_relocations(&layout, header.e_machine)?),
        false => None,
    };
    Ok(ObjectFile {
        class,
        machine: machine_name(header.e_machine, class, endian),
        e_machine: header.e_machine,
        relocations,
    })
}

/// The ELF header, its class and byte order, and the context goblin reads the rest
/// with. `bytes` need only hold the header itself.
pub(super) fn read_header(bytes: &[u8]) -> Result<(Header, Class, Endian, Ctx), ElfError> {
    if !super::has_elf_magic(bytes) {
        return Err(ElfError::NotElf);
    }
    let header: Header = bytes
        .pread(0)
        .map_err(|e| ElfError::Malformed(format!("ELF header: {e}")))?;
    let class = match header.e_ident[header::EI_CLASS] {
        header::ELFCLASS32 => Class::Elf32,
        header::ELFCLASS64 => Class::Elf64,
        other => return Err(ElfError::Malformed(format!("unknown ELF class {other}"))),
    };
    let endian = match header.e_ident[header::EI_DATA] {
        header::ELFDATA2LSB => Endian::Little,
        header::ELFDATA2MSB => Endian::Big,
        other => {
            return Err(ElfError::Malformed(format!(
                "unknown ELF data encoding {other}"
            )))
        }
    };
    let container = match class {
        Class::Elf32 => Container::Little,
        Class::Elf64 => Container::Big,
    };
    let le = match endian {
        Endian::Little => scroll::Endian::Little,
        Endian::Big => scroll::Endian::Big,
    };
    Ok((header, class, endian, Ctx::new(container, le)))
}

/// The ELF header and the bounds-checked view of the program and section headers.
fn read_layout(bytes: &[u8]) -> Result<(Header, Class, Endian, Layout<'_>), ElfError> {
    let (header, class, endian, ctx) = read_header(bytes)?;
    let phdrs = read_program_headers(bytes, &header, ctx)?;
    let shdrs = read_section_headers(bytes, &header, ctx)?;
    let shstrtab = shdrs
        .get(usize::from(header.e_shstrndx))
        .and_then(|s| bytes.get(s.sh_offset as usize..s.sh_offset.checked_add(s.sh_size)? as usize))
        .map(StringTable::new)
        .unwrap_or_default();
    let layout = Layout {
        bytes,
        ctx,
        phdrs,
        shdrs,
        shstrtab,
        text: TextBudget::for_file(bytes.len()),
    };
    check_segments_fit(&layout)?;
    Ok((header, class, endian, layout))
}

/// A static binary's function names from `.symtab`, None once stripped: its imports
/// are linked in, so the mitigations' functions are defined, not imported.
fn static_function_names(layout: &Layout<'_>) -> Result<Option<Vec<String>>, ElfError> {
    use goblin::elf::sym::{STT_FUNC, STT_OBJECT};
    let Some(table) = layout.section_symbols(None) else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for symbol in table.symbols.iter() {
        if symbol.st_type() != STT_FUNC && symbol.st_type() != STT_OBJECT {
            continue;
        }
        if let Some(name) = table.name(&symbol) {
            layout.text.take(name.len(), ".symtab names")?;
            names.push(name.into_owned());
        }
    }
    Ok(Some(names))
}

pub(super) fn read_program_headers(
    bytes: &[u8],
    header: &Header,
    ctx: Ctx,
) -> Result<Vec<ProgramHeader>, ElfError> {
    if header.e_phnum == 0 {
        return Ok(Vec::new());
    }
    let table_size = u64::from(header.e_phnum) * u64::from(header.e_phentsize);
    if table_size > MAX_PROGRAM_HEADER_BYTES {
        return Err(ElfError::Malformed(format!(
            "{} program headers ({table_size} bytes): more than the kernel loads (64 KiB, fs/binfmt_elf.c), and more than preflight reads",
            header.e_phnum
        )));
    }
    // The kernel refuses a program header of another size (fs/binfmt_elf.c,
    // load_elf_phdrs), and so must we: goblin would read them at the standard stride.
    if usize::from(header.e_phentsize) != ProgramHeader::size(ctx) {
        return Err(ElfError::Malformed(format!(
            "program header entry size {} is not the standard {}",
            header.e_phentsize,
            ProgramHeader::size(ctx)
        )));
    }
    let offset = usize::try_from(header.e_phoff).unwrap_or(usize::MAX);
    ProgramHeader::parse(bytes, offset, usize::from(header.e_phnum), ctx).map_err(|_| {
        ElfError::Malformed(format!(
            "program header table ({} entries at offset {:#x}) extends past the end of the file ({} bytes)",
            header.e_phnum,
            header.e_phoff,
            bytes.len()
        ))
    })
}

fn read_section_headers(
    bytes: &[u8],
    header: &Header,
    ctx: Ctx,
) -> Result<Vec<SectionHeader>, ElfError> {
    if header.e_shoff == 0 {
        return Ok(Vec::new());
    }
    if header.e_shnum != 0 && usize::from(header.e_shentsize) != SectionHeader::size(ctx) {
        return Err(ElfError::Malformed(format!(
            "section header entry size {} is not the standard {}",
            header.e_shentsize,
            SectionHeader::size(ctx)
        )));
    }
    let offset = usize::try_from(header.e_shoff).unwrap_or(usize::MAX);
    SectionHeader::parse(bytes, offset, usize::from(header.e_shnum), ctx).map_err(|_| {
        ElfError::Malformed(format!(
            "section header table ({} entries at offset {:#x}) extends past the end of the file ({} bytes): truncated?",
            header.e_shnum,
            header.e_shoff,
            bytes.len()
        ))
    })
}

/// A file cut short (an interrupted download or copy) keeps its headers but loses the
/// end of its last segment; the kernel would map it and the process would die with
/// SIGBUS on first touch. Say so up front.
fn check_segments_fit(layout: &Layout<'_>) -> Result<(), ElfError> {
    for (index, p) in layout.phdrs.iter().enumerate() {
        if p.p_type == PT_LOAD || p.p_type == PT_DYNAMIC || p.p_type == PT_INTERP {
            layout.slice(
                p.p_offset,
                p.p_filesz,
                &format!("truncated file: segment {index}"),
            )?;
        }
    }
    Ok(())
}

/// A separate debug-info file (`objcopy --only-keep-debug`, the files under
/// /usr/lib/debug) keeps the program headers of its binary but none of the loaded
/// bytes: PT_DYNAMIC and PT_INTERP have a file size of 0. It cannot be run or loaded
/// (the kernel refuses a PT_INTERP shorter than 2 bytes, fs/binfmt_elf.c), so it is
/// of kind "other", not the executable or library it describes.
fn is_debug_companion(layout: &Layout<'_>) -> bool {
    layout.phdrs.iter().any(|p| {
        (p.p_type == PT_DYNAMIC || p.p_type == PT_INTERP) && p.p_filesz == 0 && p.p_memsz > 0
    })
}

fn read_interpreter(layout: &Layout<'_>) -> Result<Option<String>, ElfError> {
    let Some(p) = layout
        .phdrs
        .iter()
        .find(|p| p.p_type == PT_INTERP && p.p_filesz > 0)
    else {
        return Ok(None);
    };
    let data = layout.slice(p.p_offset, p.p_filesz, "PT_INTERP")?;
    let end = data.iter().position(|&b| b == 0).unwrap_or(data.len());
    Ok(Some(String::from_utf8_lossy(&data[..end]).into_owned()))
}

fn dynamic_string_table<'a>(
    layout: &Layout<'a>,
    dyns: &DynamicTags,
) -> Result<StringTable<'a>, ElfError> {
    let tag = |t: u64| dyns.get(t);
    match tag(DT_STRTAB) {
        Some(addr) => {
            let data = layout.at_vaddr(addr, tag(DT_STRSZ), "DT_STRTAB")?;
            Ok(StringTable::new(data))
        }
        None => Ok(StringTable::default()),
    }
}

/// Looks an offset up in the dynamic string table, naming what it is for in errors.
pub(super) type StringAt<'f, 's> = &'f dyn Fn(u64, &str) -> Result<Cow<'s, str>, ElfError>;

/// The dynamic entries' facts; `string_at` looks an offset up in the dynamic string
/// table (the file's bytes, or `loader_facts`' reads of them).
pub(super) fn read_dynamic<'s>(
    dyns: &DynamicTags,
    string_at: StringAt<'_, 's>,
    text: &TextBudget,
) -> Result<DynamicFacts, ElfError> {
    let entries = || dyns.iter().take_while(|&&(tag, _)| tag != DT_NULL);
    let needed = entries().filter(|&&(tag, _)| tag == DT_NEEDED).count();
    if needed > MAX_NEEDED {
        return Err(too_many("DT_NEEDED entries", needed, MAX_NEEDED));
    }
    let string = |val: u64, what: &str| -> Result<String, ElfError> {
        let value = string_at(val, what)?;
        text.take(value.len(), what)?;
        Ok(value.into_owned())
    };
    let mut facts = DynamicFacts::default();
    // Counted before they are split: a string of colons is as many empty folders.
    let mut paths = 0usize;
    let mut search_path = |val: u64, what: &str| -> Result<Vec<String>, ElfError> {
        let value = string(val, what)?;
        paths = paths.saturating_add(value.split(':').count());
        if paths > MAX_SEARCH_PATHS {
            return Err(too_many(
                "DT_RPATH and DT_RUNPATH folders",
                paths,
                MAX_SEARCH_PATHS,
            ));
        }
        Ok(split_path(&value))
    };
    for &(tag, val) in entries() {
        match tag {
            DT_NEEDED => facts.needed.push(string(val, "DT_NEEDED")?),
            DT_SONAME => facts.soname = Some(string(val, "DT_SONAME")?),
            DT_RPATH => facts.rpath.extend(search_path(val, "DT_RPATH")?),
            DT_RUNPATH => facts.runpath.extend(search_path(val, "DT_RUNPATH")?),
            DT_TEXTREL => facts.textrel = true,
            DT_FLAGS => facts.textrel |= val & DF_TEXTREL != 0,
            DT_FLAGS_1 => {
                facts.pie = val & DF_1_PIE != 0;
                facts.nodeflib = val & DF_1_NODEFLIB != 0;
            }
            _ => {}
        }
    }
    Ok(facts)
}

/// ld.so splits search paths on ':' only (elf/dl-load.c, fillin_rpath); an empty
/// element means the current directory, so it is kept.
pub(super) fn split_path(value: &str) -> Vec<String> {
    value.split(':').map(str::to_string).collect()
}

/// The kind of file, from `e_type`, PT_INTERP, DF_1_PIE and DT_SONAME.
///
/// ET_DYN covers libraries and PIEs alike. Since binutils 2.35 a PIE carries DF_1_PIE;
/// older PIEs are told apart by having an interpreter and no SONAME (glibc's libc.so.6
/// has an interpreter too, so it can be run, but it has a SONAME).
pub(super) fn classify(e_type: u16, has_interp: bool, pie_flag: bool, has_soname: bool) -> Kind {
    match e_type {
        header::ET_REL => Kind::Relocatable,
        header::ET_CORE => Kind::Core,
        header::ET_EXEC if has_interp => Kind::Executable,
        header::ET_EXEC => Kind::StaticExecutable,
        header::ET_DYN if pie_flag && has_interp => Kind::PieExecutable,
        header::ET_DYN if pie_flag => Kind::StaticPie,
        header::ET_DYN if has_interp && !has_soname => Kind::PieExecutable,
        header::ET_DYN => Kind::SharedLibrary,
        _ => Kind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_follows_type_interp_and_pie_flag() {
        assert_eq!(
            classify(header::ET_DYN, true, true, false),
            Kind::PieExecutable
        );
        assert_eq!(
            classify(header::ET_DYN, false, true, false),
            Kind::StaticPie
        );
        assert_eq!(
            classify(header::ET_DYN, true, false, true),
            Kind::SharedLibrary
        );
        assert_eq!(
            classify(header::ET_DYN, true, false, false),
            Kind::PieExecutable
        );
        assert_eq!(
            classify(header::ET_EXEC, false, false, false),
            Kind::StaticExecutable
        );
        assert_eq!(
            classify(header::ET_EXEC, true, false, false),
            Kind::Executable
        );
        assert_eq!(
            classify(header::ET_REL, false, false, false),
            Kind::Relocatable
        );
    }

    #[test]
    fn empty_rpath_elements_are_kept() {
        assert_eq!(
            split_path("$ORIGIN/../lib::/opt"),
            ["$ORIGIN/../lib", "", "/opt"]
        );
    }
}
