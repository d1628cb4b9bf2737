//! The oracle: the consistency checker, the simulator's knowledge of the truth. It lives
//! beside the world, never inside it: a driver feeds it the world's typed observations
//! ([`crate::obs::Obs`], the same records the JSONL trace is written from) and nothing else,
//! so that the report it computes and the image it checks agree to the unit with what an
//! outside checker recomputes from the trace. The world never reads it.
//!
//! Per secondary site it keeps, in memory bounded by what is in flight plus a stated history
//! window: the routed writes above the consistency point A (to move A, count lost writes and
//! sample the data-loss window), the primary image restricted to the site's routed writes, the
//! secondary image built from `apply` events, and an undo log of the primary image for the
//! prefix-consistency search after recovery. The two images are its own (it never reads the
//! model's volumes): the primary image as the write id each written record's content comes
//! from (a [`WriterMap`] per volume, about 10-20 bytes per record; the content is
//! [`digest_of`] of that write), and the secondary image as the records where it is not the
//! primary image (not yet applied, or applied with other content): bounded by what is in
//! flight, and compared record by record.

pub use crate::copy::ExtentName;

use crate::content::{RecSpan, WriteId, WriterMap, digest_of, record_key, record_of_key};
use crate::obs::{Obs, ObsBuf};
use crate::stats::{Percentiles, Summary};
use crate::types::{Digest, SiteId, SiteMask, VolumeId};
use serde::{Deserialize, Serialize};
use sim::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::hash::BuildHasherDefault;

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<sim::StableHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<sim::StableHasher>>;

/// What the oracle must know of the world to name things.
#[derive(Clone, Debug, Default)]
pub struct OracleConfig {
    /// Site names, by [`SiteId`].
    pub sites: Vec<String>,
    /// VOLSERs, by [`VolumeId`].
    pub volsers: Vec<String>,
    /// Data-set extents (any order).
    pub datasets: Vec<ExtentName>,
    /// How many sequence numbers below the consistency point the prefix-consistency search
    /// may look (the undo history kept per site).
    pub history_window: u64,
}

/// Which content an update carries for each of its records: its own (the data its write
/// put there) or, per record, the content of another write (the base design reading newer
/// data; a point-in-time copy shipping the latest version).
#[derive(Clone, Copy, Debug)]
pub enum Shipped<'a> {
    /// The write's own content for every record.
    Own,
    /// For each record of the span, the write whose content was shipped.
    Writers(&'a [WriteId]),
}

/// One write as the oracle remembers it while it matters.
#[derive(Clone, Debug)]
struct WriteTruth {
    t_seq: SimTime,
    vol: VolumeId,
    span: RecSpan,
    bytes: u64,
    writer: WriteId,
    /// The write its application waited for (0: none).
    dep: u64,
    /// Its host saw it complete (channel end and device end).
    acknowledged: bool,
}

/// What one site knows of one sequence number (a dense window from the oldest that
/// still matters).
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    routed: bool,
    token: bool,
    data: bool,
    /// Data arrived, waiting for its re-update group.
    held: bool,
    applied: bool,
}

impl Slot {
    /// Routed here and not yet complete (token and data).
    #[inline]
    fn incomplete(self) -> bool {
        self.routed && !(self.token && self.data)
    }
    /// Routed here and not yet applied.
    #[inline]
    fn unapplied(self) -> bool {
        self.routed && !self.applied
    }
}

/// The recovery verdict of one site (the per-site part of the JSON report).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteReport {
    /// Site name.
    pub site: String,
    /// Writes routed to the site.
    pub writes_routed: u64,
    /// Writes applied at the site.
    pub writes_applied: u64,
    /// Point A: the newest write routed to the site such that every write routed to it up
    /// to there is complete (token and data) at the site; 0 when none is.
    pub consistency_seq: u64,
    /// Point B.
    pub highest_token_seq: u64,
    /// Entries above A with token and data.
    pub pending_complete: u64,
    /// Entries above A with token but no data.
    pub pending_incomplete: u64,
    /// Routed writes whose token never arrived.
    pub never_received: u64,
    /// Extension: entries above A whose data arrived but that wait for the rest of their
    /// re-update group (`xrc` with the accommodation); not counted in `pending_incomplete`.
    pub pending_held_for_group: u64,
    /// Extension: entries above A already written at the secondary out of sequence order
    /// (`naive`, resynchronisation); not counted in `pending_complete`.
    pub pending_applied: u64,
    /// Extension: lost writes whose host had seen them complete (channel end and device
    /// end): data the application was told is written and that the recovered image lacks.
    pub acknowledged_writes_lost: u64,
    /// Extension: data sets holding lost writes whose tokens never reached the site: lost
    /// without the recovery site being able to know it, sorted.
    pub never_received_datasets: Vec<String>,
    /// Routed writes above A.
    pub lost_writes: u64,
    /// Their bytes.
    pub lost_bytes: u64,
    /// Data sets holding lost writes, sorted.
    pub lost_datasets: Vec<String>,
    /// Reference instant minus the sequencing time of write A+1 (0 when nothing lost).
    pub data_loss_window_ns: u64,
    /// The same lag, sampled over the run.
    pub rpo_ns: Percentiles,
    /// Extension: per write, the time from its sequence number to its token and data
    /// being at the site (the replication delay).
    pub replication_delay_ns: Percentiles,
    /// The recovered image equals the primary image after writes 1..k for some k.
    pub prefix_consistent: bool,
    /// The largest such k.
    pub consistent_seq: Option<u64>,
    /// Records differing from the primary image at A.
    pub mismatched_records: u64,
    /// Applied writes whose dependent-chain predecessor (routed here) is absent.
    pub dependent_write_violations: u64,
    /// The prefix search could not look below this sequence number (history window).
    pub prefix_search_floor: u64,
    /// Instant of recovery (or of the final evaluation), ns.
    pub evaluated_at_ns: u64,
}

#[derive(Clone, Debug)]
struct SiteTruth {
    name: String,
    /// Every sequence number from `wbase` on.
    win: VecDeque<Slot>,
    wbase: u64,
    /// The oldest routed write not complete here (A+1), or `last_seq + 1`.
    a_next: u64,
    /// The newest write routed here below `a_next` (0: none): point A as a write the site
    /// was sent.
    a_routed: u64,
    /// The oldest routed write not applied here, or `last_seq + 1`.
    c_next: u64,
    highest_token: u64,
    writes_routed: u64,
    writes_applied: u64,
    /// Primary image (routed writes, in sequence order): per volume, the write whose content
    /// each written record holds.
    primary: Vec<WriterMap>,
    /// The secondary image (applied updates) where it is not the primary image, by record
    /// key: the write whose content the site applied there, or [`NOT_APPLIED`] (nothing
    /// applied there yet: the initial content). Every other record of the primary image
    /// holds the same content at the site. Holds the records routed and not yet applied.
    overlay: FastMap<u64, WriteId>,
    /// Undo log of `primary`: (seq, record, previous writer; 0: the initial content).
    undo: VecDeque<(u64, u64, WriteId)>,
    undo_floor: u64,
    /// Shipped content that differs from the write's own, by sequence number.
    shipped: BTreeMap<u64, Vec<WriteId>>,
    rpo: Summary,
    /// Per write: sequencing to complete (token and data) at the site.
    replication: Summary,
    report: Option<SiteReport>,
}

/// The oracle. See the module documentation.
#[derive(Clone, Debug)]
pub struct Oracle {
    cfg: OracleConfig,
    /// Dataset extents by volume, sorted by first track.
    extents: BTreeMap<(u32, u64), (u64, usize)>,
    writes: VecDeque<WriteTruth>,
    writes_base: u64,
    last_seq: u64,
    sites: Vec<SiteTruth>,
    disaster_at: Option<SimTime>,
    end_at: Option<SimTime>,
    primary_writes: u64,
    primary_bytes: u64,
    response: Summary,
}

/// The secondary image's mark of a record nothing was applied to (its content is the
/// initial one, writer 0, but it is not in the image of what the site wrote).
const NOT_APPLIED: WriteId = WriteId::MAX;

/// The write whose content a secondary-image entry holds (0: the initial content).
#[inline]
fn content(w: WriteId) -> WriteId {
    if w == NOT_APPLIED { 0 } else { w }
}

impl SiteTruth {
    fn a(&self) -> u64 {
        self.a_next - 1
    }
    #[inline]
    fn slot(&self, seq: u64) -> Option<Slot> {
        seq.checked_sub(self.wbase)
            .and_then(|i| self.win.get(i as usize))
            .copied()
    }
    #[inline]
    fn slot_mut(&mut self, seq: u64) -> Option<&mut Slot> {
        seq.checked_sub(self.wbase)
            .and_then(|i| self.win.get_mut(i as usize))
    }
    /// Moves `a_next` and `c_next` past what is complete (applied) or not routed here.
    fn advance(&mut self) {
        while let Some(x) = self.slot(self.a_next).filter(|x| !x.incomplete()) {
            if x.routed {
                self.a_routed = self.a_next;
            }
            self.a_next += 1;
        }
        while self.slot(self.c_next).is_some_and(|x| !x.unapplied()) {
            self.c_next += 1;
        }
    }
    /// The primary image's writer of record `key`, if written (a routed write covered it).
    #[inline]
    fn primary_of(&self, key: u64) -> Option<WriteId> {
        let (vol, addr) = record_of_key(key);
        self.primary.get(vol.0 as usize)?.get(addr)
    }

    /// Record `key` of the primary image now holds write `w`'s content (a routed write got
    /// its sequence number); returns the writer it held (0: the initial content).
    fn write_primary(&mut self, key: u64, w: WriteId) -> WriteId {
        let (vol, addr) = record_of_key(key);
        let v = vol.0 as usize;
        if self.primary.len() <= v {
            self.primary.resize_with(v + 1, WriterMap::default);
        }
        let old = self.primary[v].insert(addr, w);
        // What the site holds there: as before this write.
        let sec = match self.overlay.get(&key) {
            Some(&s) => s,
            None => old.unwrap_or(NOT_APPLIED),
        };
        if sec == w {
            self.overlay.remove(&key);
        } else {
            self.overlay.insert(key, sec);
        }
        old.unwrap_or(0)
    }

    /// The site applied write `w`'s content to record `key`.
    fn write_secondary(&mut self, key: u64, w: WriteId) {
        if self.primary_of(key) == Some(w) {
            self.overlay.remove(&key);
        } else {
            self.overlay.insert(key, w);
        }
    }

    /// The content writer of record `key` at the site (0: the initial content).
    #[inline]
    fn secondary_of(&self, key: u64) -> WriteId {
        match self.overlay.get(&key) {
            Some(&s) => content(s),
            None => self.primary_of(key).unwrap_or(0),
        }
    }
}

impl Oracle {
    /// An oracle for a world described by `cfg`.
    pub fn new(cfg: OracleConfig) -> Self {
        let mut extents = BTreeMap::new();
        for (i, e) in cfg.datasets.iter().enumerate() {
            extents.insert((e.vol.0, e.first_track), (e.last_track, i));
        }
        let sites = cfg
            .sites
            .iter()
            .map(|n| SiteTruth {
                name: n.clone(),
                win: VecDeque::new(),
                wbase: 1,
                a_next: 1,
                a_routed: 0,
                c_next: 1,
                highest_token: 0,
                writes_routed: 0,
                writes_applied: 0,
                primary: (0..cfg.volsers.len())
                    .map(|_| WriterMap::default())
                    .collect(),
                overlay: FastMap::default(),
                undo: VecDeque::new(),
                undo_floor: 0,
                shipped: BTreeMap::new(),
                rpo: Summary::new(),
                replication: Summary::new(),
                report: None,
            })
            .collect();
        Oracle {
            cfg,
            extents,
            writes: VecDeque::new(),
            writes_base: 1,
            last_seq: 0,
            sites,
            disaster_at: None,
            end_at: None,
            primary_writes: 0,
            primary_bytes: 0,
            response: Summary::new(),
        }
    }

    fn write(&self, seq: u64) -> Option<&WriteTruth> {
        seq.checked_sub(self.writes_base)
            .and_then(|i| self.writes.get(i as usize))
    }

    /// The volume, records and writer of write `seq`, while the checker still holds it
    /// (every write above some site's A or applied prefix).
    pub fn write_of(&self, seq: u64) -> Option<(VolumeId, RecSpan, WriteId)> {
        self.write(seq).map(|w| (w.vol, w.span, w.writer))
    }

    /// The data set holding `track` of `vol`, if any.
    pub fn dataset_of(&self, vol: VolumeId, track: u64) -> Option<&str> {
        let (&(v, first), &(last, i)) = self.extents.range(..=(vol.0, track)).next_back()?;
        (v == vol.0 && first <= track && track <= last).then(|| self.cfg.datasets[i].name.as_str())
    }

    /// The highest sequence number assigned so far.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// Point A of `site` now: the newest write routed to it below the oldest one not
    /// complete there (0: none).
    pub fn consistency_seq(&self, site: SiteId) -> u64 {
        self.sites[site.0 as usize].a_routed
    }

    /// The oldest write routed to `site` that is not complete there (write A+1), if any.
    pub fn first_incomplete(&self, site: SiteId) -> Option<u64> {
        let st = &self.sites[site.0 as usize];
        (st.a_next <= self.last_seq).then_some(st.a_next)
    }

    /// Point B of `site` now.
    pub fn highest_token_seq(&self, site: SiteId) -> u64 {
        self.sites[site.0 as usize].highest_token
    }

    /// The current lag of `site`: `now` minus the sequencing time of write A+1 (zero when
    /// every routed write is complete there).
    pub fn lag(&self, site: SiteId, now: SimTime) -> SimDuration {
        match self.first_incomplete(site) {
            Some(seq) => now - self.write(seq).map_or(now, |w| w.t_seq),
            None => SimDuration::ZERO,
        }
    }

    /// A host write completed (any write, replicated or not): for the primary statistics.
    pub fn host_write_completed(&mut self, bytes: u64, response: SimDuration) {
        self.primary_writes += 1;
        self.primary_bytes += bytes;
        self.response.record(response.as_nanos());
    }

    /// `seq`: write `seq` (from `writer`, covering `span` of `vol`) got its sequence number,
    /// routed to `sites`; `dep` is the sequence number of the write its application waited
    /// for, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn on_seq(
        &mut self,
        t: SimTime,
        seq: u64,
        vol: VolumeId,
        span: RecSpan,
        bytes: u64,
        sites: SiteMask,
        dep: Option<u64>,
        writer: WriteId,
    ) {
        debug_assert_eq!(seq, self.last_seq + 1, "sequence numbers are dense");
        self.last_seq = seq;
        if self.writes.is_empty() {
            self.writes_base = seq;
        }
        self.writes.push_back(WriteTruth {
            t_seq: t,
            vol,
            span,
            bytes,
            writer,
            dep: dep.unwrap_or(0),
            acknowledged: false,
        });
        for (i, st) in self.sites.iter_mut().enumerate() {
            let routed = sites.contains(SiteId(i as u8));
            if st.win.is_empty() {
                st.wbase = seq;
            }
            st.win.push_back(Slot {
                routed,
                ..Slot::default()
            });
            st.advance();
            if !routed {
                continue;
            }
            st.writes_routed += 1;
            for addr in span.iter() {
                let key = record_key(vol, addr);
                let old = st.write_primary(key, writer);
                st.undo.push_back((seq, key, old));
            }
        }
    }

    /// `write_done`: write `seq` completed to its host: from now on, losing it loses data
    /// the application was told is written. (In `sync` the write may already have left the
    /// window: applied everywhere before its host heard of it; then it cannot be lost.)
    pub fn on_write_done(&mut self, seq: u64) {
        if let Some(i) = seq.checked_sub(self.writes_base)
            && let Some(w) = self.writes.get_mut(i as usize)
        {
            w.acknowledged = true;
        }
    }

    /// Consumes one observation of the world at `t` (`buf` holds the per-record content
    /// lists that [`Obs::DataRx`] refers to). Observations that carry no truth (faults,
    /// sampling marks) are ignored here; the driver handles sampling.
    pub fn observe(&mut self, t: SimTime, o: &Obs, buf: &ObsBuf) {
        match *o {
            Obs::Seq {
                seq,
                vol,
                span,
                bytes,
                sites,
                dep,
                writer,
            } => self.on_seq(
                t,
                seq,
                vol,
                span,
                bytes as u64,
                sites,
                (dep != 0).then_some(dep),
                writer,
            ),
            Obs::WriteDone { seq, .. } => self.on_write_done(seq),
            Obs::HostWrite { bytes, response } => self.host_write_completed(bytes as u64, response),
            Obs::TokenRx { site, seq } => self.on_token_rx(t, site, seq),
            Obs::DataRx { site, seq, shipped } => {
                let n = self.write(seq).map_or(0, |w| w.span.n as usize);
                let s = match buf.writers_of(shipped, n) {
                    Some(w) => Shipped::Writers(w),
                    None => Shipped::Own,
                };
                self.on_data_rx(t, site, seq, s)
            }
            Obs::Apply { site, seq } => self.on_apply(t, site, seq),
            Obs::Skip { site, seq } => self.on_skip(site, seq),
            Obs::DataHeld { site, seq } => {
                if let Some(r) = self.sites[site.0 as usize].slot_mut(seq) {
                    r.held = true;
                }
            }
            Obs::Disaster => self.on_disaster(t),
            Obs::EndOfWorkload => self.on_end(t),
            Obs::Recovered { site } => {
                self.on_recovered(t, site);
            }
            _ => {}
        }
    }

    /// `token_rx`: the token of `seq` reached `site`.
    pub fn on_token_rx(&mut self, t: SimTime, site: SiteId, seq: u64) {
        let t_seq = self.write(seq).map(|w| w.t_seq);
        let st = &mut self.sites[site.0 as usize];
        st.highest_token = st.highest_token.max(seq);
        if let Some(r) = st.slot_mut(seq)
            && r.routed
        {
            let was = r.token && r.data;
            r.token = true;
            if !was && r.data {
                st.replication.record((t - t_seq.unwrap_or(t)).as_nanos());
            }
        }
        st.advance();
    }

    /// `data_rx`: the update data of `seq` reached `site`, carrying `shipped` content.
    pub fn on_data_rx(&mut self, t: SimTime, site: SiteId, seq: u64, shipped: Shipped<'_>) {
        let Some(w) = self.write(seq) else { return };
        let (writer, t_seq) = (w.writer, w.t_seq);
        let st = &mut self.sites[site.0 as usize];
        if let Shipped::Writers(ws) = shipped
            && ws.iter().any(|&x| x != writer)
        {
            st.shipped.insert(seq, ws.to_vec());
        }
        if let Some(r) = st.slot_mut(seq)
            && r.routed
        {
            let was = r.token && r.data;
            r.data = true;
            if !was && r.token {
                st.replication.record((t - t_seq).as_nanos());
            }
        }
        st.advance();
    }

    /// `apply`: `site` finished writing update `seq` to its DASD.
    pub fn on_apply(&mut self, _t: SimTime, site: SiteId, seq: u64) {
        // A write applied again after the checker let it go (a `sync` resynchronisation
        // copying a write applied before its acknowledgment was lost) counts; the latest
        // content it carries is that of a later write, applied too.
        self.sites[site.0 as usize].writes_applied += 1;
        let Some(w) = self.write(seq) else { return };
        let (vol, span, writer) = (w.vol, w.span, w.writer);
        let st = &mut self.sites[site.0 as usize];
        let shipped = st.shipped.remove(&seq);
        for (i, addr) in span.iter().enumerate() {
            let who = shipped.as_ref().map_or(writer, |v| v[i]);
            st.write_secondary(record_key(vol, addr), who);
        }
        if let Some(r) = st.slot_mut(seq) {
            r.applied = true;
        }
        st.advance();
        self.trim();
    }

    /// `skip`: `site` discarded the update data of `seq` it held (the primary gave the
    /// write up when its pair suspended): the site no longer holds it.
    pub fn on_skip(&mut self, site: SiteId, seq: u64) {
        let st = &mut self.sites[site.0 as usize];
        st.shipped.remove(&seq);
        if let Some(r) = st.slot_mut(seq) {
            r.data = false;
        }
    }

    /// `disaster`: the primary site is lost at `t`.
    pub fn on_disaster(&mut self, t: SimTime) {
        self.disaster_at = Some(t);
    }

    /// The end of the run's workload (the reference instant when no disaster struck).
    pub fn on_end(&mut self, t: SimTime) {
        if self.end_at.is_none() {
            self.end_at = Some(t);
        }
    }

    /// Samples the data-loss window of every site (called at the RPO sampling interval).
    pub fn sample_rpo(&mut self, now: SimTime) {
        for i in 0..self.sites.len() {
            let lag = self.lag(SiteId(i as u8), now).as_nanos();
            self.sites[i].rpo.record(lag);
        }
    }

    /// Drops what no site can need any more: writes below every site's A and applied
    /// prefix, undo history beyond the window.
    fn trim(&mut self) {
        let mut floor = self.last_seq;
        for st in &mut self.sites {
            let keep = st.a_next.min(st.c_next);
            while st.wbase < keep && !st.win.is_empty() {
                st.win.pop_front();
                st.wbase += 1;
            }
            floor = floor.min(keep.saturating_sub(1));
        }
        while self.writes_base <= floor && !self.writes.is_empty() {
            self.writes.pop_front();
            self.writes_base += 1;
        }
        for st in &mut self.sites {
            let keep_from = st.a().saturating_sub(self.cfg.history_window);
            while let Some(&(s, _, _)) = st.undo.front() {
                if s < keep_from {
                    st.undo.pop_front();
                    st.undo_floor = s;
                } else {
                    break;
                }
            }
        }
    }

    /// `recovered`: evaluates `site` at `t` (after its recovery applied the complete
    /// entries up to A, or at the end of a run) and records the verdict.
    pub fn on_recovered(&mut self, t: SimTime, site: SiteId) -> &SiteReport {
        let reference = self.disaster_at.or(self.end_at).unwrap_or(t);
        let last_seq = self.last_seq;
        let i = site.0 as usize;
        let a = self.sites[i].a();
        let b = self.sites[i].highest_token;
        let mut lost_writes = 0;
        let mut lost_bytes = 0;
        let mut pending_complete = 0;
        let mut pending_incomplete = 0;
        let mut never_received = 0;
        let mut held = 0;
        let mut applied_above = 0;
        let mut acknowledged = 0;
        let mut lost: BTreeSet<&str> = BTreeSet::new();
        let mut unknown: BTreeSet<&str> = BTreeSet::new();
        let st = &self.sites[i];
        for seq in st.a_next..=last_seq {
            let Some(r) = st.slot(seq).filter(|r| r.routed) else {
                continue;
            };
            lost_writes += 1;
            let Some(w) = self.write(seq) else { continue };
            lost_bytes += w.bytes;
            if w.acknowledged {
                acknowledged += 1;
            }
            let never = !r.token && !r.data;
            match (r.applied, r.token, r.data) {
                (true, ..) => applied_above += 1,
                (false, _, true) => pending_complete += 1,
                (false, true, false) if r.held => held += 1,
                (false, true, false) => pending_incomplete += 1,
                (false, false, false) => never_received += 1,
            }
            let (t0, t1) = w.span.tracks();
            for track in t0..=t1 {
                if let Some(n) = self.dataset_of(w.vol, track) {
                    lost.insert(n);
                    if never {
                        unknown.insert(n);
                    }
                }
            }
        }
        let window = match self.first_incomplete(site) {
            Some(seq) => self
                .write(seq)
                .map_or(0, |w| (reference - w.t_seq).as_nanos()),
            None => 0,
        };
        let lost_datasets: Vec<String> = lost.into_iter().map(str::to_string).collect();
        let (mismatched, consistent_seq, floor) = self.prefix_search(i, a);
        let st = &self.sites[i];
        // Applied writes whose predecessor, routed here too, is not applied. Below
        // `c_next` everything routed is applied, so only the window above it can hold one.
        let violations = (st.c_next..=last_seq)
            .filter(|&seq| {
                st.slot(seq).is_some_and(|x| x.routed && x.applied)
                    && self.write(seq).is_some_and(|w| {
                        w.dep >= st.c_next && st.slot(w.dep).is_some_and(|d| d.unapplied())
                    })
            })
            .count() as u64;
        let report = SiteReport {
            site: st.name.clone(),
            writes_routed: st.writes_routed,
            writes_applied: st.writes_applied,
            consistency_seq: self.sites[i].a_routed,
            highest_token_seq: b,
            pending_complete,
            pending_incomplete,
            never_received,
            pending_held_for_group: held,
            pending_applied: applied_above,
            acknowledged_writes_lost: acknowledged,
            never_received_datasets: unknown.into_iter().map(str::to_string).collect(),
            lost_writes,
            lost_bytes,
            lost_datasets,
            data_loss_window_ns: window,
            rpo_ns: st.rpo.percentiles(),
            replication_delay_ns: st.replication.percentiles(),
            prefix_consistent: consistent_seq.is_some(),
            consistent_seq,
            mismatched_records: mismatched,
            dependent_write_violations: violations,
            prefix_search_floor: floor,
            evaluated_at_ns: t.as_nanos(),
        };
        self.sites[i].report = Some(report);
        self.sites[i].report.as_ref().expect("just set")
    }

    /// Compares the site's secondary image with its primary image rolled back to A (the
    /// mismatch count), then keeps rolling back to find the largest k whose image equals
    /// the secondary. Returns (mismatched at A, consistent k, search floor).
    fn prefix_search(&self, i: usize, a: u64) -> (u64, Option<u64>, u64) {
        let st = &self.sites[i];
        // The primary image rolled back: record -> writer at the point reached.
        let mut rolled: FastMap<u64, WriteId> = FastMap::default();
        // Records whose content differs between the two images: only overlay records can.
        let mut diff: FastSet<u64> = st
            .overlay
            .iter()
            .filter(|&(&k, &s)| content(s) != st.primary_of(k).unwrap_or(0))
            .map(|(&k, _)| k)
            .collect();
        let differs = |rolled: &FastMap<u64, WriteId>, key: u64| {
            let p = rolled
                .get(&key)
                .copied()
                .or_else(|| st.primary_of(key))
                .unwrap_or(0);
            p != st.secondary_of(key)
        };
        let mut mismatched = None;
        let mut found = None;
        // The image for k in [s_prev, s) is the image after undoing every entry >= s.
        let mut upper = self.last_seq;
        let mut it = st.undo.iter().rev().peekable();
        loop {
            if mismatched.is_none() && upper <= a {
                mismatched = Some(diff.len() as u64);
            }
            if found.is_none() && diff.is_empty() {
                found = Some(upper);
            }
            if found.is_some() && mismatched.is_some() {
                break;
            }
            let Some(&&(s, _, _)) = it.peek() else { break };
            // Undo every entry of write s.
            while let Some(&&(s2, key, old)) = it.peek() {
                if s2 != s {
                    break;
                }
                it.next();
                rolled.insert(key, old);
                if differs(&rolled, key) {
                    diff.insert(key);
                } else {
                    diff.remove(&key);
                }
            }
            upper = s - 1;
        }
        let mismatched = mismatched.unwrap_or(diff.len() as u64);
        (mismatched, found, st.undo_floor)
    }

    /// The verdict of `site`, once evaluated.
    pub fn site_report(&self, site: SiteId) -> Option<&SiteReport> {
        self.sites[site.0 as usize].report.as_ref()
    }

    /// Primary statistics: host writes completed, their bytes and response times.
    pub fn primary_stats(&self) -> (u64, u64, Percentiles) {
        (
            self.primary_writes,
            self.primary_bytes,
            self.response.percentiles(),
        )
    }

    /// When the disaster struck, if it did.
    pub fn disaster_at(&self) -> Option<SimTime> {
        self.disaster_at
    }

    /// The secondary image of `site` as the trace implies it (records written during the
    /// run), sorted: for checking the model's secondary DASD against the trace.
    pub fn secondary_image(&self, site: SiteId) -> Vec<(u64, Digest)> {
        let st = &self.sites[site.0 as usize];
        let digest = |key: u64, w: WriteId| {
            let (vol, addr) = record_of_key(key);
            (key, digest_of(vol, addr, w))
        };
        let mut v: Vec<(u64, Digest)> = Vec::new();
        for (vol, m) in st.primary.iter().enumerate() {
            for (addr, w) in m.sorted() {
                let key = record_key(VolumeId(vol as u32), addr);
                if !st.overlay.contains_key(&key) {
                    v.push(digest(key, w));
                }
            }
        }
        v.extend(
            st.overlay
                .iter()
                .filter(|&(_, &s)| s != NOT_APPLIED)
                .map(|(&k, &s)| digest(k, s)),
        );
        v.sort_unstable();
        v
    }

    /// Records in the checker's images of `site`: (primary image, secondary-image entries
    /// that differ from it), and the heap bytes of their tables (free slots included).
    pub fn image_footprint(&self, site: SiteId) -> (usize, usize, usize) {
        let st = &self.sites[site.0 as usize];
        let records = st.primary.iter().map(WriterMap::len).sum();
        let bytes = st.primary.iter().map(WriterMap::heap_bytes).sum::<usize>()
            + crate::content::table_bytes(st.overlay.capacity(), 16);
        (records, st.overlay.len(), bytes)
    }

    /// Entries kept in memory (writes window, routed entries, undo entries): for tests of
    /// bounded memory.
    pub fn footprint(&self) -> usize {
        self.writes.len()
            + self
                .sites
                .iter()
                .map(|s| s.win.len() + s.undo.len() + s.overlay.len())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests;
