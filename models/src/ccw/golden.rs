//! Golden channel programs: one per family the workloads issue (see
//! `crate::workload::Program`) and one per error the `ccw_errors` fault injects, each with
//! its expected ending status (unit status, channel status, the CCW that ended it), sense
//! bytes 0, 1 and 7 and what it did to the volume, checked against the CKD rules (record
//! numbers, key and data lengths, track capacity).

use super::build;
use super::status::{sense0, sense1, unit};
use super::*;
use crate::content::RecSpan;
use crate::dasd::{DataSet, DeviceType, VolumeImage};

/// A 3390-3 with APP.LOG on tracks 150..=299: 12 records of 4,096 bytes per track.
fn vol() -> VolumeImage {
    VolumeImage::new(
        "PRI001",
        DeviceType::D3390_3,
        vec![DataSet::new("APP.LOG", 150, 299, 0, 4096)],
    )
    .unwrap()
}

const LOG: DefineExtent = DefineExtent::tracks(150, 299, FileMask::InhibitFormat);
const LOG_FMT: DefineExtent = DefineExtent::tracks(150, 299, FileMask::InhibitR0);
const CE_DE: u8 = unit::CHANNEL_END | unit::DEVICE_END;
const CE_DE_UC: u8 = CE_DE | unit::UNIT_CHECK;

fn recs(n: u64, from: u64) -> Vec<RecordPayload> {
    (0..n)
        .map(|i| RecordPayload {
            key_len: 0,
            data_len: 4096,
            digest: Digest(from + i),
        })
        .collect()
}

/// (unit status, channel status, last CCW, sense bytes 0, 1, 7).
fn ending(st: &ChainStatus) -> (u8, u8, u16, [u8; 3]) {
    (
        st.unit_status,
        st.channel_status,
        st.last_ccw,
        [st.sense.0[0], st.sense.0[1], st.sense.0[7]],
    )
}

fn run(chain: &[Ccw], v: &VolumeImage) -> (ChainStatus, ChainEffects) {
    let mut fx = ChainEffects::new();
    let st = execute(chain, v, &mut fx);
    (st, fx)
}

/// The Sense chain the host's error recovery issues after a unit check ends normally and
/// moves the 32 sense bytes.
fn sense_follows(v: &VolumeImage) {
    let mut chain = Vec::new();
    build::sense(&mut chain);
    let (st, fx) = run(&chain, v);
    assert_eq!(ending(&st), (CE_DE, 0, 0, [0, 0, 0]));
    assert_eq!(fx.bytes_from_device, 32);
    assert!(fx.writes.is_empty());
}

#[test]
fn golden_update_write_eckd() {
    let v = vol();
    let mut chain = Vec::new();
    let first = Cchhr::from_track(150, 3);
    build::update_write(&mut chain, LOG, first, &recs(2, 1)).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 3, [0, 0, 0]));
    assert_eq!(fx.writes.len(), 2);
    assert!(fx.writes.iter().all(|w| w.kind == WriteKind::Update));
    assert_eq!(fx.writes[1].addr, Cchhr::from_track(150, 4));
    assert_eq!(fx.tracks_touched, 1);
}

#[test]
fn golden_search_chain_loops_over_count_fields() {
    let mut v = vol();
    let mut chain = Vec::new();
    // R12 of track 150, then R1 of 151: Seek, SIDE, TIC, WD, Seek, SIDE, TIC, WD.
    let first = Cchhr::from_track(150, 12);
    build::search_chain(&mut chain, first, 2, 12, &recs(2, 10), 4096).unwrap();
    assert_eq!(chain.len(), 8);
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 7, [0, 0, 0]));
    // Track 150: the search reads R0..R12 (13 searches, 12 TICs back), skips the TIC once.
    // Track 151: R0, R1 (2 searches, 1 TIC). Plus 2 Seeks and 2 Write Data.
    assert_eq!(fx.ccws_executed, 2 + (13 + 12) + (2 + 1) + 2);
    assert_eq!(fx.tracks_touched, 2);
    assert_eq!(
        fx.writes.iter().map(|w| w.addr).collect::<Vec<_>>(),
        vec![first, Cchhr::from_track(151, 1)]
    );
    commit(&fx, &mut v, 7).unwrap();
    assert_eq!(v.read(first).unwrap().digest, Digest(10));
    // A read the same way.
    build::search_chain(&mut chain, first, 1, 12, &[], 4096).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 3, [0, 0, 0]));
    assert_eq!(fx.reads[0].1.digest, Digest(10));
}

#[test]
fn golden_format_write_to_the_end_of_the_next_track() {
    let mut v = vol();
    v.write(Cchhr::from_track(151, 5), Digest(99), 1).unwrap();
    let mut chain = Vec::new();
    // R11, R12 of 150 and R1..R12 of 151: LR count 14; WCKD, WCKD, WCKDNT, WCKD x 11.
    let first = Cchhr::from_track(150, 11);
    build::format_span(&mut chain, LOG_FMT, first, 12, &recs(14, 100)).unwrap();
    assert_eq!(chain[3].code, Command::WriteCkd.code());
    assert_eq!(chain[4].code, Command::WriteCkdNextTrack.code());
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 15, [0, 0, 0]));
    assert_eq!(fx.writes.len(), 14);
    assert!(fx.writes.iter().all(|w| w.kind == WriteKind::Format));
    assert_eq!(fx.tracks_touched, 2);
    commit(&fx, &mut v, 8).unwrap();
    // Every record of both tracks is there, in the data set's format, with the new content.
    assert_eq!(v.records_on_track(150), 12);
    assert_eq!(v.records_on_track(151), 12);
    assert_eq!(v.reformatted_tracks().count(), 0);
    assert_eq!(
        v.read(Cchhr::from_track(151, 5)).unwrap().digest,
        Digest(100 + 2 + 4)
    );
    // Format writes are refused by an update-only file mask (command reject, sequence).
    build::format_span(&mut chain, LOG, first, 12, &recs(2, 1)).unwrap();
    let (st, _) = run(&chain, &v);
    assert_eq!(
        ending(&st),
        (CE_DE_UC, 0, 2, [sense0::COMMAND_REJECT, 0, 2])
    );
}

#[test]
fn golden_multitrack_locate_record_domain() {
    let v = vol();
    let mut chain = Vec::new();
    // R12 of 150 through R3 of 152: one domain of 16 Write Update Data over 3 tracks.
    let first = Cchhr::from_track(150, 12);
    build::update_write(&mut chain, LOG, first, &recs(16, 1)).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 17, [0, 0, 0]));
    assert_eq!(fx.tracks_touched, 3);
    let span = RecSpan {
        first,
        n: 16,
        per_track: 12,
    };
    assert_eq!(
        fx.writes.iter().map(|w| w.addr).collect::<Vec<_>>(),
        span.iter().collect::<Vec<_>>()
    );
}

#[test]
fn golden_read_before_write_and_read_track() {
    let mut v = vol();
    let mut chain = Vec::new();
    let first = Cchhr::from_track(200, 4);
    build::read_records(&mut chain, LOG, first, 2, 4096).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 3, [0, 0, 0]));
    assert_eq!(fx.reads.len(), 2);
    build::update_write(&mut chain, LOG, first, &recs(2, 50)).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 3, [0, 0, 0]));
    commit(&fx, &mut v, 9).unwrap();
    // Read Track of tracks 200 and 201: R0 and 12 records each, 13 x (8 + 4096) bytes
    // per track but R0 (8 data bytes).
    let dx = DefineExtent::tracks(150, 299, FileMask::InhibitAll);
    build::read_tracks(&mut chain, dx, 200, 2, 64 * 1024).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 3, [0, 0, 0]));
    assert_eq!(fx.reads.len(), 2 * 13);
    assert_eq!(fx.bytes_from_device, 2 * (16 + 12 * (8 + 4096)));
    assert!(
        fx.reads
            .iter()
            .any(|(a, s)| *a == first && s.digest == Digest(50))
    );
}

#[test]
fn golden_no_record_found_then_sense() {
    let v = vol();
    let mut chain = Vec::new();
    // ECKD: Locate Record searching a CCHH other than its seek address.
    build::update_write(&mut chain, LOG, Cchhr::from_track(150, 1), &recs(1, 1)).unwrap();
    if let CcwData::LocateRecord(lr) = &mut chain[1].data {
        lr.search.cyl += 1;
    }
    let (st, fx) = run(&chain, &v);
    assert_eq!(
        ending(&st),
        (CE_DE_UC, 0, 1, [0, sense1::NO_RECORD_FOUND, 0])
    );
    assert!(st.sense.is_no_record_found() && fx.writes.is_empty());
    sense_follows(&v);
    // Classic: Search ID Equal for R13 on a 12-record track goes round twice.
    build::search_chain(
        &mut chain,
        Cchhr::from_track(150, 13),
        1,
        13,
        &recs(1, 1),
        4096,
    )
    .unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(
        ending(&st),
        (CE_DE_UC, 0, 1, [0, sense1::NO_RECORD_FOUND, 0])
    );
    assert!(fx.writes.is_empty());
}

#[test]
fn golden_write_outside_the_extent_is_file_protected() {
    let v = vol();
    let mut chain = Vec::new();
    let ext = DefineExtent::tracks(151, 151, FileMask::InhibitFormat);
    build::update_write(&mut chain, ext, Cchhr::from_track(150, 1), &recs(1, 1)).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(
        ending(&st),
        (CE_DE_UC, 0, 1, [0, sense1::FILE_PROTECTED, 0])
    );
    assert!(st.sense.is_file_protected() && fx.writes.is_empty());
    // A domain running off the end of the extent ends, as modelled, at the CCW that would
    // leave it, with no record found (the interpreter's rule for domains, `exec.rs`).
    let ext = DefineExtent::tracks(150, 150, FileMask::InhibitFormat);
    build::update_write(&mut chain, ext, Cchhr::from_track(150, 12), &recs(2, 1)).unwrap();
    let (st, _) = run(&chain, &v);
    assert_eq!(
        ending(&st),
        (CE_DE_UC, 0, 3, [0, sense1::NO_RECORD_FOUND, 0])
    );
    sense_follows(&v);
}

#[test]
fn golden_format_write_that_does_not_fit_is_invalid_track_format() {
    let v = vol();
    let mut chain = Vec::new();
    // After R1..R10 of 4 KiB (10 x 35 cells of the 1,729 of a 3390 track), a 50,000-byte
    // record needs 1,486 cells more: it does not fit.
    let mut p = recs(1, 1);
    p[0].data_len = 50_000;
    build::format_span(&mut chain, LOG_FMT, Cchhr::from_track(150, 11), 12, &p).unwrap();
    let (st, fx) = run(&chain, &v);
    assert_eq!(
        ending(&st),
        (CE_DE_UC, 0, 2, [0, sense1::INVALID_TRACK_FORMAT, 0])
    );
    assert!(st.sense.is_invalid_track_format() && fx.writes.is_empty());
    // The same record as R1 fits (one record of up to 56,664 bytes per track).
    build::format_span(&mut chain, LOG_FMT, Cchhr::from_track(150, 1), 12, &p).unwrap();
    let (st, _) = run(&chain, &v);
    assert_eq!(ending(&st), (CE_DE, 0, 2, [0, 0, 0]));
    sense_follows(&v);
}
