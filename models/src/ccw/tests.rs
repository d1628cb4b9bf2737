//! Tests of the channel-program interpreter: one per command and error, plus properties.

use super::build;
use super::exec::MAX_TICS;
use super::status::{reject, sense0, unit};
use super::*;
use crate::dasd::{DataSet, DeviceType, VolumeImage};
use proptest::prelude::*;

/// PRI001, a 3390-3: tracks 15..=149 hold 2 x 27,998 per track, 150..=299 12 x 4,096;
/// other tracks R0 only.
fn vol() -> VolumeImage {
    VolumeImage::new(
        "PRI001",
        DeviceType::D3390_3,
        vec![
            DataSet::new("APP.DATA", 15, 149, 0, 27_998),
            DataSet::new("APP.LOG", 150, 299, 0, 4096),
        ],
    )
    .unwrap()
}

const LOG: DefineExtent = DefineExtent::tracks(150, 299, FileMask::PermitAll);

fn rec(d: u64) -> RecordPayload {
    RecordPayload {
        key_len: 0,
        data_len: 4096,
        digest: Digest(d),
    }
}

fn run(chain: &[Ccw], v: &VolumeImage) -> (ChainStatus, ChainEffects) {
    let mut fx = ChainEffects::new();
    let st = execute(chain, v, &mut fx);
    (st, fx)
}

fn assert_reject(st: &ChainStatus, msg: u8) {
    assert!(st.is_unit_check(), "{st:?}");
    assert!(st.sense.is_command_reject(), "{st:?}");
    assert_eq!(st.sense.message(), msg, "{st:?}");
}

fn ccw(cmd: Command, flags: CcwFlags, count: u32, data: CcwData) -> Ccw {
    Ccw::new(cmd, flags, count, data)
}

fn dx(ext: DefineExtent) -> Ccw {
    ccw(
        Command::DefineExtent,
        CcwFlags::CC,
        16,
        CcwData::DefineExtent(ext),
    )
}

fn lr(orientation: Orientation, op: LocateOp, count: u8, at: Cchhr) -> Ccw {
    ccw(
        Command::LocateRecord,
        CcwFlags::CC,
        16,
        CcwData::LocateRecord(LocateRecord {
            orientation,
            op,
            count,
            seek: Cchh::new(at.cyl, at.head),
            search: at,
        }),
    )
}

#[test]
fn update_write_plans_then_commit_applies() {
    let mut v = vol();
    let first = Cchhr::new(10, 0, 2); // track 150
    let mut chain = Vec::new();
    build::update_write(&mut chain, LOG, first, &[rec(1), rec(2), rec(3)]).unwrap();
    let before = v.read(first).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(st.last_ccw, 4);
    assert_eq!(v.read(first).unwrap(), before, "execute does not mutate");
    let addrs: Vec<Cchhr> = fx.writes.iter().map(|w| w.addr).collect();
    assert_eq!(
        addrs,
        vec![
            Cchhr::new(10, 0, 2),
            Cchhr::new(10, 0, 3),
            Cchhr::new(10, 0, 4)
        ]
    );
    assert!(fx.writes.iter().all(|w| w.kind == WriteKind::Update));
    assert_eq!(fx.bytes_to_device, 16 + 16 + 3 * 4096);
    assert_eq!(fx.bytes_from_device, 0);
    assert_eq!((fx.first_track, fx.last_track), (Some(150), Some(150)));
    assert_eq!(fx.tracks_touched, 1);
    assert_eq!(fx.ccws_executed, 5);
    commit(&fx, &mut v, 77).unwrap();
    let s = v.read(Cchhr::new(10, 0, 3)).unwrap();
    assert_eq!((s.digest, s.writer), (Digest(2), 77));
    assert_eq!(v.read(Cchhr::new(10, 0, 5)).unwrap().writer, 0);
}

#[test]
fn effects_are_cleared_between_chains() {
    let v = vol();
    let mut chain = Vec::new();
    let mut fx = ChainEffects::new();
    build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 1), &[rec(1)]).unwrap();
    execute(&chain, &v, &mut fx);
    build::read_records(&mut chain, LOG, Cchhr::new(10, 1, 1), 2, 4096).unwrap();
    let st = execute(&chain, &v, &mut fx);
    assert!(st.is_normal(), "{st:?}");
    assert!(fx.writes.is_empty());
    assert_eq!(fx.reads.len(), 2);
    assert_eq!(fx.bytes_from_device, 2 * 4096);
    assert_eq!(fx.first_track, Some(151));
}

#[test]
fn locate_outside_extent_is_file_protected() {
    let v = vol();
    let mut chain = Vec::new();
    let ext = DefineExtent::tracks(150, 160, FileMask::PermitAll);
    build::update_write(&mut chain, ext, Cchhr::from_track(161, 1), &[rec(1)]).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_unit_check() && st.sense.is_file_protected(), "{st:?}");
    assert_eq!(st.last_ccw, 1);
    assert!(fx.writes.is_empty());
    // A Seek outside the extent too.
    let chain = [
        dx(ext),
        ccw(
            Command::Seek,
            CcwFlags::NONE,
            6,
            CcwData::Seek(Cchh::from_track(149)),
        ),
    ];
    let (st, _) = run(&chain, &v);
    assert!(st.sense.is_file_protected(), "{st:?}");
}

#[test]
fn define_extent_rules() {
    let v = vol();
    let nop = ccw(Command::Nop, CcwFlags::CC, 1, CcwData::None);
    // Not first.
    let (st, _) = run(&[nop, dx(LOG)], &v);
    assert_reject(&st, reject::INVALID_SEQUENCE);
    assert_eq!(st.last_ccw, 1);
    // Twice.
    let (st, _) = run(&[dx(LOG), dx(LOG)], &v);
    assert_reject(&st, reject::INVALID_SEQUENCE);
    // Short count, bad parameters, extent off the volume or reversed.
    let short = ccw(
        Command::DefineExtent,
        CcwFlags::NONE,
        8,
        CcwData::DefineExtent(LOG),
    );
    assert_reject(&run(&[short], &v).0, reject::COUNT_TOO_SMALL);
    let wrong = ccw(Command::DefineExtent, CcwFlags::NONE, 16, CcwData::None);
    assert_reject(&run(&[wrong], &v).0, reject::INVALID_PARAMETER);
    let off = DefineExtent::tracks(0, v.device_type().tracks(), FileMask::PermitAll);
    assert_reject(&run(&[dx(off)], &v).0, reject::INVALID_PARAMETER);
    let rev = DefineExtent::tracks(20, 10, FileMask::PermitAll);
    assert_reject(&run(&[dx(rev)], &v).0, reject::INVALID_PARAMETER);
    // A lone good DX ends normally (with CC off).
    let ok = ccw(
        Command::DefineExtent,
        CcwFlags::NONE,
        16,
        CcwData::DefineExtent(LOG),
    );
    assert!(run(&[ok], &v).0.is_normal());
}

#[test]
fn locate_record_rules() {
    let v = vol();
    let at = Cchhr::new(10, 0, 1);
    // Without DX.
    let (st, _) = run(&[lr(Orientation::Count, LocateOp::WriteData, 1, at)], &v);
    assert_reject(&st, reject::INVALID_SEQUENCE);
    // Invalid orientation / operation pair, count rules.
    for bad in [
        lr(Orientation::Index, LocateOp::ReadData, 1, at),
        lr(Orientation::Data, LocateOp::FormatWrite, 1, at),
        lr(Orientation::Count, LocateOp::Orient, 1, at),
        lr(Orientation::Count, LocateOp::ReadData, 0, at),
    ] {
        assert_reject(&run(&[dx(LOG), bad], &v).0, reject::INVALID_PARAMETER);
    }
    // Search argument not on the track: no record found.
    let (st, _) = run(
        &[
            dx(LOG),
            lr(
                Orientation::Count,
                LocateOp::ReadData,
                1,
                Cchhr::new(10, 0, 13),
            ),
        ],
        &v,
    );
    assert!(st.sense.is_no_record_found(), "{st:?}");
    // LR inside an LR domain.
    let chain = [
        dx(LOG),
        lr(Orientation::Count, LocateOp::ReadData, 2, at),
        lr(Orientation::Count, LocateOp::ReadData, 1, at),
    ];
    assert_reject(&run(&chain, &v).0, reject::INVALID_SEQUENCE);
    // Orient only: no domain; a Seek may follow.
    let chain = [
        dx(LOG),
        lr(Orientation::Count, LocateOp::Orient, 0, at),
        ccw(
            Command::Seek,
            CcwFlags::NONE,
            6,
            CcwData::Seek(Cchh::new(10, 1)),
        ),
    ];
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.tracks_touched, 2);
}

#[test]
fn writes_need_a_locate_or_a_search() {
    let v = vol();
    let wd = ccw(
        Command::WriteData,
        CcwFlags::NONE,
        4096,
        CcwData::Record(rec(1)),
    );
    assert_reject(&run(&[dx(LOG), wd], &v).0, reject::INVALID_SEQUENCE);
    let seek = ccw(
        Command::Seek,
        CcwFlags::CC,
        6,
        CcwData::Seek(Cchh::new(10, 0)),
    );
    assert_reject(&run(&[seek, wd], &v).0, reject::INVALID_SEQUENCE);
    let wud = ccw(
        Command::WriteUpdateData,
        CcwFlags::NONE,
        4096,
        CcwData::Record(rec(1)),
    );
    assert_reject(&run(&[seek, wud], &v).0, reject::INVALID_SEQUENCE);
    // Wrong command for the domain.
    let chain = [
        dx(LOG),
        lr(
            Orientation::Count,
            LocateOp::ReadData,
            1,
            Cchhr::new(10, 0, 1),
        ),
        wud,
    ];
    assert_reject(&run(&chain, &v).0, reject::INVALID_SEQUENCE);
    // Reads need positioning.
    let rd = ccw(Command::ReadData, CcwFlags::NONE, 4096, CcwData::None);
    assert_reject(&run(&[dx(LOG), rd], &v).0, reject::INVALID_SEQUENCE);
}

#[test]
fn unknown_codes_and_tic_errors() {
    let v = vol();
    let junk = Ccw {
        code: 0xFF,
        flags: CcwFlags::NONE,
        count: 1,
        data: CcwData::None,
    };
    assert_reject(&run(&[junk], &v).0, reject::INVALID_COMMAND);
    assert_reject(&run(&[], &v).0, reject::INVALID_SEQUENCE);
    let nop = ccw(Command::Nop, CcwFlags::CC, 1, CcwData::None);
    // TIC first, TIC to TIC, TIC out of the chain, TIC without a target.
    assert_reject(&run(&[Ccw::tic(1), nop], &v).0, reject::INVALID_SEQUENCE);
    assert_reject(
        &run(&[nop, Ccw::tic(2), Ccw::tic(0)], &v).0,
        reject::INVALID_SEQUENCE,
    );
    assert_reject(&run(&[nop, Ccw::tic(9)], &v).0, reject::INVALID_SEQUENCE);
    let mut bad_tic = Ccw::tic(0);
    bad_tic.data = CcwData::None;
    assert_reject(&run(&[nop, bad_tic], &v).0, reject::INVALID_PARAMETER);
    // Endless loop NOP <-> TIC is cut after MAX_TICS.
    let (st, fx) = run(&[nop, Ccw::tic(0)], &v);
    assert_reject(&st, reject::INVALID_SEQUENCE);
    assert_eq!(fx.ccws_executed, 2 * (MAX_TICS + 1));
    // A search loop that re-seeks every time never reaches no record found; the TIC
    // limit ends it.
    let chain = [
        ccw(
            Command::Seek,
            CcwFlags::CC,
            6,
            CcwData::Seek(Cchh::new(10, 0)),
        ),
        ccw(
            Command::SearchIdEqual,
            CcwFlags::CC,
            5,
            CcwData::SearchId(Cchhr::new(10, 0, 99)),
        ),
        Ccw::tic(0),
    ];
    let (st, fx) = run(&chain, &v);
    assert_reject(&st, reject::INVALID_SEQUENCE);
    assert_eq!(fx.ccws_executed, 3 * (MAX_TICS + 1));
    // Chaining past the end.
    assert_reject(&run(&[nop], &v).0, reject::INVALID_SEQUENCE);
    // Zero count.
    let zero = ccw(
        Command::Seek,
        CcwFlags::NONE,
        0,
        CcwData::Seek(Cchh::new(0, 0)),
    );
    assert_reject(&run(&[zero], &v).0, reject::COUNT_TOO_SMALL);
}

#[test]
fn a_locate_record_domain_continues_on_the_next_track() {
    let v = vol();
    let payloads: Vec<RecordPayload> = (0..14).map(rec).collect();
    let mut chain = Vec::new();
    build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 11), &payloads).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    let addrs: Vec<Cchhr> = fx.writes.iter().map(|w| w.addr).collect();
    assert_eq!(addrs[0], Cchhr::new(10, 0, 11));
    assert_eq!(addrs[1], Cchhr::new(10, 0, 12));
    assert_eq!(addrs[2], Cchhr::new(10, 1, 1));
    assert_eq!(addrs[13], Cchhr::new(10, 1, 12));
    assert_eq!(fx.tracks_touched, 2);
}

#[test]
fn no_record_found_past_the_last_record() {
    let v = vol();
    let payloads: Vec<RecordPayload> = (0..13).map(rec).collect();
    let mut chain = Vec::new();
    // From R1 of the extent's last track (299 = cylinder 19, head 14): the 13th record
    // would be past the end of the extent.
    build::update_write(&mut chain, LOG, Cchhr::new(19, 14, 1), &payloads).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.sense.is_no_record_found(), "{st:?}");
    assert_eq!(st.last_ccw, 14);
    assert_eq!(
        fx.writes.len(),
        12,
        "the writes before the failure happened"
    );
}

#[test]
fn incorrect_length_and_sli() {
    let v = vol();
    let mut chain = Vec::new();
    build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 1), &[rec(1), rec(2)]).unwrap();
    chain[2].count = 4000;
    let (st, fx) = run(&chain, &v);
    assert!(st.is_incorrect_length() && !st.is_unit_check(), "{st:?}");
    assert_eq!(st.unit_status, unit::CHANNEL_END | unit::DEVICE_END);
    assert_eq!(st.last_ccw, 2);
    assert_eq!(fx.writes.len(), 1, "the short write still happened");
    assert_eq!(fx.bytes_to_device, 32 + 4000);
    chain[2].flags = CcwFlags::CC | CcwFlags::SLI;
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.writes.len(), 2);
    // A control command with a longer count also gives incorrect length.
    let long = ccw(
        Command::DefineExtent,
        CcwFlags::NONE,
        20,
        CcwData::DefineExtent(LOG),
    );
    assert!(run(&[long], &v).0.is_incorrect_length());
}

#[test]
fn incomplete_domain_is_operation_check() {
    let v = vol();
    let mut chain = Vec::new();
    build::update_write(
        &mut chain,
        LOG,
        Cchhr::new(10, 0, 1),
        &[rec(1), rec(2), rec(3)],
    )
    .unwrap();
    chain.truncate(4);
    chain[3].flags = CcwFlags::NONE;
    let (st, _) = run(&chain, &v);
    assert!(st.is_unit_check(), "{st:?}");
    assert_eq!(
        st.sense.byte0(),
        sense0::COMMAND_REJECT | sense0::OPERATION_CHECK
    );
}

#[test]
fn file_mask_controls_writes() {
    let v = vol();
    let mut chain = Vec::new();
    let at = Cchhr::new(10, 0, 1);
    let inhibit_all = DefineExtent::tracks(150, 299, FileMask::InhibitAll);
    build::update_write(&mut chain, inhibit_all, at, &[rec(1)]).unwrap();
    assert_reject(&run(&chain, &v).0, reject::INVALID_SEQUENCE);
    let update_only = DefineExtent::tracks(150, 299, FileMask::InhibitFormat);
    build::update_write(&mut chain, update_only, at, &[rec(1)]).unwrap();
    assert!(run(&chain, &v).0.is_normal());
    build::format_write(&mut chain, update_only, at, &[rec(1)]).unwrap();
    assert_reject(&run(&chain, &v).0, reject::INVALID_SEQUENCE);
    let no_r0 = DefineExtent::tracks(150, 299, FileMask::InhibitR0);
    build::format_write(&mut chain, no_r0, at, &[rec(1)]).unwrap();
    assert!(run(&chain, &v).0.is_normal());
    build::format_track(
        &mut chain,
        no_r0,
        150,
        RecordPayload {
            data_len: 8,
            ..rec(0)
        },
        &[],
    )
    .unwrap();
    assert_reject(&run(&chain, &v).0, reject::INVALID_SEQUENCE);
}

#[test]
fn format_track_then_commit() {
    let mut v = vol();
    let ext = DefineExtent::tracks(0, 14, FileMask::PermitAll);
    let r0 = RecordPayload {
        key_len: 0,
        data_len: 8,
        digest: Digest(1000),
    };
    let recs: Vec<RecordPayload> = (0..3)
        .map(|i| RecordPayload {
            key_len: 8,
            data_len: 80,
            digest: Digest(i),
        })
        .collect();
    let mut chain = Vec::new();
    build::format_track(&mut chain, ext, 5, r0, &recs).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.writes.len(), 4);
    assert!(fx.writes.iter().all(|w| w.kind == WriteKind::Format));
    assert_eq!(fx.bytes_to_device, 32 + 16 + 3 * 96);
    assert_eq!(v.records_on_track(5), 0);
    commit(&fx, &mut v, 3).unwrap();
    assert_eq!(v.records_on_track(5), 3);
    let s = v.read(Cchhr::from_track(5, 3)).unwrap();
    assert_eq!(
        (s.key_len, s.data_len, s.digest, s.writer),
        (8, 80, Digest(2), 3)
    );
    assert_eq!(
        v.read(Cchhr::from_track(5, 0)).unwrap().digest,
        Digest(1000)
    );
}

#[test]
fn format_write_beyond_capacity_is_invalid_track_format() {
    let v = vol();
    let mut chain = Vec::new();
    // Track 15 holds 2 x 27,998; after R1 another 28,100 does not fit.
    let ext = DefineExtent::tracks(15, 149, FileMask::PermitAll);
    let big = RecordPayload {
        key_len: 0,
        data_len: 28_100,
        digest: Digest(1),
    };
    build::format_write(&mut chain, ext, Cchhr::from_track(15, 1), &[big]).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.sense.is_invalid_track_format(), "{st:?}");
    assert!(fx.writes.is_empty());
    // 27,998 fits.
    let ok = RecordPayload {
        data_len: 27_998,
        ..big
    };
    build::format_write(&mut chain, ext, Cchhr::from_track(15, 1), &[ok]).unwrap();
    assert!(run(&chain, &v).0.is_normal());
    // After R0, three 18,452-byte records fit, a fourth does not.
    let r = RecordPayload {
        data_len: 18_452,
        ..big
    };
    build::format_write(&mut chain, ext, Cchhr::from_track(15, 0), &[r, r, r]).unwrap();
    assert!(run(&chain, &v).0.is_normal());
    build::format_write(&mut chain, ext, Cchhr::from_track(15, 0), &[r, r, r, r]).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.sense.is_invalid_track_format(), "{st:?}");
    assert_eq!(fx.writes.len(), 3);
}

#[test]
fn write_ckd_next_track() {
    let mut v = vol();
    let ext = DefineExtent::tracks(0, 14, FileMask::PermitAll);
    let p = RecordPayload {
        key_len: 0,
        data_len: 1000,
        digest: Digest(5),
    };
    let chain = [
        dx(ext),
        lr(
            Orientation::Count,
            LocateOp::FormatWrite,
            2,
            Cchhr::new(0, 3, 0),
        ),
        ccw(Command::WriteCkd, CcwFlags::CC, 1008, CcwData::Record(p)),
        ccw(
            Command::WriteCkdNextTrack,
            CcwFlags::NONE,
            1008,
            CcwData::Record(p),
        ),
    ];
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    let addrs: Vec<Cchhr> = fx.writes.iter().map(|w| w.addr).collect();
    assert_eq!(addrs, vec![Cchhr::new(0, 3, 1), Cchhr::new(0, 4, 1)]);
    assert_eq!(fx.tracks_touched, 2);
    commit(&fx, &mut v, 1).unwrap();
    assert_eq!(v.records_on_track(4), 1);
    // Not chained from a Write CKD: rejected; past the extent: file protected.
    let lone = [
        dx(ext),
        lr(
            Orientation::Count,
            LocateOp::FormatWrite,
            1,
            Cchhr::new(0, 3, 0),
        ),
        ccw(
            Command::WriteCkdNextTrack,
            CcwFlags::NONE,
            1008,
            CcwData::Record(p),
        ),
    ];
    assert_reject(&run(&lone, &v).0, reject::INVALID_SEQUENCE);
    let mut edge = chain;
    edge[1] = lr(
        Orientation::Count,
        LocateOp::FormatWrite,
        2,
        Cchhr::new(0, 14, 0),
    );
    assert!(run(&edge, &v).0.sense.is_file_protected());
}

#[test]
fn classic_search_loop_writes_the_record() {
    let mut v = vol();
    let mut chain = Vec::new();
    let at = Cchhr::new(10, 0, 3);
    build::search_write(&mut chain, at, rec(9));
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.writes.len(), 1);
    assert_eq!(fx.writes[0].addr, at);
    // Seek + 4 searches (R0..R3) + 3 TICs + Write Data.
    assert_eq!(fx.ccws_executed, 9);
    commit(&fx, &mut v, 5).unwrap();
    assert_eq!(v.read(at).unwrap().digest, Digest(9));
    // A record that is not there: the search passes the index point twice.
    build::search_write(&mut chain, Cchhr::new(10, 0, 20), rec(9));
    let (st, fx) = run(&chain, &v);
    assert!(st.sense.is_no_record_found(), "{st:?}");
    assert!(fx.writes.is_empty());
    // A search that compares equal sets status modifier when it ends the chain.
    let chain = [
        ccw(
            Command::Seek,
            CcwFlags::CC,
            6,
            CcwData::Seek(Cchh::new(10, 0)),
        ),
        ccw(
            Command::SearchIdEqual,
            CcwFlags::NONE,
            5,
            CcwData::SearchId(Cchhr::new(10, 0, 0)),
        ),
    ];
    let (st, _) = run(&chain, &v);
    assert_eq!(
        st.unit_status,
        unit::CHANNEL_END | unit::DEVICE_END | unit::STATUS_MODIFIER
    );
    // Chained, the equal search skips past the end of the chain: a program error that
    // names the search, the last CCW that ran (found by proptest in CI).
    let mut chain = chain;
    chain[1].flags = CcwFlags::CC;
    let (st, _) = run(&chain, &v);
    assert_reject(&st, reject::INVALID_SEQUENCE);
    assert_eq!(st.last_ccw, 1);
}

#[test]
fn reads_return_record_states() {
    let mut v = vol();
    v.write(Cchhr::new(10, 0, 2), Digest(55), 4).unwrap();
    let mut chain = Vec::new();
    build::read_records(&mut chain, LOG, Cchhr::new(10, 0, 1), 3, 4096).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    let got: Vec<(Cchhr, u64)> = fx.reads.iter().map(|(a, s)| (*a, s.writer)).collect();
    assert_eq!(
        got,
        vec![
            (Cchhr::new(10, 0, 1), 0),
            (Cchhr::new(10, 0, 2), 4),
            (Cchhr::new(10, 0, 3), 0)
        ]
    );
    assert_eq!(fx.reads[1].1.digest, Digest(55));
    assert_eq!(fx.bytes_from_device, 3 * 4096);
    // Read Count, Read CKD and Read R0 in a Read Data domain.
    let chain = [
        dx(LOG),
        lr(
            Orientation::Count,
            LocateOp::ReadData,
            3,
            Cchhr::new(10, 0, 0),
        ),
        ccw(Command::ReadCount, CcwFlags::CC, 8, CcwData::None),
        ccw(
            Command::ReadCountKeyData,
            CcwFlags::CC,
            8 + 4096,
            CcwData::None,
        ),
        ccw(Command::ReadRecordZero, CcwFlags::NONE, 16, CcwData::None),
    ];
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    let addrs: Vec<Cchhr> = fx.reads.iter().map(|(a, _)| *a).collect();
    assert_eq!(addrs, vec![Cchhr::new(10, 0, 2), Cchhr::new(10, 0, 0)]);
    assert_eq!(fx.bytes_from_device, 8 + 4104 + 16);
}

#[test]
fn read_tracks_reads_whole_tracks() {
    let v = vol();
    let mut chain = Vec::new();
    build::read_tracks(&mut chain, LOG, 150, 2, 64 * 1024).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.reads.len(), 2 * 13, "R0..R12 of two tracks");
    assert_eq!(fx.bytes_from_device, 2 * (16 + 12 * (8 + 4096)));
    assert_eq!(
        (fx.first_track, fx.last_track, fx.tracks_touched),
        (Some(150), Some(151), 2)
    );
    // Past the extent.
    let ext = DefineExtent::tracks(150, 150, FileMask::PermitAll);
    build::read_tracks(&mut chain, ext, 150, 2, 64 * 1024).unwrap();
    assert!(run(&chain, &v).0.sense.is_file_protected());
}

#[test]
fn data_length_zero_is_unit_exception() {
    let mut v = vol();
    // Write an end-of-file record (DL 0) as R1 of track 2.
    v.format_track(2, &[(0, 0, Digest(0))], 1).unwrap();
    let ext = DefineExtent::tracks(0, 14, FileMask::PermitAll);
    let mut chain = Vec::new();
    build::read_records(&mut chain, ext, Cchhr::from_track(2, 1), 1, 1).unwrap();
    let (st, fx) = run(&chain, &v);
    assert!(st.is_unit_exception() && !st.is_unit_check(), "{st:?}");
    assert_eq!(fx.reads.len(), 1);
}

#[test]
fn data_chaining_only_on_reads() {
    let v = vol();
    let mut chain = Vec::new();
    build::read_records(&mut chain, LOG, Cchhr::new(10, 0, 1), 1, 2048).unwrap();
    chain[2].flags = CcwFlags::CD;
    chain.push(ccw(Command::Nop, CcwFlags::NONE, 2048, CcwData::None));
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.bytes_from_device, 4096);
    assert_eq!(fx.ccws_executed, 4);
    build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 1), &[rec(1)]).unwrap();
    chain[2].flags = CcwFlags::CD;
    chain.push(ccw(Command::Nop, CcwFlags::NONE, 1, CcwData::None));
    assert_reject(&run(&chain, &v).0, reject::INVALID_COMMAND);
}

#[test]
fn reads_see_format_writes_earlier_in_the_chain() {
    let v = vol();
    let ext = DefineExtent::tracks(0, 14, FileMask::PermitAll);
    let p = RecordPayload {
        key_len: 0,
        data_len: 100,
        digest: Digest(31),
    };
    let chain = [
        dx(ext),
        lr(
            Orientation::Count,
            LocateOp::FormatWrite,
            1,
            Cchhr::new(0, 7, 0),
        ),
        ccw(Command::WriteCkd, CcwFlags::CC, 108, CcwData::Record(p)),
        lr(
            Orientation::Count,
            LocateOp::ReadData,
            1,
            Cchhr::new(0, 7, 1),
        ),
        ccw(Command::ReadData, CcwFlags::NONE, 100, CcwData::None),
    ];
    let (st, fx) = run(&chain, &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.reads[0].1.digest, Digest(31));
    assert_eq!(v.records_on_track(7), 0, "volume untouched");
}

#[test]
fn builders_refuse_bad_record_counts() {
    let mut chain = Vec::new();
    assert!(build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 1), &[]).is_err());
    assert!(build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 0), &[rec(0)]).is_err());
    let many = vec![rec(0); 256];
    assert!(build::update_write(&mut chain, LOG, Cchhr::new(10, 0, 1), &many).is_err());
    assert!(build::read_records(&mut chain, LOG, Cchhr::new(10, 0, 1), 0, 4096).is_err());
    let r0 = RecordPayload::default();
    assert!(build::format_track(&mut chain, LOG, 150, r0, &many[..255]).is_err());
}

#[test]
fn sense_and_nop_outside_domains_only() {
    let v = vol();
    let sense = ccw(Command::Sense, CcwFlags::NONE, 32, CcwData::None);
    let (st, fx) = run(&[sense], &v);
    assert!(st.is_normal(), "{st:?}");
    assert_eq!(fx.bytes_from_device, 32);
    let chain = [
        dx(LOG),
        lr(
            Orientation::Count,
            LocateOp::ReadData,
            1,
            Cchhr::new(10, 0, 1),
        ),
        sense,
    ];
    assert_reject(&run(&chain, &v).0, reject::INVALID_SEQUENCE);
}

// ---- properties ----

fn arb_cchh() -> impl Strategy<Value = Cchh> {
    (
        prop_oneof![0u32..3339, 3335u32..3345, any::<u32>()],
        prop_oneof![0u16..15, any::<u16>()],
    )
        .prop_map(|(c, h)| Cchh::new(c, h))
}

fn arb_cchhr() -> impl Strategy<Value = Cchhr> {
    (arb_cchh(), prop_oneof![0u8..14, any::<u8>()]).prop_map(|(a, r)| a.rec(r))
}

fn arb_mask() -> impl Strategy<Value = FileMask> {
    prop_oneof![
        Just(FileMask::InhibitR0),
        Just(FileMask::InhibitAll),
        Just(FileMask::InhibitFormat),
        Just(FileMask::PermitAll)
    ]
}

fn arb_data(len: usize) -> impl Strategy<Value = CcwData> {
    let orientation = prop_oneof![
        Just(Orientation::Count),
        Just(Orientation::Home),
        Just(Orientation::Data),
        Just(Orientation::Index)
    ];
    let op = prop_oneof![
        Just(LocateOp::Orient),
        Just(LocateOp::WriteData),
        Just(LocateOp::FormatWrite),
        Just(LocateOp::ReadData),
        Just(LocateOp::ReadTracks)
    ];
    prop_oneof![
        Just(CcwData::None),
        (arb_cchh(), arb_cchh(), arb_mask()).prop_map(|(begin, end, mask)| {
            CcwData::DefineExtent(DefineExtent { begin, end, mask })
        }),
        (orientation, op, any::<u8>(), arb_cchh(), arb_cchhr()).prop_map(
            |(orientation, op, count, seek, search)| {
                CcwData::LocateRecord(LocateRecord {
                    orientation,
                    op,
                    count: count % 20,
                    seek,
                    search,
                })
            }
        ),
        (
            any::<u8>(),
            prop_oneof![0u16..100, 4096u16..4097, any::<u16>()],
            any::<u64>()
        )
            .prop_map(|(k, d, g)| CcwData::Record(RecordPayload {
                key_len: k % 3 * 8,
                data_len: d,
                digest: Digest(g)
            })),
        arb_cchh().prop_map(CcwData::Seek),
        arb_cchhr().prop_map(CcwData::SearchId),
        (0..len as u16 + 2).prop_map(CcwData::Tic),
    ]
}

fn arb_ccw(len: usize) -> impl Strategy<Value = Ccw> {
    let code = prop_oneof![
        4 => proptest::sample::select(Command::ALL.iter().map(|c| c.code()).collect::<Vec<_>>()),
        1 => any::<u8>(),
    ];
    let flags = prop_oneof![
        3 => Just(CcwFlags::CC),
        1 => any::<u8>().prop_map(CcwFlags),
    ];
    let count = prop_oneof![0u32..40, 4090u32..4110, any::<u32>()];
    (code, flags, count, arb_data(len)).prop_map(|(code, flags, count, data)| Ccw {
        code,
        flags,
        count,
        data,
    })
}

fn arb_chain() -> impl Strategy<Value = Vec<Ccw>> {
    (0usize..12).prop_flat_map(|n| proptest::collection::vec(arb_ccw(n), n))
}

/// A chain edit applied to a well-formed chain.
#[derive(Clone, Debug)]
enum Mutation {
    Code(u8),
    Flags(CcwFlags),
    Count(u32),
    Data(CcwData),
    Insert(Ccw),
    Remove,
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        proptest::sample::select(Command::ALL.iter().map(|c| c.code()).collect::<Vec<_>>())
            .prop_map(Mutation::Code),
        any::<u8>().prop_map(|f| Mutation::Flags(CcwFlags(f))),
        prop_oneof![0u32..20, 4090u32..4110, any::<u32>()].prop_map(Mutation::Count),
        arb_data(8).prop_map(Mutation::Data),
        arb_ccw(8).prop_map(Mutation::Insert),
        Just(Mutation::Remove),
    ]
}

/// Well-formed chains from the builders (random kind, extent and place), then 0-3 random
/// edits: reaches deep into the interpreter, unlike purely random chains.
fn arb_mutated_chain() -> impl Strategy<Value = Vec<Ccw>> {
    let base = (
        0u8..6,
        0u64..320,
        0u64..320,
        (0u64..320, proptest::bool::weighted(0.8)),
        0u8..14,
        1usize..5,
        arb_mask(),
    );
    let edits = proptest::collection::vec((any::<proptest::sample::Index>(), arb_mutation()), 0..4);
    (base, edits).prop_map(|((kind, a, b, (t, inside), r, n, mask), edits)| {
        let (lo, hi) = (a.min(b), a.max(b));
        let t = if inside { lo + t % (hi - lo + 1) } else { t };
        let ext = DefineExtent::tracks(lo, hi, mask);
        let at = Cchhr::from_track(t, r);
        let payloads: Vec<RecordPayload> = (0..n as u64)
            .map(|i| RecordPayload {
                key_len: 0,
                data_len: if t < 150 { 27_998 } else { 4096 },
                digest: Digest(i),
            })
            .collect();
        let mut c = Vec::new();
        match kind {
            0 => build::update_write(
                &mut c,
                ext,
                Cchhr {
                    rec: r.max(1),
                    ..at
                },
                &payloads,
            )
            .unwrap(),
            1 => build::format_write(&mut c, ext, at, &payloads).unwrap(),
            2 => build::format_track(
                &mut c,
                ext,
                t,
                RecordPayload {
                    data_len: 8,
                    ..payloads[0]
                },
                &payloads,
            )
            .unwrap(),
            3 => build::read_records(&mut c, ext, at, n, payloads[0].data_len).unwrap(),
            4 => build::read_tracks(&mut c, ext, t, n, 60_000).unwrap(),
            _ => build::search_write(&mut c, at, payloads[0]),
        }
        for (ix, m) in edits {
            if c.is_empty() {
                break;
            }
            let i = ix.index(c.len());
            match m {
                Mutation::Code(x) => c[i].code = x,
                Mutation::Flags(f) => c[i].flags = f,
                Mutation::Count(n) => c[i].count = n,
                Mutation::Data(d) => c[i].data = d,
                Mutation::Insert(x) => c.insert(i, x),
                Mutation::Remove => {
                    c.remove(i);
                }
            }
        }
        c
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary chains never panic; their effects always commit onto the unchanged
    /// volume; a unit check always carries sense data; the count of CCWs is bounded.
    #[test]
    fn arbitrary_chains_never_panic(chain in prop_oneof![arb_chain(), arb_mutated_chain()]) {
        let v = vol();
        let mut fx = ChainEffects::new();
        let st = execute(&chain, &v, &mut fx);
        if st.is_unit_check() {
            prop_assert!(st.sense.byte0() != 0 || st.sense.byte1() != 0);
        }
        // Between two TICs at most every CCW of the chain runs once.
        prop_assert!(fx.ccws_executed <= (MAX_TICS + 1) * (chain.len() as u32 + 1));
        prop_assert!((st.last_ccw as usize) < chain.len().max(1));
        let mut w = v.clone();
        prop_assert!(commit(&fx, &mut w, 1).is_ok());
    }

    /// Well-formed chains that position outside their Define Extent always end in unit
    /// check (file protected) and write nothing; inside, they complete.
    #[test]
    fn writes_outside_the_extent_always_unit_check(
        a in 150u64..300, b in 150u64..300, t in 150u64..300, r in 1u8..13, classic in any::<bool>()
    ) {
        let (lo, hi) = (a.min(b), a.max(b));
        let v = vol();
        let ext = DefineExtent::tracks(lo, hi, FileMask::PermitAll);
        let addr = Cchhr::from_track(t, r);
        let mut chain = Vec::new();
        if classic {
            build::search_write(&mut chain, addr, rec(1));
            chain.insert(0, dx(ext));
            chain[3] = Ccw::tic(2); // the TIC target moved with the insertion
        } else {
            build::update_write(&mut chain, ext, addr, &[rec(1)]).unwrap();
        }
        let (st, fx) = run(&chain, &v);
        if (lo..=hi).contains(&t) {
            prop_assert!(st.is_normal(), "{:?}", st);
            prop_assert_eq!(fx.writes.len(), 1);
        } else {
            prop_assert!(st.is_unit_check() && st.sense.is_file_protected(), "{:?}", st);
            prop_assert!(fx.writes.is_empty());
        }
    }

    /// Executing then committing an update write makes reads return the new digest and
    /// writer, and leaves the neighbours alone.
    #[test]
    fn committed_update_writes_read_back(
        t in 150u64..300, first in 1u8..13, n in 1usize..12, seed in any::<u64>(), writer in 1u64..u64::MAX
    ) {
        let mut v = vol();
        let n = n.min(13 - first as usize);
        let payloads: Vec<RecordPayload> = (0..n as u64).map(|i| rec(seed ^ i)).collect();
        let mut chain = Vec::new();
        build::update_write(&mut chain, LOG, Cchhr::from_track(t, first), &payloads).unwrap();
        let (st, fx) = run(&chain, &v);
        prop_assert!(st.is_normal(), "{:?}", st);
        commit(&fx, &mut v, writer).unwrap();
        for r in 1..=12u8 {
            let s = v.read(Cchhr::from_track(t, r)).unwrap();
            if r >= first && ((r - first) as usize) < n {
                prop_assert_eq!((s.digest, s.writer), (Digest(seed ^ (r - first) as u64), writer));
            } else {
                prop_assert_eq!(s.writer, 0);
            }
        }
    }

    /// Planned format writes agree with the volume: the chain ends in invalid track format
    /// exactly when the volume refuses the same records.
    #[test]
    fn format_plans_agree_with_the_volume(lens in proptest::collection::vec((0u8..2, 1u16..30_000), 1..8)) {
        let v = vol();
        let recs: Vec<RecordPayload> = lens.iter().enumerate()
            .map(|(i, &(k, d))| RecordPayload { key_len: k * 8, data_len: d, digest: Digest(i as u64) })
            .collect();
        let ext = DefineExtent::tracks(0, 14, FileMask::PermitAll);
        let mut chain = Vec::new();
        build::format_write(&mut chain, ext, Cchhr::from_track(3, 0), &recs).unwrap();
        let (st, fx) = run(&chain, &v);
        let mut direct = v.clone();
        let plain: Vec<(u8, u16, Digest)> = recs.iter().map(|p| (p.key_len, p.data_len, p.digest)).collect();
        let ok = direct.format_track(3, &plain, 1).is_ok();
        prop_assert_eq!(st.is_normal(), ok, "{:?}", st);
        prop_assert_eq!(st.sense.is_invalid_track_format(), !ok);
        let mut w = v.clone();
        commit(&fx, &mut w, 1).unwrap();
        prop_assert_eq!(w.written_records(), direct.written_records());
        prop_assert_eq!(w.records_on_track(3), direct.records_on_track(3));
    }
}

/// Coverage of the chain strategies (how deep they reach): `cargo test -p models
/// chain_strategy_coverage -- --ignored --nocapture`.
#[test]
#[ignore]
fn chain_strategy_coverage() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let v = vol();
    let mut runner = TestRunner::deterministic();
    for (name, strat) in [
        ("random", arb_chain().boxed()),
        ("mutated", arb_mutated_chain().boxed()),
    ] {
        let (mut normal, mut writes, mut reads, mut uc) = (0, 0, 0, 0);
        let mut kinds = std::collections::BTreeMap::new();
        for _ in 0..5000 {
            let chain = strat.new_tree(&mut runner).unwrap().current();
            let (st, fx) = run(&chain, &v);
            normal += st.is_normal() as u32;
            writes += !fx.writes.is_empty() as u32;
            reads += !fx.reads.is_empty() as u32;
            if st.is_unit_check() {
                uc += 1;
                *kinds
                    .entry((st.sense.byte0(), st.sense.byte1(), st.sense.message()))
                    .or_insert(0) += 1;
            }
        }
        println!(
            "{name}: normal {normal} with-writes {writes} with-reads {reads} unit-check {uc} {kinds:?}"
        );
    }
}
