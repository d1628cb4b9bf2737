//! DASD geometry, timing and volume images.
