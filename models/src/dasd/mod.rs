//! DASD geometry, timing and volume images.
//!
//! - [`geometry`]: 3390/3380 models, track capacity (CKD formula), seek/rotation/transfer timing;
//! - [`volume`]: a sparse CKD volume image (VOLSER, data sets, record contents as digests).

pub mod geometry;
pub mod volume;

pub use geometry::{DeviceFamily, DeviceTiming, DeviceType};
pub use volume::{DataSet, RecordState, VolumeError, VolumeImage};
