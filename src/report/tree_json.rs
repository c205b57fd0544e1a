//! `tree`'s JSON written directly: the bytes `serde_json::to_writer_pretty` writes for
//! a `Resolution`, without serde's byte-at-a-time string escaping and indentation
//! written two spaces at a time (a fifth of a 50-binary tree's instructions went to
//! them). The lists that are nearly always empty (missing libraries, version gaps,
//! symbols, dlopen, stale cache entries) and anything unusual are still written by
//! serde_json, re-indented to their depth; the tests compare both writers.

use crate::elf::Libc;
use crate::resolve::{Edge, FoundBy, LoadedObject, Resolution};
use serde::Serialize;
use std::io;

/// Newline, then `level` steps of serde_json's pretty indentation ("  ").
fn newline(out: &mut Vec<u8>, level: usize) {
    const SPACES: &[u8; 65] = b"\n                                                                ";
    match SPACES.get(..1 + 2 * level) {
        Some(line) => out.extend_from_slice(line),
        None => {
            out.push(b'\n');
            out.resize(out.len() + 2 * level, b' ');
        }
    }
}

/// A JSON string as serde_json writes it: most strings need no escape and are
/// copied whole; one that does goes through serde_json itself.
fn string(out: &mut Vec<u8>, text: &str) -> io::Result<()> {
    if plain(text.as_bytes()) {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        Ok(serde_json::to_writer(&mut *out, text)?)
    }
}

/// No byte JSON escapes (a control character, '"', '\\'). Checked 16 bytes at a
/// time without an early exit inside them, which the compiler turns into vector code.
pub(super) fn plain(bytes: &[u8]) -> bool {
    let escaped = |b: u8| (b < 0x20) | (b == b'"') | (b == b'\\');
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        if chunk.iter().fold(false, |any, &b| any | escaped(b)) {
            return false;
        }
    }
    !chunks.remainder().iter().any(|&b| escaped(b))
}

fn optional(out: &mut Vec<u8>, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => string(out, text),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

/// `"key": ` at `level`, after a comma unless it is the object's first key.
fn key(out: &mut Vec<u8>, level: usize, first: bool, name: &str) {
    if !first {
        out.push(b',');
    }
    newline(out, level);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

/// Any value as serde_json's pretty writer writes it at `level`: its own pretty
/// text with every line after the first indented by the level (a JSON string holds
/// no raw newline, so each newline is the formatter's).
pub(super) fn serde_at<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    level: usize,
    value: &T,
) -> io::Result<()> {
    let text = serde_json::to_vec_pretty(value)?;
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            newline(out, level);
        }
        out.extend_from_slice(line);
    }
    Ok(())
}

/// A list of objects at `level`, each written by `item` at the level inside it.
pub(super) fn list<T>(
    out: &mut Vec<u8>,
    level: usize,
    items: &[T],
    mut item: impl FnMut(&mut Vec<u8>, usize, &T) -> io::Result<()>,
) -> io::Result<()> {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return Ok(());
    }
    out.push(b'[');
    for (i, one) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        newline(out, level + 1);
        item(out, level + 1, one)?;
    }
    newline(out, level);
    out.push(b']');
    Ok(())
}

fn found_by(out: &mut Vec<u8>, how: Option<FoundBy>) -> io::Result<()> {
    optional(out, how.map(FoundBy::as_str))
}

fn loaded_object(out: &mut Vec<u8>, level: usize, l: &LoadedObject) -> io::Result<()> {
    let inner = level + 1;
    out.push(b'{');
    key(out, inner, true, "soname");
    string(out, &l.soname)?;
    key(out, inner, false, "path");
    string(out, &l.path)?;
    key(out, inner, false, "real_path");
    string(out, &l.real_path)?;
    key(out, inner, false, "found_by");
    found_by(out, Some(l.found_by))?;
    if let Some(via) = &l.via {
        key(out, inner, false, "via");
        string(out, via)?;
    }
    key(out, inner, false, "needed_by");
    string(out, &l.needed_by)?;
    key(out, inner, false, "depth");
    out.extend_from_slice(l.depth.to_string().as_bytes());
    newline(out, level);
    out.push(b'}');
    Ok(())
}

fn edge(out: &mut Vec<u8>, level: usize, e: &Edge) -> io::Result<()> {
    let inner = level + 1;
    out.push(b'{');
    key(out, inner, true, "from");
    string(out, &e.from)?;
    key(out, inner, false, "name");
    string(out, &e.name)?;
    key(out, inner, false, "to");
    optional(out, e.to.as_deref())?;
    key(out, inner, false, "found_by");
    found_by(out, e.found_by)?;
    newline(out, level);
    out.push(b'}');
    Ok(())
}

/// A field serde_json writes, its key at `level`.
fn serde_field<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    level: usize,
    name: &str,
    value: &T,
) -> io::Result<()> {
    key(out, level, false, name);
    serde_at(out, level, value)
}

/// One resolution at `level`, as `serde_json::to_writer_pretty` writes it there.
pub(super) fn resolution(out: &mut Vec<u8>, level: usize, r: &Resolution) -> io::Result<()> {
    let inner = level + 1;
    out.push(b'{');
    key(out, inner, true, "path");
    string(out, &r.path)?;
    key(out, inner, false, "view_path");
    string(out, &r.view_path)?;
    key(out, inner, false, "root");
    string(out, &r.root)?;
    serde_field(out, inner, "kind", &r.kind)?;
    key(out, inner, false, "loader");
    string(out, Libc::name_or_none(r.loader))?;
    key(out, inner, false, "interpreter");
    optional(out, r.interpreter.as_deref())?;
    key(out, inner, false, "interpreter_missing");
    out.extend_from_slice(if r.interpreter_missing {
        b"true"
    } else {
        b"false"
    });
    key(out, inner, false, "loaded");
    list(out, inner, &r.loaded, loaded_object)?;
    serde_field(out, inner, "missing", &r.missing)?;
    key(out, inner, false, "edges");
    list(out, inner, &r.edges, edge)?;
    serde_field(out, inner, "version_gaps", &r.version_gaps)?;
    serde_field(out, inner, "unbound_symbols", &r.unbound_symbols)?;
    if !r.host_symbols.is_empty() {
        serde_field(out, inner, "host_symbols", &r.host_symbols)?;
    }
    if let Some(process) = &r.opened_in {
        key(out, inner, false, "opened_in");
        string(out, process)?;
    }
    if let Some(program) = &r.module_of {
        key(out, inner, false, "module_of");
        string(out, program)?;
    }
    if !r.dlopen.is_empty() {
        serde_field(out, inner, "dlopen", &r.dlopen)?;
    }
    if !r.stale_cache.is_empty() {
        serde_field(out, inner, "stale_cache", &r.stale_cache)?;
    }
    newline(out, level);
    out.push(b'}');
    Ok(())
}
