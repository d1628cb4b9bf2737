//! The event log: the last few thousand lines of the run's JSONL trace (CONTRACTS.md
//! section 3), with a filter by event type and by substring. Memory is bounded: a ring of
//! the newest lines, and a second ring of the newest lines that pass the filter (so a rare
//! event type stays visible while frequent ones scroll by).

use std::collections::VecDeque;

/// Lines kept in each ring.
pub const LOG_LINES: usize = 4096;

/// The event types a user can filter on (`f` cycles through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Every event.
    All,
    /// A write got its sequence number (its token).
    Seq,
    /// A primary write completed to its host.
    WriteDone,
    /// A token reached a secondary (M1).
    TokenRx,
    /// Update data reached a secondary (M2).
    DataRx,
    /// An update was written at a secondary.
    Apply,
    /// Anything else: disaster, recovered, link cuts, suspensions, faults.
    Other,
}

impl Kind {
    /// The cycle order of `f`.
    pub const ALL: [Kind; 7] = [
        Kind::All,
        Kind::Seq,
        Kind::WriteDone,
        Kind::TokenRx,
        Kind::DataRx,
        Kind::Apply,
        Kind::Other,
    ];

    /// The trace's `ev` name (`None` for All and Other).
    pub fn ev(self) -> Option<&'static str> {
        match self {
            Kind::Seq => Some("seq"),
            Kind::WriteDone => Some("write_done"),
            Kind::TokenRx => Some("token_rx"),
            Kind::DataRx => Some("data_rx"),
            Kind::Apply => Some("apply"),
            Kind::All | Kind::Other => None,
        }
    }

    /// How the log title names it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::All => "all",
            Kind::Other => "faults+recovery",
            k => k.ev().unwrap_or("?"),
        }
    }

    /// The next filter.
    pub fn next(self) -> Kind {
        let i = Kind::ALL.iter().position(|k| *k == self).unwrap_or(0);
        Kind::ALL[(i + 1) % Kind::ALL.len()]
    }

    /// Whether an event named `ev` passes.
    pub fn admits(self, ev: &[u8]) -> bool {
        match self {
            Kind::All => true,
            Kind::Other => !Kind::ALL[1..6]
                .iter()
                .any(|k| k.ev().is_some_and(|n| n.as_bytes() == ev)),
            k => k.ev().is_some_and(|n| n.as_bytes() == ev),
        }
    }
}

/// The `ev` name of a trace line (`{"t":123,"ev":"seq",...}`).
pub fn ev_of(line: &[u8]) -> &[u8] {
    field_str(line, b"\"ev\":\"").unwrap_or(b"")
}

/// The string value after `key` (which includes the opening quote) up to the closing quote.
pub fn field_str<'a>(line: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = find(line, key)? + key.len();
    let rest = &line[at..];
    let end = rest.iter().position(|&b| b == b'"')?;
    Some(&rest[..end])
}

/// The unsigned integer after `key` (e.g. `"t":`).
pub fn field_u64(line: &[u8], key: &[u8]) -> Option<u64> {
    let at = find(line, key)? + key.len();
    let mut v: u64 = 0;
    let mut any = false;
    for &b in &line[at..] {
        if b.is_ascii_digit() {
            v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
            any = true;
        } else {
            break;
        }
    }
    any.then_some(v)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let n = needle.to_ascii_lowercase();
    hay.to_ascii_lowercase().contains(&n)
}

/// The filter: an event type and a substring (case-insensitive; empty: any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// Event type.
    pub kind: Kind,
    /// Substring of the line.
    pub text: String,
}

impl Filter {
    /// Whether the filter lets everything through.
    pub fn is_open(&self) -> bool {
        self.kind == Kind::All && self.text.is_empty()
    }
    /// Whether `line` passes.
    pub fn admits(&self, line: &str) -> bool {
        self.kind.admits(ev_of(line.as_bytes())) && contains_ci(line, &self.text)
    }
}

/// The log. See the module documentation.
#[derive(Clone, Debug)]
pub struct EventLog {
    all: VecDeque<String>,
    matched: VecDeque<String>,
    filter: Filter,
    /// Lines seen since the start (including dropped ones).
    pub seen: u64,
    cap: usize,
}

impl Default for EventLog {
    fn default() -> Self {
        EventLog::new(LOG_LINES)
    }
}

impl EventLog {
    /// An empty log keeping `cap` lines per ring.
    pub fn new(cap: usize) -> Self {
        EventLog {
            all: VecDeque::new(),
            matched: VecDeque::new(),
            filter: Filter {
                kind: Kind::All,
                text: String::new(),
            },
            seen: 0,
            cap: cap.max(1),
        }
    }

    /// Adds a batch of trace lines (newline-separated). Only the newest `cap` lines of the
    /// batch (and the newest `cap` that pass the filter) are copied: a fast run may produce
    /// far more than a screen can show.
    pub fn push_batch(&mut self, batch: &[u8]) {
        let lines: Vec<&[u8]> = batch
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        self.seen += lines.len() as u64;
        let skip = lines.len().saturating_sub(self.cap);
        for l in &lines[skip..] {
            let s = String::from_utf8_lossy(l).into_owned();
            push_ring(&mut self.all, s, self.cap);
        }
        if !self.filter.is_open() {
            let mut found: Vec<String> = Vec::new();
            for l in lines.iter().rev() {
                if found.len() >= self.cap {
                    break;
                }
                let s = String::from_utf8_lossy(l);
                if self.filter.admits(&s) {
                    found.push(s.into_owned());
                }
            }
            for s in found.into_iter().rev() {
                push_ring(&mut self.matched, s, self.cap);
            }
        }
    }

    /// Adds one line of the front end's own (a branch, a mode change), as a trace-shaped
    /// `ui` event so filters treat it like the others.
    pub fn note(&mut self, t_ns: u64, text: &str) {
        let esc: String = text
            .chars()
            .map(|c| if c == '"' || c == '\\' { '\'' } else { c })
            .collect();
        let line = format!("{{\"t\":{t_ns},\"ev\":\"ui\",\"note\":\"{esc}\"}}");
        self.seen += 1;
        if !self.filter.is_open() && self.filter.admits(&line) {
            push_ring(&mut self.matched, line.clone(), self.cap);
        }
        push_ring(&mut self.all, line, self.cap);
    }

    /// The current filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Replaces the filter and refills the filtered ring from the kept lines.
    pub fn set_filter(&mut self, f: Filter) {
        self.filter = f;
        self.matched.clear();
        if !self.filter.is_open() {
            for l in &self.all {
                if self.filter.admits(l) {
                    self.matched.push_back(l.clone());
                }
            }
        }
    }

    /// The lines that pass the filter, oldest first.
    pub fn lines(&self) -> &VecDeque<String> {
        if self.filter.is_open() {
            &self.all
        } else {
            &self.matched
        }
    }
}

fn push_ring(r: &mut VecDeque<String>, s: String, cap: usize) {
    if r.len() >= cap {
        r.pop_front();
    }
    r.push_back(s);
}

/// A trace line as the log shows it: `  12.345678 s  token_rx   site S1  seq 42`.
pub fn pretty(line: &str) -> (String, String, String) {
    let b = line.as_bytes();
    let t = field_u64(b, b"\"t\":");
    let ev = String::from_utf8_lossy(ev_of(b)).into_owned();
    let time = match t {
        Some(ns) => format!("{}.{:06}", ns / 1_000_000_000, (ns % 1_000_000_000) / 1000),
        None => String::new(),
    };
    // The fields after `ev`, without JSON punctuation.
    let rest = match line.find("\"ev\":\"") {
        Some(i) => {
            let after = &line[i + 6..];
            match after.find('"') {
                Some(j) => &after[j + 1..],
                None => "",
            }
        }
        None => line,
    };
    let rest = rest.trim_start_matches(',').trim_end_matches('}');
    let mut out = String::with_capacity(rest.len());
    let mut in_str = false;
    let mut depth = 0u32;
    for c in rest.chars() {
        match c {
            '"' => in_str = !in_str,
            '[' if !in_str => {
                depth += 1;
                out.push(c);
            }
            ']' if !in_str => {
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            ':' if !in_str && depth == 0 => out.push(' '),
            ',' if !in_str && depth == 0 => out.push_str("  "),
            c => out.push(c),
        }
    }
    (time, ev, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BATCH: &str = concat!(
        "{\"t\":1000,\"ev\":\"seq\",\"seq\":1,\"vol\":\"PRI000\",\"recs\":[[1,0,1]],\"bytes\":4096,\"sites\":[\"S1\"],\"digests\":[\"00000000000000aa\"]}\n",
        "{\"t\":2000,\"ev\":\"token_rx\",\"site\":\"S1\",\"seq\":1}\n",
        "{\"t\":3000,\"ev\":\"apply\",\"site\":\"S1\",\"seq\":1}\n",
        "{\"t\":4000,\"ev\":\"disaster\",\"scope\":\"site\"}\n",
    );

    #[test]
    fn fields_are_found() {
        let l = BATCH.lines().next().unwrap().as_bytes();
        assert_eq!(ev_of(l), b"seq");
        assert_eq!(field_u64(l, b"\"t\":"), Some(1000));
        assert_eq!(field_str(l, b"\"vol\":\""), Some(&b"PRI000"[..]));
        assert_eq!(field_u64(l, b"\"nope\":"), None);
    }

    #[test]
    fn ring_is_bounded_and_keeps_the_newest() {
        let mut log = EventLog::new(3);
        log.push_batch(BATCH.as_bytes());
        assert_eq!(log.seen, 4);
        assert_eq!(log.lines().len(), 3);
        assert!(log.lines().back().unwrap().contains("disaster"));
        assert!(log.lines().front().unwrap().contains("token_rx"));
        for _ in 0..10 {
            log.push_batch(BATCH.as_bytes());
        }
        assert_eq!(log.lines().len(), 3);
        assert_eq!(log.seen, 44);
    }

    #[test]
    fn filters_by_kind_and_text_and_refill() {
        let mut log = EventLog::new(100);
        log.push_batch(BATCH.as_bytes());
        log.set_filter(Filter {
            kind: Kind::Apply,
            text: String::new(),
        });
        assert_eq!(log.lines().len(), 1);
        log.push_batch(BATCH.as_bytes());
        assert_eq!(log.lines().len(), 2);
        log.set_filter(Filter {
            kind: Kind::Other,
            text: String::new(),
        });
        assert_eq!(log.lines().len(), 2);
        assert!(log.lines().iter().all(|l| l.contains("disaster")));
        log.set_filter(Filter {
            kind: Kind::All,
            text: "pri000".into(),
        });
        assert_eq!(log.lines().len(), 2);
        log.note(5000, "branched \"back\"");
        assert_eq!(log.lines().len(), 2);
        log.set_filter(Filter {
            kind: Kind::Other,
            text: "branched".into(),
        });
        assert_eq!(log.lines().len(), 1);
    }

    #[test]
    fn the_filtered_ring_outlives_frequent_lines() {
        let mut log = EventLog::new(2);
        log.set_filter(Filter {
            kind: Kind::Other,
            text: String::new(),
        });
        log.push_batch(BATCH.as_bytes());
        for _ in 0..5 {
            log.push_batch(
                BATCH
                    .lines()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("\n")
                    .as_bytes(),
            );
        }
        assert_eq!(log.lines().len(), 1, "the disaster is still shown");
    }

    #[test]
    fn pretty_strips_json() {
        let (t, ev, rest) = pretty(BATCH.lines().nth(1).unwrap());
        assert_eq!(t, "0.000002");
        assert_eq!(ev, "token_rx");
        assert_eq!(rest, "site S1  seq 1");
        let (_, _, rest) = pretty(BATCH.lines().next().unwrap());
        assert!(
            rest.starts_with("seq 1  vol PRI000  recs [[1,0,1]]"),
            "{rest}"
        );
    }

    #[test]
    fn kinds_cycle_and_admit() {
        assert_eq!(Kind::Other.next(), Kind::All);
        assert!(Kind::Other.admits(b"recovered"));
        assert!(!Kind::Other.admits(b"seq"));
        assert!(Kind::Seq.admits(b"seq"));
        assert!(!Kind::Seq.admits(b"apply"));
    }
}
