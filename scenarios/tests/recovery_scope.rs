//! Partial recovery: a recovery operation over part of the duplexed data (VOLSERs and data
//! set name filters) lists, exports and images that part only, and the part it images is
//! exactly what the whole recovery would hold there.

use models::types::{Cchhr, VolumeId};
use scenarios::build::Built;
use scenarios::runner::{RunOptions, run};
use scenarios::{prepare, read_file};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn built(sets: &[&str]) -> Result<Built, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("baseline.toml");
    let src = read_file(&path).unwrap();
    let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
    prepare(&src, &sets, path.parent().unwrap()).map_err(|e| e.to_string())
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recovery_scope");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

const CUT: [&str; 3] = [
    "disaster.at=20s",
    "disaster.cut_link=true",
    "run.length=21s",
];

#[test]
fn a_scoped_recovery_images_lists_and_exports_only_its_part() {
    let (full_img, part_img, part_held) = (tmp("full.csv"), tmp("part.csv"), tmp("held.csv"));
    let full = run(
        &built(&CUT).unwrap(),
        &RunOptions {
            image: Some(full_img.clone()),
            ..Default::default()
        },
    )
    .unwrap()
    .report;
    let mut sets = CUT.to_vec();
    sets.push(r#"disaster.recover=["DB2.*", "PRI000"]"#);
    let part = run(
        &built(&sets).unwrap(),
        &RunOptions {
            image: Some(part_img.clone()),
            held: Some(part_held.clone()),
            ..Default::default()
        },
    )
    .unwrap()
    .report;
    // The same run: the scope changes what is recovered and listed, not the simulation.
    assert_eq!(full.trace_hash, part.trace_hash);
    let in_scope = ["PRI000", "PRI004", "PRI005"];
    // The image of the part is the whole image's rows of the part, exactly.
    let full_rows: Vec<String> = std::fs::read_to_string(&full_img)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    let part_rows: Vec<String> = std::fs::read_to_string(&part_img)
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = full_rows
        .iter()
        .filter(|r| in_scope.contains(&r.split(',').nth(1).unwrap()))
        .cloned()
        .collect();
    assert!(!expected.is_empty() && expected.len() < full_rows.len());
    assert_eq!(part_rows, expected);
    // The listing: data sets of the scope only, each with a status that matches its entries.
    let v = &part.sites[0].secondary_view;
    assert_eq!(v.recovery_scope, vec!["DB2.*", "PRI000"]);
    let names: BTreeSet<&str> = v.datasets.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["DB0.LOG", "DB2.DATA", "DB2.LOG"]),
        "{v:?}"
    );
    for d in &v.datasets {
        assert_eq!(d.status == "behind", d.entries_after_a > 0, "{d:?}");
        assert!(d.with_data <= d.entries_after_a);
    }
    for e in &v.entries {
        if let Some(vol) = &e.vol {
            assert!(in_scope.contains(&vol.as_str()), "{e:?}");
        }
    }
    let fv = &full.sites[0].secondary_view;
    assert!(fv.recovery_scope.is_empty());
    assert_eq!(
        fv.datasets.len(),
        8,
        "every data set of the session: {fv:?}"
    );
    assert!(v.entries.len() <= fv.entries.len());
    // The export: one row per record of each listed entry, all in the scope.
    let held = std::fs::read_to_string(&part_held).unwrap();
    let mut lines = held.lines();
    assert_eq!(
        lines.next(),
        Some("site,ordinal,seq,vol,cyl,head,r,dataset,data,written,digest")
    );
    let mut rows = 0;
    for l in lines {
        let c: Vec<&str> = l.split(',').collect();
        assert_eq!(c.len(), 11, "{l}");
        if !c[2].is_empty() {
            assert!(in_scope.contains(&c[3]), "{l}");
            assert_eq!(c[8] == "true", !c[10].is_empty(), "{l}");
        }
        rows += 1;
    }
    let records: usize = v.entries.iter().map(|e| e.records.len().max(1)).sum();
    assert_eq!(rows, records);
}

#[test]
fn a_scope_selects_tracks_of_the_data_sets_it_names() {
    let b = built(&[
        r#"volumes[1].datasets=[{ name = "DB0.DATA", cyls = [1, 500] }, { name = "DB0.IDX", cyls = [501, 1000] }]"#,
        r#"disaster.recover=["*.IDX"]"#,
    ])
    .unwrap();
    let s = &b.scope;
    assert!(!s.is_all());
    assert!(s.contains(VolumeId(1), Cchhr::new(600, 3, 1)));
    assert!(s.contains(VolumeId(1), Cchhr::new(1000, 14, 1)));
    assert!(!s.contains(VolumeId(1), Cchhr::new(100, 0, 1)));
    assert!(!s.contains(VolumeId(1), Cchhr::new(1001, 0, 1)));
    assert!(!s.contains(VolumeId(0), Cchhr::new(600, 0, 1)));
    assert!(s.contains_dataset(VolumeId(1), "DB0.IDX"));
    assert!(!s.contains_dataset(VolumeId(1), "DB0.DATA"));
    let all = built(&[]).unwrap().scope;
    assert!(all.is_all() && all.contains(VolumeId(3), Cchhr::new(5, 5, 5)));
}

#[test]
fn a_pattern_that_names_nothing_is_refused_at_its_key() {
    let e = built(&[r#"disaster.recover=["DB9.*"]"#]).unwrap_err();
    assert!(e.contains("disaster.recover"), "{e}");
    assert!(
        e.contains("`DB9.*` names no primary VOLSER or data set"),
        "{e}"
    );
    let e = built(&[r#"disaster.recover=["SEC000"]"#]).unwrap_err();
    assert!(e.contains("names no primary VOLSER"), "{e}");
    let e = built(&[r#"disaster.recover=[""]"#]).unwrap_err();
    assert!(e.contains("empty pattern"), "{e}");
}
