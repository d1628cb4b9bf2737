//! Workload generators and the SPC block-trace reader.
//!
//! A host runs applications; an application repeatedly starts *chains* of I/O operations.
//! Within a chain each operation is issued only after the previous one completed (plus a
//! think time): a *dependent write*, as when a database writes its log record, waits, writes
//! the data page, waits, and writes the log commit mark. Chains start open-loop, at arrival
//! instants drawn by the generator, and several chains may be in flight at once.
//!
//! Addressing here is abstract: an operation names a *data-set slot* of the application
//! (an index into the list of data sets the scenario gives it) and a 0-based record index
//! inside that data set. The host model maps slot and record to a volume and a CCHHR.
//!
//! - [`WorkloadSpec`]: the scenario-file description of a generator (serde, `kind = ...`);
//! - [`Workload`]: its running state; [`Workload::next_arrival`] and [`Workload::next_chain`];
//! - [`spc`]: the SPC block-trace format (parser and streaming reader);
//! - [`blockmap`]: maps SPC block addresses (ASU, LBA, bytes) onto CKD volumes and records;
//! - [`stats`]: [`TraceStats`], a one-pass summary of a trace for reports.
//!
//! ```
//! use models::workload::{DataSetShape, OpKind, Workload, WorkloadSpec};
//! use sim::{SimDuration, SimTime, rng::stream};
//!
//! // A database: a 1,000-record log (slot 0) and a 50,000-record table space (slot 1).
//! let datasets = [
//!     DataSetShape { records: 1_000, records_per_track: 12 },
//!     DataSetShape { records: 50_000, records_per_track: 12 },
//! ];
//! let spec = WorkloadSpec::Oltp {
//!     tx_rate: 100.0, log: 0, data: 1, skew: 0.9, page_records: 1, log_records: 1,
//!     think: SimDuration::ZERO, read_fraction: 0.0, burst: None,
//! };
//! let mut w = Workload::new(&spec, &datasets).unwrap();
//! assert_eq!(w.mean_write_rate(), 300.0);
//! let mut rng = stream(1, "host.SYSA.app0");
//! let wait = w.next_arrival(SimTime::ZERO, &mut rng); // the chain starts at 0 + wait,
//! let chain = w.next_chain(&mut rng); // then its ops are issued one after the other
//! assert_eq!(chain.len(), 3);
//! assert!(chain.ops().iter().all(|op| op.kind == OpKind::Write));
//! assert!(wait > SimDuration::ZERO);
//! ```

pub mod blockmap;
mod generator;
mod pattern;
pub mod program;
pub mod spc;
mod spec;
pub mod stats;

#[cfg(test)]
mod small_trace;

pub use blockmap::{AsuVolumes, BlockMap, Extent, Layout, MapError, Mapped, TraceVolume};
pub use generator::Workload;
pub use program::{Program, ProgramMix};
pub use spc::{Leniency, SpcError, SpcField, SpcProblem, SpcReader, SpcRecord, parse_line};
pub use spec::{Burst, WorkloadSpec};
pub use stats::TraceStats;

use serde::{Deserialize, Serialize};
use sim::SimDuration;
use std::fmt;

/// Direction of one I/O operation.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// A read of records (no effect on the copy pipeline).
    Read,
    /// An update write of records (what remote copy must duplicate).
    Write,
}

/// One I/O operation of a chain, in abstract addressing: `nrecs` consecutive records of
/// the data set in slot `dataset`, starting at record index `record` (0-based).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct OpSpec {
    /// Read or write.
    pub kind: OpKind,
    /// Data-set slot: an index into the application's list of data sets.
    pub dataset: u16,
    /// First record, 0-based within the data set.
    pub record: u64,
    /// Number of consecutive records (>= 1).
    pub nrecs: u16,
}

impl OpSpec {
    /// A write of `nrecs` records from `record` in data-set slot `dataset`.
    pub const fn write(dataset: u16, record: u64, nrecs: u16) -> OpSpec {
        OpSpec {
            kind: OpKind::Write,
            dataset,
            record,
            nrecs,
        }
    }
    /// A read of `nrecs` records from `record` in data-set slot `dataset`.
    pub const fn read(dataset: u16, record: u64, nrecs: u16) -> OpSpec {
        OpSpec {
            kind: OpKind::Read,
            dataset,
            record,
            nrecs,
        }
    }
    /// One past the last record touched (`record + nrecs`).
    #[inline]
    pub const fn end(&self) -> u64 {
        self.record + self.nrecs as u64
    }
}

/// Filler for the unused slots of a [`ChainSpec`] (never visible through its accessors).
const NO_OP: OpSpec = OpSpec::read(0, 0, 0);

/// A chain of up to [`ChainSpec::MAX_OPS`] dependent operations: op `i + 1` is issued
/// `think` after op `i` completed. A small `Copy` value; it never allocates.
#[derive(Copy, Clone, PartialEq, Eq, Hash)]
pub struct ChainSpec {
    ops: [OpSpec; ChainSpec::MAX_OPS],
    len: u8,
    /// Delay between the completion of one operation and the issue of the next.
    pub think: SimDuration,
}

impl ChainSpec {
    /// The most operations a chain holds.
    pub const MAX_OPS: usize = 4;

    /// An empty chain with the given think time.
    pub const fn new(think: SimDuration) -> ChainSpec {
        ChainSpec {
            ops: [NO_OP; ChainSpec::MAX_OPS],
            len: 0,
            think,
        }
    }

    /// A chain of one operation (e.g. one I/O of a block trace).
    pub const fn single(op: OpSpec) -> ChainSpec {
        let mut c = ChainSpec::new(SimDuration::ZERO);
        c.ops[0] = op;
        c.len = 1;
        c
    }

    /// A chain of the given operations; `None` when there are none or more than
    /// [`ChainSpec::MAX_OPS`].
    pub fn from_ops(ops: &[OpSpec], think: SimDuration) -> Option<ChainSpec> {
        if ops.is_empty() || ops.len() > Self::MAX_OPS {
            return None;
        }
        let mut c = ChainSpec::new(think);
        for op in ops {
            c.push(*op).ok()?;
        }
        Some(c)
    }

    /// Appends an operation; gives it back when the chain is full.
    pub fn push(&mut self, op: OpSpec) -> Result<(), OpSpec> {
        let i = self.len as usize;
        if i >= Self::MAX_OPS {
            return Err(op);
        }
        self.ops[i] = op;
        self.len += 1;
        Ok(())
    }

    /// The operations, in issue order.
    #[inline]
    pub fn ops(&self) -> &[OpSpec] {
        &self.ops[..self.len as usize]
    }

    /// Operation `i` (0-based), if the chain has it.
    #[inline]
    pub fn op(&self, i: usize) -> Option<OpSpec> {
        self.ops().get(i).copied()
    }

    /// Number of operations.
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the chain has no operation.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of write operations in the chain.
    pub fn writes(&self) -> usize {
        self.ops()
            .iter()
            .filter(|o| o.kind == OpKind::Write)
            .count()
    }
}

impl fmt::Debug for ChainSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChainSpec")
            .field("ops", &self.ops())
            .field("think", &self.think)
            .finish()
    }
}

/// The shape of one data set of an application, as the host model lays it out: how many
/// records it holds and how many fit on one track (given per data-set slot).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DataSetShape {
    /// Records in the data set (>= 1 for every slot a workload uses).
    pub records: u64,
    /// Records per track (>= 1); the default write size of a sequential writer is one track.
    pub records_per_track: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_holds_at_most_four_ops() {
        let mut c = ChainSpec::new(SimDuration::from_micros(5));
        assert!(c.is_empty());
        for i in 0..4 {
            c.push(OpSpec::write(0, i, 1)).unwrap();
        }
        assert_eq!(c.len(), 4);
        assert_eq!(c.push(OpSpec::read(1, 9, 2)), Err(OpSpec::read(1, 9, 2)));
        assert_eq!(c.ops()[3].record, 3);
        assert_eq!(c.op(4), None);
        assert_eq!(c.writes(), 4);
        assert!(ChainSpec::from_ops(&[], SimDuration::ZERO).is_none());
        assert!(ChainSpec::from_ops(&[OpSpec::read(0, 0, 1); 5], SimDuration::ZERO).is_none());
        let s = ChainSpec::single(OpSpec::read(2, 7, 3));
        assert_eq!(s.ops(), &[OpSpec::read(2, 7, 3)]);
        assert_eq!(s.writes(), 0);
        assert_eq!(OpSpec::read(2, 7, 3).end(), 10);
        assert_eq!(
            format!("{s:?}"),
            "ChainSpec { ops: [OpSpec { kind: Read, dataset: 2, record: 7, nrecs: 3 }], think: SimDuration(0ns) }"
        );
    }
}
