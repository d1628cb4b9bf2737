//! Synchronous copy (`sync`, PPRC-like) when a secondary cannot be reached, and the volume
//! pairs' states.
//!
//! A `sync` write completes only when its secondary has applied it. When the link to a site
//! is down the primary knows it (its paths to the secondary failed); with
//! `copy.sync.critical = false` (PPRC's CRIT(NO), the default) a write that has waited
//! `copy.sync.suspend_timeout` for the failed link suspends its pair: the write completes at
//! the primary, and every later write of the pair completes at once and is only marked in
//! the changed-track bitmap (`session.rs`) for a later resynchronisation. Each pair suspends
//! on its own timeout, so pairs whose writes come later stay duplex longer: if the link
//! comes back meanwhile, their writes reach the secondary while an earlier write of a
//! suspended pair never does (the rolling disaster that freeze exists for). With
//! `copy.sync.freeze` the first suspension suspends every pair at once (the whole session),
//! so the secondary keeps the image of that instant. With `critical = true` (CRIT(YES))
//! writes wait however long the link is down (the behaviour before this option).

use super::{Ev, Mode, Origin, World};
use crate::obs::{Obs, PairState, SuspendReason};
use crate::types::SiteId;
use sim::{Ctx, SimTime};

impl World {
    /// `sync`, CRIT(NO): a write to `site` waits for its secondary; if the link is down, the
    /// suspension timeout starts (once per failure).
    pub(crate) fn sync_watch(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.mode() != Mode::Sync
            || self.cfg.copy.sync.critical
            || !self.primary_alive
            || self.out[site].link.is_up()
        {
            return;
        }
        if self.session.arm_sync(site) {
            let d = self.cfg.copy.sync.suspend_timeout;
            ctx.schedule_in(
                d,
                self.out[site].comp(),
                Ev::SyncTimeout { site: site as u8 },
            );
        }
    }

    /// The link to `site` failed: writes waiting for it start their suspension timeout.
    pub(crate) fn sync_link_down(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if self.mode() == Mode::Sync && self.waiting_sync_writes(site).next().is_some() {
            self.sync_watch(site, ctx);
        }
    }

    /// The host writes waiting for `site` (I/O slot, sequence number, volume).
    fn waiting_sync_writes(&self, site: usize) -> impl Iterator<Item = (u32, u64, usize)> + '_ {
        self.dasd.ios.iter().filter_map(move |(i, io)| {
            let routed = self
                .entry(io.seq)
                .is_some_and(|e| e.sites.contains(SiteId(site as u8)) && !e.bitmap);
            (matches!(io.origin, Origin::App { .. }) && io.needs_remote > 0 && routed).then_some((
                i as u32,
                io.seq,
                io.vol.0 as usize,
            ))
        })
    }

    /// The suspension timeout of `site` expired: if the link is still down, the pairs
    /// whose writes have waited that long suspend (every pair, with freeze), and the waiting
    /// writes of suspended pairs complete.
    pub(crate) fn on_sync_timeout(&mut self, site: u8, ctx: &mut Ctx<'_, Ev>) {
        let s = site as usize;
        self.session.disarm_sync(s);
        if !self.primary_alive || self.out[s].link.is_up() {
            return;
        }
        let now = ctx.now();
        let timeout = self.cfg.copy.sync.suspend_timeout;
        let waiting: Vec<(u32, u64, usize)> = self.waiting_sync_writes(s).collect();
        let mut next: Option<SimTime> = None;
        let mut expired: Vec<usize> = Vec::new();
        for &(_, seq, vol) in &waiting {
            let since = self.entry(seq).map_or(now, |e| e.t_seq);
            if now - since >= timeout {
                expired.push(vol);
            } else {
                let at = since + timeout;
                next = Some(next.map_or(at, |n: SimTime| n.min(at)));
            }
        }
        if !expired.is_empty() {
            if self.cfg.copy.sync.freeze {
                if !self.session.suspended() {
                    self.suspend(ctx, SuspendReason::Freeze);
                }
            } else {
                expired.sort_unstable();
                expired.dedup();
                let n = self.dasd.volumes.len();
                for v in expired {
                    if self.session.suspend_vol(v, n) {
                        self.observe_pairs_of(v, PairState::Suspended, now);
                    }
                }
            }
            // The waiting writes of suspended pairs complete at the primary; they go to the
            // bitmap for the resynchronisation.
            let mut given_up: Vec<u64> = Vec::new();
            for &(io, seq, vol) in &waiting {
                if !self.session.vol_suspended(vol) {
                    continue;
                }
                if let Some(e) = self.entry_mut(seq) {
                    e.bitmap = true;
                }
                given_up.push(seq);
                self.session.mark_changed_sorted(seq);
                self.dasd.ios[io as usize].needs_remote = 0;
                self.maybe_complete(io, ctx);
            }
            self.sync_give_up(&given_up, ctx);
        }
        if let Some(at) = next
            && self.session.arm_sync(s)
        {
            ctx.schedule_in(at - now, self.out[s].comp(), Ev::SyncTimeout { site });
        }
    }

    /// The writes `seqs` completed at the primary when their pairs suspended: the primary
    /// sends none of them any more. To a site whose link is down, their messages still
    /// waiting for the link are withdrawn (a storage control transmits no update of a
    /// suspended pair), and one skip notice carrying their ordinals goes first when the
    /// link is back, so the secondary neither waits for them nor applies one it already
    /// holds. A site whose link is up receives what is already on its way, and a skip
    /// notice for those never sent (their data was not in yet). The writes given up keep
    /// no ordinal at the site: a resynchronisation gives them a new one.
    fn sync_give_up(&mut self, seqs: &[u64], ctx: &mut Ctx<'_, Ev>) {
        for site in 0..self.out.len() {
            let down = !self.out[site].link.is_up();
            let mut ords: Vec<u64> = Vec::new();
            for &q in seqs {
                let Some(e) = self.entry(q) else { continue };
                let (o, m) = (e.ords[site], e.data_msg[site]);
                if !e.sites.contains(SiteId(site as u8)) || o == 0 || (!down && m != super::NO_MSG)
                {
                    continue;
                }
                ords.push(o);
                let queued = m != super::NO_MSG
                    && self.msgs.get(m as usize).is_some_and(|x| {
                        x.kind == super::MsgKind::Data && x.tokens.is_empty() && x.data == [q]
                    });
                if queued && self.out[site].link.withdraw(m) {
                    self.msgs.remove(m as usize);
                }
                let e = self.entry_mut(q).expect("listed above");
                e.ords[site] = 0;
                e.data_msg[site] = super::NO_MSG;
            }
            if ords.is_empty() {
                continue;
            }
            ords.sort_unstable();
            let bytes = super::sizes::HEADER as u64 + 8 * ords.len() as u64;
            let (id, _) = self.out[site].open(
                &mut self.msgs,
                super::SimMessage {
                    kind: super::MsgKind::Skip,
                    tokens: ords,
                    bytes,
                    ..Default::default()
                },
            );
            self.stats.messages += 1;
            self.stats.message_bytes += bytes;
            self.link_enqueue_front(site, id, ctx);
        }
    }

    /// A resynchronisation of the writes `covered` starts: the pairs go back to duplex.
    /// In `sync`, as PPRC's CESTPAIR MODE(RESYNC) does, a pair with changed tracks is
    /// pending (copying them) until the primary knows the copy is secured at its site;
    /// a pair without any is duplex at once.
    pub(crate) fn resync_pair_states(&mut self, covered: &[u64], now: SimTime) {
        if self.mode() != Mode::Sync {
            self.observe_all_pairs(PairState::Duplex, now);
            return;
        }
        let mut vols: Vec<u32> = covered
            .iter()
            .filter_map(|&q| self.entry(q).map(|e| e.vol.0))
            .collect();
        vols.sort_unstable();
        vols.dedup();
        self.session.set_resyncing(vols);
        for i in 0..self.cfg.copy.pairs.len() {
            if !self.pair_active[i] {
                continue;
            }
            let v = self.cfg.copy.pairs[i].primary.0 as usize;
            let state = if self.session.vol_resyncing(v) {
                PairState::Pending
            } else {
                PairState::Duplex
            };
            self.observe(
                now,
                Obs::PairState {
                    pair: i as u32,
                    state,
                },
            );
        }
    }

    /// `sync`, after an acknowledgment: a pending pair whose changed tracks are all
    /// secured (as the acknowledgments tell the primary) is duplex.
    pub(crate) fn sync_resync_progress(&mut self, now: SimTime) {
        if self.session.resyncing().is_empty() || !self.session.resyncing_stale() {
            return;
        }
        let mut open: Vec<u32> = self
            .session
            .resynced_list()
            .iter()
            .filter_map(|&q| self.entry(q).map(|e| e.vol.0))
            .collect();
        open.sort_unstable();
        open.dedup();
        let done: Vec<u32> = self
            .session
            .resyncing()
            .iter()
            .copied()
            .filter(|v| open.binary_search(v).is_err())
            .collect();
        if done.is_empty() {
            return;
        }
        self.session
            .resyncing_keep(|v| open.binary_search(v).is_ok());
        for v in done {
            self.observe_pairs_of(v as usize, PairState::Duplex, now);
        }
    }

    /// `sync`: a link is back. With `copy.sync.resync_after`, once every link is up the
    /// suspended pairs resynchronise after that delay (the automation's CESTPATH and
    /// CESTPAIR MODE(RESYNC)).
    pub(crate) fn sync_link_up(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let Some(after) = self.cfg.copy.sync.resync_after else {
            return;
        };
        if self.mode() != Mode::Sync
            || !self.primary_alive
            || self.out.iter().any(|o| !o.link.is_up())
        {
            return;
        }
        if self.session.resume() {
            ctx.schedule_in(after, self.serializer.comp(), Ev::ResyncStart);
        }
    }

    /// Observes `state` for every pair of primary volume `vol`.
    pub(crate) fn observe_pairs_of(&mut self, vol: usize, state: PairState, now: SimTime) {
        for (i, p) in self.cfg.clone().copy.pairs.iter().enumerate() {
            if p.primary.0 as usize == vol && self.pair_active[i] {
                self.observe(
                    now,
                    Obs::PairState {
                        pair: i as u32,
                        state,
                    },
                );
            }
        }
    }

    /// Observes `state` for every pair of `site` in the session.
    pub(crate) fn observe_site_pairs(&mut self, site: usize, state: PairState, now: SimTime) {
        for i in 0..self.cfg.copy.pairs.len() {
            if self.pair_active[i] && self.cfg.copy.pairs[i].site == site {
                self.observe(
                    now,
                    Obs::PairState {
                        pair: i as u32,
                        state,
                    },
                );
            }
        }
    }

    /// Observes `state` for every pair in the session.
    pub(crate) fn observe_all_pairs(&mut self, state: PairState, now: SimTime) {
        for i in 0..self.cfg.copy.pairs.len() {
            if self.pair_active[i] {
                self.observe(
                    now,
                    Obs::PairState {
                        pair: i as u32,
                        state,
                    },
                );
            }
        }
    }

    /// The state of volume pair `pair` now, as the primary knows it: out of the session
    /// (`ended`), suspended (the session's or its own), copying its changed tracks after a
    /// `sync` resynchronisation or initial copy not complete at its site (`pending`), else
    /// `duplex`.
    pub fn pair_state(&self, pair: usize) -> PairState {
        let p = &self.cfg.copy.pairs[pair];
        if !self.pair_active[pair] {
            PairState::Ended
        } else if self.session.vol_suspended(p.primary.0 as usize) {
            PairState::Suspended
        } else if self.zgm_resyncing() {
            // zgm: the resynchronisation copy is under way.
            PairState::Pending
        } else if self.session.vol_resyncing(p.primary.0 as usize)
            || (self.session.initial_copy_pending(p.site)
                && self.sites[p.site].initial_copy_done.is_none())
        {
            PairState::Pending
        } else {
            PairState::Duplex
        }
    }

    /// Residual count of volume `vol`: record sets in its sidefile not yet read.
    pub fn residual(&self, vol: usize) -> u32 {
        self.dasd.volumes[vol].residual
    }

    /// Writes of `vol` marked in the changed-track bitmap (made while its pair was
    /// suspended), not yet resynchronised.
    pub fn bitmap_writes(&self, vol: usize) -> u64 {
        self.session
            .bitmap()
            .iter()
            .filter(|&&q| self.entry(q).is_some_and(|e| e.vol.0 as usize == vol))
            .count() as u64
    }
}

/// Why a volume pair's copy is behind, as far as the primary can tell (the causes XRC's
/// ANTX8117I names, where the model has them).
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DelayCause {
    /// The pair is suspended: updates only go to the changed-track bitmap.
    Suspended,
    /// Device blocking holds the volume's writes.
    DeviceBlocked,
    /// Write pacing delays the volume's writes.
    WritePacing,
    /// The link to the pair's site is down.
    Link,
    /// The movers' buffer is full of data the secondaries have not secured (BUFFERS).
    Buffers,
    /// Record sets wait in the sidefile for a mover read (PRIMARY).
    PrimaryReads,
}

impl DelayCause {
    /// The cause as reports word it.
    pub fn text(self) -> &'static str {
        match self {
            DelayCause::Suspended => "suspended",
            DelayCause::DeviceBlocked => "device_blocked",
            DelayCause::WritePacing => "write_pacing",
            DelayCause::Link => "link",
            DelayCause::Buffers => "buffers",
            DelayCause::PrimaryReads => "primary_reads",
        }
    }
}

/// One volume pair as an XQUERY-like volume report lists it, from the primary's knowledge.
#[derive(Clone, Debug, PartialEq)]
pub struct VolumeQuery {
    /// Index of the pair in the configuration.
    pub pair: usize,
    /// The primary volume.
    pub vol: crate::types::VolumeId,
    /// The pair's site (index).
    pub site: usize,
    /// The pair's state.
    pub state: PairState,
    /// Residual count: record sets of the volume in the sidefile not yet read by a mover.
    pub residual: u32,
    /// Writes marked in the changed-track bitmap, not yet resynchronised.
    pub bitmap_writes: u64,
    /// The write-pacing delay a write to the volume gets now (zero: none).
    pub pacing_delay: sim::SimDuration,
    /// Host time of the latest write of the volume every site has acknowledged as secured
    /// (`None`: none yet).
    pub secured_upto: Option<SimTime>,
    /// `zgm`: the time stamp (ns on the common time reference) up to which the pair's
    /// secondary volume is consistent: its SDM session's consistency time, frozen while the
    /// session is suspended or resynchronising (`None`: another mode, or no consistency
    /// group hardened yet).
    pub consistency_time: Option<u64>,
    /// Why the copy is behind, if it is and the primary can tell.
    pub delay_cause: Option<DelayCause>,
}

impl World {
    /// Every volume pair as an XQUERY-like volume report lists it, in configuration order.
    pub fn volume_query(&self) -> Vec<VolumeQuery> {
        let held = self.session.held();
        let buffers_full = held >= self.cfg.copy.mover_buffer.max(1);
        self.cfg
            .copy
            .pairs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = p.primary.0 as usize;
                let vol = &self.dasd.volumes[v];
                let state = self.pair_state(i);
                let pacing_delay = match self.session.admit(vol.residual, false) {
                    super::session::Admit::Pace(d) => d,
                    _ => sim::SimDuration::ZERO,
                };
                let delay_cause = if state == PairState::Suspended {
                    Some(DelayCause::Suspended)
                } else if state == PairState::Ended {
                    None
                } else if vol.is_blocked {
                    Some(DelayCause::DeviceBlocked)
                } else if !pacing_delay.is_zero() {
                    Some(DelayCause::WritePacing)
                } else if !self.out[p.site].link.is_up() {
                    Some(DelayCause::Link)
                } else if vol.residual > 0 && buffers_full {
                    Some(DelayCause::Buffers)
                } else if vol.residual > 0 {
                    Some(DelayCause::PrimaryReads)
                } else {
                    None
                };
                VolumeQuery {
                    pair: i,
                    vol: p.primary,
                    site: p.site,
                    state,
                    residual: vol.residual,
                    bitmap_writes: self.bitmap_writes(v),
                    pacing_delay,
                    secured_upto: self.session.secured_upto(v),
                    consistency_time: self.zgm_pair_consistency(p.site, v),
                    delay_cause,
                }
            })
            .collect()
    }
}

impl World {
    /// How many volume pairs are pending, duplex, suspended and ended now (for front ends).
    pub fn pair_state_counts(&self) -> [u64; 4] {
        let mut n = [0u64; 4];
        for i in 0..self.cfg.copy.pairs.len() {
            n[match self.pair_state(i) {
                PairState::Pending => 0,
                PairState::Duplex => 1,
                PairState::Suspended => 2,
                PairState::Ended => 3,
            }] += 1;
        }
        n
    }
}
