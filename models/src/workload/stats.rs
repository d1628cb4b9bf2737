//! [`TraceStats`]: a one-pass summary of a block trace for reports (counts, rates, bytes,
//! peak one-second write bandwidth, span of the written addresses).

use super::OpKind;
use super::blockmap::BLOCK_BYTES;
use super::spc::SpcRecord;
use serde::{Deserialize, Serialize};
use sim::SimTime;

const NS_PER_S: u64 = 1_000_000_000;

/// Running summary of a trace; feed it every I/O with [`TraceStats::add`], in time order.
/// Memory is constant. One-second buckets are whole seconds of trace time (`[k s, k+1 s)`);
/// an I/O earlier than the current bucket is counted in the current bucket.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TraceStats {
    /// I/Os.
    pub count: u64,
    /// Read I/Os.
    pub reads: u64,
    /// Write I/Os.
    pub writes: u64,
    /// Bytes read.
    pub read_bytes: u64,
    /// Bytes written.
    pub write_bytes: u64,
    /// Time of the first I/O.
    pub first_at: Option<SimTime>,
    /// Time of the last I/O.
    pub last_at: Option<SimTime>,
    /// Most bytes written in one one-second bucket.
    pub peak_write_bytes_1s: u64,
    /// Start of that bucket.
    pub peak_write_second: Option<SimTime>,
    /// Lowest byte offset written (over all ASUs).
    pub write_low: Option<u64>,
    /// One past the highest byte offset written (over all ASUs).
    pub write_high: Option<u64>,
    /// Current bucket (whole seconds) and bytes written in it.
    #[serde(skip)]
    bucket: Option<(u64, u64)>,
}

impl TraceStats {
    /// An empty summary.
    pub fn new() -> TraceStats {
        TraceStats::default()
    }

    /// Adds one I/O.
    pub fn add(&mut self, r: &SpcRecord) {
        self.count += 1;
        self.first_at.get_or_insert(r.at);
        self.last_at = Some(self.last_at.map_or(r.at, |l| l.max(r.at)));
        match r.kind {
            OpKind::Read => {
                self.reads += 1;
                self.read_bytes += r.bytes as u64;
            }
            OpKind::Write => {
                self.writes += 1;
                self.write_bytes += r.bytes as u64;
                let lo = r.lba.saturating_mul(BLOCK_BYTES);
                let hi = lo.saturating_add(r.bytes as u64);
                self.write_low = Some(self.write_low.map_or(lo, |x| x.min(lo)));
                self.write_high = Some(self.write_high.map_or(hi, |x| x.max(hi)));
                let sec = r.at.as_nanos() / NS_PER_S;
                let (b, bytes) = match self.bucket {
                    Some((b, bytes)) if sec <= b => (b, bytes + r.bytes as u64),
                    _ => (sec, r.bytes as u64),
                };
                self.bucket = Some((b, bytes));
                if bytes > self.peak_write_bytes_1s {
                    self.peak_write_bytes_1s = bytes;
                    self.peak_write_second = Some(SimTime::from_nanos(b * NS_PER_S));
                }
            }
        }
    }

    /// Span from the first to the last I/O, seconds (0 for fewer than two I/Os).
    pub fn duration_secs(&self) -> f64 {
        match (self.first_at, self.last_at) {
            (Some(f), Some(l)) => l.saturating_since(f).as_secs_f64(),
            _ => 0.0,
        }
    }

    fn per_second(&self, x: u64) -> f64 {
        let d = self.duration_secs();
        if d > 0.0 { x as f64 / d } else { 0.0 }
    }

    /// Mean I/Os per second over the trace's duration.
    pub fn mean_iops(&self) -> f64 {
        self.per_second(self.count)
    }

    /// Mean write I/Os per second.
    pub fn mean_write_iops(&self) -> f64 {
        self.per_second(self.writes)
    }

    /// Mean write bandwidth, bytes per second.
    pub fn mean_write_bandwidth(&self) -> f64 {
        self.per_second(self.write_bytes)
    }

    /// Fraction of I/Os that are writes.
    pub fn write_fraction(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.writes as f64 / self.count as f64
        }
    }

    /// Peak one-second write bandwidth over the mean write bandwidth (burstiness).
    pub fn peak_to_mean_write(&self) -> f64 {
        let m = self.mean_write_bandwidth();
        if m > 0.0 {
            self.peak_write_bytes_1s as f64 / m
        } else {
            0.0
        }
    }

    /// Bytes between the lowest and highest written offsets.
    pub fn write_span_bytes(&self) -> u64 {
        match (self.write_low, self.write_high) {
            (Some(l), Some(h)) => h - l,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::spc::{Leniency, SpcReader};
    use std::io::Cursor;

    #[test]
    fn summarises_a_tiny_trace() {
        let text = "\
0,100,4096,W,0.000000
0,0,8192,R,0.400000
1,8,1024,W,0.900000
0,200,2048,W,1.100000
0,50,512,W,1.999999
0,1,4096,R,3.000000
0,10,512,W,4.000000
";
        let mut s = TraceStats::new();
        for r in SpcReader::new(Cursor::new(text), Leniency::Strict) {
            s.add(&r.unwrap());
        }
        assert_eq!((s.count, s.reads, s.writes), (7, 2, 5));
        assert_eq!((s.read_bytes, s.write_bytes), (12_288, 8_192));
        assert_eq!(s.duration_secs(), 4.0);
        assert!((s.mean_iops() - 1.75).abs() < 1e-12);
        assert!((s.mean_write_iops() - 1.25).abs() < 1e-12);
        assert!((s.write_fraction() - 5.0 / 7.0).abs() < 1e-12);
        // Second 0 writes 4096 + 1024; second 1 writes 2048 + 512; second 4 writes 512.
        assert_eq!(s.peak_write_bytes_1s, 5_120);
        assert_eq!(s.peak_write_second, Some(SimTime::ZERO));
        assert!((s.mean_write_bandwidth() - 2_048.0).abs() < 1e-9);
        assert!((s.peak_to_mean_write() - 2.5).abs() < 1e-12);
        // Lowest write at block 8 (ASU 1), highest ends at block 200 + 4.
        assert_eq!(s.write_span_bytes(), 204 * 512 - 8 * 512);
        let empty = TraceStats::new();
        assert_eq!(
            (
                empty.mean_iops(),
                empty.peak_to_mean_write(),
                empty.write_span_bytes()
            ),
            (0.0, 0.0, 0)
        );
    }

    /// Summarises the CloudPhysics sample trace (not in the repository); run with
    /// `cargo test -p models --release -- --ignored cloudphysics --nocapture`.
    #[test]
    #[ignore = "reads /work/shared/data/cloudphysics-vm.spc"]
    fn cloudphysics_summary() {
        let path = "/work/shared/data/cloudphysics-vm.spc";
        let Ok(f) = std::fs::File::open(path) else {
            eprintln!("{path} not present: skipped");
            return;
        };
        let mut r = SpcReader::new(std::io::BufReader::new(f), Leniency::Strict);
        let mut s = TraceStats::new();
        for rec in r.by_ref() {
            s.add(&rec.unwrap());
        }
        eprintln!(
            "count {} reads {} writes {} ({:.2}% writes) duration {:.3} s\n\
             mean IOPS {:.3} mean write IOPS {:.3} write bytes {} mean write bandwidth {:.0} B/s\n\
             peak 1 s write bytes {} at {} ({:.1}x mean) write span {:.2} GiB",
            s.count,
            s.reads,
            s.writes,
            100.0 * s.write_fraction(),
            s.duration_secs(),
            s.mean_iops(),
            s.mean_write_iops(),
            s.write_bytes,
            s.mean_write_bandwidth(),
            s.peak_write_bytes_1s,
            s.peak_write_second.unwrap(),
            s.peak_to_mean_write(),
            s.write_span_bytes() as f64 / (1u64 << 30) as f64,
        );
        assert_eq!(s.count, 113_872);
        assert_eq!(r.skipped(), 0);
    }
}
