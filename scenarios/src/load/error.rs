//! The one error type of scenario loading, and how it reads.

use std::fmt;

/// Where an error was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// Not in the file's text (the file could not be read at all).
    Nowhere,
    /// The file as a whole (e.g. a key missing from its top-level table).
    File,
    /// A line and column of the file, both counted from 1; the column counts characters.
    At {
        /// Line number, from 1.
        line: u32,
        /// Column in characters, from 1.
        col: u32,
    },
    /// A `--set` argument, quoted in full (`link.distance_km=far`).
    Set {
        /// The argument as given, `path=value`.
        arg: String,
    },
}

/// What was wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum ErrorKind {
    /// The scenario file could not be read (missing, unreadable, not UTF-8).
    Io {
        /// The operating system's explanation.
        message: String,
    },
    /// The text is not valid TOML.
    Syntax {
        /// The parser's explanation.
        message: String,
    },
    /// A `--set` argument is malformed or its path cannot be followed.
    BadSet {
        /// What is wrong with it.
        message: String,
    },
    /// A key that the schema does not have.
    UnknownKey {
        /// The key as written.
        key: String,
        /// Dotted path of the table holding it (empty for the top level).
        table: String,
        /// The closest allowed key, when one is close.
        suggestion: Option<String>,
        /// Every key the table allows, in schema order.
        allowed: Vec<String>,
    },
    /// A string that is not one of an enumeration's names (a mode, a `kind`).
    UnknownVariant {
        /// The value as written.
        value: String,
        /// The closest allowed name, when one is close.
        suggestion: Option<String>,
        /// Every allowed name, in schema order.
        allowed: Vec<String>,
    },
    /// A required key is absent.
    MissingKey {
        /// The missing key.
        key: String,
        /// Dotted path of the table that lacks it (empty for the top level).
        table: String,
    },
    /// A value of the wrong type (a string where a number belongs, ...).
    WrongType {
        /// What is allowed there ("a number", "an integer from 0 to 255", ...).
        expected: String,
        /// The value found, as written (`` `far` ``) or by kind ("a table").
        got: String,
    },
    /// A value of the right type that is not acceptable (a bad duration, a failed
    /// cross-field check from the schema's own validation, ...).
    Invalid {
        /// What is wrong and what is allowed.
        message: String,
    },
}

/// A scenario that cannot be loaded. `Display` gives the message a person reads:
/// `baseline.toml:12:1: unknown key `bandwith_mbps` in [link]; did you mean `bandwidth_mbps`? ...`
/// or `--set link.distance_km=far: expected a number for link.distance_km, got `far``.
/// The details ([`ErrorInfo`]) are reachable as fields through `Deref`: `e.path`, `e.kind`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(Box<ErrorInfo>);

/// What a [`LoadError`] knows: file, place, key path and kind.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorInfo {
    /// The scenario file's name as given for messages.
    pub file: String,
    /// Where in the file, or which `--set` argument.
    pub location: Location,
    /// Dotted key path of the offending value (`copy.pairs[2].primary`); empty when none.
    pub path: String,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl LoadError {
    /// An error from its parts.
    pub fn new(file: String, location: Location, path: String, kind: ErrorKind) -> Self {
        LoadError(Box::new(ErrorInfo {
            file,
            location,
            path,
            kind,
        }))
    }

    /// The parts of the error, by value.
    pub fn into_info(self) -> ErrorInfo {
        *self.0
    }

    /// Line (from 1) of the error in the file, when it has one.
    pub fn line(&self) -> Option<u32> {
        match self.location {
            Location::At { line, .. } => Some(line),
            _ => None,
        }
    }

    /// Column (from 1, in characters) of the error in the file, when it has one.
    pub fn col(&self) -> Option<u32> {
        match self.location {
            Location::At { col, .. } => Some(col),
            _ => None,
        }
    }

    /// The `--set` argument the error is about, when it is about one.
    pub fn set_arg(&self) -> Option<&str> {
        match &self.location {
            Location::Set { arg } => Some(arg),
            _ => None,
        }
    }
}

fn list(f: &mut fmt::Formatter<'_>, names: &[String]) -> fmt::Result {
    if names.is_empty() {
        return f.write_str("(none)");
    }
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        f.write_str(n)?;
    }
    Ok(())
}

fn place(table: &str) -> String {
    super::tree::describe_place(table)
}

impl std::ops::Deref for LoadError {
    type Target = ErrorInfo;

    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl fmt::Display for ErrorInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Location::Nowhere => {}
            Location::File => write!(f, "{}: ", self.file)?,
            Location::At { line, col } => write!(f, "{}:{line}:{col}: ", self.file)?,
            Location::Set { arg } => write!(f, "--set {arg}: ")?,
        }
        let path = &self.path;
        match &self.kind {
            ErrorKind::Io { message } => {
                write!(f, "cannot read scenario file `{}`: {message}", self.file)
            }
            ErrorKind::Syntax { message } => write!(f, "invalid TOML: {message}"),
            ErrorKind::BadSet { message } => f.write_str(message),
            ErrorKind::UnknownKey {
                key,
                table,
                suggestion,
                allowed,
            } => {
                write!(f, "unknown key `{key}` in {}", place(table))?;
                match suggestion {
                    Some(s) => write!(f, "; did you mean `{s}`? allowed keys: ")?,
                    None => f.write_str("; allowed keys: ")?,
                }
                list(f, allowed)
            }
            ErrorKind::UnknownVariant {
                value,
                suggestion,
                allowed,
            } => {
                if !path.is_empty() {
                    write!(f, "{path}: ")?;
                }
                write!(f, "unknown variant `{value}`")?;
                match suggestion {
                    Some(s) => write!(f, ", did you mean `{s}`? allowed: ")?,
                    None => f.write_str("; allowed: ")?,
                }
                list(f, allowed)
            }
            ErrorKind::MissingKey { key, table } => {
                write!(f, "missing key `{key}` in {}", place(table))
            }
            ErrorKind::WrongType { expected, got } => {
                if path.is_empty() {
                    write!(f, "expected {expected}, got {got}")
                } else {
                    write!(f, "expected {expected} for {path}, got {got}")
                }
            }
            ErrorKind::Invalid { message } => {
                if path.is_empty() {
                    f.write_str(message)
                } else {
                    write!(f, "{path}: {message}")
                }
            }
        }
    }
}
