//! The report separates what the recovery site knows (`secondary_view`, from its own
//! holdings) from the truth only the checker has (`truth`), and names where they differ.

use scenarios::report::Report;
use scenarios::runner::{RunOptions, run};
use scenarios::{prepare, read_file};
use std::collections::BTreeSet;
use std::path::Path;

fn report(name: &str, sets: &[&str]) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    let src = read_file(&path).unwrap();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    let built = prepare(&src, &sets, path.parent().unwrap()).unwrap();
    run(&built, &RunOptions::default()).unwrap().report
}

/// The audit's example: with the link cut at the disaster, the secondary can name only the
/// data sets of the tokens it holds above A; the others are lost without its knowing.
#[test]
fn a_cut_link_secondary_names_only_the_data_sets_it_holds_tokens_for() {
    let r = report(
        "baseline.toml",
        &[
            "disaster.at=60s",
            "disaster.cut_link=true",
            "run.length=61s",
        ],
    );
    assert_eq!(r.version, 2);
    let s = &r.sites[0];
    let v = &s.secondary_view;
    // Every data set it names comes from an entry it holds after A.
    let from_entries: BTreeSet<&str> = v
        .entries
        .iter()
        .filter_map(|e| e.dataset.as_deref())
        .collect();
    let named: BTreeSet<&str> = v
        .datasets_affected
        .iter()
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(named, from_entries);
    for e in &v.entries {
        if let Some(seq) = e.seq {
            assert!(
                seq > v.consistency_seq && seq <= v.highest_token_seq,
                "{e:?}"
            );
        }
        assert_eq!(e.digests.len(), if e.data { e.records.len() } else { 0 });
    }
    // The truth has more: writes whose tokens never arrived, in data sets the site cannot
    // name; the disagreement says so.
    let t = &s.truth;
    assert!(t.writes_lost_unknown_to_secondary > 0, "{t:?}");
    assert!(!t.datasets_unknown_to_secondary.is_empty(), "{t:?}");
    for d in &t.datasets_unknown_to_secondary {
        assert!(!named.contains(d.as_str()), "{d} is named by the secondary");
        assert!(t.datasets_lost.contains(d));
    }
    assert!(
        s.disagreements.iter().any(|d| d.contains("cannot name")),
        "{:?}",
        s.disagreements
    );
    // The two views agree where the secondary can know: B is the same number.
    assert_eq!(v.highest_token_seq, s.core.highest_token_seq);
    assert!(v.consistency_seq <= t.consistency_seq);
    assert!(r.consistent());
}

/// An initial copy still running when the primary is lost: not duplex, not consistent.
#[test]
fn an_unfinished_initial_copy_is_not_reported_consistent() {
    let r = report(
        "baseline.toml",
        &["copy.initial_copy=true", "disaster.at=30s"],
    );
    let s = &r.sites[0];
    let p = s
        .secondary_view
        .initial_copy_progress
        .expect("an initial copy was sent");
    assert!(p > 0.0 && p < 1.0, "{p}");
    assert!(!s.consistent());
    assert!(!r.consistent());
    let text = scenarios::report::human(&r, false);
    assert!(text.contains("NOT DUPLEX"), "{text}");
    assert!(!text.contains("CONSISTENT:"), "{text}");
}

/// Acknowledged writes lost: in `sync` no write acknowledged to its host is lost; in `xrc`
/// at distance some are.
#[test]
fn sync_loses_no_acknowledged_write_and_xrc_does() {
    let sync = report(
        "baseline.toml",
        &["copy.mode=sync", "run.length=20s", "disaster.at=10s"],
    );
    for s in &sync.sites {
        assert_eq!(s.core.acknowledged_writes_lost, 0, "{:?}", s.truth);
        assert_eq!(s.truth.acknowledged_writes_lost, 0);
    }
    let xrc = report("baseline.toml", &["run.length=20s", "disaster.at=10s"]);
    assert!(xrc.sites[0].truth.acknowledged_writes_lost > 0);
    assert!(xrc.sites[0].truth.acknowledged_writes_lost <= xrc.sites[0].truth.writes_lost);
}

/// A disaster after the end of the run would never strike: an error naming the key, not a
/// silent run without disaster.
#[test]
fn a_disaster_after_the_end_of_the_run_is_an_error() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fig5.toml");
    let src = read_file(&path).unwrap();
    let err = prepare(
        &src,
        &["disaster.at=100s".to_string()],
        path.parent().unwrap(),
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("disaster.at") && err.contains("after the end of the run"),
        "{err}"
    );
    let err = prepare(
        &src,
        &["run.length=5s".to_string(), "disaster.at=8s".to_string()],
        path.parent().unwrap(),
    )
    .map(|_| ())
    .unwrap_err()
    .to_string();
    assert!(err.contains("after the end of the run"), "{err}");
    // Within the run it strikes.
    assert!(
        prepare(
            &src,
            &["disaster.at=5s".to_string()],
            path.parent().unwrap()
        )
        .is_ok()
    );
}

/// Entries are counted as what they are: in `xrc` an entry whose data arrived but waits for
/// its re-update group is held with data, not "without data"; in `naive` entries above A
/// already written are not "complete pending". Both views agree on it.
#[test]
fn pending_entries_are_counted_as_what_they_are() {
    let x = report("rapid-update.toml", &["copy.mode=xrc"]);
    let s = &x.sites[0];
    assert!(s.core.pending_held_for_group > 0, "{:?}", s.core);
    assert_eq!(
        s.secondary_view.entries_with_data,
        s.core.pending_complete + s.core.pending_held_for_group
    );
    assert_eq!(
        s.secondary_view.entries_without_data,
        s.core.pending_incomplete
    );
    let p = report("rapid-update.toml", &["copy.mode=xrc-prt"]);
    assert_eq!(p.sites[0].core.pending_held_for_group, 0);

    let n = report("naive-fuzzy.toml", &[]);
    let s = &n.sites[0];
    assert!(s.core.pending_applied > 0, "{:?}", s.core);
    assert_eq!(s.core.pending_complete, 0, "{:?}", s.core);
    assert_eq!(
        s.secondary_view.entries_written_out_of_order,
        s.core.pending_applied
    );
    assert!(!s.secondary_view.claims_consistent);
}

/// A sweep row keeps the recovery site's counts and leaves out its per-item listings, so
/// that a table is not as wide as the backlog or the session.
#[test]
fn sweep_rows_keep_the_counts_and_leave_out_the_listings() {
    let r = report(
        "baseline.toml",
        &[
            "disaster.at=20s",
            "disaster.cut_link=true",
            "run.length=21s",
        ],
    );
    assert!(!r.sites[0].secondary_view.entries.is_empty());
    let mut json = serde_json::to_value(&r).unwrap();
    scenarios::drop_listings(&mut json);
    let cols: Vec<String> = scenarios::sweep::flatten_json(&json)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for k in scenarios::SWEEP_LEFT_OUT {
        let listing = format!("secondary_view.{k}");
        assert!(
            !cols
                .iter()
                .any(|c| c.contains(&format!("{listing}.")) || c.ends_with(&listing)),
            "{k} in {cols:?}"
        );
    }
    for k in [
        "entries_with_data",
        "entries_without_data",
        "missing_tokens",
    ] {
        assert!(cols.contains(&format!("sites.0.secondary_view.{k}")), "{k}");
    }
}
