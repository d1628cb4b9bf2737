//! Channel command words (CCWs), ECKD channel programs and their execution against a volume.
//!
//! A [`Ccw`] carries what the channel program holds: a command code, flags, a byte count and,
//! instead of a main-storage address, the parameter or record it would point at
//! ([`CcwData`]). [`execute`] interprets a chain the way a 3990-class storage control
//! would, without changing the volume: it returns the ending status and fills a reusable
//! [`ChainEffects`] with the records to write, the records read, the bytes moved and the
//! tracks visited. The storage control applies the writes with [`commit`] when the data
//! transfer completes.
//!
//! Command codes, flag bits, status and sense bits are the real ones (see
//! `docs/fidelity.md`); [`build`] makes the chains hosts and data movers use.

pub mod build;
pub mod exec;
#[cfg(test)]
mod golden;
pub mod status;
#[cfg(test)]
mod tests;

pub use exec::{ChainEffects, RecordWrite, WriteKind, commit, execute};
pub use status::{ChainStatus, Sense};

use crate::types::{Cchhr, Digest, TRACKS_PER_CYLINDER};

/// The channel commands modelled, with their real command codes (IBM 3990 Storage Control
/// Reference GA32-0099 / GA32-0274, as implemented by Hercules `ckddasd.c`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Command {
    /// Write Data (update the data area of the record located): X'05'.
    WriteData = 0x05,
    /// Write Update Data (update write inside a Locate Record Write Data domain): X'85'.
    WriteUpdateData = 0x85,
    /// Write Count, Key and Data (format write; erases the rest of the track): X'1D'.
    WriteCkd = 0x1D,
    /// Write CKD Next Track (format write of R1 on the next track): X'9D'.
    WriteCkdNextTrack = 0x9D,
    /// Write Record Zero (format write of R0; erases all user records): X'15'.
    WriteRecordZero = 0x15,
    /// Read Data: X'06'.
    ReadData = 0x06,
    /// Read Count, Key and Data: X'1E'.
    ReadCountKeyData = 0x1E,
    /// Read Count: X'12'.
    ReadCount = 0x12,
    /// Read Record Zero: X'16'.
    ReadRecordZero = 0x16,
    /// Read Track (all records of a track, inside a Read Tracks domain): X'DE'.
    ReadTrack = 0xDE,
    /// Define Extent (extent and file mask for the chain): X'63'.
    DefineExtent = 0x63,
    /// Locate Record (seek, orient and open a domain of `count` commands): X'47'.
    LocateRecord = 0x47,
    /// Seek (cylinder and head): X'07'.
    Seek = 0x07,
    /// Search ID Equal (compare the next count field's CCHHR): X'31'.
    SearchIdEqual = 0x31,
    /// Transfer In Channel (branch to another CCW): X'08'.
    Tic = 0x08,
    /// Control No-Operation: X'03'.
    Nop = 0x03,
    /// Sense (read the sense bytes): X'04'.
    Sense = 0x04,
}

impl Command {
    /// Every modelled command.
    pub const ALL: [Command; 17] = [
        Command::WriteData,
        Command::WriteUpdateData,
        Command::WriteCkd,
        Command::WriteCkdNextTrack,
        Command::WriteRecordZero,
        Command::ReadData,
        Command::ReadCountKeyData,
        Command::ReadCount,
        Command::ReadRecordZero,
        Command::ReadTrack,
        Command::DefineExtent,
        Command::LocateRecord,
        Command::Seek,
        Command::SearchIdEqual,
        Command::Tic,
        Command::Nop,
        Command::Sense,
    ];

    /// The command code byte.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// The modelled command with code `code`, if any.
    pub fn from_code(code: u8) -> Option<Command> {
        Command::ALL.iter().copied().find(|c| c.code() == code)
    }

    /// Whether this is a read command (code bits 6-7 = `10`), the only kind that may be
    /// data-chained.
    pub const fn is_read(self) -> bool {
        self.code() & 0x03 == 0x02
    }

    /// Short mnemonic (as in traces).
    pub const fn mnemonic(self) -> &'static str {
        match self {
            Command::WriteData => "WD",
            Command::WriteUpdateData => "WUD",
            Command::WriteCkd => "WCKD",
            Command::WriteCkdNextTrack => "WCKDNT",
            Command::WriteRecordZero => "WR0",
            Command::ReadData => "RD",
            Command::ReadCountKeyData => "RCKD",
            Command::ReadCount => "RC",
            Command::ReadRecordZero => "RR0",
            Command::ReadTrack => "RT",
            Command::DefineExtent => "DX",
            Command::LocateRecord => "LR",
            Command::Seek => "SEEK",
            Command::SearchIdEqual => "SIDE",
            Command::Tic => "TIC",
            Command::Nop => "NOP",
            Command::Sense => "SENSE",
        }
    }
}

/// CCW flag byte (bit values as in S/370 format-0/1 CCWs).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct CcwFlags(pub u8);

impl CcwFlags {
    /// No flags: the chain ends after this CCW.
    pub const NONE: CcwFlags = CcwFlags(0);
    /// Chain data (CD): the next CCW continues this command's data area.
    pub const CD: CcwFlags = CcwFlags(0x80);
    /// Chain command (CC): fetch and execute the next CCW after normal ending.
    pub const CC: CcwFlags = CcwFlags(0x40);
    /// Suppress length indication (SLI): a count differing from the record length is not
    /// an error.
    pub const SLI: CcwFlags = CcwFlags(0x20);
    /// Skip: suppress the transfer of read data into main storage.
    pub const SKIP: CcwFlags = CcwFlags(0x10);
    /// Program-controlled interruption (PCI).
    pub const PCI: CcwFlags = CcwFlags(0x08);

    /// Whether all bits of `f` are set.
    pub const fn has(self, f: CcwFlags) -> bool {
        self.0 & f.0 == f.0
    }
}

impl std::ops::BitOr for CcwFlags {
    type Output = CcwFlags;
    fn bitor(self, o: CcwFlags) -> CcwFlags {
        CcwFlags(self.0 | o.0)
    }
}

/// A seek address: cylinder and head (track), without record number.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Cchh {
    /// Cylinder.
    pub cyl: u32,
    /// Head (track within the cylinder, 0..15).
    pub head: u16,
}

impl Cchh {
    /// The address `cyl`, `head`.
    pub const fn new(cyl: u32, head: u16) -> Cchh {
        Cchh { cyl, head }
    }
    /// The address of linear track `track`.
    pub const fn from_track(track: u64) -> Cchh {
        let a = Cchhr::from_track(track, 0);
        Cchh {
            cyl: a.cyl,
            head: a.head,
        }
    }
    /// The linear track number (`cyl * 15 + head`).
    pub const fn track(self) -> u64 {
        self.cyl as u64 * TRACKS_PER_CYLINDER as u64 + self.head as u64
    }
    /// The record address `rec` on this track.
    pub const fn rec(self, rec: u8) -> Cchhr {
        Cchhr::new(self.cyl, self.head, rec)
    }
}

/// Define Extent file mask, write-control bits (byte 0 bits 0-1; values as in the 3990
/// reference and Hercules `CKDMASK_WRCTL_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum FileMask {
    /// X'00': all writes except Write Home Address / Write R0 (the default without DX).
    #[default]
    InhibitR0 = 0x00,
    /// X'40': inhibit all writes.
    InhibitAll = 0x40,
    /// X'80': update writes only (inhibit format writes).
    InhibitFormat = 0x80,
    /// X'C0': permit all writes.
    PermitAll = 0xC0,
}

/// Define Extent parameters: the tracks the chain may touch and the file mask.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefineExtent {
    /// First track of the extent.
    pub begin: Cchh,
    /// Last track of the extent (inclusive).
    pub end: Cchh,
    /// Which writes are permitted.
    pub mask: FileMask,
}

impl DefineExtent {
    /// The extent over linear tracks `first..=last` with file mask `mask`.
    pub const fn tracks(first: u64, last: u64, mask: FileMask) -> DefineExtent {
        DefineExtent {
            begin: Cchh::from_track(first),
            end: Cchh::from_track(last),
            mask,
        }
    }
}

/// Locate Record orientation (operation byte bits 0-1).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum Orientation {
    /// X'00': after the count area of the record searched for.
    #[default]
    Count = 0x00,
    /// X'40': after the home address (search on CCHH only).
    Home = 0x40,
    /// X'80': after the data area of the record searched for.
    Data = 0x80,
    /// X'C0': at the index point (no search).
    Index = 0xC0,
}

/// Locate Record operation code (operation byte bits 2-7).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
#[repr(u8)]
pub enum LocateOp {
    /// X'00': orient only (domain count must be 0).
    #[default]
    Orient = 0x00,
    /// X'01': Write Data (update writes).
    WriteData = 0x01,
    /// X'03': Format Write (Write R0 / Write CKD).
    FormatWrite = 0x03,
    /// X'06': Read Data (Read Data / Read CKD / Read Count / Read R0).
    ReadData = 0x06,
    /// X'0C': Read Tracks (Read Track commands, one per track).
    ReadTracks = 0x0C,
}

/// Locate Record parameters.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct LocateRecord {
    /// Orientation after the search.
    pub orientation: Orientation,
    /// Operation the domain performs.
    pub op: LocateOp,
    /// Number of commands (records, or tracks for Read Tracks) in the domain.
    pub count: u8,
    /// Track to seek to.
    pub seek: Cchh,
    /// Search argument (count-field CCHHR; only CCHH is used for home orientation).
    pub search: Cchhr,
}

impl LocateRecord {
    /// The operation byte (orientation | operation code).
    pub const fn op_byte(&self) -> u8 {
        self.orientation as u8 | self.op as u8
    }
}

/// A record as written by Write Data / Write CKD / Write R0: lengths and content digest.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct RecordPayload {
    /// Key length (used by format writes; update writes keep the record's format).
    pub key_len: u8,
    /// Data length (used by format writes; update writes keep the record's format).
    pub data_len: u16,
    /// Digest of the key and data contents.
    pub digest: Digest,
}

/// What main storage would hold at a CCW's data address.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum CcwData {
    /// Nothing the model needs (read buffers, NOP, Sense).
    #[default]
    None,
    /// Define Extent parameters.
    DefineExtent(DefineExtent),
    /// Locate Record parameters.
    LocateRecord(LocateRecord),
    /// A record to write.
    Record(RecordPayload),
    /// Seek address.
    Seek(Cchh),
    /// Search ID argument.
    SearchId(Cchhr),
    /// TIC target: index of a CCW in the chain.
    Tic(u16),
}

/// A channel command word.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Ccw {
    /// Command code (any byte; unknown codes end in command reject).
    pub code: u8,
    /// Flags.
    pub flags: CcwFlags,
    /// Byte count.
    pub count: u32,
    /// What the data address points at.
    pub data: CcwData,
}

impl Ccw {
    /// A CCW for `cmd`.
    pub const fn new(cmd: Command, flags: CcwFlags, count: u32, data: CcwData) -> Ccw {
        Ccw {
            code: cmd.code(),
            flags,
            count,
            data,
        }
    }

    /// A TIC to CCW index `target`.
    pub const fn tic(target: u16) -> Ccw {
        Ccw::new(Command::Tic, CcwFlags::NONE, 0, CcwData::Tic(target))
    }

    /// The modelled command, if the code is one.
    pub fn command(&self) -> Option<Command> {
        Command::from_code(self.code)
    }
}

#[cfg(test)]
mod unit_tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_are_distinct() {
        for c in Command::ALL {
            assert_eq!(Command::from_code(c.code()), Some(c));
        }
        let mut codes: Vec<u8> = Command::ALL.iter().map(|c| c.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Command::ALL.len());
        assert_eq!(Command::from_code(0xFF), None);
        assert_eq!(Command::DefineExtent.code(), 0x63);
        assert_eq!(Command::LocateRecord.code(), 0x47);
        assert_eq!(Command::WriteUpdateData.code(), 0x85);
        assert!(Command::ReadTrack.is_read() && Command::ReadData.is_read());
        assert!(!Command::WriteData.is_read() && !Command::Sense.is_read());
    }

    #[test]
    fn flags_and_addresses() {
        let f = CcwFlags::CC | CcwFlags::SLI;
        assert_eq!(f.0, 0x60);
        assert!(f.has(CcwFlags::CC) && !f.has(CcwFlags::CD));
        assert_eq!(Cchh::from_track(164), Cchh::new(10, 14));
        assert_eq!(Cchh::new(10, 14).track(), 164);
        let lr = LocateRecord {
            orientation: Orientation::Home,
            op: LocateOp::FormatWrite,
            count: 1,
            seek: Cchh::new(0, 0),
            search: Cchhr::new(0, 0, 0),
        };
        assert_eq!(lr.op_byte(), 0x43);
        assert!(
            std::mem::size_of::<Ccw>() <= 40,
            "{}",
            std::mem::size_of::<Ccw>()
        );
    }
}
