//! The remote-copy pipeline: messages and their codec.

pub mod codec;
pub mod message;
