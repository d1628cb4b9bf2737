//! Loading scenario files: TOML text into any serde type, with `--set path=value` overrides
//! and errors a person can act on.
//!
//! Every error names the file, line and column (1-based, column in characters) of the
//! offending key or value, or the `--set` argument that introduced it, and says what is
//! allowed; for a misspelt key or variant it proposes the closest valid name:
//!
//! ```text
//! baseline.toml:12:1: unknown key `bandwith_mbps` in [link]; did you mean `bandwidth_mbps`? allowed keys: distance_km, bandwidth_mbps, overhead_bytes, paths, outages
//! baseline.toml:7:8: copy.mode: unknown variant `xrcc`, did you mean `xrc`? allowed: xrc, xrc-prt, sync, naive, pit
//! --set link.distance_km=far: expected a number for link.distance_km, got `far`
//! ```
//!
//! Unknown keys are errors even where a struct lacks `#[serde(deny_unknown_fields)]` (a key
//! the schema ignores is refused with the struct's field list); internally tagged enums still
//! need `deny_unknown_fields` on the enum, since serde buffers their content.
//!
//! The schema's own cross-field checks report through [`Document::error_at`] (or
//! [`Loaded::error_at`]), which places a message at a key path such as `copy.pairs[2].primary`.
//!
//! `--set path=value`: the path is dotted keys with optional array indices
//! (`hosts[1].workload.rate`); the value is read as a TOML value when it is one (numbers,
//! booleans, quoted strings, arrays, inline tables, dates) and otherwise taken as a plain
//! string (`copy.mode=xrc-prt`, `run.length=30s`). Missing keys and tables on the path are
//! created; an array index must exist. The value `none` removes the key (write `'"none"'`
//! for the string). Overrides edit the document before deserialization, so they are checked
//! exactly like the file.
//!
//! Nothing here panics on any input: [`fuzz_load`] is the entry point for fuzzing that.

mod de;
mod duration;
mod error;
pub mod suggest;
#[cfg(test)]
mod tests;
mod toy;
mod tree;

use std::fmt;
use std::path::Path;

use serde::de::DeserializeOwned;

pub use duration::{explain_duration, parse_duration};
pub use error::{ErrorInfo, ErrorKind, LoadError, Location};

use tree::{Applied, Edit, Node, Pos, Val};

/// A scenario file's text and the name its messages use for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source {
    /// The file name as the user gave it (`baseline.toml`), used in messages.
    pub name: String,
    /// The whole TOML text.
    pub text: String,
}

impl Source {
    /// A source from a name and text already in memory (an embedded default scenario).
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// Reads a scenario file. The error reads
/// `cannot read scenario file `x.toml`: No such file or directory`.
pub fn read_file(path: &Path) -> Result<Source, LoadError> {
    let name = path.display().to_string();
    let io_error = |message: String| {
        LoadError::new(
            name.clone(),
            Location::Nowhere,
            String::new(),
            ErrorKind::Io { message },
        )
    };
    let bytes = std::fs::read(path).map_err(|e| io_error(os_message(&e)))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Source { name, text }),
        Err(e) => {
            let bad = e.utf8_error().valid_up_to();
            let good = String::from_utf8_lossy(&e.as_bytes()[..bad]).into_owned();
            let (line, col) = line_col(&line_starts(&good), &good, bad);
            Err(io_error(format!(
                "not UTF-8 text (invalid byte at line {line}, column {col})"
            )))
        }
    }
}

/// The operating system's message without the trailing `(os error N)`.
fn os_message(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.rfind(" (os error ") {
        Some(i) if s.ends_with(')') => s[..i].to_string(),
        _ => s,
    }
}

/// Parses `src`, applies the `--set` overrides in order, and deserializes a `T`. The returned
/// [`Loaded`] keeps the document so that the schema's own validation can place its messages.
pub fn load<T: DeserializeOwned>(src: &Source, sets: &[String]) -> Result<Loaded<T>, LoadError> {
    let mut doc = Document::parse(src)?;
    for s in sets {
        doc.apply_set(s)?;
    }
    let value = doc.deserialize()?;
    Ok(Loaded { value, doc })
}

/// One key of a file of overrides (a sweep's `[grid]` or `[set]`): the table it is in, the
/// key (a `--set` path such as `link.distance_km`) and a value to try it with.
#[derive(Clone, Debug)]
pub struct OverrideKey<'a> {
    /// The table of the overrides file holding the key (`grid`, `set`).
    pub table: &'a str,
    /// The key path, as in `--set`.
    pub key: &'a str,
    /// A value the key is given (the first of a grid's list).
    pub value: &'a str,
}

/// Checks the keys of a file of overrides against the schema `T`, through `base`, before
/// anything runs: a key the schema does not have (or a path that cannot be followed, such
/// as an index past the end) is refused at the key's line and column in `file`:
///
/// ```text
/// distance.toml:6:1: [grid] key `link.distanse_km`: unknown key `distanse_km` in [link]; did you mean `distance_km`? allowed keys: ...
/// ```
///
/// Only the keys are judged here; a bad value is left to the caller's check of each row
/// (which names the rows). Errors of `base` itself are also left to that check.
pub fn check_override_keys<T: DeserializeOwned>(
    base: &Source,
    file: &Source,
    keys: &[OverrideKey<'_>],
) -> Result<(), LoadError> {
    let overrides = Document::parse(file)?;
    for k in keys {
        let arg = format!("{}={}", k.key, k.value);
        let Err(e) = load::<T>(base, std::slice::from_ref(&arg)) else {
            continue;
        };
        let about_key = e.set_arg().is_some()
            && matches!(
                e.kind,
                ErrorKind::UnknownKey { .. } | ErrorKind::BadSet { .. }
            );
        if !about_key {
            continue;
        }
        let mut inner = e.into_info();
        inner.location = Location::Nowhere;
        let message = format!("[{}] key `{}`: {inner}", k.table, k.key);
        let pos = overrides.key_pos(k.table, k.key);
        return Err(overrides.error(pos, String::new(), ErrorKind::Invalid { message }));
    }
    Ok(())
}

/// A deserialized scenario together with its document (for [`Loaded::locate`] and
/// [`Loaded::error_at`]).
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    /// The deserialized value.
    pub value: T,
    /// The document it was read from, overrides applied.
    pub doc: Document,
}

impl<T> Loaded<T> {
    /// Where the value at `path` (`copy.pairs[2].primary`) was written: a line and column
    /// of the file, or the `--set` argument; `None` when the path is not in the document (a
    /// default value).
    pub fn locate(&self, path: &str) -> Option<Location> {
        self.doc.locate(path)
    }

    /// An error about the value at `path`, placed where it was written (or where its nearest
    /// written enclosing table is): `baseline.toml:40:11: copy.pairs[2].primary: <msg>`.
    pub fn error_at(&self, path: &str, msg: impl fmt::Display) -> LoadError {
        self.doc.error_at(path, msg)
    }

    /// Notes about overrides that changed nothing (`none` for a key that is not there).
    pub fn warnings(&self) -> &[String] {
        self.doc.warnings()
    }
}

/// A parsed scenario file: every key and value with where it was written, plus the
/// `--set` overrides applied so far. Deserialize it into any schema with
/// [`Document::deserialize`].
#[derive(Clone, Debug)]
pub struct Document {
    file: String,
    text: String,
    line_starts: Vec<usize>,
    root: Node,
    sets: Vec<String>,
    /// Key paths removed by `--set path=none`, with the argument's index.
    removed: Vec<(String, usize)>,
    warnings: Vec<String>,
}

impl Document {
    /// Parses TOML text; a syntax error names line, column and the parser's explanation.
    pub fn parse(src: &Source) -> Result<Document, LoadError> {
        let mut doc = Document {
            file: src.name.clone(),
            text: src.text.clone(),
            line_starts: line_starts(&src.text),
            root: Node::table(Vec::new(), Pos::None),
            sets: Vec::new(),
            removed: Vec::new(),
            warnings: Vec::new(),
        };
        let parsed = toml::de::DeTable::parse(&src.text).map_err(|e| {
            let mut message = e.message().trim().replace('\n', "; ");
            let key = e.span().and_then(|s| src.text.get(s));
            if let (true, Some(key)) = (message == "duplicate key", key) {
                message = format!("duplicate key `{key}`");
            }
            let pos = e.span().map_or(Pos::None, |s| Pos::File(s.start));
            doc.error(pos, String::new(), ErrorKind::Syntax { message })
        })?;
        doc.root = tree::from_document(parsed).map_err(|(message, offset)| {
            doc.error(
                Pos::File(offset),
                String::new(),
                ErrorKind::Invalid { message },
            )
        })?;
        Ok(doc)
    }

    /// Applies one `--set path=value` override (see the module documentation). Errors name
    /// the argument: `--set hosts[5].name=x: index 5 is past the end of `hosts`: ...`.
    pub fn apply_set(&mut self, arg: &str) -> Result<(), LoadError> {
        let index = self.sets.len();
        self.sets.push(arg.to_string());
        let bad = |doc: &Document, path: &str, message: String| {
            doc.error(
                Pos::Set { index, bare: false },
                path.to_string(),
                ErrorKind::BadSet { message },
            )
        };
        let Some((path_text, value)) = arg.split_once('=') else {
            return Err(bad(
                self,
                "",
                "missing `=`: write --set path=value, e.g. --set link.bandwidth_mbps=44.736".into(),
            ));
        };
        let path_text = path_text.trim();
        let segs = tree::parse_path(path_text).map_err(|m| bad(self, path_text, m))?;
        let path = tree::path_string(&segs);
        let value = value.trim();
        let edit = if value == "none" {
            Edit::Remove
        } else {
            match toml::de::DeValue::parse(value) {
                Ok(v) => {
                    Edit::Put(tree::from_set_value(v, index).map_err(|m| bad(self, &path, m))?)
                }
                Err(_) => Edit::Put(Node {
                    val: Val::Str(value.to_string()),
                    pos: Pos::Set { index, bare: true },
                }),
            }
        };
        let removing = matches!(edit, Edit::Remove);
        match tree::apply(&mut self.root, &segs, edit, index) {
            Ok(Applied::Done) => {
                if removing {
                    self.removed.push((path, index));
                }
                Ok(())
            }
            Ok(Applied::NothingToRemove) => {
                self.warnings.push(format!(
                    "--set {arg}: there is no `{path}` to remove; nothing changed"
                ));
                Ok(())
            }
            Err(m) => Err(bad(self, &path, m)),
        }
    }

    /// Deserializes the document (overrides applied) into `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, LoadError> {
        de::deserialize(&self.root).map_err(|e| self.convert(e))
    }

    /// Where the value at `path` was written; `None` when it is not in the document or the
    /// path is malformed. For a table written as a `[header]` this is the header.
    pub fn locate(&self, path: &str) -> Option<Location> {
        let segs = tree::parse_path(path.trim()).ok()?;
        let nodes = tree::walk(&self.root, &segs);
        if nodes.len() != segs.len() + 1 {
            return None;
        }
        nodes.last().map(|n| self.location_of(n.pos))
    }

    /// An error about the value at `path` with message `msg`, placed where the value was
    /// written, or where its nearest written enclosing table is when the value itself was
    /// not (a default), or at the file as a whole.
    ///
    /// When a `--set` argument wrote the value or anything inside it (`--set
    /// hosts[0].apps[0].workload.tx_rate=-1` and an error about `hosts[0].apps[0].workload`),
    /// the error names that argument (the last such one) instead of the file: the file was
    /// read as written, the override is what changed.
    pub fn error_at(&self, path: &str, msg: impl fmt::Display) -> LoadError {
        let pos = match tree::parse_path(path.trim()) {
            Ok(segs) => {
                let nodes = tree::walk(&self.root, &segs);
                // The whole path present, and not the document itself.
                let whole = !segs.is_empty() && nodes.len() == segs.len() + 1;
                let set = nodes
                    .last()
                    .filter(|_| whole)
                    .and_then(|n| tree::last_set(n))
                    .max(self.removal_within(&tree::path_string(&segs)));
                match set {
                    Some(index) => Pos::Set { index, bare: false },
                    None => nodes
                        .iter()
                        .rev()
                        .map(|n| n.pos)
                        .find(|p| *p != Pos::None)
                        .unwrap_or(Pos::None),
                }
            }
            Err(_) => Pos::None,
        };
        self.error(
            pos,
            path.trim().to_string(),
            ErrorKind::Invalid {
                message: msg.to_string(),
            },
        )
    }

    /// The file name used in messages.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The `--set` arguments applied so far, in order.
    pub fn overrides(&self) -> &[String] {
        &self.sets
    }

    /// Notes about overrides that changed nothing (`none` for a key that is not there).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn location_of(&self, pos: Pos) -> Location {
        match pos {
            Pos::None => Location::File,
            Pos::File(offset) => {
                let (line, col) = line_col(&self.line_starts, &self.text, offset);
                Location::At { line, col }
            }
            Pos::Set { index, .. } => Location::Set {
                arg: self.sets.get(index).cloned().unwrap_or_default(),
            },
        }
    }

    /// Where the key `key` of the top-level table `table` was written (the table's header
    /// when the key is not in it, the file as a whole when neither is).
    fn key_pos(&self, table: &str, key: &str) -> Pos {
        let Val::Table(top) = &self.root.val else {
            return Pos::None;
        };
        let Some(t) = top.iter().find(|e| e.key == table) else {
            return Pos::None;
        };
        match &t.value.val {
            Val::Table(es) => es
                .iter()
                .find(|e| e.key == key)
                .map_or(t.value.pos, |e| e.key_pos),
            _ => t.value.pos,
        }
    }

    /// The last `--set ...=none` that removed `path` or a key inside it (`None` for the
    /// document itself).
    fn removal_within(&self, path: &str) -> Option<usize> {
        if path.is_empty() {
            return None;
        }
        self.removed
            .iter()
            .filter(|(p, _)| {
                p == path
                    || p.strip_prefix(path)
                        .is_some_and(|rest| rest.starts_with(['.', '[']))
            })
            .map(|&(_, i)| i)
            .max()
    }

    fn error(&self, pos: Pos, path: String, kind: ErrorKind) -> LoadError {
        LoadError::new(self.file.clone(), self.location_of(pos), path, kind)
    }

    fn convert(&self, e: de::DeError) -> LoadError {
        let e = *e.0;
        let at = e.at.unwrap_or(de::At {
            path: String::new(),
            table: String::new(),
            pos: Pos::None,
        });
        let names = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let kind = match e.kind {
            de::Kind::UnknownKey { key, allowed } => ErrorKind::UnknownKey {
                suggestion: suggest::closest(&key, allowed).map(str::to_string),
                allowed: names(allowed),
                table: at.table,
                key,
            },
            de::Kind::UnknownVariant { value, allowed } => ErrorKind::UnknownVariant {
                suggestion: suggest::closest(&value, allowed).map(str::to_string),
                allowed: names(allowed),
                value,
            },
            de::Kind::MissingKey { key } => {
                // A required key removed by `--set key=none`: the override is the culprit.
                let mut full = at.table.clone();
                if !full.is_empty() {
                    full.push('.');
                }
                let _ = tree::write_key(&mut full, &key);
                if let Some(index) = self.removal_within(&full) {
                    let kind = ErrorKind::MissingKey {
                        key,
                        table: at.table,
                    };
                    return self.error(Pos::Set { index, bare: false }, at.path, kind);
                }
                ErrorKind::MissingKey {
                    key,
                    table: at.table,
                }
            }
            de::Kind::WrongType { expected, got } => ErrorKind::WrongType { expected, got },
            de::Kind::Invalid(message) => ErrorKind::Invalid {
                message: better_duration_message(message),
            },
        };
        let pos = self.blame_override(&at.path, at.pos);
        self.error(pos, at.path, kind)
    }

    /// An error placed at the table or array written at `pos` (in the file) for `path`, when
    /// a `--set` wrote something inside it, is the override's: `--set
    /// hosts[0].apps[0].workload.tx_rate=[1]` is refused as a whole `workload` (an internally
    /// tagged table), but the file was valid before it. Other positions are kept.
    fn blame_override(&self, path: &str, pos: Pos) -> Pos {
        if !matches!(pos, Pos::File(_)) {
            return pos;
        }
        let Ok(segs) = tree::parse_path(path.trim()) else {
            return pos;
        };
        let nodes = tree::walk(&self.root, &segs);
        match nodes.last() {
            Some(n) if !segs.is_empty() && nodes.len() == segs.len() + 1 && n.pos == pos => {
                tree::last_set(n).map_or(pos, |index| Pos::Set { index, bare: false })
            }
            _ => pos,
        }
    }
}

/// The duration parser's message `duration `1e400s` has unknown unit `e400s`...` replaced by
/// [`explain_duration`]'s (out of range, an exponent, negative) where it has one.
fn better_duration_message(message: String) -> String {
    let text = message
        .strip_prefix("duration `")
        .and_then(|r| r.split_once('`'))
        .map(|(t, _)| t);
    text.and_then(explain_duration).unwrap_or(message)
}

/// Byte offsets at which each line starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// 1-based line and column (in characters) of a byte offset; offsets past the end or inside
/// a character are clamped.
fn line_col(starts: &[usize], text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = starts.partition_point(|&s| s <= offset).max(1);
    let start = starts[line - 1].min(offset);
    let col = text[start..offset].chars().count() + 1;
    (
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(col).unwrap_or(u32::MAX),
    )
}

/// Fuzzing entry point: never panics. The bytes up to the first NUL are the scenario text
/// (invalid UTF-8 replaced); each further NUL-separated chunk is a `--set` argument. Loads
/// them into a small realistic schema and into a generic TOML value, then locates every
/// overridden path and renders every message.
pub fn fuzz_load(bytes: &[u8]) {
    let mut parts = bytes.split(|&b| b == 0);
    let text = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let sets: Vec<String> = parts
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let src = Source::new("fuzz.toml", text);
    match load::<toy::Scenario>(&src, &sets) {
        Ok(l) => {
            let _ = l.value.validate(&l.doc).map_err(|e| e.to_string());
            for s in &sets {
                let path = s.split('=').next().unwrap_or_default();
                let _ = l.locate(path);
                let _ = l.error_at(path, "fuzz").to_string();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    match load::<std::collections::BTreeMap<String, toml::Value>>(&src, &sets) {
        Ok(l) => {
            let _ = l.locate("a.b[0]");
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}
