//! The researcher's workflow end to end through the binary: the plan figure shows the
//! target it searched for.

use std::path::PathBuf;
use std::process::Command;

/// `xrcsim plan --out DIR` draws the RPO statistic against the bandwidth with the target
/// as a dashed horizontal line named in the legend.
#[test]
fn the_plan_figure_draws_its_target() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("workflow-plan");
    let _ = std::fs::remove_dir_all(&dir);
    let o = Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "plan",
            "scenarios/fig5.toml",
            "--until",
            "2s",
            "--rpo-p99",
            "400ms",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = std::fs::read_to_string(dir.join("plan.svg")).unwrap();
    assert!(
        svg.contains("target: p99 RPO &lt;= 400ms"),
        "the legend names the target"
    );
    // The dashed line: a polyline with a dash array in black.
    assert!(
        svg.matches("<polyline").count() >= 2,
        "a data line and the target line"
    );
    assert!(std::fs::metadata(dir.join("plan.png")).unwrap().len() > 1000);
}
