//! Typed observations: what happened in the world, as records the world pushes into an
//! [`ObsBuf`] and a driver drains. The world formats no text and never reads what consumes
//! them (the consistency checker, the trace writer, the TUI): observations flow one way, out
//! of the model, in the style of quinn-proto's `poll_*` effects.
//!
//! Each record is small and `Copy`; the only variable-length part (the content an update
//! carried per record when it is not its own write's) is kept beside the records in the
//! buffer and referred to by range.

use crate::content::{RecSpan, WriteId};
use crate::types::{SiteId, SiteMask, SubsystemId, VolumeId};
use sim::{SimDuration, SimTime};

/// Why a session was suspended.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SuspendReason {
    /// The sidefile stayed above its threshold for the timeout.
    SidefileThreshold,
    /// A primary storage control was lost.
    SubsystemLost,
    /// The operator suspended the session.
    Operator,
    /// `ur`: the master journal filled.
    MasterJournalFull,
    /// `zgm`: the journal stayed full for its timeout.
    JournalFull,
    /// `sync` with freeze: a pair's writes could not reach its secondary for the suspension
    /// timeout, and every pair was suspended at once.
    Freeze,
    /// `srdfa`: the delta sets outgrew their cache limit: the session dropped.
    DeltaSetCacheFull,
}

impl SuspendReason {
    /// The reason as the trace and the report word it.
    pub fn text(self) -> &'static str {
        match self {
            SuspendReason::SidefileThreshold => "sidefile above threshold for the timeout",
            SuspendReason::SubsystemLost => "storage control lost",
            SuspendReason::Operator => "operator",
            SuspendReason::MasterJournalFull => "master journal full",
            SuspendReason::JournalFull => "journal full for the timeout",
            SuspendReason::Freeze => "freeze: a pair's writes could not reach the secondary",
            SuspendReason::DeltaSetCacheFull => {
                "SRDF/A delta sets over their cache limit: the session dropped"
            }
        }
    }
}

/// The state of a volume pair at the primary, as XQUERY / CQUERY report it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairState {
    /// Initial copy in progress (not yet a copy of the primary).
    Pending,
    /// Every update is copied.
    Duplex,
    /// Updates are only marked in the changed-track bitmap for resynchronisation.
    Suspended,
    /// Out of the session.
    Ended,
}

impl PairState {
    /// The state as reports word it.
    pub fn text(self) -> &'static str {
        match self {
            PairState::Pending => "pending",
            PairState::Duplex => "duplex",
            PairState::Suspended => "suspended",
            PairState::Ended => "ended",
        }
    }
}

/// The content an update carried, per record: its own write's, or (the base design reading
/// newer data, a point-in-time copy shipping the latest version) the writes listed in
/// [`ObsBuf::writers`] from `start`, one per record of the span.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ShippedRef {
    /// The write's own content for every record.
    Own,
    /// Per record, the write whose content was shipped: `ObsBuf::writers()[start..start + n]`.
    Writers {
        /// Index of the first record's writer.
        start: u32,
    },
}

/// One observation of the world. Sequence numbers are global (the serializer's); sites and
/// volumes are indices into the world's configuration.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum Obs {
    /// A write got its sequence number (the `seq` event): the records of `span` on `vol`,
    /// `bytes` in all, routed to `sites`; `dep` is the write its application waited for.
    Seq {
        /// Sequence number.
        seq: u64,
        /// Primary volume.
        vol: VolumeId,
        /// Records written.
        span: RecSpan,
        /// Bytes written.
        bytes: u32,
        /// Sites the write is routed to.
        sites: SiteMask,
        /// The sequence number of the write its application waited for (0: none).
        dep: u64,
        /// The write (its content is `digest_of(vol, addr, writer)`).
        writer: WriteId,
    },
    /// A numbered write completed to its host (channel end and device end).
    WriteDone {
        /// Sequence number.
        seq: u64,
        /// Primary volume.
        vol: VolumeId,
        /// Records written.
        span: RecSpan,
        /// The write.
        writer: WriteId,
    },
    /// Any host write ended without unit check (replicated or not), with its response time.
    HostWrite {
        /// Bytes written.
        bytes: u32,
        /// From issue to channel end and device end.
        response: SimDuration,
    },
    /// The token of `seq` reached a secondary.
    TokenRx {
        /// Site.
        site: SiteId,
        /// Sequence number.
        seq: u64,
    },
    /// The update data of `seq` reached a secondary and its entry counts as complete.
    DataRx {
        /// Site.
        site: SiteId,
        /// Sequence number.
        seq: u64,
        /// The content it carried.
        shipped: ShippedRef,
    },
    /// The update data of `seq` reached a secondary, but its entry waits for the rest of its
    /// re-update group (the data is newer than its own write's) before it counts as
    /// complete: it is held, with data, not "without data".
    DataHeld {
        /// Site.
        site: SiteId,
        /// Sequence number.
        seq: u64,
    },
    /// A secondary finished writing update `seq` to its DASD.
    Apply {
        /// Site.
        site: SiteId,
        /// Sequence number.
        seq: u64,
    },
    /// The primary site was lost.
    Disaster,
    /// The workload stopped at the end of the run's length.
    EndOfWorkload,
    /// An instant at which the data-loss window is sampled (the RPO sampling interval).
    /// The world pauses its observations here: a driver that stops the run after it sees the
    /// world at exactly this instant.
    RpoSample,
    /// A site finished its recovery (or, with drain, was evaluated at the end).
    Recovered {
        /// Site.
        site: SiteId,
    },
    /// The link to a site was cut.
    LinkCut {
        /// Site.
        site: SiteId,
    },
    /// The link to a site was restored.
    LinkRestored {
        /// Site.
        site: SiteId,
    },
    /// A primary storage control was lost.
    SubsystemLost {
        /// Storage control.
        ss: SubsystemId,
    },
    /// A data mover crashed.
    MoverCrash {
        /// Mover index.
        mover: u16,
    },
    /// A crashed data mover restarted.
    MoverRestart {
        /// Mover index.
        mover: u16,
    },
    /// A secondary's DASD slowed down by `factor`.
    SecondarySlowdown {
        /// Site.
        site: SiteId,
        /// Service-time multiplier.
        factor: f64,
    },
    /// A secondary's slowdown is over.
    SecondarySlowdownEnd {
        /// Site.
        site: SiteId,
    },
    /// A volume pair joined the session.
    PairAdded {
        /// Index of the pair in the configuration.
        pair: u32,
    },
    /// A volume pair left the session.
    PairRemoved {
        /// Index of the pair in the configuration.
        pair: u32,
    },
    /// A volume pair changed state (`pending`, `duplex`, `suspended`, `ended`).
    PairState {
        /// Index of the pair in the configuration.
        pair: u32,
        /// Its new state.
        state: PairState,
    },
    /// The session was suspended.
    Suspend {
        /// Why.
        reason: SuspendReason,
    },
    /// Resynchronisation of the writes `from..=to` (marked in the bitmap while suspended)
    /// started.
    Resync {
        /// First sequence number covered.
        from: u64,
        /// Last sequence number covered.
        to: u64,
    },
    /// A site received the whole resynchronisation.
    ResyncDone {
        /// Site.
        site: SiteId,
    },
    /// A site's initial copy (of the session or of a pair that joined) is complete: its
    /// pairs are duplex.
    InitialCopyDone {
        /// Site.
        site: SiteId,
    },
    /// A host channel program ended in unit check; the host read the sense bytes (a Sense
    /// chain) and its error recovery decided: retry the channel program, or fail the
    /// request. A failed write never got a token: it did not happen.
    UnitCheck {
        /// Primary volume.
        vol: VolumeId,
        /// A write (else a read).
        write: bool,
        /// Sense byte 0 (command reject, equipment check, ...).
        sense0: u8,
        /// Sense byte 1 (no record found, file protected, invalid track format, ...).
        sense1: u8,
        /// The try that failed (1 = the first).
        attempt: u32,
        /// Retried (else the request failed).
        retry: bool,
    },
    /// `sync`: a site discarded the update `seq` it held but had not applied, because the
    /// primary gave it up when its pair suspended (the primary's skip notice).
    Skip {
        /// Site.
        site: SiteId,
        /// Sequence number.
        seq: u64,
    },
}

/// Observations not yet drained, in the order they happened, with their instants.
#[derive(Clone, Debug, Default)]
pub struct ObsBuf {
    items: Vec<(SimTime, Obs)>,
    writers: Vec<WriteId>,
    sample: bool,
}

impl ObsBuf {
    /// Records `o` at `t`.
    #[inline]
    pub fn push(&mut self, t: SimTime, o: Obs) {
        if matches!(o, Obs::RpoSample) {
            self.sample = true;
        }
        self.items.push((t, o));
    }

    /// Keeps a per-record content list for a [`ShippedRef::Writers`].
    pub fn shipped(&mut self, writers: &[WriteId]) -> ShippedRef {
        let start = self.writers.len() as u32;
        self.writers.extend_from_slice(writers);
        ShippedRef::Writers { start }
    }

    /// Whether an [`Obs::RpoSample`] is waiting to be drained (a driver stops the run there).
    pub fn sample_pending(&self) -> bool {
        self.sample
    }

    /// The observations so far.
    pub fn items(&self) -> &[(SimTime, Obs)] {
        &self.items
    }

    /// The per-record content lists that [`ShippedRef::Writers`] point into.
    pub fn writers(&self) -> &[WriteId] {
        &self.writers
    }

    /// The writers of `n` records from a [`ShippedRef`] (`None` for the write's own).
    pub fn writers_of(&self, s: ShippedRef, n: usize) -> Option<&[WriteId]> {
        match s {
            ShippedRef::Own => None,
            ShippedRef::Writers { start } => {
                let start = start as usize;
                self.writers.get(start..start + n)
            }
        }
    }

    /// Forgets everything drained (keeps the buffers' capacity).
    pub fn clear(&mut self) {
        self.items.clear();
        self.writers.clear();
        self.sample = false;
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_lists_are_found_by_their_range_and_cleared() {
        let mut b = ObsBuf::default();
        let s = b.shipped(&[3, 5]);
        b.push(
            SimTime::from_nanos(7),
            Obs::DataRx {
                site: SiteId(0),
                seq: 1,
                shipped: s,
            },
        );
        assert_eq!(b.writers_of(s, 2), Some(&[3u64, 5][..]));
        assert_eq!(b.writers_of(ShippedRef::Own, 2), None);
        assert!(!b.sample_pending());
        b.push(SimTime::from_nanos(8), Obs::RpoSample);
        assert!(b.sample_pending());
        assert_eq!(b.items().len(), 2);
        b.clear();
        assert!(b.is_empty() && !b.sample_pending() && b.writers().is_empty());
    }

    #[test]
    fn an_observation_fits_a_cache_line() {
        assert!(
            std::mem::size_of::<Obs>() <= 64,
            "{}",
            std::mem::size_of::<Obs>()
        );
    }
}
