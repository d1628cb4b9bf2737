//! A serde deserializer over the document tree that knows, for every value, its key path and
//! where it was written, so that each error points at the offending key or value.
//!
//! Values are typed strictly (a string is never a number), integers are range-checked against
//! the target type, and a key the schema ignores is an error even without
//! `#[serde(deny_unknown_fields)]` on plain structs. Errors raised inside buffered content
//! (internally tagged enums, `flatten`) carry no position from serde; they are placed by
//! searching the subtree for the key or value they name.

use std::fmt;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, Expected, IntoDeserializer, MapAccess,
    SeqAccess, Unexpected, VariantAccess, Visitor,
};

use super::tree::{Entry, Node, Pos, Seg, Val, fmt_float, push_seg, write_key};

/// What went wrong while deserializing, before it is placed in a file or `--set` argument.
#[derive(Debug)]
pub(crate) enum Kind {
    UnknownKey {
        key: String,
        allowed: &'static [&'static str],
    },
    UnknownVariant {
        value: String,
        allowed: &'static [&'static str],
    },
    MissingKey {
        key: String,
    },
    WrongType {
        expected: String,
        got: String,
    },
    Invalid(String),
}

/// Where an error belongs: the value's path, the table holding the key (for key errors) and
/// the position of the key or value.
#[derive(Debug)]
pub(crate) struct At {
    pub(crate) path: String,
    pub(crate) table: String,
    pub(crate) pos: Pos,
}

/// A scalar named by a serde error, to find the value it came from.
#[derive(Debug)]
enum Needle {
    Str(String),
    Int(i128),
    Float(f64),
    Bool(bool),
}

/// The deserializer's error: a kind, and once known, where it belongs (boxed: errors travel
/// through every level of serde's call stack).
#[derive(Debug)]
pub(crate) struct DeError(pub(crate) Box<Inner>);

/// The contents of a [`DeError`].
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) kind: Kind,
    pub(crate) at: Option<At>,
    needle: Option<Needle>,
}

impl DeError {
    fn new(kind: Kind) -> Self {
        Self::with(kind, None, None)
    }

    fn with(kind: Kind, at: Option<At>, needle: Option<Needle>) -> Self {
        DeError(Box::new(Inner { kind, at, needle }))
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.kind {
            Kind::UnknownKey { key, .. } => write!(f, "unknown key `{key}`"),
            Kind::UnknownVariant { value, .. } => write!(f, "unknown variant `{value}`"),
            Kind::MissingKey { key } => write!(f, "missing key `{key}`"),
            Kind::WrongType { expected, got } => write!(f, "expected {expected}, got {got}"),
            Kind::Invalid(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DeError {}

/// Says what a serde `Expected` asks for in the words of a scenario file.
fn human_expected(exp: &dyn Expected) -> String {
    let s = exp.to_string();
    match s.as_str() {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a non-negative integer".into(),
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "an integer".into(),
        "f32" | "f64" => "a number".into(),
        "a boolean" => "true or false".into(),
        "a borrowed string" => "a string".into(),
        "a character" | "a char" => "a single character".into(),
        "a sequence" => "an array".into(),
        "a map" => "a table".into(),
        _ if s.starts_with("struct ")
            || s.starts_with("internally tagged enum")
            || s.starts_with("struct variant") =>
        {
            "a table".into()
        }
        _ if s.starts_with("tuple") || s.starts_with("a tuple") => "an array".into(),
        _ => s,
    }
}

fn render_unexpected(u: &Unexpected<'_>) -> (String, Option<Needle>) {
    match *u {
        Unexpected::Bool(b) => (format!("`{b}`"), Some(Needle::Bool(b))),
        Unexpected::Unsigned(n) => (format!("`{n}`"), Some(Needle::Int(n.into()))),
        Unexpected::Signed(n) => (format!("`{n}`"), Some(Needle::Int(n.into()))),
        Unexpected::Float(x) => (format!("`{}`", fmt_float(x)), Some(Needle::Float(x))),
        Unexpected::Char(c) => (format!("`{c:?}`"), Some(Needle::Str(c.to_string()))),
        Unexpected::Str(s) => (format!("`{s:?}`"), Some(Needle::Str(s.to_string()))),
        Unexpected::Bytes(_) => ("bytes".into(), None),
        Unexpected::Unit => ("nothing".into(), None),
        Unexpected::Option => ("an optional value".into(), None),
        Unexpected::NewtypeStruct => ("a value".into(), None),
        Unexpected::Seq => ("an array".into(), None),
        Unexpected::Map => ("a table".into(), None),
        Unexpected::Enum => ("an enum".into(), None),
        Unexpected::UnitVariant
        | Unexpected::NewtypeVariant
        | Unexpected::TupleVariant
        | Unexpected::StructVariant => ("a variant".into(), None),
        Unexpected::Other(o) => (o.to_string(), None),
    }
}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new(Kind::Invalid(msg.to_string()))
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        let (got, needle) = render_unexpected(&unexp);
        DeError::with(
            Kind::WrongType {
                expected: human_expected(exp),
                got,
            },
            None,
            needle,
        )
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Self::invalid_type(unexp, exp)
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        let got = match len {
            1 => "1 element".to_string(),
            n => format!("{n} elements"),
        };
        DeError::new(Kind::WrongType {
            expected: human_expected(exp),
            got,
        })
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(Kind::UnknownVariant {
            value: variant.to_string(),
            allowed: expected,
        })
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        DeError::new(Kind::UnknownKey {
            key: field.to_string(),
            allowed: expected,
        })
    }

    fn missing_field(field: &'static str) -> Self {
        DeError::new(Kind::MissingKey { key: field.into() })
    }

    fn duplicate_field(field: &'static str) -> Self {
        DeError::new(Kind::Invalid(format!(
            "key `{field}` is given twice (under two of its names)"
        )))
    }
}

/// The key path of the value being deserialized, as a stack-allocated linked list.
#[derive(Clone, Copy)]
pub(crate) enum PathRef<'a> {
    Root,
    Key(&'a PathRef<'a>, &'a str),
    Index(&'a PathRef<'a>, usize),
}

impl fmt::Display for PathRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathRef::Root => Ok(()),
            PathRef::Key(p, k) => {
                if !matches!(p, PathRef::Root) {
                    write!(f, "{p}.")?;
                }
                write_key(f, k)
            }
            PathRef::Index(p, i) => write!(f, "{p}[{i}]"),
        }
    }
}

/// Gives a position to an error that has none yet: the key or value it names inside `node`
/// when it can be found there (errors from buffered content), else `node` itself.
fn fix(mut err: DeError, node: &Node, path: &PathRef<'_>) -> DeError {
    let e = &mut *err.0;
    if e.at.is_some() {
        return err;
    }
    let base = path.to_string();
    let here = At {
        path: base.clone(),
        table: base.clone(),
        pos: node.pos,
    };
    let found = match &mut e.kind {
        Kind::UnknownKey { key, allowed } => find_key(node, key, allowed, &base),
        Kind::UnknownVariant { value, .. } => {
            let mut p = base.clone();
            find_scalar(node, &mut p, &Needle::Str(value.clone())).map(|(at, _)| at)
        }
        Kind::WrongType { got, .. } => match &e.needle {
            Some(needle) => {
                let mut p = base.clone();
                match find_scalar(node, &mut p, needle) {
                    Some((at, n)) => {
                        *got = n.describe();
                        Some(at)
                    }
                    None => None,
                }
            }
            None => None,
        },
        // A message quoting a value (`duration `1.8 sec` has ...`): the string it quotes.
        Kind::Invalid(message) => {
            let mut p = base.clone();
            find_quoted(node, &mut p, message)
        }
        Kind::MissingKey { .. } => None,
    };
    e.at = Some(found.unwrap_or(here));
    err
}

/// The entry named `key` under `node` that most plausibly belongs to the struct whose keys
/// are `allowed`: the table whose other keys score best (+1 for each allowed key, -1 for each
/// other), the first in file order on a tie.
fn find_key(node: &Node, key: &str, allowed: &[&str], base: &str) -> Option<At> {
    let mut best: Option<(i64, At)> = None;
    let mut path = base.to_string();
    candidates(node, &mut path, key, &mut |table, entries, e| {
        let score: i64 = entries
            .iter()
            .filter(|o| !std::ptr::eq(*o, e))
            .map(|o| {
                if allowed.contains(&o.key.as_str()) {
                    1
                } else {
                    -1
                }
            })
            .sum();
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            let mut p = table.to_string();
            push_seg(&mut p, &Seg::Key(e.key.clone()));
            best = Some((
                score,
                At {
                    path: p,
                    table: table.to_string(),
                    pos: e.key_pos,
                },
            ));
        }
    });
    best.map(|(_, at)| at)
}

/// Calls `f(table_path, table_entries, entry)` for every entry named `key` under `node`,
/// depth-first in file order.
fn candidates<'n>(
    node: &'n Node,
    path: &mut String,
    key: &str,
    f: &mut dyn FnMut(&str, &'n [Entry], &'n Entry),
) {
    let len = path.len();
    match &node.val {
        Val::Table(es) => {
            for e in es {
                if e.key == key {
                    f(path, es, e);
                }
                push_seg(path, &Seg::Key(e.key.clone()));
                candidates(&e.value, path, key, f);
                path.truncate(len);
            }
        }
        Val::Array(xs) => {
            for (i, x) in xs.iter().enumerate() {
                push_seg(path, &Seg::Index(i));
                candidates(x, path, key, f);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Depth-first, in file order: the first non-empty string under `node` that `message` quotes
/// in backticks.
fn find_quoted(node: &Node, path: &mut String, message: &str) -> Option<At> {
    let len = path.len();
    let r = match &node.val {
        Val::Str(s) if !s.is_empty() && message.contains(&format!("`{s}`")) => Some(At {
            path: path.clone(),
            table: path.clone(),
            pos: node.pos,
        }),
        Val::Table(es) => es.iter().find_map(|e| {
            push_seg(path, &Seg::Key(e.key.clone()));
            let r = find_quoted(&e.value, path, message);
            path.truncate(len);
            r
        }),
        Val::Array(xs) => xs.iter().enumerate().find_map(|(i, x)| {
            push_seg(path, &Seg::Index(i));
            let r = find_quoted(x, path, message);
            path.truncate(len);
            r
        }),
        _ => None,
    };
    path.truncate(len);
    r
}

fn matches(node: &Node, needle: &Needle) -> bool {
    match (&node.val, needle) {
        (Val::Str(s) | Val::Datetime(s), Needle::Str(n)) => s == n,
        (Val::Int(i), Needle::Int(n)) => i == n,
        (Val::Int(i), Needle::Float(x)) => (*i as f64) == *x,
        (Val::Float(f), Needle::Float(x)) => f == x || (f.is_nan() && x.is_nan()),
        (Val::Bool(b), Needle::Bool(n)) => b == n,
        _ => false,
    }
}

/// Depth-first, in file order: the first scalar under `node` equal to `needle`.
fn find_scalar<'n>(node: &'n Node, path: &mut String, needle: &Needle) -> Option<(At, &'n Node)> {
    if matches(node, needle) {
        return Some((
            At {
                path: path.clone(),
                table: path.clone(),
                pos: node.pos,
            },
            node,
        ));
    }
    let len = path.len();
    let r = match &node.val {
        Val::Table(es) => es.iter().find_map(|e| {
            push_seg(path, &Seg::Key(e.key.clone()));
            let r = find_scalar(&e.value, path, needle);
            path.truncate(len);
            r
        }),
        Val::Array(xs) => xs.iter().enumerate().find_map(|(i, x)| {
            push_seg(path, &Seg::Index(i));
            let r = find_scalar(x, path, needle);
            path.truncate(len);
            r
        }),
        _ => None,
    };
    path.truncate(len);
    r
}

/// Deserializes `T` from the whole document.
pub(crate) fn deserialize<T: DeserializeOwned>(root: &Node) -> Result<T, DeError> {
    let path = PathRef::Root;
    T::deserialize(NodeDe {
        node: root,
        path,
        field_of: None,
    })
    .map_err(|e| fix(e, root, &path))
}

/// Deserializer of one value of the tree.
#[derive(Clone, Copy)]
struct NodeDe<'a> {
    node: &'a Node,
    path: PathRef<'a>,
    /// When the value belongs to a key of a struct: that key and the struct's field names.
    field_of: Option<(&'a Entry, &'static [&'static str])>,
}

impl NodeDe<'_> {
    fn fix(&self, e: DeError) -> DeError {
        fix(e, self.node, &self.path)
    }

    fn wrong(&self, expected: impl Into<String>) -> DeError {
        let path = self.path.to_string();
        DeError::with(
            Kind::WrongType {
                expected: expected.into(),
                got: self.node.describe(),
            },
            Some(At {
                table: path.clone(),
                path,
                pos: self.node.pos,
            }),
            None,
        )
    }
}

macro_rules! int_method {
    ($name:ident, $visit:ident, $t:ty, $kind:expr) => {
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            match self.node.val {
                Val::Int(i) => match <$t>::try_from(i) {
                    Ok(x) => v.$visit(x).map_err(|e| self.fix(e)),
                    Err(_) => {
                        Err(self.wrong(format!("an integer from {} to {}", <$t>::MIN, <$t>::MAX)))
                    }
                },
                _ => Err(self.wrong($kind)),
            }
        }
    };
}

const NON_NEG: &str = "a non-negative integer";
const INT: &str = "an integer";

impl<'de> de::Deserializer<'de> for NodeDe<'_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let r = match &self.node.val {
            Val::Str(s) | Val::Datetime(s) => v.visit_str(s),
            Val::Int(i) => {
                if let Ok(x) = i64::try_from(*i) {
                    v.visit_i64(x)
                } else if let Ok(x) = u64::try_from(*i) {
                    v.visit_u64(x)
                } else {
                    v.visit_i128(*i)
                }
            }
            Val::Float(f) => v.visit_f64(*f),
            Val::Bool(b) => v.visit_bool(*b),
            Val::Array(items) => v.visit_seq(SeqAcc {
                items,
                next: 0,
                path: self.path,
            }),
            Val::Table(entries) => v.visit_map(MapAcc {
                entries,
                next: 0,
                path: self.path,
                fields: None,
            }),
        };
        r.map_err(|e| self.fix(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.node.val {
            Val::Bool(b) => v.visit_bool(b).map_err(|e| self.fix(e)),
            _ => Err(self.wrong("true or false")),
        }
    }

    int_method!(deserialize_i8, visit_i8, i8, INT);
    int_method!(deserialize_i16, visit_i16, i16, INT);
    int_method!(deserialize_i32, visit_i32, i32, INT);
    int_method!(deserialize_i64, visit_i64, i64, INT);
    int_method!(deserialize_i128, visit_i128, i128, INT);
    int_method!(deserialize_u8, visit_u8, u8, NON_NEG);
    int_method!(deserialize_u16, visit_u16, u16, NON_NEG);
    int_method!(deserialize_u32, visit_u32, u32, NON_NEG);
    int_method!(deserialize_u64, visit_u64, u64, NON_NEG);
    int_method!(deserialize_u128, visit_u128, u128, NON_NEG);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        let x = match self.node.val {
            Val::Int(i) => i as f64,
            Val::Float(f) => f,
            _ => return Err(self.wrong("a number")),
        };
        v.visit_f64(x).map_err(|e| self.fix(e))
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if let Val::Str(s) = &self.node.val {
            let mut cs = s.chars();
            if let (Some(c), None) = (cs.next(), cs.next()) {
                return v.visit_char(c).map_err(|e| self.fix(e));
            }
        }
        Err(self.wrong("a single character"))
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Str(s) | Val::Datetime(s) => v.visit_str(s).map_err(|e| self.fix(e)),
            _ => Err(self.wrong("a string")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Str(s) => v.visit_bytes(s.as_bytes()).map_err(|e| self.fix(e)),
            Val::Array(_) => self.deserialize_any(v),
            _ => Err(self.wrong("a string")),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_bytes(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        // TOML has no null: a present key is always `Some`; absent keys never get here.
        v.visit_some(self).map_err(|e| self.fix(e))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Table(es) if es.is_empty() => v.visit_unit().map_err(|e| self.fix(e)),
            _ => Err(self.wrong("an empty table")),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_unit(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self).map_err(|e| self.fix(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Array(items) => v
                .visit_seq(SeqAcc {
                    items,
                    next: 0,
                    path: self.path,
                })
                .map_err(|e| self.fix(e)),
            _ => Err(self.wrong("an array")),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Table(entries) => v
                .visit_map(MapAcc {
                    entries,
                    next: 0,
                    path: self.path,
                    fields: None,
                })
                .map_err(|e| self.fix(e)),
            _ => Err(self.wrong("a table")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Table(entries) => v
                .visit_map(MapAcc {
                    entries,
                    next: 0,
                    path: self.path,
                    fields: Some(fields),
                })
                .map_err(|e| self.fix(e)),
            _ => Err(self.wrong("a table")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.val {
            Val::Str(s) => {
                let d: de::value::StrDeserializer<'_, DeError> = s.as_str().into_deserializer();
                d.deserialize_enum(name, variants, v)
                    .map_err(|e| self.fix(e))
            }
            Val::Table(es) if es.len() == 1 => v
                .visit_enum(TableEnum {
                    entry: &es[0],
                    path: self.path,
                })
                .map_err(|e| self.fix(e)),
            _ => Err(self.wrong(if variants.is_empty() {
                "a variant name".to_string()
            } else {
                format!("one of {}", variants.join(", "))
            })),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_any(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        // A struct skipping a key means the schema has no such key: refuse it, with the
        // struct's field list, even where `deny_unknown_fields` was forgotten.
        if let (Some((entry, fields)), PathRef::Key(parent, _)) = (self.field_of, self.path) {
            let table = parent.to_string();
            return Err(DeError::with(
                Kind::UnknownKey {
                    key: entry.key.clone(),
                    allowed: fields,
                },
                Some(At {
                    path: self.path.to_string(),
                    table,
                    pos: entry.key_pos,
                }),
                None,
            ));
        }
        v.visit_unit()
    }
}

/// The entries of a table, as a serde map.
struct MapAcc<'a> {
    entries: &'a [Entry],
    /// Index of the next key; the value of entry `next - 1` is pending after a key.
    next: usize,
    path: PathRef<'a>,
    fields: Option<&'static [&'static str]>,
}

impl<'de> MapAccess<'de> for MapAcc<'_> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(e) = self.entries.get(self.next) else {
            return Ok(None);
        };
        self.next += 1;
        let key: de::value::StrDeserializer<'_, DeError> = e.key.as_str().into_deserializer();
        seed.deserialize(key).map(Some).map_err(|mut err| {
            if err.0.at.is_none() {
                err.0.at = Some(At {
                    path: PathRef::Key(&self.path, &e.key).to_string(),
                    table: self.path.to_string(),
                    pos: e.key_pos,
                });
            }
            err
        })
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let Some(e) = self.next.checked_sub(1).and_then(|i| self.entries.get(i)) else {
            return Err(DeError::new(Kind::Invalid(
                "internal error: value requested before its key".into(),
            )));
        };
        let path = PathRef::Key(&self.path, &e.key);
        seed.deserialize(NodeDe {
            node: &e.value,
            path,
            field_of: self.fields.map(|f| (e, f)),
        })
        .map_err(|err| fix(err, &e.value, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len() - self.next.min(self.entries.len()))
    }
}

/// The elements of an array, as a serde sequence.
struct SeqAcc<'a> {
    items: &'a [Node],
    next: usize,
    path: PathRef<'a>,
}

impl<'de> SeqAccess<'de> for SeqAcc<'_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(node) = self.items.get(self.next) else {
            return Ok(None);
        };
        let path = PathRef::Index(&self.path, self.next);
        self.next += 1;
        seed.deserialize(NodeDe {
            node,
            path,
            field_of: None,
        })
        .map(Some)
        .map_err(|err| fix(err, node, &path))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len() - self.next.min(self.items.len()))
    }
}

/// An enum written as a one-key table: `{ variant = value }`.
struct TableEnum<'a> {
    entry: &'a Entry,
    path: PathRef<'a>,
}

impl<'de, 'a> EnumAccess<'de> for TableEnum<'a> {
    type Error = DeError;
    type Variant = TableVariant<'a>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), DeError> {
        let key: de::value::StrDeserializer<'_, DeError> =
            self.entry.key.as_str().into_deserializer();
        let v = seed.deserialize(key).map_err(|mut err| {
            if err.0.at.is_none() {
                err.0.at = Some(At {
                    path: self.path.to_string(),
                    table: self.path.to_string(),
                    pos: self.entry.key_pos,
                });
            }
            err
        })?;
        Ok((
            v,
            TableVariant {
                entry: self.entry,
                parent: self.path,
            },
        ))
    }
}

/// The value of a `{ variant = value }` enum.
struct TableVariant<'a> {
    entry: &'a Entry,
    parent: PathRef<'a>,
}

impl<'de> VariantAccess<'de> for TableVariant<'_> {
    type Error = DeError;

    fn unit_variant(self) -> Result<(), DeError> {
        let path = PathRef::Key(&self.parent, &self.entry.key);
        de::Deserializer::deserialize_unit(
            NodeDe {
                node: &self.entry.value,
                path,
                field_of: None,
            },
            de::IgnoredAny,
        )
        .map(|_| ())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        let path = PathRef::Key(&self.parent, &self.entry.key);
        let node = &self.entry.value;
        seed.deserialize(NodeDe {
            node,
            path,
            field_of: None,
        })
        .map_err(|err| fix(err, node, &path))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        let path = PathRef::Key(&self.parent, &self.entry.key);
        de::Deserializer::deserialize_seq(
            NodeDe {
                node: &self.entry.value,
                path,
                field_of: None,
            },
            v,
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        let path = PathRef::Key(&self.parent, &self.entry.key);
        de::Deserializer::deserialize_struct(
            NodeDe {
                node: &self.entry.value,
                path,
                field_of: None,
            },
            "",
            fields,
            v,
        )
    }
}
