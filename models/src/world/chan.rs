//! The bridge between the world and the channel-program interpreter (`ccw`): building the
//! chains hosts and secondary data movers run, planning them against the volume at the
//! command phase, and committing their writes when the data transfer ends.

use super::Volume;
use crate::ccw::{
    self, Ccw, CcwData, ChainEffects, Command, DefineExtent, FileMask, RecordPayload,
};
use crate::content::RecSpan;
use crate::types::{Cchhr, Digest};
use crate::workload::Program;

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
/// [`commit`]. Returns how the chain ended (unit check: the I/O ends in error). The effects buffer
/// comes from `spare` (and a failed chain's, left in the volume, goes back there).
// Boxed so that a volume holds a pointer, not the 136-byte effects (see `Volume::effects`).
#[allow(clippy::vec_box)]
pub(crate) fn plan(
    vol: &mut Volume,
    spare: &mut Vec<Box<ChainEffects>>,
    chain: &[Ccw],
) -> ccw::ChainStatus {
    if let Some(old) = vol.effects.take() {
        spare.push(old);
    }
    let mut fx = spare.pop().unwrap_or_default();
    let status = ccw::execute(chain, &vol.image, &mut fx);
    vol.effects = Some(fx);
    status
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

/// The channel program of a host operation in family `program` (see
/// [`crate::workload::Program`]) over the records of `span` inside the data set's
/// `extent`: a write with content `digest(addr)` per record, or a read. `Update` is
/// [`build_write`] / [`build_read`]; `Multitrack` and `ReadBeforeWrite` (whose span or
/// extra read the host arranges) use the same ECKD chains.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build_program(
    out: &mut Vec<Ccw>,
    scratch: &mut Vec<RecordPayload>,
    program: Program,
    write: bool,
    extent: (u64, u64),
    span: RecSpan,
    key_len: u8,
    data_len: u16,
    digest: impl Fn(Cchhr) -> Digest,
) {
    match (program, write) {
        (Program::Search, true) => {
            fill(scratch, span, key_len, data_len, digest);
            if ccw::build::search_chain(
                out,
                span.first,
                span.n as usize,
                span.per_track,
                scratch,
                data_len,
            )
            .is_err()
            {
                out.clear();
            }
        }
        (Program::Search, false) => {
            if ccw::build::search_chain(
                out,
                span.first,
                span.n as usize,
                span.per_track,
                &[],
                data_len,
            )
            .is_err()
            {
                out.clear();
            }
        }
        (Program::Format, true) => {
            build_format(out, scratch, extent, span, key_len, data_len, digest)
        }
        (Program::ReadTrack, false) => {
            let (t0, t1) = span.tracks();
            let dx = DefineExtent::tracks(extent.0, extent.1, FileMask::InhibitAll);
            let buffer = (span.per_track as u32 + 1) * (8 + key_len as u32 + data_len as u32);
            if ccw::build::read_tracks(out, dx, t0, (t1 - t0 + 1) as usize, buffer).is_err() {
                out.clear();
            }
        }
        (_, true) => build_write(out, scratch, extent, span, key_len, data_len, digest),
        (_, false) => build_read(out, extent, span, key_len, data_len),
    }
}

fn fill(
    scratch: &mut Vec<RecordPayload>,
    span: RecSpan,
    key_len: u8,
    data_len: u16,
    digest: impl Fn(Cchhr) -> Digest,
) {
    scratch.clear();
    scratch.extend(span.iter().map(|a| RecordPayload {
        key_len,
        data_len,
        digest: digest(a),
    }));
}

/// A format write of the records of `span` (Write CKD, Write CKD Next Track) inside
/// `extent`, each record in the data set's format, with content `digest(addr)`.
pub(crate) fn build_format(
    out: &mut Vec<Ccw>,
    scratch: &mut Vec<RecordPayload>,
    extent: (u64, u64),
    span: RecSpan,
    key_len: u8,
    data_len: u16,
    digest: impl Fn(Cchhr) -> Digest,
) {
    fill(scratch, span, key_len, data_len, digest);
    let dx = DefineExtent::tracks(extent.0, extent.1, FileMask::InhibitR0);
    if ccw::build::format_span(out, dx, span.first, span.per_track, scratch).is_err() {
        out.clear();
    }
}

/// A host Sense chain (after a unit check).
pub(crate) fn build_sense(out: &mut Vec<Ccw>) {
    ccw::build::sense(out);
}

/// The errors the `ccw_errors` fault injects into a host's channel program.
pub(crate) use super::config::CcwError;

/// Corrupts `chain` so that the storage control ends it with `error`, as a program
/// error would (a stale record address, an extent that does not cover the record, a
/// record too long for its track). An error the chain cannot show (file protected
/// without Define Extent, invalid track format without a format write) falls back to no
/// record found. Returns the error injected; `EquipmentCheck` leaves the chain alone (the
/// storage control presents it: see `Io::forced_check`).
pub(crate) fn corrupt(chain: &mut [Ccw], error: CcwError, volume_tracks: u64) -> CcwError {
    let has_dx = chain
        .first()
        .is_some_and(|c| c.code == Command::DefineExtent.code());
    let is_format = chain.iter().any(|c| c.code == Command::WriteCkd.code());
    let error = match error {
        CcwError::FileProtected if !has_dx => CcwError::NoRecordFound,
        CcwError::InvalidTrackFormat if !is_format => CcwError::NoRecordFound,
        e => e,
    };
    match error {
        CcwError::EquipmentCheck => {}
        CcwError::NoRecordFound => {
            for c in chain.iter_mut() {
                match &mut c.data {
                    // A search argument naming another cylinder: no count field matches.
                    CcwData::LocateRecord(lr) => {
                        lr.search.cyl = lr.seek.cyl + 1;
                        break;
                    }
                    // Classic chains: a record number past the end of the track.
                    CcwData::SearchId(a) => {
                        a.rec = 255;
                        break;
                    }
                    _ => {}
                }
            }
        }
        CcwError::FileProtected => {
            let track = chain.iter().find_map(|c| match c.data {
                CcwData::LocateRecord(lr) => Some(lr.seek.track()),
                _ => None,
            });
            if let (Some(t), Some(CcwData::DefineExtent(dx))) =
                (track, chain.first_mut().map(|c| &mut c.data))
            {
                // The extent of one other track.
                let other = if t + 1 < volume_tracks {
                    t + 1
                } else {
                    t.saturating_sub(1)
                };
                *dx = DefineExtent::tracks(other, other, dx.mask);
            }
        }
        CcwError::InvalidTrackFormat => {
            if let Some(c) = chain
                .iter_mut()
                .find(|c| c.code == Command::WriteCkd.code())
                && let CcwData::Record(p) = &mut c.data
            {
                // Longer than any track holds.
                p.data_len = u16::MAX;
                c.count = 8 + p.key_len as u32 + u16::MAX as u32;
            }
        }
    }
    error
}
