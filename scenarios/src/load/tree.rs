//! The parsed scenario document: every value with where it came from (a byte offset in the
//! file, or the `--set` argument that wrote it), key paths, and the `--set` edits.

use std::fmt;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// Longest key path accepted in `--set` and `locate` (the TOML parser's own nesting limit is 80).
pub(crate) const MAX_PATH_SEGMENTS: usize = 80;

/// Where a key or value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pos {
    /// Nowhere in particular (the top-level table of the file).
    None,
    /// Byte offset in the scenario file text.
    File(usize),
    /// Written by the `index`-th `--set` argument; `bare` when the value was not valid TOML
    /// and was taken as a plain string.
    Set { index: usize, bare: bool },
}

/// One value of the document.
#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub(crate) val: Val,
    pub(crate) pos: Pos,
}

/// A TOML value. Integers are kept wide so that `u64` seeds above `i64::MAX` load too.
#[derive(Clone, Debug)]
pub(crate) enum Val {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    /// Entries in file order, then in the order `--set` added them.
    Table(Vec<Entry>),
}

/// One `key = value` of a table.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    pub(crate) key: String,
    pub(crate) key_pos: Pos,
    pub(crate) value: Node,
}

impl Node {
    pub(crate) fn table(entries: Vec<Entry>, pos: Pos) -> Node {
        Node {
            val: Val::Table(entries),
            pos,
        }
    }

    /// What kind of value this is, for messages ("a number", "a table", ...).
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.val {
            Val::Str(_) => "a string",
            Val::Int(_) => "an integer",
            Val::Float(_) => "a number",
            Val::Bool(_) => "a boolean",
            Val::Datetime(_) => "a date-time",
            Val::Array(_) => "an array",
            Val::Table(_) => "a table",
        }
    }

    /// The value as a message shows it: scalars quoted in backticks (strings from the file with
    /// their TOML quotes, bare `--set` strings as typed), compound values by kind.
    pub(crate) fn describe(&self) -> String {
        fn clip(s: &str) -> String {
            const MAX: usize = 60;
            if s.chars().count() > MAX {
                let head: String = s.chars().take(MAX).collect();
                format!("{head}...")
            } else {
                s.to_string()
            }
        }
        match &self.val {
            Val::Str(s) => match self.pos {
                Pos::Set { bare: true, .. } => format!("`{}`", clip(&s.escape_debug().to_string())),
                _ => format!("`{}`", clip(&format!("{s:?}"))),
            },
            Val::Int(i) => format!("`{i}`"),
            Val::Float(f) => format!("`{}`", fmt_float(*f)),
            Val::Bool(b) => format!("`{b}`"),
            Val::Datetime(d) => format!("`{}`", clip(d)),
            Val::Array(_) => "an array".to_string(),
            Val::Table(_) => "a table".to_string(),
        }
    }
}

/// A float as TOML writes it (`inf`, `nan`, `1.5`, `300.0`).
pub(crate) fn fmt_float(f: f64) -> String {
    if f.is_nan() {
        "nan".into()
    } else if f.is_infinite() {
        if f > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        // Shortest round-trip form, with `.0` on whole numbers and an exponent when large.
        format!("{f:?}")
    }
}

/// A value the TOML parser accepted but that cannot be represented (an integer beyond 128
/// bits, a float literal beyond `f64`): message and byte offset.
pub(crate) type ConvertError = (String, usize);

/// Converts a parsed TOML document into a [`Node`] tree, entries in file order.
pub(crate) fn from_document(doc: Spanned<DeTable<'_>>) -> Result<Node, ConvertError> {
    let entries = convert_table(doc.into_inner(), &|o| Pos::File(o))?;
    Ok(Node::table(entries, Pos::None))
}

/// Converts a value parsed from a `--set` argument; every node gets the `--set` position.
pub(crate) fn from_set_value(v: Spanned<DeValue<'_>>, index: usize) -> Result<Node, String> {
    let pos = move |_| Pos::Set { index, bare: false };
    convert_value(v, &pos).map_err(|(m, _)| m)
}

fn convert_table(t: DeTable<'_>, pos: &dyn Fn(usize) -> Pos) -> Result<Vec<Entry>, ConvertError> {
    let mut entries = Vec::with_capacity(t.len());
    for (k, v) in t {
        let key_offset = k.span().start;
        entries.push((
            key_offset,
            Entry {
                key: k.into_inner().into_owned(),
                key_pos: pos(key_offset),
                value: convert_value(v, pos)?,
            },
        ));
    }
    entries.sort_by_key(|(o, _)| *o);
    Ok(entries.into_iter().map(|(_, e)| e).collect())
}

fn convert_value(
    v: Spanned<DeValue<'_>>,
    pos: &dyn Fn(usize) -> Pos,
) -> Result<Node, ConvertError> {
    let offset = v.span().start;
    let val = match v.into_inner() {
        DeValue::String(s) => Val::Str(s.into_owned()),
        DeValue::Integer(i) => match i128::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Val::Int(n),
            Err(_) => return Err((format!("integer `{i}` is too large"), offset)),
        },
        DeValue::Float(f) => {
            let text = f.as_str();
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() || text.contains("inf") || text.contains("nan") => {
                    Val::Float(x)
                }
                _ => return Err((format!("number `{text}` is out of range"), offset)),
            }
        }
        DeValue::Boolean(b) => Val::Bool(b),
        DeValue::Datetime(d) => Val::Datetime(d.to_string()),
        DeValue::Array(a) => Val::Array(
            a.into_iter()
                .map(|e| convert_value(e, pos))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => Val::Table(convert_table(t, pos)?),
    };
    Ok(Node {
        val,
        pos: pos(offset),
    })
}

/// One step of a key path: a key of a table or an index into an array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// True when `key` can be written unquoted in TOML (and in a path).
pub(crate) fn is_bare_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Writes one key of a path, quoting it when it is not a bare key.
pub(crate) fn write_key(f: &mut impl fmt::Write, key: &str) -> fmt::Result {
    if is_bare_key(key) {
        f.write_str(key)
    } else {
        write!(f, "{key:?}")
    }
}

/// Renders a path: `copy.pairs[2].primary`.
pub(crate) fn path_string(segs: &[Seg]) -> String {
    let mut s = String::new();
    for seg in segs {
        push_seg(&mut s, seg);
    }
    s
}

/// Appends one step to a rendered path.
pub(crate) fn push_seg(s: &mut String, seg: &Seg) {
    match seg {
        Seg::Key(k) => {
            if !s.is_empty() {
                s.push('.');
            }
            let _ = write_key(s, k);
        }
        Seg::Index(i) => {
            s.push('[');
            s.push_str(&i.to_string());
            s.push(']');
        }
    }
}

/// Parses a dotted key path with optional array indices: `hosts[1].workload.rate`,
/// `link.bandwidth_mbps`, `"odd key".x`. Keys are TOML bare keys (letters, digits, `_`, `-`)
/// or double-quoted strings without escapes.
pub(crate) fn parse_path(text: &str) -> Result<Vec<Seg>, String> {
    const HELP: &str = "write dotted keys with optional [index], e.g. hosts[1].workload.rate";
    let mut segs = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    if text.trim().is_empty() {
        return Err(format!("empty key path; {HELP}"));
    }
    loop {
        // A key.
        if b.get(i) == Some(&b'"') {
            let rest = &text[i + 1..];
            let Some(end) = rest.find('"') else {
                return Err(format!("unclosed quote in key path `{text}`"));
            };
            segs.push(Seg::Key(rest[..end].to_string()));
            i += end + 2;
        } else {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
                i += 1;
            }
            if i == start {
                let what = match text[i..].chars().next() {
                    Some(c) => format!("unexpected `{c}`"),
                    None => "missing key".to_string(),
                };
                return Err(format!(
                    "{what} at character {} of key path `{text}`; {HELP}",
                    text[..i].chars().count() + 1
                ));
            }
            segs.push(Seg::Key(text[start..i].to_string()));
        }
        // Indices.
        while b.get(i) == Some(&b'[') {
            let rest = &text[i + 1..];
            let Some(end) = rest.find(']') else {
                return Err(format!("unclosed `[` in key path `{text}`"));
            };
            let digits = rest[..end].trim();
            let Ok(n) = digits.parse::<usize>() else {
                return Err(format!(
                    "array index `{digits}` in key path `{text}` is not a non-negative integer"
                ));
            };
            segs.push(Seg::Index(n));
            i += end + 2;
        }
        if segs.len() > MAX_PATH_SEGMENTS {
            return Err(format!(
                "key path `{text}` is deeper than {MAX_PATH_SEGMENTS} levels"
            ));
        }
        match b.get(i) {
            None => return Ok(segs),
            Some(b'.') => i += 1,
            Some(_) => {
                let c = text[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "unexpected `{c}` at character {} of key path `{text}`; {HELP}",
                    text[..i].chars().count() + 1
                ));
            }
        }
    }
}

/// Follows `segs` from `root`; returns every node on the way (the root first). The walk stops
/// at the first step that does not exist, so the last node is the deepest one present.
pub(crate) fn walk<'a>(root: &'a Node, segs: &[Seg]) -> Vec<&'a Node> {
    let mut out = vec![root];
    let mut cur = root;
    for seg in segs {
        let next = match (seg, &cur.val) {
            (Seg::Key(k), Val::Table(es)) => es.iter().find(|e| &e.key == k).map(|e| &e.value),
            (Seg::Index(i), Val::Array(xs)) => xs.get(*i),
            _ => None,
        };
        match next {
            Some(n) => {
                out.push(n);
                cur = n;
            }
            None => break,
        }
    }
    out
}

/// The highest index of the `--set` arguments that wrote `node` or anything inside it (a
/// value, a key, an array element); `None` when all of it comes from the file.
pub(crate) fn last_set(node: &Node) -> Option<usize> {
    let here = match node.pos {
        Pos::Set { index, .. } => Some(index),
        _ => None,
    };
    let inner = match &node.val {
        Val::Table(es) => es
            .iter()
            .filter_map(|e| {
                let key = match e.key_pos {
                    Pos::Set { index, .. } => Some(index),
                    _ => None,
                };
                key.max(last_set(&e.value))
            })
            .max(),
        Val::Array(xs) => xs.iter().filter_map(last_set).max(),
        _ => None,
    };
    here.max(inner)
}

/// What a `--set` does at the end of its path.
pub(crate) enum Edit {
    /// Replace (or create) the value.
    Put(Node),
    /// Remove the key (`none`).
    Remove,
}

/// Outcome of a successful edit.
pub(crate) enum Applied {
    Done,
    /// `none` named a key that is not there: nothing changed.
    NothingToRemove,
}

/// Applies one `--set` edit to the tree; the error says which step of the path failed and why.
pub(crate) fn apply(
    root: &mut Node,
    segs: &[Seg],
    edit: Edit,
    index: usize,
) -> Result<Applied, String> {
    let Some((last, init)) = segs.split_last() else {
        return Err("empty key path".into());
    };
    let created = Pos::Set { index, bare: false };
    let mut cur = root;
    let mut walked = String::new();
    for (n, seg) in init.iter().enumerate() {
        let next_is_index = matches!(segs[n + 1], Seg::Index(_));
        cur = match seg {
            Seg::Key(k) => {
                let here = describe_place(&walked);
                let kind = cur.kind_name();
                let Val::Table(entries) = &mut cur.val else {
                    return Err(not_a_table(&walked, kind, k));
                };
                let idx = match entries.iter().position(|e| &e.key == k) {
                    Some(i) => i,
                    None => {
                        if next_is_index {
                            let mut p = walked.clone();
                            push_seg(&mut p, seg);
                            return Err(format!("there is no array `{p}` in {here} to index into"));
                        }
                        if matches!(edit, Edit::Remove) {
                            return Ok(Applied::NothingToRemove);
                        }
                        entries.push(Entry {
                            key: k.clone(),
                            key_pos: created,
                            value: Node::table(Vec::new(), created),
                        });
                        entries.len() - 1
                    }
                };
                push_seg(&mut walked, seg);
                &mut entries[idx].value
            }
            Seg::Index(i) => {
                let kind = cur.kind_name();
                let Val::Array(items) = &mut cur.val else {
                    return Err(not_an_array(&walked, kind));
                };
                let len = items.len();
                if *i >= len {
                    return Err(past_end(&walked, *i, len));
                }
                push_seg(&mut walked, seg);
                &mut items[*i]
            }
        };
    }
    match last {
        Seg::Key(k) => {
            let kind = cur.kind_name();
            let Val::Table(entries) = &mut cur.val else {
                return Err(not_a_table(&walked, kind, k));
            };
            let found = entries.iter().position(|e| &e.key == k);
            match (edit, found) {
                (Edit::Put(node), Some(i)) => entries[i].value = node,
                (Edit::Put(node), None) => entries.push(Entry {
                    key: k.clone(),
                    key_pos: created,
                    value: node,
                }),
                (Edit::Remove, Some(i)) => {
                    entries.remove(i);
                }
                (Edit::Remove, None) => return Ok(Applied::NothingToRemove),
            }
        }
        Seg::Index(i) => {
            let kind = cur.kind_name();
            let Val::Array(items) = &mut cur.val else {
                return Err(not_an_array(&walked, kind));
            };
            let len = items.len();
            if *i >= len {
                return Err(past_end(&walked, *i, len));
            }
            match edit {
                Edit::Put(node) => items[*i] = node,
                Edit::Remove => {
                    return Err(format!(
                        "`none` removes a key, not an array element; `{walked}[{i}]` stays"
                    ));
                }
            }
        }
    }
    Ok(Applied::Done)
}

/// "[link]" or "the top-level table".
pub(crate) fn describe_place(path: &str) -> String {
    if path.is_empty() {
        "the top-level table".into()
    } else {
        format!("[{path}]")
    }
}

fn not_a_table(walked: &str, kind: &str, key: &str) -> String {
    format!("`{walked}` is {kind}, not a table, so it has no key `{key}`")
}

fn not_an_array(walked: &str, kind: &str) -> String {
    let what = if walked.is_empty() {
        "the top-level table".to_string()
    } else {
        format!("`{walked}`")
    };
    format!("{what} is {kind}, not an array, so it cannot be indexed")
}

fn past_end(walked: &str, i: usize, len: usize) -> String {
    let range = match len {
        0 => "it is empty".to_string(),
        1 => "it has 1 element, index 0".to_string(),
        n => format!("it has {n} elements, indices 0 to {}", n - 1),
    };
    format!("index {i} is past the end of `{walked}`: {range}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(segs: &[Seg]) -> Vec<String> {
        segs.iter()
            .map(|s| match s {
                Seg::Key(k) => k.clone(),
                Seg::Index(i) => format!("#{i}"),
            })
            .collect()
    }

    #[test]
    fn paths_parse_and_render() {
        let p = parse_path("hosts[1].workload.rate").unwrap();
        assert_eq!(keys(&p), ["hosts", "#1", "workload", "rate"]);
        assert_eq!(path_string(&p), "hosts[1].workload.rate");
        let p = parse_path("m[0][2]").unwrap();
        assert_eq!(keys(&p), ["m", "#0", "#2"]);
        let p = parse_path("\"odd key\".x").unwrap();
        assert_eq!(keys(&p), ["odd key", "x"]);
        assert_eq!(path_string(&p), "\"odd key\".x");
        assert_eq!(keys(&parse_path("a-b_c.9").unwrap()), ["a-b_c", "9"]);
    }

    #[test]
    fn bad_paths_are_explained() {
        assert_eq!(
            parse_path("a..b").unwrap_err(),
            "unexpected `.` at character 3 of key path `a..b`; write dotted keys with optional [index], e.g. hosts[1].workload.rate"
        );
        assert_eq!(
            parse_path("a[x]").unwrap_err(),
            "array index `x` in key path `a[x]` is not a non-negative integer"
        );
        assert_eq!(
            parse_path("a[1").unwrap_err(),
            "unclosed `[` in key path `a[1`"
        );
        assert!(parse_path("").unwrap_err().starts_with("empty key path"));
        assert!(
            parse_path("a.")
                .unwrap_err()
                .starts_with("missing key at character 3")
        );
        assert!(
            parse_path("a b")
                .unwrap_err()
                .starts_with("unexpected ` ` at character 2")
        );
        let deep = vec!["k"; MAX_PATH_SEGMENTS + 1].join(".");
        assert!(
            parse_path(&deep)
                .unwrap_err()
                .contains("deeper than 80 levels")
        );
    }

    #[test]
    fn floats_print_as_toml() {
        assert_eq!(fmt_float(300.0), "300.0");
        assert_eq!(fmt_float(1.5), "1.5");
        assert_eq!(fmt_float(f64::NAN), "nan");
        assert_eq!(fmt_float(f64::NEG_INFINITY), "-inf");
        assert_eq!(fmt_float(1e300), "1e300");
    }
}
