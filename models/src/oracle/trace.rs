//! The JSONL trace of CONTRACTS.md section 3, formatted into an in-memory buffer that the
//! runner drains to its file (model code does no I/O).

use crate::content::RecSpan;
use crate::types::{Cchhr, Digest, SiteMask};
use sim::SimTime;
use std::io::Write;

/// Trace lines not yet taken by the runner.
#[derive(Clone, Debug, Default)]
pub struct TraceWriter {
    buf: Vec<u8>,
    lines: u64,
}

/// Writes `s` as a JSON string literal.
fn json_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
}

impl TraceWriter {
    /// Takes the buffered lines (the runner appends them to the trace file).
    pub fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buf)
    }
    /// Bytes buffered.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
    /// Lines written so far (including the header).
    pub fn lines(&self) -> u64 {
        self.lines
    }

    fn start(&mut self, t: SimTime, ev: &str) {
        let _ = write!(self.buf, "{{\"t\":{},\"ev\":\"{}\"", t.as_nanos(), ev);
    }
    fn end(&mut self) {
        self.buf.extend_from_slice(b"}\n");
        self.lines += 1;
    }
    fn digests(&mut self, span: RecSpan, mut f: impl FnMut(usize, Cchhr) -> Digest) {
        self.buf.extend_from_slice(b",\"digests\":[");
        for (i, a) in span.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            let _ = write!(self.buf, "\"{}\"", f(i, a));
        }
        self.buf.push(b']');
    }

    /// The first line.
    pub fn header(&mut self, scenario: &str, seed: u64, mode: &str) {
        self.buf.extend_from_slice(
            b"{\"ev\":\"header\",\"format\":\"xrcsim-trace\",\"version\":1,\"scenario\":",
        );
        json_str(&mut self.buf, scenario);
        let _ = write!(self.buf, ",\"seed\":{seed},\"mode\":");
        json_str(&mut self.buf, mode);
        self.end();
    }

    /// A write got its sequence number. Extensions: `dep` (the sequence number of the write
    /// its application waited for) and `digests` (the content written, as in `write_done`).
    #[allow(clippy::too_many_arguments)]
    pub fn seq(
        &mut self,
        t: SimTime,
        seq: u64,
        volser: &str,
        span: RecSpan,
        bytes: u64,
        sites: SiteMask,
        names: &[String],
        dep: Option<u64>,
        digest: impl Fn(Cchhr) -> Digest,
    ) {
        self.start(t, "seq");
        let _ = write!(self.buf, ",\"seq\":{seq},\"vol\":");
        json_str(&mut self.buf, volser);
        self.buf.extend_from_slice(b",\"recs\":[");
        for (i, a) in span.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            let _ = write!(self.buf, "[{},{},{}]", a.cyl, a.head, a.rec);
        }
        let _ = write!(self.buf, "],\"bytes\":{bytes},\"sites\":[");
        for (i, s) in sites.iter().enumerate() {
            if i > 0 {
                self.buf.push(b',');
            }
            json_str(&mut self.buf, &names[s.0 as usize]);
        }
        self.buf.push(b']');
        if let Some(d) = dep {
            let _ = write!(self.buf, ",\"dep\":{d}");
        }
        self.digests(span, |_, a| digest(a));
        self.end();
    }

    /// The write completed to its host.
    pub fn write_done(
        &mut self,
        t: SimTime,
        seq: u64,
        span: RecSpan,
        digest: impl Fn(Cchhr) -> Digest,
    ) {
        self.start(t, "write_done");
        let _ = write!(self.buf, ",\"seq\":{seq}");
        self.digests(span, |_, a| digest(a));
        self.end();
    }

    /// A token reached a secondary.
    pub fn token_rx(&mut self, t: SimTime, site: &str, seq: u64) {
        self.start(t, "token_rx");
        self.buf.extend_from_slice(b",\"site\":");
        json_str(&mut self.buf, site);
        let _ = write!(self.buf, ",\"seq\":{seq}");
        self.end();
    }

    /// Update data reached a secondary.
    pub fn data_rx(
        &mut self,
        t: SimTime,
        site: &str,
        seq: u64,
        span: RecSpan,
        digest: impl FnMut(usize, Cchhr) -> Digest,
    ) {
        self.start(t, "data_rx");
        self.buf.extend_from_slice(b",\"site\":");
        json_str(&mut self.buf, site);
        let _ = write!(self.buf, ",\"seq\":{seq}");
        self.digests(span, digest);
        self.end();
    }

    /// An update was applied at a secondary.
    pub fn apply(&mut self, t: SimTime, site: &str, seq: u64) {
        self.start(t, "apply");
        self.buf.extend_from_slice(b",\"site\":");
        json_str(&mut self.buf, site);
        let _ = write!(self.buf, ",\"seq\":{seq}");
        self.end();
    }

    /// The primary site was lost.
    pub fn disaster(&mut self, t: SimTime, scope: &str) {
        self.start(t, "disaster");
        self.buf.extend_from_slice(b",\"scope\":");
        json_str(&mut self.buf, scope);
        self.end();
    }

    /// Recovery at a site finished.
    pub fn recovered(&mut self, t: SimTime, site: &str, a: u64, b: u64) {
        self.start(t, "recovered");
        self.buf.extend_from_slice(b",\"site\":");
        json_str(&mut self.buf, site);
        let _ = write!(
            self.buf,
            ",\"consistency_seq\":{a},\"highest_token_seq\":{b}"
        );
        self.end();
    }

    /// Any other event (extensions readers ignore): `fields` is a pre-formatted JSON
    /// fragment starting with a comma, e.g. `,"site":"S1","reason":"timeout"`.
    pub fn other(&mut self, t: SimTime, ev: &str, fields: &str) {
        self.start(t, ev);
        self.buf.extend_from_slice(fields.as_bytes());
        self.end();
    }
}
