//! Builders for the ECKD channel programs hosts and data movers issue.
//!
//! Each builder replaces the contents of a caller-provided `Vec<Ccw>` (no allocation once
//! the vector has grown to the chain length) and sets the counts to the exact lengths, so
//! the chains end normally on a well-formed volume. They refuse a record list of 0 or more
//! than 255 entries (the Locate Record count is one byte).

use super::{
    Cchh, Ccw, CcwData, CcwFlags, Command, DefineExtent, LocateOp, LocateRecord, Orientation,
    RecordPayload,
};
use crate::types::Cchhr;

/// Define Extent and Locate Record parameter length in bytes.
const PARAM_LEN: u32 = 16;

fn check_count(n: usize, what: &str) -> Result<u8, String> {
    match u8::try_from(n) {
        Ok(c) if c > 0 => Ok(c),
        _ => Err(format!(
            "{what}: {n} records; a Locate Record domain holds 1 to 255"
        )),
    }
}

fn head(out: &mut Vec<Ccw>, extent: DefineExtent, lr: LocateRecord) {
    out.clear();
    out.push(Ccw::new(
        Command::DefineExtent,
        CcwFlags::CC,
        PARAM_LEN,
        CcwData::DefineExtent(extent),
    ));
    out.push(Ccw::new(
        Command::LocateRecord,
        CcwFlags::CC,
        PARAM_LEN,
        CcwData::LocateRecord(lr),
    ));
}

/// `CC` on every CCW but the last.
fn chain_flag(i: usize, n: usize) -> CcwFlags {
    if i + 1 < n {
        CcwFlags::CC
    } else {
        CcwFlags::NONE
    }
}

/// Update write of `records.len()` consecutive records starting at `first`:
/// Define Extent, Locate Record (orient count, Write Data), then one Write Update Data per
/// record with count = the payload's data length (which must be the record's length).
/// `first.rec` must be at least 1 (R0 is not update-written).
pub fn update_write(
    out: &mut Vec<Ccw>,
    extent: DefineExtent,
    first: Cchhr,
    records: &[RecordPayload],
) -> Result<(), String> {
    let n = check_count(records.len(), "update write")?;
    if first.rec == 0 {
        return Err(format!(
            "update write from {first}: user records start at R1"
        ));
    }
    head(
        out,
        extent,
        LocateRecord {
            orientation: Orientation::Count,
            op: LocateOp::WriteData,
            count: n,
            seek: Cchh::new(first.cyl, first.head),
            search: first,
        },
    );
    for (i, p) in records.iter().enumerate() {
        out.push(Ccw::new(
            Command::WriteUpdateData,
            chain_flag(i, records.len()),
            p.data_len as u32,
            CcwData::Record(*p),
        ));
    }
    Ok(())
}

/// Format write of `records` after record `after` on its track (Write CKD of
/// R(after+1), R(after+2), ...; the rest of the track is erased): Define Extent, Locate
/// Record (orient count on `after`, Format Write), one Write CKD per record.
pub fn format_write(
    out: &mut Vec<Ccw>,
    extent: DefineExtent,
    after: Cchhr,
    records: &[RecordPayload],
) -> Result<(), String> {
    let n = check_count(records.len(), "format write")?;
    head(
        out,
        extent,
        LocateRecord {
            orientation: Orientation::Count,
            op: LocateOp::FormatWrite,
            count: n,
            seek: Cchh::new(after.cyl, after.head),
            search: after,
        },
    );
    for (i, p) in records.iter().enumerate() {
        out.push(Ccw::new(
            Command::WriteCkd,
            chain_flag(i, records.len()),
            8 + p.key_len as u32 + p.data_len as u32,
            CcwData::Record(*p),
        ));
    }
    Ok(())
}

/// Formats a whole track: Define Extent (its mask must permit all writes), Locate Record
/// (orient home, Format Write), Write R0 with `r0`, then one Write CKD per record
/// (R1..Rn). `records` may be empty (a track holding R0 only).
pub fn format_track(
    out: &mut Vec<Ccw>,
    extent: DefineExtent,
    track: u64,
    r0: RecordPayload,
    records: &[RecordPayload],
) -> Result<(), String> {
    let n = check_count(records.len() + 1, "format track")?;
    let seek = Cchh::from_track(track);
    head(
        out,
        extent,
        LocateRecord {
            orientation: Orientation::Home,
            op: LocateOp::FormatWrite,
            count: n,
            seek,
            search: seek.rec(0),
        },
    );
    out.push(Ccw::new(
        Command::WriteRecordZero,
        chain_flag(0, n as usize),
        8 + r0.key_len as u32 + r0.data_len as u32,
        CcwData::Record(r0),
    ));
    for (i, p) in records.iter().enumerate() {
        out.push(Ccw::new(
            Command::WriteCkd,
            chain_flag(i + 1, n as usize),
            8 + p.key_len as u32 + p.data_len as u32,
            CcwData::Record(*p),
        ));
    }
    Ok(())
}

/// Read of `n` consecutive records of data length `data_len` starting at `first`:
/// Define Extent, Locate Record (orient count, Read Data), `n` Read Data.
pub fn read_records(
    out: &mut Vec<Ccw>,
    extent: DefineExtent,
    first: Cchhr,
    n: usize,
    data_len: u16,
) -> Result<(), String> {
    let c = check_count(n, "read")?;
    head(
        out,
        extent,
        LocateRecord {
            orientation: Orientation::Count,
            op: LocateOp::ReadData,
            count: c,
            seek: Cchh::new(first.cyl, first.head),
            search: first,
        },
    );
    for i in 0..n {
        out.push(Ccw::new(
            Command::ReadData,
            chain_flag(i, n),
            data_len as u32,
            CcwData::None,
        ));
    }
    Ok(())
}

/// Read of `n` whole tracks starting at linear track `first_track` (e.g. a data mover
/// reading updated tracks): Define Extent, Locate Record (orient home, Read Tracks), `n`
/// Read Track with count `buffer_len` and SLI (the track length varies).
pub fn read_tracks(
    out: &mut Vec<Ccw>,
    extent: DefineExtent,
    first_track: u64,
    n: usize,
    buffer_len: u32,
) -> Result<(), String> {
    let c = check_count(n, "read tracks")?;
    let seek = Cchh::from_track(first_track);
    head(
        out,
        extent,
        LocateRecord {
            orientation: Orientation::Home,
            op: LocateOp::ReadTracks,
            count: c,
            seek,
            search: seek.rec(0),
        },
    );
    for i in 0..n {
        out.push(Ccw::new(
            Command::ReadTrack,
            chain_flag(i, n) | CcwFlags::SLI,
            buffer_len.max(1),
            CcwData::None,
        ));
    }
    Ok(())
}

/// Classic (pre-ECKD) update write of one record: Seek, Search ID Equal, TIC back to the
/// search (skipped when the search compares equal), Write Data.
pub fn search_write(out: &mut Vec<Ccw>, addr: Cchhr, record: RecordPayload) {
    out.clear();
    out.push(Ccw::new(
        Command::Seek,
        CcwFlags::CC,
        6,
        CcwData::Seek(Cchh::new(addr.cyl, addr.head)),
    ));
    out.push(Ccw::new(
        Command::SearchIdEqual,
        CcwFlags::CC,
        5,
        CcwData::SearchId(addr),
    ));
    out.push(Ccw::tic(1));
    out.push(Ccw::new(
        Command::WriteData,
        CcwFlags::NONE,
        record.data_len as u32,
        CcwData::Record(record),
    ));
}

/// Classic (pre-ECKD) chain over `n` consecutive records from `first` on tracks of
/// `per_track` user records, as older access methods issued it: for each record a Seek
/// when the chain arrives on a new track, Search ID Equal on the record's CCHHR with a TIC
/// back to the search (the search loops over the count fields until one compares equal;
/// status modifier then skips the TIC), then Write Data with `records[i]` (a write) or
/// Read Data of `data_len` bytes (a read, `records` empty). No Define Extent: the mask is
/// the default (all writes but Write R0). Refuses 0 or more than 255 records.
pub fn search_chain(
    out: &mut Vec<Ccw>,
    first: Cchhr,
    n: usize,
    per_track: u8,
    records: &[RecordPayload],
    data_len: u16,
) -> Result<(), String> {
    check_count(n, "search chain")?;
    if first.rec == 0 || per_track == 0 {
        return Err(format!(
            "search chain from {first}: user records start at R1"
        ));
    }
    if !records.is_empty() && records.len() != n {
        return Err(format!(
            "search chain: {} payloads for {n} records",
            records.len()
        ));
    }
    let span = crate::content::RecSpan {
        first,
        n: n as u16,
        per_track,
    };
    out.clear();
    let mut track = u64::MAX;
    for (i, a) in span.iter().enumerate() {
        if a.track() != track {
            track = a.track();
            out.push(Ccw::new(
                Command::Seek,
                CcwFlags::CC,
                6,
                CcwData::Seek(Cchh::new(a.cyl, a.head)),
            ));
        }
        let search = out.len();
        out.push(Ccw::new(
            Command::SearchIdEqual,
            CcwFlags::CC,
            5,
            CcwData::SearchId(a),
        ));
        out.push(Ccw::tic(search as u16));
        let flags = chain_flag(i, n);
        out.push(match records.get(i) {
            Some(p) => Ccw::new(
                Command::WriteData,
                flags,
                p.data_len as u32,
                CcwData::Record(*p),
            ),
            None => Ccw::new(Command::ReadData, flags, data_len as u32, CcwData::None),
        });
    }
    Ok(())
}

/// Format write of `records` as consecutive records from `first` on tracks of `per_track`
/// user records (a log formatting ahead, a data set being extended): Define Extent,
/// Locate Record (orient count on the record before `first`, Format Write, count = the
/// number of records), then Write CKD for each record, except Write CKD Next Track for
/// R1 of each following track. Each Write CKD erases the rest of its track, so a caller
/// that wants to keep the track's other records writes to the end of the last track.
pub fn format_span(
    out: &mut Vec<Ccw>,
    extent: DefineExtent,
    first: Cchhr,
    per_track: u8,
    records: &[RecordPayload],
) -> Result<(), String> {
    let n = check_count(records.len(), "format write")?;
    if first.rec == 0 || per_track == 0 {
        return Err(format!(
            "format write from {first}: user records start at R1"
        ));
    }
    let after = Cchhr::new(first.cyl, first.head, first.rec - 1);
    head(
        out,
        extent,
        LocateRecord {
            orientation: Orientation::Count,
            op: LocateOp::FormatWrite,
            count: n,
            seek: Cchh::new(first.cyl, first.head),
            search: after,
        },
    );
    let span = crate::content::RecSpan {
        first,
        n: n as u16,
        per_track,
    };
    for (i, (a, p)) in span.iter().zip(records).enumerate() {
        let cmd = if i > 0 && a.rec == 1 {
            Command::WriteCkdNextTrack
        } else {
            Command::WriteCkd
        };
        out.push(Ccw::new(
            cmd,
            chain_flag(i, records.len()),
            8 + p.key_len as u32 + p.data_len as u32,
            CcwData::Record(*p),
        ));
    }
    Ok(())
}

/// A Sense chain: one Sense command reading the 32 sense bytes of the unit check just
/// presented (what a host's error recovery issues first).
pub fn sense(out: &mut Vec<Ccw>) {
    out.clear();
    out.push(Ccw::new(Command::Sense, CcwFlags::NONE, 32, CcwData::None));
}
