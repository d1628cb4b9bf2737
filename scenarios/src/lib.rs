//! # scenarios: scenario files for xrcsim
//!
//! [`load`]: TOML scenario text into any serde schema, with `--set path=value` overrides and
//! errors that name the file, line and column (or the `--set` argument), the offending key and
//! what is allowed.

#![warn(missing_docs)]

pub mod load;

pub use load::{
    Document, ErrorInfo, ErrorKind, LoadError, Loaded, Location, Source, load, read_file,
};
