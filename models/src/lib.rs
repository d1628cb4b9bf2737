//! # models: the S/370 world of xrcsim
//!
//! Every part is a deterministic state machine or a pure function, built on the `sim`
//! kernel; nothing here does I/O or reads a clock.
//!
//! - [`types`]: identifiers and values shared by all parts (CCHHR, digests, ids);
//! - [`dasd`]: 3390/3380 geometry and timing, volumes (VOLSER, records, data sets);
//! - [`ccw`]: channel command words, ECKD channel programs and their execution;
//! - [`workload`]: workload generators and the SPC block-trace reader;
//! - [`copy`]: the remote-copy messages and their binary codec.

#![warn(missing_docs)]

pub mod ccw;
pub mod content;
pub mod copy;
pub mod dasd;
pub mod obs;
pub mod oracle;
pub mod stats;
pub mod types;
pub mod workload;
pub mod world;
#[cfg(test)]
mod world_tests;
