//! Memory of this process as Linux reports it in `/proc/self/status`.

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`, ...), in KiB; `None` where the
/// file or the field does not exist (not Linux).
pub fn status_kib(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_status_kib(&s, field)
}

/// The `kB` value of `field` in the text of a `/proc/<pid>/status` file.
pub fn parse_status_kib(status: &str, field: &str) -> Option<u64> {
    status.lines().find_map(|l| {
        let rest = l.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// Peak resident set size of this process so far (`VmHWM`), KiB.
pub fn peak_rss_kib() -> Option<u64> {
    status_kib("VmHWM")
}

/// Resident set size now (`VmRSS`), KiB.
pub fn rss_kib() -> Option<u64> {
    status_kib("VmRSS")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kib_fields() {
        let s = "Name:\tperf\nVmPeak:\t  20000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t     999 kB\n";
        assert_eq!(parse_status_kib(s, "VmHWM"), Some(1234));
        assert_eq!(parse_status_kib(s, "VmRSS"), Some(999));
        assert_eq!(parse_status_kib(s, "VmSwap"), None);
        // A field whose name is a prefix of another is not confused with it.
        assert_eq!(parse_status_kib("VmHWMx:\t5 kB\n", "VmHWM"), None);
    }

    #[test]
    fn reads_this_process_on_linux() {
        if cfg!(target_os = "linux") {
            let rss = rss_kib().expect("VmRSS on Linux");
            let hwm = peak_rss_kib().expect("VmHWM on Linux");
            // The peak so far is at least what was resident a moment ago.
            assert!(rss > 0 && hwm >= rss, "VmRSS {rss} VmHWM {hwm}");
        }
    }
}
