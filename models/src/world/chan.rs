//! The bridge between the world and the channel-program interpreter (`ccw`): building the
//! chains hosts and secondary data movers run, planning them against the volume at the
//! command phase, and committing their writes when the data transfer ends.

use super::Volume;
use crate::ccw::{self, Ccw, ChainEffects, DefineExtent, FileMask, RecordPayload};
use crate::content::RecSpan;
use crate::types::{Cchhr, Digest};

/// An update write of the records of `span` inside the data-set extent `extent`, with the
/// content `digest(addr)` for each record. `scratch` is a reusable buffer.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_write(
    out: &mut Vec<Ccw>,
    scratch: &mut Vec<RecordPayload>,
    extent: (u64, u64),
    span: RecSpan,
    key_len: u8,
    data_len: u16,
    digest: impl Fn(Cchhr) -> Digest,
) {
    out.clear();
    scratch.clear();
    scratch.extend(span.iter().map(|a| RecordPayload {
        key_len,
        data_len,
        digest: digest(a),
    }));
    let dx = DefineExtent::tracks(extent.0, extent.1, FileMask::InhibitFormat);
    // The builders refuse only impossible counts (0 or more than 255 records), which the
    // world never asks for; an error leaves an empty chain, which ends in command reject.
    if ccw::build::update_write(out, dx, span.first, scratch).is_err() {
        out.clear();
    }
}

/// A read of the records of `span` inside `extent`.
pub(crate) fn build_read(
    out: &mut Vec<Ccw>,
    extent: (u64, u64),
    span: RecSpan,
    _key_len: u8,
    data_len: u16,
) {
    out.clear();
    let dx = DefineExtent::tracks(extent.0, extent.1, FileMask::InhibitAll);
    if ccw::build::read_records(out, dx, span.first, span.n as usize, data_len).is_err() {
        out.clear();
    }
}

/// Interprets `chain` against the volume; the effects wait in the volume until
/// [`commit`]. Returns `false` on unit check (the I/O ends in error). The effects buffer
/// comes from `spare` (and a failed chain's, left in the volume, goes back there).
// Boxed so that a volume holds a pointer, not the 136-byte effects (see `Volume::effects`).
#[allow(clippy::vec_box)]
pub(crate) fn plan(vol: &mut Volume, spare: &mut Vec<Box<ChainEffects>>, chain: &[Ccw]) -> bool {
    if let Some(old) = vol.effects.take() {
        spare.push(old);
    }
    let mut fx = spare.pop().unwrap_or_default();
    let status = ccw::execute(chain, &vol.image, &mut fx);
    vol.effects = Some(fx);
    !status.is_unit_check()
}

/// Applies the planned writes to the volume, as written by `writer`, and returns the
/// effects buffer to `spare`.
#[allow(clippy::vec_box)]
pub(crate) fn commit(vol: &mut Volume, spare: &mut Vec<Box<ChainEffects>>, writer: u64) {
    let Some(effects) = vol.effects.take() else {
        debug_assert!(false, "commit without a planned chain");
        return;
    };
    // The device was held from planning to commit, so the volume cannot have changed.
    let r = ccw::commit(&effects, &mut vol.image, writer);
    debug_assert!(r.is_ok(), "commit after plan: {r:?}");
    spare.push(effects);
}
