//! placeholder
pub mod plot;
pub mod sweep;
