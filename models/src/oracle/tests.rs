use super::*;
use crate::types::Cchhr;

fn cfg(sites: usize) -> OracleConfig {
    OracleConfig {
        sites: (1..=sites).map(|i| format!("S{i}")).collect(),
        volsers: vec!["VOL001".into(), "VOL002".into()],
        datasets: vec![
            ExtentName {
                vol: VolumeId(0),
                first_track: 0,
                last_track: 9,
                name: "DB2.LOG".into(),
            },
            ExtentName {
                vol: VolumeId(0),
                first_track: 10,
                last_track: 99,
                name: "DB2.DATA".into(),
            },
            ExtentName {
                vol: VolumeId(1),
                first_track: 0,
                last_track: 99,
                name: "PAY.MASTER".into(),
            },
        ],
        history_window: 1_000,
    }
}

fn span(track: u64, rec: u8) -> RecSpan {
    RecSpan {
        first: Cchhr::from_track(track, rec),
        n: 1,
        per_track: 12,
    }
}

fn t(ns: u64) -> SimTime {
    SimTime::from_nanos(ns)
}

const S1: SiteId = SiteId(0);

/// Writes with the given (track, rec) on VOL001, each sequenced at t = 1000 * seq, routed to S1.
fn seq_all(o: &mut Oracle, recs: &[(u64, u8)], deps: &[Option<u64>]) {
    for (i, &(tr, r)) in recs.iter().enumerate() {
        let seq = i as u64 + 1;
        o.on_seq(
            t(1000 * seq),
            seq,
            VolumeId(0),
            span(tr, r),
            4096,
            SiteMask::one(S1),
            deps.get(i).copied().flatten(),
            seq,
        );
    }
}

fn deliver(o: &mut Oracle, seq: u64, at: u64) {
    o.on_token_rx(t(at), S1, seq);
    o.on_data_rx(t(at), S1, seq, Shipped::Own);
}

#[test]
fn in_order_run_is_consistent_and_loses_nothing() {
    let mut o = Oracle::new(cfg(1));
    seq_all(&mut o, &[(0, 1), (10, 1), (0, 2)], &[]);
    for s in 1..=3 {
        deliver(&mut o, s, 10_000 + s);
        o.on_apply(t(20_000 + s), S1, s);
    }
    let r = o.on_recovered(t(30_000), S1).clone();
    assert_eq!(
        (r.consistency_seq, r.highest_token_seq, r.lost_writes),
        (3, 3, 0)
    );
    assert!(r.prefix_consistent);
    assert_eq!(r.consistent_seq, Some(3));
    assert_eq!(r.mismatched_records, 0);
    assert_eq!(r.data_loss_window_ns, 0);
}

#[test]
fn figure_5_gap_gives_a_b_and_pending_counts() {
    let mut o = Oracle::new(cfg(1));
    seq_all(
        &mut o,
        &[(0, 1), (10, 1), (10, 2), (11, 1), (12, 1), (0, 3)],
        &[],
    );
    for s in 1..=5 {
        o.on_token_rx(t(10_000), S1, s);
    }
    for s in [1, 2, 4, 5] {
        o.on_data_rx(t(11_000), S1, s, Shipped::Own);
    }
    o.on_apply(t(12_000), S1, 1);
    o.on_apply(t(12_001), S1, 2);
    o.on_disaster(t(50_000));
    assert_eq!(o.consistency_seq(S1), 2);
    assert_eq!(o.lag(S1, t(50_000)), SimDuration::from_nanos(47_000));
    let r = o.on_recovered(t(60_000), S1).clone();
    assert_eq!(r.consistency_seq, 2);
    assert_eq!(r.highest_token_seq, 5);
    assert_eq!(
        (r.pending_complete, r.pending_incomplete, r.never_received),
        (2, 1, 1)
    );
    assert_eq!((r.lost_writes, r.lost_bytes), (4, 4 * 4096));
    assert_eq!(
        r.lost_datasets,
        vec!["DB2.DATA".to_string(), "DB2.LOG".to_string()]
    );
    // Window: disaster (50 us) minus the sequencing time of write 3 (3 us).
    assert_eq!(r.data_loss_window_ns, 47_000);
    assert!(r.prefix_consistent);
    assert_eq!(r.consistent_seq, Some(2));
    assert_eq!(r.mismatched_records, 0);
}

#[test]
fn naive_out_of_order_apply_is_caught() {
    let mut o = Oracle::new(cfg(1));
    // 1: log record, 2: data page depending on 1.
    seq_all(&mut o, &[(0, 1), (10, 1)], &[None, Some(1)]);
    deliver(&mut o, 2, 5_000);
    o.on_apply(t(5_001), S1, 2);
    let r = o.on_recovered(t(9_000), S1).clone();
    assert_eq!(r.consistency_seq, 0);
    assert_eq!(r.dependent_write_violations, 1);
    assert!(!r.prefix_consistent);
    assert_eq!(r.consistent_seq, None);
    assert_eq!(r.mismatched_records, 1);
}

#[test]
fn reupdate_hazard_without_accommodation_is_inconsistent() {
    let mut o = Oracle::new(cfg(1));
    // 1: R, 2: S, 3: R again. The mover reads R for write 1 after write 3: ships write 3's data.
    seq_all(&mut o, &[(10, 1), (10, 2), (10, 1)], &[]);
    o.on_token_rx(t(5_000), S1, 1);
    o.on_token_rx(t(5_000), S1, 2);
    o.on_token_rx(t(5_000), S1, 3);
    o.on_data_rx(t(5_000), S1, 1, Shipped::Writers(&[3]));
    o.on_apply(t(6_000), S1, 1);
    let r = o.on_recovered(t(9_000), S1).clone();
    assert_eq!(r.consistency_seq, 1);
    assert_eq!(r.mismatched_records, 1);
    assert!(!r.prefix_consistent, "{r:?}");
}

#[test]
fn reupdate_group_applied_whole_is_consistent() {
    let mut o = Oracle::new(cfg(1));
    seq_all(&mut o, &[(10, 1), (10, 2), (10, 1)], &[]);
    for s in 1..=3 {
        o.on_token_rx(t(5_000), S1, s);
    }
    o.on_data_rx(t(5_000), S1, 1, Shipped::Writers(&[3]));
    o.on_data_rx(t(5_000), S1, 2, Shipped::Own);
    o.on_data_rx(t(5_000), S1, 3, Shipped::Own);
    for s in 1..=3 {
        o.on_apply(t(6_000), S1, s);
    }
    let r = o.on_recovered(t(9_000), S1).clone();
    assert_eq!(
        (r.consistency_seq, r.consistent_seq, r.mismatched_records),
        (3, Some(3), 0)
    );
}

#[test]
fn sites_see_only_their_routed_writes() {
    let mut o = Oracle::new(cfg(2));
    let s2 = SiteId(1);
    o.on_seq(
        t(1),
        1,
        VolumeId(0),
        span(0, 1),
        100,
        SiteMask::one(S1),
        None,
        1,
    );
    o.on_seq(
        t(2),
        2,
        VolumeId(1),
        span(0, 1),
        100,
        SiteMask::one(s2),
        None,
        2,
    );
    o.on_seq(
        t(3),
        3,
        VolumeId(0),
        span(0, 2),
        100,
        SiteMask::one(S1).with(s2),
        None,
        3,
    );
    deliver(&mut o, 1, 10);
    o.on_apply(t(11), S1, 1);
    // S1: write 2 is not routed to it, write 3 is missing: A is write 1, the newest write
    // S1 was sent below the first missing one (A is always a write the site was sent).
    assert_eq!(o.consistency_seq(S1), 1);
    // S2: its first write (2) is missing: nothing is complete, A = 0.
    assert_eq!(o.consistency_seq(s2), 0);
    let r1 = o.on_recovered(t(20), S1).clone();
    assert_eq!(
        (r1.writes_routed, r1.lost_writes, r1.consistent_seq),
        (2, 1, Some(2))
    );
    let r2 = o.on_recovered(t(20), s2).clone();
    assert_eq!(
        (r2.writes_routed, r2.lost_writes, r2.consistent_seq),
        (2, 2, Some(1))
    );
    assert_eq!(
        r2.lost_datasets,
        vec!["DB2.LOG".to_string(), "PAY.MASTER".to_string()]
    );
}

#[test]
fn memory_stays_bounded_over_a_long_run() {
    let mut c = cfg(1);
    c.history_window = 100;
    let mut o = Oracle::new(c);
    let mut peak = 0;
    for seq in 1..=50_000u64 {
        o.on_seq(
            t(seq * 10),
            seq,
            VolumeId(0),
            span(10 + seq % 50, 1 + (seq % 12) as u8),
            4096,
            SiteMask::one(S1),
            None,
            seq,
        );
        if seq > 20 {
            let s = seq - 20;
            deliver(&mut o, s, seq * 10);
            o.on_apply(t(seq * 10), S1, s);
        }
        peak = peak.max(o.footprint());
    }
    assert!(peak < 500, "footprint {peak}");
    let r = o.on_recovered(t(600_000), S1).clone();
    assert_eq!(r.consistency_seq, 49_980);
    assert!(r.prefix_search_floor > 0);
    assert_eq!(r.consistent_seq, Some(49_980));
}

#[test]
fn acknowledged_writes_lost_are_those_whose_host_saw_them_complete() {
    let mut o = Oracle::new(cfg(1));
    seq_all(&mut o, &[(0, 1), (0, 2), (0, 3)], &[]);
    o.on_write_done(1);
    o.on_write_done(3);
    deliver(&mut o, 1, 2000);
    o.on_apply(t(2500), S1, 1);
    o.on_disaster(t(3000));
    let r = o.on_recovered(t(3000), S1).clone();
    assert_eq!(r.consistency_seq, 1);
    assert_eq!(r.lost_writes, 2);
    // Write 2 was in flight at its host; write 3 had completed: only 3 was acknowledged.
    assert_eq!(r.acknowledged_writes_lost, 1);
}

proptest::proptest! {
    /// The checker's compact images (write ids per volume, the secondary as the records
    /// where it differs from the primary) give what full images of digests give: the
    /// secondary image record by record, the mismatch count at A and the largest
    /// consistent prefix, for any order of delivery and apply and any shipped content.
    #[test]
    fn compact_images_match_full_images(
        recs in proptest::collection::vec((0u32..2, 0u64..3, 1u8..3, 0u8..4), 1..40),
        delivered in proptest::collection::vec(proptest::prelude::any::<bool>(), 40),
        applies in proptest::collection::vec(0usize..40, 0..60),
    ) {
        use std::collections::{BTreeMap, BTreeSet};
        let mut o = Oracle::new(cfg(1));
        let n = recs.len() as u64;
        let key_of = |seq: u64| {
            let (v, tr, r, _) = recs[seq as usize - 1];
            record_key(VolumeId(v), Cchhr::from_track(tr, r))
        };
        // The content write `seq`'s data carries: its own, the newest write's, the next
        // one's, or the initial content.
        let who = |seq: u64| match recs[seq as usize - 1].3 {
            0 => seq,
            1 => n,
            2 => (seq + 1).min(n),
            _ => 0,
        };
        for (i, &(v, tr, r, _)) in recs.iter().enumerate() {
            let seq = i as u64 + 1;
            o.on_seq(t(seq), seq, VolumeId(v), span(tr, r), 4096, SiteMask::one(S1), None, seq);
        }
        for seq in 1..=n {
            if delivered[seq as usize - 1] {
                o.on_token_rx(t(100 + seq), S1, seq);
                o.on_data_rx(t(100 + seq), S1, seq, Shipped::Writers(&[who(seq)]));
            }
        }
        // Full images, as the checker kept them before: the content of every record.
        let mut secondary: BTreeMap<u64, WriteId> = BTreeMap::new();
        let mut applied = BTreeSet::new();
        for &i in &applies {
            let seq = (i as u64 % n) + 1;
            if !applied.insert(seq) {
                continue;
            }
            o.on_apply(t(1_000 + seq), S1, seq);
            let w = if delivered[seq as usize - 1] { who(seq) } else { seq };
            secondary.insert(key_of(seq), w);
        }
        let r = o.on_recovered(t(10_000), S1).clone();
        let want: Vec<(u64, Digest)> = secondary
            .iter()
            .map(|(&k, &w)| {
                let (v, a) = record_of_key(k);
                (k, digest_of(v, a, w))
            })
            .collect();
        proptest::prop_assert_eq!(o.secondary_image(S1), want);
        // The number of records where the primary image after writes 1..k and the
        // secondary image differ.
        let mismatches = |k: u64| {
            let mut p: BTreeMap<u64, WriteId> = BTreeMap::new();
            for seq in 1..=k {
                p.insert(key_of(seq), seq);
            }
            let keys: BTreeSet<u64> = p.keys().chain(secondary.keys()).copied().collect();
            keys.iter()
                .filter(|&&key| {
                    p.get(&key).copied().unwrap_or(0) != secondary.get(&key).copied().unwrap_or(0)
                })
                .count() as u64
        };
        let a = o.sites[0].a();
        proptest::prop_assert_eq!(r.mismatched_records, mismatches(a));
        let best = (0..=n).rev().find(|&k| mismatches(k) == 0);
        proptest::prop_assert_eq!(r.consistent_seq, best);
    }
}
