//! What the command-line tests share: running the binary as a user does, its output as
//! text, and fresh directories.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `xrcsim` with `args` from the repository root, without colour.
pub fn xrcsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xrcsim"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("xrcsim runs")
}

/// Standard error as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A fresh, empty directory `name` of test group `group`.
pub fn fresh_dir(group: &str, name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(group)
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A path as a string argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
