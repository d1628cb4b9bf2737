//! The remote-copy pipeline: messages and their codec.

pub mod codec;
pub mod message;

use crate::types::VolumeId;
use serde::{Deserialize, Serialize};

/// A data set's extent as the Establish message carries it to a secondary: volume, tracks
/// (inclusive) and name. The secondary names affected data sets from these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtentName {
    /// Primary volume.
    pub vol: VolumeId,
    /// First linear track.
    pub first_track: u64,
    /// Last linear track (inclusive).
    pub last_track: u64,
    /// Data set name.
    pub name: String,
}
