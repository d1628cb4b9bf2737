//! `zgm`: resynchronising a suspended session (`copy.zgm.auto_resync`).
//!
//! While the session is suspended the primary storage controls only mark the tracks each
//! write changes (the hardware bitmap: the write is kept in the session's changed-track
//! bitmap); the consistency time stops at the suspension. Once the cause has cleared -
//! every link up again and everything read before the suspension hardened and applied
//! (a full journal has drained, a cut link's backlog has arrived) - the session
//! resynchronises as XADDPAIR ... SUSPENDED does: the pairs are pending, the changed
//! tracks are copied to the secondary volumes (in track order, each record with its
//! current content, not update by update, so the secondary is not consistent until the
//! copy is whole), new writes are captured as record sets again from the start of the
//! resynchronisation, and the consistency time stays frozen at the suspension. When every
//! site has written the whole copy the pairs are duplex, the storage-control sessions'
//! times are no longer held back, and consistency groups resume from the record sets
//! captured meanwhile. A suspension during the copy (the journal or sidefile full again)
//! moves the freeze point to that instant once the copy is whole, and the next
//! resynchronisation copies what the new bitmap holds.
//!
//! [`Resync`] is the copy's sans-IO state; the world's routing is below it.

use super::super::{Ev, SimMessage, World, sizes};
use super::sidefile::RecordSet;
use crate::content::WriteId;
use crate::obs::{Obs, PairState, ShippedRef};
use crate::types::SiteId;
use sim::Ctx;
use std::collections::{BTreeMap, VecDeque};

/// One site's part of the copy.
#[derive(Clone, Debug, Default)]
struct SiteCopy {
    /// Messages of the copy still on their way.
    msgs_left: u32,
    /// Record sets arrived and not yet written.
    queue: VecDeque<RecordSet>,
    /// Writes to the secondary volumes in progress.
    inflight: u32,
    /// The whole copy is written.
    done: bool,
}

/// The resynchronisation copy in progress (see the module documentation).
#[derive(Clone, Debug, Default)]
pub(crate) struct Resync {
    /// A copy is under way.
    pub active: bool,
    sites: Vec<SiteCopy>,
    /// The copy's messages on the wire, by (site, message number).
    msgs: BTreeMap<(u8, u32), Vec<RecordSet>>,
    /// The session suspended again during the copy, at this time (ns).
    pub again: Option<u64>,
    /// Per write of the copy whose records do not all get its own content: per record of
    /// its span, the latest write of the bitmap that wrote it.
    pub writers: BTreeMap<u64, Box<[WriteId]>>,
}

impl Resync {
    /// A copy starts: `per_site[s]` messages go to site `s`.
    pub fn start(&mut self, per_site: &[u32]) {
        self.active = true;
        self.again = None;
        self.sites = per_site
            .iter()
            .map(|&m| SiteCopy {
                msgs_left: m,
                ..Default::default()
            })
            .collect();
    }

    /// Message `msg_no` to `site` carries `recs`.
    pub fn sent(&mut self, site: u8, msg_no: u32, recs: Vec<RecordSet>) {
        self.msgs.insert((site, msg_no), recs);
    }

    /// Message `msg_no` reached `site`: its record sets (`None`: not a copy message).
    pub fn arrived(&mut self, site: u8, msg_no: u32) -> Option<Vec<RecordSet>> {
        let recs = self.msgs.remove(&(site, msg_no))?;
        self.sites[site as usize].msgs_left -= 1;
        Some(recs)
    }

    /// The record sets `recs` that reached `site` wait to be written there.
    pub fn queue(&mut self, site: usize, recs: Vec<RecordSet>) {
        self.sites[site].queue.extend(recs);
    }

    /// Whether `site` has the whole copy now (nothing more to come or to write); marks it.
    pub fn site_done(&mut self, site: usize) -> bool {
        let s = &mut self.sites[site];
        if !s.done && s.msgs_left == 0 && s.queue.is_empty() && s.inflight == 0 {
            s.done = true;
            return true;
        }
        false
    }

    /// The next record set `site` writes, at most `limit` writes in progress.
    pub fn next_write(&mut self, site: usize, limit: u32) -> Option<RecordSet> {
        let s = self.sites.get_mut(site)?;
        if s.inflight >= limit {
            return None;
        }
        let r = s.queue.pop_front()?;
        s.inflight += 1;
        Some(r)
    }

    /// A write of `site` ended.
    pub fn written(&mut self, site: usize) {
        self.sites[site].inflight -= 1;
    }

    /// Whether every site has the whole copy.
    pub fn all_done(&self) -> bool {
        self.sites.iter().all(|s| s.done)
    }

    /// Recovery at `site`: what arrived and is not written yet is dropped (it is in no
    /// journal); whether writes are still in progress there.
    pub fn recovering(&mut self, site: usize) -> bool {
        match self.sites.get_mut(site) {
            Some(s) => {
                s.queue.clear();
                s.inflight > 0
            }
            None => false,
        }
    }

    /// Writes in progress at `site`.
    pub fn inflight(&self, site: usize) -> u32 {
        self.sites.get(site).map_or(0, |s| s.inflight)
    }
}

impl World {
    /// Whether the cause of the suspension has cleared: every link up, and everything read
    /// before the suspension hardened and applied (nothing in a sidefile, in progress, on
    /// the wire, in the SDM's buffers or unapplied in the journal; the consistency time at
    /// the suspension).
    fn zgm_caught_up(&self) -> bool {
        let z = self.z();
        // The consistency time has reached the suspension (the time the resynchronisation
        // keeps frozen), in every SDM session that reads a storage control.
        let cap = z.suspended_at.map_or(0, |t| t.saturating_sub(1));
        self.out.iter().all(|o| o.link.is_up())
            && z.sdms
                .iter()
                .all(|s| s.horizons.is_empty() || s.consistency_time >= cap)
            && z.in_transit == 0
            && z.readers.iter().all(|r| r.resp.is_empty())
            && z.scs.iter().all(|s| s.residual() == 0 && s.idle())
            && z.sdms
                .iter()
                .all(|s| s.inflight == 0 && !s.journal.writing && s.held().next().is_none())
    }

    /// With `copy.zgm.auto_resync`: a suspended session whose cause has cleared starts its
    /// resynchronisation (once every write marked in the bitmap has its data in).
    pub(crate) fn zgm_maybe_resync(&mut self, ctx: &mut Ctx<'_, Ev>) {
        if !self.cfg.copy.zgm.auto_resync
            || !self.primary_alive
            || !self.session.suspended()
            || self.z().resync.active
            || self.z().recovering.iter().any(|&r| r)
            || !self.zgm_caught_up()
            || self
                .session
                .bitmap()
                .iter()
                .any(|&q| self.entry(q).is_some_and(|e| !e.data_ready))
        {
            return;
        }
        self.zgm_resync_start(ctx);
    }

    /// Whether a resynchronisation copy is under way (its pairs are pending).
    pub(crate) fn zgm_resyncing(&self) -> bool {
        self.zgm.as_ref().is_some_and(|z| z.resync.active)
    }

    /// The resynchronisation starts: the session is duplex again (new writes are captured
    /// as record sets), the pairs are pending, and the writes of the bitmap go to each site
    /// in track order with their data, in messages of up to `copy.batch_bytes`.
    fn zgm_resync_start(&mut self, ctx: &mut Ctx<'_, Ev>) {
        let covered = self.session.take_bitmap();
        self.session.begin_resync();
        let now = ctx.now();
        let n_sites = self.out.len();
        let mut per_site: Vec<Vec<RecordSet>> = vec![Vec::new(); n_sites];
        // Each changed record is copied with its current content (the latest write of the
        // bitmap that wrote it), whichever write's span the copy takes it with.
        self.set_latest_content(&covered);
        let mut writers = BTreeMap::new();
        for &q in &covered {
            let Some(e) = self.entry_mut(q) else { continue };
            if let Some(ws) = e.shipped.take() {
                writers.insert(q, ws);
            }
            // The copy secures the write (the journal never held it).
            e.bitmap = false;
            e.secured = e.sites;
            let rs = RecordSet {
                seq: q,
                stamp: e.t_seq.as_nanos(),
                vol: e.vol,
                span: e.span,
                bytes: e.bytes,
                writer: e.write_id,
            };
            let sites = e.sites;
            let v = rs.vol.0 as usize;
            let ss = self.dasd.volumes[v].ss.0 as usize;
            for s in sites.iter() {
                if self.z().part_of(s.0 as usize, ss, v) != super::NONE {
                    per_site[s.0 as usize].push(rs);
                }
            }
        }
        self.retire_writes();
        // The bitmap is walked by track, not by time stamp.
        let limit = self.cfg.copy.batch_bytes.max(1);
        let mut msgs: Vec<Vec<Vec<RecordSet>>> = Vec::with_capacity(n_sites);
        for mut recs in per_site {
            recs.sort_by_key(|r| (r.vol, r.span.first.track(), r.seq));
            let mut chunks: Vec<Vec<RecordSet>> = Vec::new();
            let mut bytes = sizes::HEADER as u64;
            for r in recs {
                let b = sizes::data_field(r.span.n as usize, r.bytes as u64);
                match chunks.last_mut() {
                    Some(c) if bytes + b <= limit || c.is_empty() => {
                        c.push(r);
                        bytes += b;
                    }
                    _ => {
                        chunks.push(vec![r]);
                        bytes = sizes::HEADER as u64 + b;
                    }
                }
            }
            msgs.push(chunks);
        }
        let counts: Vec<u32> = msgs.iter().map(|m| m.len() as u32).collect();
        self.zm().resync.start(&counts);
        self.zm().resync.writers = writers;
        if let (Some(&from), Some(&to)) = (covered.first(), covered.last()) {
            self.observe(now, Obs::Resync { from, to });
            self.stats.resyncs.push((now.as_nanos(), from, to));
        }
        self.observe_all_pairs(PairState::Pending, now);
        for (site, chunks) in msgs.into_iter().enumerate() {
            for recs in chunks {
                let (id, msg_no) = self.open_record_sets_message(site, &recs);
                self.zm().resync.sent(site as u8, msg_no, recs);
                self.link_enqueue(site, id, ctx);
            }
            self.zgm_resync_check(site, ctx);
        }
    }

    /// A message reached `site`: if it is part of the resynchronisation copy, its record
    /// sets are written as they come (whether it was).
    pub(crate) fn zgm_resync_arrive(
        &mut self,
        site: usize,
        msg: &SimMessage,
        ctx: &mut Ctx<'_, Ev>,
    ) -> bool {
        let Some(recs) = self.zm().resync.arrived(site as u8, msg.msg_no) else {
            return false;
        };
        let now = ctx.now();
        let sid = SiteId(site as u8);
        let zgm = self.zgm.as_ref().expect("zgm");
        let obs = &mut self.obs;
        for r in &recs {
            obs.push(
                now,
                Obs::TokenRx {
                    site: sid,
                    seq: r.seq,
                },
            );
            let shipped = match zgm.resync.writers.get(&r.seq) {
                Some(ws) => obs.shipped(ws),
                None => ShippedRef::Own,
            };
            obs.push(
                now,
                Obs::DataRx {
                    site: sid,
                    seq: r.seq,
                    shipped,
                },
            );
        }
        if !self.z().recovering[site] {
            self.zm().resync.queue(site, recs);
        }
        self.zgm_resync_apply(site, ctx);
        true
    }

    /// Starts the copy's writes at `site` (at most `copy.apply_parallel` at once).
    fn zgm_resync_apply(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        let limit = self.cfg.copy.apply_parallel.max(1);
        let x = site * self.z().sessions;
        while let Some(rs) = self.zm().resync.next_write(site, limit) {
            // Group number 0: a write of the copy, in no consistency group.
            let ws = self.z().resync.writers.get(&rs.seq).cloned();
            self.zgm_write(site, x, 0, rs, ws.as_deref(), ctx);
        }
        self.zgm_resync_check(site, ctx);
    }

    /// A write of the copy ended at `site`.
    pub(crate) fn zgm_resync_written(&mut self, site: usize, seq: u64, ctx: &mut Ctx<'_, Ev>) {
        self.observe(
            ctx.now(),
            Obs::Apply {
                site: SiteId(site as u8),
                seq,
            },
        );
        self.zm().resync.written(site);
        if self.z().recovering[site] {
            self.zgm_check_recovered(site, ctx);
        } else {
            self.zgm_resync_apply(site, ctx);
        }
    }

    /// Whether `site` has the whole copy now; when every site has, the pairs are duplex
    /// and consistency groups resume.
    fn zgm_resync_check(&mut self, site: usize, ctx: &mut Ctx<'_, Ev>) {
        if !self.z().resync.active || !self.zm().resync.site_done(site) {
            return;
        }
        let now = ctx.now();
        let name = self.cfg.sites[site].name.clone();
        self.stats.resync_done.push((name, now.as_nanos()));
        self.observe(
            now,
            Obs::ResyncDone {
                site: SiteId(site as u8),
            },
        );
        if !self.z().resync.all_done() {
            return;
        }
        let z = self.zm();
        z.resync.active = false;
        z.resync.writers.clear();
        match z.resync.again.take() {
            // Suspended again during the copy: the secondary is consistent up to then.
            Some(t) => z.suspended_at = Some(t),
            None => {
                z.suspended_at = None;
                self.observe_all_pairs(PairState::Duplex, now);
            }
        }
        for x in 0..self.z().sdms.len() {
            self.zgm_form(x, ctx);
        }
        self.zgm_wake_readers(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::RecSpan;
    use crate::types::VolumeId;

    fn rs(seq: u64) -> RecordSet {
        RecordSet {
            seq,
            stamp: seq,
            vol: VolumeId(0),
            span: RecSpan::default(),
            bytes: 4096,
            writer: seq,
        }
    }

    /// A site has the copy only once every message has arrived and every record set is
    /// written; a site sent nothing has it at once.
    #[test]
    fn a_site_has_the_copy_when_every_message_is_written() {
        let mut r = Resync::default();
        r.start(&[2, 0]);
        assert!(r.active);
        assert!(
            r.site_done(1),
            "site 1 is sent nothing: it has the copy at once"
        );
        assert!(!r.all_done(), "site 0 waits for two messages");
        r.sent(0, 7, vec![rs(1), rs(2)]);
        r.sent(0, 8, vec![rs(3)]);
        assert_eq!(r.arrived(0, 9), None, "not a copy message");
        let a = r.arrived(0, 7).expect("copy message");
        r.queue(0, a);
        assert_eq!(r.next_write(0, 1).map(|x| x.seq), Some(1));
        assert_eq!(r.next_write(0, 1), None, "one write at a time");
        r.written(0);
        assert!(!r.site_done(0));
        assert_eq!(r.next_write(0, 1).map(|x| x.seq), Some(2));
        r.written(0);
        assert!(!r.site_done(0), "message 8 is still on the wire");
        let b = r.arrived(0, 8).expect("copy message");
        r.queue(0, b);
        assert_eq!(r.next_write(0, 4).map(|x| x.seq), Some(3));
        assert!(!r.site_done(0), "a write in progress");
        r.written(0);
        assert!(r.site_done(0));
        assert!(!r.site_done(0), "reported once");
        assert!(r.all_done());
    }

    /// Recovery drops what is not written yet and waits for the writes in progress.
    #[test]
    fn recovery_drops_the_unwritten_copy() {
        let mut r = Resync::default();
        r.start(&[1]);
        r.sent(0, 1, vec![rs(1), rs(2), rs(3)]);
        let a = r.arrived(0, 1).expect("copy");
        r.queue(0, a);
        assert!(r.next_write(0, 1).is_some());
        assert!(r.recovering(0), "one write in progress");
        assert_eq!(r.next_write(0, 8), None, "the rest is dropped");
        r.written(0);
        assert_eq!(r.inflight(0), 0);
    }
}
