//! docs/contracts.md against the binary: every JSON report field `xrcsim run` emits is in
//! the document's field table and every field the table names is emitted; every trace event
//! and field emitted is documented, and every contract event is emitted; the image header
//! and RPO samples headers are the documented ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

fn contracts() -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/contracts.md");
    std::fs::read_to_string(p).expect("docs/contracts.md")
}

/// The section of the document starting at the heading `## N.`.
fn section(doc: &str, n: u32) -> &str {
    let start = doc
        .find(&format!("\n## {n}. "))
        .unwrap_or_else(|| panic!("no section {n}"));
    let rest = &doc[start + 1..];
    let end = rest[1..].find("\n## ").map_or(rest.len(), |e| e + 1);
    &rest[..end]
}

/// Table rows of a section: the cells of each line starting with "| `".
fn rows(sec: &str) -> Vec<Vec<&str>> {
    sec.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_matches('|').split(" | ").map(str::trim).collect())
        .collect()
}

/// The words written in backticks in a cell.
fn ticked(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

/// Leaf paths of a JSON value: objects by `.`, arrays of objects by `[]`; an array of
/// anything else is one leaf.
fn leaves(v: &serde_json::Value, path: &str, out: &mut BTreeSet<String>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                leaves(x, &join(k), out);
            }
        }
        serde_json::Value::Array(a) if a.first().is_some_and(|x| x.is_object()) => {
            for x in a {
                leaves(x, &format!("{path}[]"), out);
            }
        }
        _ => {
            out.insert(path.to_string());
        }
    }
}

#[test]
fn the_binary_emits_exactly_what_docs_contracts_md_documents() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("contracts");
    std::fs::create_dir_all(&dir).unwrap();
    let (trace, image, rpo) = (dir.join("t.jsonl"), dir.join("i.csv"), dir.join("rpo.csv"));
    let held = dir.join("held.csv");
    let out = Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .args([
            "run",
            "--until",
            "3s",
            "--disaster-at",
            "2s",
            "--json",
            "-q",
        ])
        .arg("--trace")
        .arg(&trace)
        .arg("--image")
        .arg(&image)
        .arg("--rpo-csv")
        .arg(&rpo)
        .arg("--held")
        .arg(&held)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let doc = contracts();

    // Section 2: the report.
    let mut emitted = BTreeSet::new();
    leaves(&report, "", &mut emitted);
    let documented: Vec<String> = rows(section(&doc, 2))
        .iter()
        .map(|r| ticked(r[0])[0].to_string())
        .collect();
    let (maps, exact): (Vec<&String>, Vec<&String>) =
        documented.iter().partition(|d| d.ends_with(".*"));
    let covered = |e: &str| {
        exact.iter().any(|d| *d == e) || maps.iter().any(|m| e.starts_with(m.trim_end_matches('*')))
    };
    let undocumented: Vec<&String> = emitted.iter().filter(|e| !covered(e)).collect();
    assert!(
        undocumented.is_empty(),
        "report fields missing from docs/contracts.md section 2: {undocumented:?}"
    );
    let absent: Vec<&&String> = exact.iter().filter(|d| !emitted.contains(**d)).collect();
    assert!(
        absent.is_empty(),
        "docs/contracts.md names report fields the binary does not emit: {absent:?}"
    );
    for m in &maps {
        let prefix = m.trim_end_matches('*');
        assert!(
            emitted.iter().any(|e| e.starts_with(prefix)),
            "{m} is empty"
        );
    }

    // Section 3: the trace.
    let table: BTreeMap<&str, (BTreeSet<&str>, bool)> = rows(section(&doc, 3))
        .iter()
        .map(|r| {
            let fields = ticked(r[1])
                .into_iter()
                .filter(|f| f.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
                .collect();
            (ticked(r[0])[0], (fields, r[2].starts_with("*ext*")))
        })
        .collect();
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines = text.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    assert_eq!(header["format"], "xrcsim-trace");
    assert!(section(&doc, 3).contains(r#"{"ev":"header","format":"xrcsim-trace","version":1,"#));
    let mut seen = BTreeSet::new();
    for l in lines {
        let e: serde_json::Value = serde_json::from_str(l).unwrap();
        let ev = e["ev"].as_str().unwrap().to_string();
        let Some((fields, _)) = table.get(ev.as_str()) else {
            panic!("trace event `{ev}` is not in docs/contracts.md section 3");
        };
        for k in e.as_object().unwrap().keys() {
            assert!(
                k == "t" || k == "ev" || fields.contains(k.as_str()),
                "trace event `{ev}` has field `{k}`, not in docs/contracts.md section 3"
            );
        }
        seen.insert(ev);
    }
    for (ev, (_, ext)) in &table {
        assert!(
            *ext || seen.contains(*ev),
            "contract event `{ev}` was not emitted by a run with a disaster"
        );
    }

    // Section 4: the image.
    let image = std::fs::read_to_string(&image).unwrap();
    let head = image.lines().next().unwrap();
    assert!(
        section(&doc, 4).contains(&format!("Header `{head}`")),
        "image header `{head}` is not the documented one"
    );

    // Section 8: the RPO samples.
    let rpo = csv_as_documented(&doc, 8, &rpo);
    assert!(rpo.lines().count() > 10, "samples were written");
    // Section 10: the held data.
    csv_as_documented(&doc, 10, &held);
}

/// The CSV file at `path` has the header section `n` documents, and every column of the
/// header is in the section's table, in order, and back; its text.
fn csv_as_documented(doc: &str, n: u32, path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let head = text.lines().next().unwrap();
    assert!(
        section(doc, n).contains(&format!("Header `{head}`")),
        "section {n}: header `{head}` is not the documented one"
    );
    let columns: Vec<&str> = rows(section(doc, n))
        .iter()
        .map(|r| ticked(r[0])[0])
        .collect();
    assert_eq!(columns, head.split(',').collect::<Vec<_>>());
    text
}

/// Section 5: a duration parameter keeps its column as written and gains a numeric
/// `<parameter>_ns` column of integer nanoseconds right after `seed` (documented in the
/// section's table); a non-duration value leaves the numeric cell empty; `sweep merge -`
/// writes the same table to standard output.
#[test]
fn sweep_tables_carry_durations_as_numbers_and_merge_to_stdout() {
    let doc = contracts();
    let sec = section(&doc, 5);
    assert!(sec.contains("| `<parameter>_ns` (`copy.batch_timer_ns`) |"));
    assert!(sec.contains("`xrcsim sweep merge -`"));

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("contracts-sweep");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/baseline.toml");
    let sweep = dir.join("s.toml");
    std::fs::write(
        &sweep,
        format!(
            "base = {:?}\nseeds = 1\n[grid]\n\"copy.batch_timer\" = [\"500us\", \"10ms\"]\n\
             \"disaster.at\" = [\"none\", \"1s\"]\n[set]\n\"run.length\" = \"2s\"\n\
             \"workload.write_rate\" = 100\n",
            base.display().to_string()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .args(["sweep", sweep.to_str().unwrap(), "--quiet", "--out"])
        .arg(dir.join("out"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(dir.join("out/results.csv")).unwrap();
    let mut lines = csv.lines().map(|l| l.split(',').collect::<Vec<_>>());
    let head = lines.next().unwrap();
    assert_eq!(
        head[..8],
        [
            "row",
            "copy.batch_timer",
            "disaster.at",
            "run.length",
            "workload.write_rate",
            "seed",
            "copy.batch_timer_ns",
            "disaster.at_ns",
        ]
    );
    assert_eq!(head[8], "run.length_ns", "{head:?}");
    assert!(
        !head.contains(&"workload.write_rate_ns"),
        "a number is no duration"
    );
    let rows: Vec<Vec<&str>> = lines.collect();
    assert_eq!(rows.len(), 4);
    // Row 0: 500us, none; row 3: 10ms, 1s.
    assert_eq!(
        rows[0][1..9],
        [
            "500us",
            "none",
            "2s",
            "100",
            "1",
            "500000",
            "",
            "2000000000"
        ]
    );
    assert_eq!(
        rows[3][1..9],
        [
            "10ms",
            "1s",
            "2s",
            "100",
            "1",
            "10000000",
            "1000000000",
            "2000000000"
        ]
    );

    let merged = Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .args(["sweep", "merge", "-"])
        .arg(dir.join("out/results.csv"))
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(String::from_utf8(merged.stdout).unwrap(), csv);
    assert!(!PathBuf::from("-").exists(), "no file named -");
    assert!(
        String::from_utf8_lossy(&merged.stderr).contains("written to standard output"),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
}
