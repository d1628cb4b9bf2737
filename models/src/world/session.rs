//! The copy session's state at the primary: duplex or suspended (with the changed-track
//! bitmap of the writes made meanwhile, and a resynchronisation pending or not), the
//! sidefile and residual counts, and the suspension policy that watches the sidefile.
//!
//! [`Session`] decides from its own counts and the time it is told; the world applies
//! what it decides (reports a suspension, schedules the resynchronisation, copies the
//! bitmap's writes).

use super::FlowControl;
use sim::{SimDuration, SimTime};

/// What flow control does with a write to a duplexed extent as it gets its device.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum Admit {
    /// Go on at once.
    Go,
    /// Write pacing: hold it this long first.
    Pace(SimDuration),
    /// Device blocking: hold it until the volume's residual count is down to the resume
    /// level.
    Block,
}

/// See the module documentation.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    flow: FlowControl,
    suspended: bool,
    /// Writes made while suspended (the changed-track bitmap), in sequence order.
    bitmap: Vec<u64>,
    resync_scheduled: bool,
    /// Since when the sidefile has been over the suspension threshold.
    over_threshold_since: Option<SimTime>,
    /// Record sets in the session's sidefiles (held until every site secures them).
    sidefile: u64,
    /// Of those, not yet read by a mover (the sum of the volumes' residual counts).
    residual: u64,
    /// `sync`: primary volumes whose pairs are suspended on their own (PPRC CRIT(NO)
    /// without freeze), by volume index; empty until the first such suspension.
    vol_suspended: Vec<bool>,
    /// `sync`: the suspension timeout of each site's failed link is armed.
    sync_armed: u8,
    /// Sites sent an initial copy at establishment (their pairs are pending until the site
    /// has it all).
    initial_copy_sites: u8,
    /// Per primary volume: host time of the latest write every site has secured (as the
    /// acknowledgments tell the primary); empty until the first.
    secured_upto: Vec<SimTime>,
    /// Writes copied by a resynchronisation whose acknowledgment may come out of sequence
    /// order (their ordinal is newer than their number), in sequence order.
    resynced: Vec<u64>,
    /// `sync`: primary volumes whose pairs are copying their changed tracks after a
    /// resynchronisation started (pending until the copy is secured), in volume order.
    resyncing: Vec<u32>,
    /// `sync`: how many resynchronised writes were not yet secured when `resyncing` was
    /// last brought up to date.
    resyncing_seen: usize,
}

impl Session {
    /// A duplex session with empty sidefiles under flow control `flow`.
    pub fn new(flow: FlowControl) -> Self {
        Session {
            flow,
            suspended: false,
            bitmap: Vec::new(),
            resync_scheduled: false,
            over_threshold_since: None,
            sidefile: 0,
            residual: 0,
            vol_suspended: Vec::new(),
            sync_armed: 0,
            initial_copy_sites: 0,
            secured_upto: Vec::new(),
            resynced: Vec::new(),
            resyncing: Vec::new(),
            resyncing_seen: 0,
        }
    }

    /// `sync`: the pairs of these volumes copy their changed tracks (pending).
    pub fn set_resyncing(&mut self, vols: Vec<u32>) {
        self.resyncing = vols;
        self.resyncing_seen = usize::MAX;
    }

    /// `sync`: the volumes whose pairs are copying their changed tracks.
    pub fn resyncing(&self) -> &[u32] {
        &self.resyncing
    }

    /// `sync`: whether a resynchronised write was secured since `resyncing` was last
    /// brought up to date (only then can a pending pair have become duplex); notes the
    /// count.
    pub fn resyncing_stale(&mut self) -> bool {
        let n = self.resynced.len();
        let stale = n != self.resyncing_seen;
        self.resyncing_seen = n;
        stale
    }

    /// `sync`: whether the pairs of `vol` are copying their changed tracks.
    pub fn vol_resyncing(&self, vol: usize) -> bool {
        !self.resyncing.is_empty() && self.resyncing.binary_search(&(vol as u32)).is_ok()
    }

    /// `sync`: keeps pending only the volumes `keep` says still have changed tracks not
    /// secured.
    pub fn resyncing_keep(&mut self, keep: impl FnMut(&u32) -> bool) {
        self.resyncing.retain(keep);
    }

    /// The resynchronised writes not yet secured everywhere, in sequence order.
    pub fn resynced_list(&self) -> &[u64] {
        &self.resynced
    }

    /// Write `seq` is copied by a resynchronisation.
    pub fn resynced(&mut self, seq: u64) {
        self.resynced.push(seq);
    }

    /// The resynchronised writes `covered` says an acknowledgment covers, in order (they
    /// stay listed until [`Session::resynced_keep`] drops them). Nothing allocates while
    /// the list is empty.
    pub fn resynced_upto(&self, covered: impl Fn(u64) -> bool) -> Vec<u64> {
        if self.resynced.is_empty() {
            return Vec::new();
        }
        self.resynced
            .iter()
            .copied()
            .filter(|&q| covered(q))
            .collect()
    }

    /// Keeps listed only the resynchronised writes `keep` says are not yet secured
    /// everywhere.
    pub fn resynced_keep(&mut self, keep: impl Fn(u64) -> bool) {
        if !self.resynced.is_empty() {
            self.resynced.retain(|&q| keep(q));
        }
    }

    /// Every site has secured a write of volume `vol` (of `n`) made at `t`.
    pub fn note_secured(&mut self, vol: usize, n: usize, t: SimTime) {
        if self.secured_upto.len() < n {
            self.secured_upto.resize(n, SimTime::ZERO);
        }
        let s = &mut self.secured_upto[vol];
        *s = (*s).max(t);
    }

    /// Host time of the latest write of `vol` every site has secured.
    pub fn secured_upto(&self, vol: usize) -> Option<SimTime> {
        self.secured_upto
            .get(vol)
            .copied()
            .filter(|&t| t > SimTime::ZERO)
    }

    /// Whether the pairs of primary volume `vol` are suspended (the session's suspension,
    /// or their own).
    #[inline]
    pub fn vol_suspended(&self, vol: usize) -> bool {
        self.suspended || self.vol_suspended.get(vol).copied().unwrap_or(false)
    }

    /// Whether the pairs of `vol` are suspended on their own (not the whole session).
    #[inline]
    pub fn vol_suspended_alone(&self, vol: usize) -> bool {
        self.vol_suspended.get(vol).copied().unwrap_or(false)
    }

    /// Suspends the pairs of primary volume `vol` (of `n` volumes) on their own; whether
    /// they were duplex.
    pub fn suspend_vol(&mut self, vol: usize, n: usize) -> bool {
        if self.vol_suspended(vol) {
            return false;
        }
        if self.vol_suspended.len() < n {
            self.vol_suspended.resize(n, false);
        }
        self.vol_suspended[vol] = true;
        true
    }

    /// Whether any volume's pairs are suspended on their own.
    pub fn any_vol_suspended(&self) -> bool {
        self.vol_suspended.iter().any(|&b| b)
    }

    /// `sync`: arms the suspension timeout of `site`'s failed link; whether it was not
    /// armed yet.
    pub fn arm_sync(&mut self, site: usize) -> bool {
        let bit = 1u8 << site;
        let was = self.sync_armed & bit != 0;
        self.sync_armed |= bit;
        !was
    }

    /// An initial copy was sent to `site` at establishment.
    pub fn initial_copy_sent(&mut self, site: usize) {
        self.initial_copy_sites |= 1u8 << site;
    }

    /// Whether an initial copy was sent to `site` at establishment.
    pub fn initial_copy_pending(&self, site: usize) -> bool {
        self.initial_copy_sites & (1u8 << site) != 0
    }

    /// `sync`: the timeout of `site` fired.
    pub fn disarm_sync(&mut self, site: usize) {
        self.sync_armed &= !(1u8 << site);
    }

    /// Marks write `seq`, made before the suspension but completed by it, in the
    /// changed-track bitmap (kept in sequence order).
    pub fn mark_changed_sorted(&mut self, seq: u64) {
        if let Err(i) = self.bitmap.binary_search(&seq) {
            self.bitmap.insert(i, seq);
        }
    }

    /// Flow control for a write to a duplexed extent of a volume whose residual count (record
    /// sets not yet read by a mover) is `residual` and which is blocked or not: pacing
    /// delays it in proportion to how far the count is over the threshold (the full
    /// `max_delay` at twice the threshold); blocking holds it while the device is blocked
    /// or the count is over the threshold.
    pub fn admit(&self, residual: u32, blocked: bool) -> Admit {
        match self.flow {
            FlowControl::Pacing {
                threshold,
                max_delay,
            } if residual > threshold => {
                let frac = ((residual - threshold) as f64 / threshold.max(1) as f64).min(1.0);
                let d = SimDuration::from_secs_f64(max_delay.as_secs_f64() * frac);
                if d.is_zero() {
                    Admit::Go
                } else {
                    Admit::Pace(d)
                }
            }
            FlowControl::Blocking { threshold, .. } if blocked || residual > threshold => {
                Admit::Block
            }
            _ => Admit::Go,
        }
    }

    /// Device blocking: whether a blocked volume whose residual count dropped to
    /// `residual` is unblocked.
    pub fn unblocks(&self, residual: u32) -> bool {
        matches!(self.flow, FlowControl::Blocking { resume, .. } if residual <= resume)
    }

    /// Whether the session is suspended (writes only marked in the bitmap).
    pub fn suspended(&self) -> bool {
        self.suspended
    }

    /// Suspends the session.
    pub fn suspend(&mut self) {
        self.suspended = true;
    }

    /// Marks write `seq`, made while suspended, in the changed-track bitmap.
    pub fn mark_changed(&mut self, seq: u64) {
        self.bitmap.push(seq);
    }

    /// Record sets in the sidefiles.
    pub fn sidefile(&self) -> u64 {
        self.sidefile
    }

    /// Record sets read by the movers and not yet secured everywhere (the movers' buffer).
    pub fn held(&self) -> u64 {
        self.sidefile.saturating_sub(self.residual)
    }

    /// A record set enters the sidefile at `now`; whether the suspension policy suspends
    /// the session now (the sidefile over its threshold for the policy's timeout).
    pub fn sidefile_add(&mut self, now: SimTime) -> bool {
        self.sidefile += 1;
        if let FlowControl::Suspend {
            threshold, timeout, ..
        } = self.flow
        {
            if self.sidefile > threshold as u64 {
                let since = *self.over_threshold_since.get_or_insert(now);
                return !self.suspended && now - since >= timeout;
            }
            self.over_threshold_since = None;
        }
        false
    }

    /// A record set secured by every site leaves the sidefile.
    pub fn sidefile_secured(&mut self) {
        self.sidefile = self.sidefile.saturating_sub(1);
    }

    /// After acknowledgments: the sidefile back under the threshold restarts the timeout.
    pub fn sidefile_checked(&mut self) {
        if let FlowControl::Suspend { threshold, .. } = self.flow
            && self.sidefile <= threshold as u64
        {
            self.over_threshold_since = None;
        }
    }

    /// A record set becomes ready for a mover.
    pub fn residual_add(&mut self) {
        self.residual += 1;
    }

    /// A mover read a record set.
    pub fn residual_read(&mut self) {
        self.residual = self.residual.saturating_sub(1);
    }

    /// The delay after which a suspended session whose sidefile has drained resynchronises
    /// (under the suspension policy), once: the resynchronisation is then scheduled.
    pub fn resync_due(&mut self) -> Option<SimDuration> {
        if let FlowControl::Suspend { resync_after, .. } = self.flow
            && self.suspended
            && !self.resync_scheduled
            && self.sidefile == 0
        {
            self.resync_scheduled = true;
            return Some(resync_after);
        }
        None
    }

    /// The operator resumes the session: whether a resynchronisation is to be scheduled
    /// now (suspended and none pending).
    pub fn resume(&mut self) -> bool {
        if (self.suspended || self.any_vol_suspended()) && !self.resync_scheduled {
            self.resync_scheduled = true;
            return true;
        }
        false
    }

    /// The resynchronisation starts: the session and every pair are duplex again.
    pub fn begin_resync(&mut self) {
        self.suspended = false;
        self.vol_suspended.clear();
        self.resync_scheduled = false;
        self.over_threshold_since = None;
    }

    /// The resynchronisation must wait (a write of the bitmap is still in progress): the
    /// session stays suspended with a resynchronisation pending.
    pub fn defer_resync(&mut self) {
        self.suspended = true;
        self.resync_scheduled = true;
    }

    /// The writes in the bitmap, in sequence order.
    pub fn bitmap(&self) -> &[u64] {
        &self.bitmap
    }

    /// Empties the bitmap for the resynchronisation copy.
    pub fn take_bitmap(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.bitmap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> FlowControl {
        FlowControl::Suspend {
            threshold: 2,
            timeout: SimDuration::from_millis(10),
            resync_after: SimDuration::from_millis(5),
        }
    }

    #[test]
    fn the_sidefile_over_its_threshold_for_the_timeout_suspends() {
        let mut s = Session::new(policy());
        let t = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
        assert!(!s.sidefile_add(t(0)));
        assert!(!s.sidefile_add(t(1)));
        assert!(!s.sidefile_add(t(2)), "over the threshold from 2 ms");
        assert!(!s.sidefile_add(t(11)));
        assert!(s.sidefile_add(t(12)), "10 ms over the threshold");
        s.suspend();
        assert!(!s.sidefile_add(t(13)), "already suspended");
        assert_eq!(s.resync_due(), None, "the sidefile has not drained");
        for _ in 0..6 {
            s.sidefile_secured();
        }
        assert_eq!(s.resync_due(), Some(SimDuration::from_millis(5)));
        assert_eq!(s.resync_due(), None, "scheduled once");
        assert!(!s.resume(), "a resynchronisation is already pending");
        s.begin_resync();
        assert!(!s.suspended());
    }

    #[test]
    fn going_back_under_the_threshold_restarts_the_timeout() {
        let mut s = Session::new(policy());
        let t = |ms| SimTime::ZERO + SimDuration::from_millis(ms);
        for i in 0..3 {
            assert!(!s.sidefile_add(t(i)));
        }
        s.sidefile_secured();
        s.sidefile_checked();
        assert!(!s.sidefile_add(t(20)), "the timeout starts again at 20 ms");
        assert!(s.sidefile_add(t(30)));
    }

    #[test]
    fn pacing_ramps_with_the_residual_count_and_blocking_holds_until_resume() {
        let pacing = Session::new(FlowControl::Pacing {
            threshold: 10,
            max_delay: SimDuration::from_millis(100),
        });
        assert_eq!(pacing.admit(10, false), Admit::Go);
        assert_eq!(
            pacing.admit(15, false),
            Admit::Pace(SimDuration::from_millis(50))
        );
        assert_eq!(
            pacing.admit(500, false),
            Admit::Pace(SimDuration::from_millis(100))
        );
        assert!(!pacing.unblocks(0), "pacing never blocks");
        let blocking = Session::new(FlowControl::Blocking {
            threshold: 10,
            resume: 4,
        });
        assert_eq!(blocking.admit(10, false), Admit::Go);
        assert_eq!(blocking.admit(11, false), Admit::Block);
        assert_eq!(
            blocking.admit(0, true),
            Admit::Block,
            "blocked until resumed"
        );
        assert!(!blocking.unblocks(5));
        assert!(blocking.unblocks(4));
    }

    #[test]
    fn a_pair_suspends_on_its_own_and_a_resynchronisation_makes_it_duplex() {
        let mut s = Session::new(FlowControl::None);
        assert!(!s.vol_suspended(3));
        assert!(s.suspend_vol(3, 8));
        assert!(!s.suspend_vol(3, 8), "already suspended");
        assert!(s.vol_suspended(3) && s.vol_suspended_alone(3) && !s.vol_suspended(2));
        assert!(!s.suspended(), "the session is not");
        s.mark_changed(10);
        s.mark_changed(14);
        s.mark_changed_sorted(12);
        s.mark_changed_sorted(12);
        assert_eq!(s.bitmap(), &[10, 12, 14], "in sequence order, once");
        assert!(s.arm_sync(1) && !s.arm_sync(1), "armed once per site");
        s.disarm_sync(1);
        assert!(s.arm_sync(1));
        assert!(s.resume(), "a pair suspended on its own may be resumed");
        s.begin_resync();
        assert!(!s.vol_suspended(3));
        for q in s.take_bitmap() {
            s.resynced(q);
        }
        assert_eq!(s.resynced_upto(|q| q <= 12), vec![10, 12]);
        s.resynced_keep(|q| q > 12);
        assert_eq!(s.resynced_upto(|_| true), vec![14]);
        s.note_secured(2, 8, SimTime::ZERO + SimDuration::from_millis(5));
        s.note_secured(2, 8, SimTime::ZERO + SimDuration::from_millis(3));
        assert_eq!(
            s.secured_upto(2),
            Some(SimTime::ZERO + SimDuration::from_millis(5))
        );
        assert_eq!(s.secured_upto(1), None);
    }

    #[test]
    fn resynchronising_volumes_stay_pending_until_kept_no_more() {
        let mut s = Session::new(FlowControl::None);
        assert!(!s.vol_resyncing(2));
        s.set_resyncing(vec![2, 5]);
        assert!(s.vol_resyncing(2) && s.vol_resyncing(5) && !s.vol_resyncing(3));
        assert!(s.resyncing_stale(), "new: to be brought up to date");
        assert!(!s.resyncing_stale(), "nothing secured since");
        s.resyncing_keep(|&v| v == 5);
        assert_eq!(s.resyncing(), &[5]);
        assert!(!s.vol_resyncing(2));
    }

    #[test]
    fn without_the_policy_nothing_suspends_or_resynchronises_by_itself() {
        let mut s = Session::new(FlowControl::None);
        for i in 0..100 {
            assert!(!s.sidefile_add(SimTime::ZERO + SimDuration::from_secs(i)));
        }
        s.suspend();
        while s.sidefile() > 0 {
            s.sidefile_secured();
        }
        assert_eq!(s.resync_due(), None);
        assert!(s.resume(), "an operator may resume");
        assert!(!s.resume());
    }
}
