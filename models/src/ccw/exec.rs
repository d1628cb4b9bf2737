//! Execution of a channel program against a volume image.
//!
//! [`execute`] plans: it walks the chain the way a 3990-class storage control would and
//! records what the chain does in [`ChainEffects`], leaving the volume untouched.
//! [`commit`] applies the planned writes later (when the storage control completes the
//! data transfer). Rules modelled (after Hercules `ckddasd.c` and the 3990 reference):
//!
//! - chaining continues only while command chaining (CC) is set and the command ended with
//!   channel end + device end; status modifier (a search that compared equal) skips the
//!   next CCW; data chaining (CD) is accepted on read commands only and sums the counts;
//! - Define Extent must be the first command and appear once; it sets the extent and the
//!   file mask. Without it the extent is the whole volume and the mask inhibits Write R0;
//! - Locate Record needs a preceding Define Extent, seeks (outside the extent: file
//!   protected), searches for its argument (absent: no record found) and opens a domain of
//!   `count` commands, which must be of the kind its operation allows and command-chained
//!   until the domain is complete (else command reject + operation check);
//! - outside a domain, Write Data needs a Search ID Equal that compared equal on the
//!   record, Write CKD a Search ID Equal or a previous Write CKD; reads need a Seek or
//!   Locate Record; a search that reaches the index point twice ends in no record found;
//! - a format write that would exceed the track capacity ends in invalid track format;
//! - a count that differs from the record length without SLI ends the chain with
//!   incorrect length (after the command executed); a data length of 0 gives unit exception;
//! - unknown codes, bad parameters, TIC first in the chain, TIC to TIC or out of the chain,
//!   more than [`MAX_TICS`] TICs, chaining past the last CCW: command reject.

use super::status::{ChainStatus, Sense, reject, sense0, sense1, unit};
use super::{
    Cchh, Ccw, CcwData, CcwFlags, Command, FileMask, LocateOp, Orientation, RecordPayload,
};
use crate::dasd::{RecordState, VolumeError, VolumeImage};
use crate::types::{Cchhr, Digest, TRACKS_PER_CYLINDER};

/// Most TICs one chain may execute before it is ended with command reject (a real channel
/// would loop until the host's missing-interrupt handler stops it).
pub const MAX_TICS: u32 = 4096;
/// Most CCWs one chain may execute.
pub const MAX_CCWS: u32 = 65_536;

/// How a planned write changes the record.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum WriteKind {
    /// Update write (Write Data / Write Update Data): new content, same format.
    Update,
    /// Format write (Write CKD / Write R0): new count, key and data; later records erased.
    Format,
}

/// A record write planned by a chain.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordWrite {
    /// Record address.
    pub addr: Cchhr,
    /// Key length of the record after the write.
    pub key_len: u8,
    /// Data length of the record after the write.
    pub data_len: u16,
    /// Content digest written.
    pub digest: Digest,
    /// Update or format write.
    pub kind: WriteKind,
}

/// User-record formats of a track as format writes earlier in the chain left it.
#[derive(Clone, Debug, Default)]
struct ShadowTrack {
    track: u64,
    r0: (u8, u16),
    recs: Vec<(u8, u16)>,
}

/// What a chain did, for the storage control to time and later [`commit`]. Reuse one value
/// across calls: [`execute`] clears it and keeps its buffers.
#[derive(Clone, Debug, Default)]
pub struct ChainEffects {
    /// Writes in chain order.
    pub writes: Vec<RecordWrite>,
    /// Records read (content as seen by the chain), in order.
    pub reads: Vec<(Cchhr, RecordState)>,
    /// Bytes sent from the channel to the device (parameters and write data).
    pub bytes_to_device: u64,
    /// Bytes sent from the device to the channel (read data and sense).
    pub bytes_from_device: u64,
    /// First track the chain positioned to (where the seek goes).
    pub first_track: Option<u64>,
    /// Track the chain ended on (where the access arm is left).
    pub last_track: Option<u64>,
    /// Number of track changes, counting the first positioning (1 for a one-track chain).
    pub tracks_touched: u32,
    /// CCWs executed, including TICs and data-chained CCWs.
    pub ccws_executed: u32,
    shadows: Vec<ShadowTrack>,
    active_shadows: usize,
}

impl ChainEffects {
    /// Empty effects.
    pub fn new() -> ChainEffects {
        ChainEffects::default()
    }

    /// Forgets everything, keeping the buffers.
    pub fn clear(&mut self) {
        self.writes.clear();
        self.reads.clear();
        self.bytes_to_device = 0;
        self.bytes_from_device = 0;
        self.first_track = None;
        self.last_track = None;
        self.tracks_touched = 0;
        self.ccws_executed = 0;
        self.active_shadows = 0;
    }

    fn touch(&mut self, track: u64) {
        if self.first_track.is_none() {
            self.first_track = Some(track);
        }
        if self.last_track != Some(track) {
            self.tracks_touched += 1;
            self.last_track = Some(track);
        }
    }

    fn shadow(&self, track: u64) -> Option<&ShadowTrack> {
        self.shadows[..self.active_shadows]
            .iter()
            .find(|s| s.track == track)
    }

    /// The shadow of `track`, created from the volume if needed.
    fn shadow_mut(&mut self, vol: &VolumeImage, track: u64) -> &mut ShadowTrack {
        if let Some(i) = self.shadows[..self.active_shadows]
            .iter()
            .position(|s| s.track == track)
        {
            return &mut self.shadows[i];
        }
        if self.active_shadows == self.shadows.len() {
            self.shadows.push(ShadowTrack::default());
        }
        let s = &mut self.shadows[self.active_shadows];
        self.active_shadows += 1;
        s.track = track;
        s.r0 = vol
            .record_format(Cchhr::from_track(track, 0))
            .unwrap_or((0, 8));
        s.recs.clear();
        vol.record_formats(track, &mut s.recs);
        s
    }
}

/// Applies the writes of `effects` to `vol` in chain order, as written by `writer`.
/// Stops at the first write the volume refuses (possible only if the volume changed since
/// the chain was planned) and returns its error; earlier writes stay applied.
pub fn commit(
    effects: &ChainEffects,
    vol: &mut VolumeImage,
    writer: u64,
) -> Result<(), VolumeError> {
    for w in &effects.writes {
        match w.kind {
            WriteKind::Update => vol.write(w.addr, w.digest, writer)?,
            WriteKind::Format => {
                vol.format_write(w.addr, w.key_len, w.data_len, w.digest, writer)?
            }
        }
    }
    Ok(())
}

/// Where the head is on the current track.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
enum Pos {
    /// At the index point / after the home address (before R0).
    Index,
    /// After the count area of record `r`.
    AfterCount(u8),
    /// After the data area of record `r`.
    AfterData(u8),
}

#[derive(Copy, Clone, Debug)]
struct Head {
    track: u64,
    pos: Pos,
    /// Index points passed since positioning (a second one ends a search).
    passes: u8,
}

#[derive(Copy, Clone, Debug)]
struct Domain {
    op: LocateOp,
    orientation: Orientation,
    remaining: u8,
}

/// A command that completed with channel end and device end.
#[derive(Copy, Clone, Debug, Default)]
struct Done {
    /// Status modifier.
    sm: bool,
    /// Unit exception.
    ux: bool,
    /// Length the command wanted to transfer; a different count is incorrect length.
    len: Option<u64>,
}

impl Done {
    fn len(len: u64) -> Done {
        Done {
            len: Some(len),
            ..Done::default()
        }
    }
}

type Step = Result<Done, Sense>;

fn cr(msg: u8) -> Sense {
    Sense::command_reject(msg)
}
fn file_protected() -> Sense {
    Sense::new(0, sense1::FILE_PROTECTED, 0)
}
fn no_record_found() -> Sense {
    Sense::new(0, sense1::NO_RECORD_FOUND, 0)
}
fn invalid_track_format() -> Sense {
    Sense::new(0, sense1::INVALID_TRACK_FORMAT, 0)
}

/// The interpreter's state for one chain.
struct Machine<'v> {
    vol: &'v VolumeImage,
    ext_first: u64,
    ext_last: u64,
    mask: FileMask,
    dx: bool,
    head: Option<Head>,
    dom: Option<Domain>,
    /// The last command was a Search ID Equal that compared equal on all five bytes.
    ideq: bool,
    /// The last command was a Write CKD / Write R0 outside a domain.
    wckd: bool,
}

impl<'v> Machine<'v> {
    fn new(vol: &'v VolumeImage) -> Machine<'v> {
        Machine {
            vol,
            ext_first: 0,
            ext_last: vol.device_type().tracks().saturating_sub(1),
            mask: FileMask::InhibitR0,
            dx: false,
            head: None,
            dom: None,
            ideq: false,
            wckd: false,
        }
    }

    fn on_volume(&self, a: Cchh) -> bool {
        a.cyl < self.vol.device_type().cylinders() && (a.head as u32) < TRACKS_PER_CYLINDER
    }

    fn in_extent(&self, track: u64) -> bool {
        self.ext_first <= track && track <= self.ext_last
    }

    fn n_records(&self, out: &ChainEffects, track: u64) -> u32 {
        match out.shadow(track) {
            Some(s) => s.recs.len() as u32,
            None => self.vol.records_on_track(track),
        }
    }

    fn format_of(&self, out: &ChainEffects, addr: Cchhr) -> Option<(u8, u16)> {
        match out.shadow(addr.track()) {
            Some(s) if addr.rec == 0 => Some(s.r0),
            Some(s) => s.recs.get(addr.rec as usize - 1).copied(),
            None => self.vol.record_format(addr),
        }
    }

    /// The record as the chain sees it: the latest write planned earlier in the chain
    /// (writer 0: not yet committed), else the volume.
    fn state_of(&self, out: &ChainEffects, addr: Cchhr) -> Option<RecordState> {
        let (key_len, data_len) = self.format_of(out, addr)?;
        if let Some(w) = out.writes.iter().rev().find(|w| w.addr == addr) {
            return Some(RecordState {
                key_len,
                data_len,
                digest: w.digest,
                writer: 0,
            });
        }
        self.vol.read(addr)
    }

    fn seek_to(&mut self, track: u64, out: &mut ChainEffects) {
        out.touch(track);
        self.head = Some(Head {
            track,
            pos: Pos::Index,
            passes: 0,
        });
    }

    fn head(&self) -> Result<Head, Sense> {
        self.head.ok_or(cr(reject::INVALID_SEQUENCE))
    }

    fn set_pos(&mut self, pos: Pos) {
        if let Some(h) = self.head.as_mut() {
            h.pos = pos;
        }
    }

    /// Passes the index point once more; the second time ends in no record found.
    fn pass_index(&mut self) -> Result<(), Sense> {
        let h = self.head.as_mut().ok_or(cr(reject::INVALID_SEQUENCE))?;
        h.passes = h.passes.saturating_add(1);
        if h.passes >= 2 {
            return Err(no_record_found());
        }
        h.pos = Pos::Index;
        Ok(())
    }

    /// Number of the next count field under the head, R0 included (for searches).
    fn next_count(&mut self, out: &ChainEffects) -> Result<u8, Sense> {
        let h = self.head()?;
        let n = self.n_records(out, h.track);
        match h.pos {
            Pos::Index => Ok(0),
            Pos::AfterCount(r) | Pos::AfterData(r) if (r as u32) < n => Ok(r + 1),
            _ => {
                self.pass_index()?;
                Ok(0)
            }
        }
    }

    /// Inside a Locate Record domain, the end of a track moves the head to R1 of the next
    /// track of the extent (ECKD switches heads within the domain); returns that record,
    /// or no record found at the end of the extent or on an empty track.
    fn next_track_in_domain(&mut self, out: &mut ChainEffects) -> Result<u8, Sense> {
        let h = self.head()?;
        let next = h.track + 1;
        if !self.in_extent(next) || self.n_records(out, next) == 0 {
            return Err(no_record_found());
        }
        self.seek_to(next, out);
        Ok(1)
    }

    /// Number of the next user record (R0 skipped). Inside a domain the end of the track
    /// continues on the next track; outside, the search wraps once past the index point.
    fn next_user(&mut self, out: &mut ChainEffects, in_domain: bool) -> Result<u8, Sense> {
        let h = self.head()?;
        let n = self.n_records(out, h.track);
        let next = match h.pos {
            Pos::Index => 1,
            Pos::AfterCount(r) | Pos::AfterData(r) => r as u32 + 1,
        };
        if next <= n {
            return Ok(next as u8);
        }
        if in_domain {
            return self.next_track_in_domain(out);
        }
        self.pass_index()?;
        if n >= 1 {
            Ok(1)
        } else {
            Err(no_record_found())
        }
    }

    fn step(
        &mut self,
        cmd: Command,
        ccw: &Ccw,
        count: u64,
        prev: Option<Command>,
        first: bool,
        out: &mut ChainEffects,
    ) -> Step {
        match cmd {
            Command::DefineExtent => self.define_extent(ccw, count, first, out),
            Command::LocateRecord => self.locate_record(ccw, count, out),
            Command::Seek => self.seek(ccw, count, out),
            Command::SearchIdEqual => self.search_id(ccw, count, out),
            Command::WriteData | Command::WriteUpdateData => self.write_data(cmd, ccw, count, out),
            Command::WriteCkd | Command::WriteCkdNextTrack => {
                self.write_ckd(cmd, ccw, count, prev, out)
            }
            Command::WriteRecordZero => self.write_r0(ccw, count, out),
            Command::ReadData
            | Command::ReadCountKeyData
            | Command::ReadCount
            | Command::ReadRecordZero => self.read(cmd, count, out),
            Command::ReadTrack => self.read_track(count, prev, out),
            Command::Nop => {
                if self.dom.is_some() {
                    return Err(cr(reject::INVALID_SEQUENCE));
                }
                Ok(Done::default())
            }
            Command::Sense => {
                if self.dom.is_some() {
                    return Err(cr(reject::INVALID_SEQUENCE));
                }
                out.bytes_from_device += count.min(32);
                Ok(Done::len(32))
            }
            // TICs are handled by the channel loop.
            Command::Tic => Err(cr(reject::INVALID_SEQUENCE)),
        }
    }

    fn define_extent(
        &mut self,
        ccw: &Ccw,
        count: u64,
        first: bool,
        out: &mut ChainEffects,
    ) -> Step {
        if !first || self.dx {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        if count < 16 {
            return Err(cr(reject::COUNT_TOO_SMALL));
        }
        let CcwData::DefineExtent(dx) = ccw.data else {
            return Err(cr(reject::INVALID_PARAMETER));
        };
        if !self.on_volume(dx.begin) || !self.on_volume(dx.end) || dx.begin > dx.end {
            return Err(cr(reject::INVALID_PARAMETER));
        }
        self.ext_first = dx.begin.track();
        self.ext_last = dx.end.track();
        self.mask = dx.mask;
        self.dx = true;
        out.bytes_to_device += 16;
        Ok(Done::len(16))
    }

    fn locate_record(&mut self, ccw: &Ccw, count: u64, out: &mut ChainEffects) -> Step {
        if !self.dx || self.dom.is_some() {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        if count < 16 {
            return Err(cr(reject::COUNT_TOO_SMALL));
        }
        let CcwData::LocateRecord(lr) = ccw.data else {
            return Err(cr(reject::INVALID_PARAMETER));
        };
        use LocateOp as Op;
        use Orientation as O;
        let valid = matches!(
            (lr.orientation, lr.op),
            (O::Count, _)
                | (
                    O::Home,
                    Op::Orient | Op::FormatWrite | Op::ReadData | Op::ReadTracks
                )
                | (O::Data, Op::Orient | Op::WriteData | Op::ReadData)
                | (O::Index, Op::FormatWrite)
        );
        if !valid || (lr.op == Op::Orient) != (lr.count == 0) || !self.on_volume(lr.seek) {
            return Err(cr(reject::INVALID_PARAMETER));
        }
        let track = lr.seek.track();
        if !self.in_extent(track) {
            return Err(file_protected());
        }
        out.bytes_to_device += 16;
        self.seek_to(track, out);
        let same_cchh = lr.search.cyl == lr.seek.cyl && lr.search.head == lr.seek.head;
        match lr.orientation {
            O::Home if !same_cchh => return Err(no_record_found()),
            O::Home | O::Index => {}
            O::Count | O::Data => {
                if !same_cchh || lr.search.rec as u32 > self.n_records(out, track) {
                    return Err(no_record_found());
                }
                self.set_pos(if lr.orientation == O::Count {
                    Pos::AfterCount(lr.search.rec)
                } else {
                    Pos::AfterData(lr.search.rec)
                });
            }
        }
        self.dom = (lr.count > 0).then_some(Domain {
            op: lr.op,
            orientation: lr.orientation,
            remaining: lr.count,
        });
        Ok(Done::len(16))
    }

    fn seek(&mut self, ccw: &Ccw, count: u64, out: &mut ChainEffects) -> Step {
        if self.dom.is_some() {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        if count < 6 {
            return Err(cr(reject::COUNT_TOO_SMALL));
        }
        let CcwData::Seek(a) = ccw.data else {
            return Err(cr(reject::INVALID_PARAMETER));
        };
        if !self.on_volume(a) {
            return Err(cr(reject::INVALID_PARAMETER));
        }
        if !self.in_extent(a.track()) {
            return Err(file_protected());
        }
        out.bytes_to_device += 6;
        self.seek_to(a.track(), out);
        Ok(Done::len(6))
    }

    fn search_id(&mut self, ccw: &Ccw, count: u64, out: &mut ChainEffects) -> Step {
        if self.head.is_none() || self.dom.is_some() {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        let CcwData::SearchId(arg) = ccw.data else {
            return Err(cr(reject::INVALID_PARAMETER));
        };
        let rec = self.next_count(out)?;
        let here = Cchh::from_track(self.head()?.track);
        let bytes = |cyl: u32, head: u16, r: u8| {
            [
                (cyl >> 8) as u8,
                cyl as u8,
                (head >> 8) as u8,
                head as u8,
                r,
            ]
        };
        let n = count.min(5) as usize;
        let equal = arg.cyl <= 0xFFFF
            && bytes(here.cyl, here.head, rec)[..n] == bytes(arg.cyl, arg.head, arg.rec)[..n];
        self.set_pos(Pos::AfterCount(rec));
        self.ideq = equal && n == 5;
        out.bytes_to_device += n as u64;
        Ok(Done {
            sm: equal,
            ux: false,
            len: Some(n as u64),
        })
    }

    fn payload(ccw: &Ccw) -> Result<RecordPayload, Sense> {
        match ccw.data {
            CcwData::Record(p) => Ok(p),
            _ => Err(cr(reject::INVALID_PARAMETER)),
        }
    }

    fn write_data(&mut self, cmd: Command, ccw: &Ccw, count: u64, out: &mut ChainEffects) -> Step {
        let in_domain = match self.dom {
            Some(d) if d.op == LocateOp::WriteData => true,
            Some(_) => return Err(cr(reject::INVALID_SEQUENCE)),
            None if cmd == Command::WriteData && self.ideq => false,
            None => return Err(cr(reject::INVALID_SEQUENCE)),
        };
        if self.mask == FileMask::InhibitAll {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        let p = Self::payload(ccw)?;
        let h = self.head()?;
        let target = match (in_domain, h.pos) {
            (_, Pos::AfterCount(r)) if r >= 1 => r as u32,
            (true, Pos::AfterCount(_) | Pos::Index) => 1,
            (true, Pos::AfterData(r)) => r as u32 + 1,
            (false, _) => return Err(cr(reject::INVALID_SEQUENCE)),
        };
        let (track, target) = if target > self.n_records(out, h.track) {
            if !in_domain {
                return Err(no_record_found());
            }
            let r = self.next_track_in_domain(out)?;
            (self.head()?.track, r as u32)
        } else {
            (h.track, target)
        };
        let addr = Cchhr::from_track(track, target as u8);
        let (key_len, data_len) = self.format_of(out, addr).ok_or(no_record_found())?;
        self.set_pos(Pos::AfterData(target as u8));
        if data_len == 0 {
            return Ok(Done {
                ux: true,
                ..Done::default()
            });
        }
        out.writes.push(RecordWrite {
            addr,
            key_len,
            data_len,
            digest: p.digest,
            kind: WriteKind::Update,
        });
        out.bytes_to_device += count.min(data_len as u64);
        Ok(Done::len(data_len as u64))
    }

    fn write_ckd(
        &mut self,
        cmd: Command,
        ccw: &Ccw,
        count: u64,
        prev: Option<Command>,
        out: &mut ChainEffects,
    ) -> Step {
        let in_domain = match self.dom {
            Some(d) if d.op == LocateOp::FormatWrite => true,
            Some(_) => return Err(cr(reject::INVALID_SEQUENCE)),
            None if cmd == Command::WriteCkd && (self.ideq || self.wckd) => false,
            None => return Err(cr(reject::INVALID_SEQUENCE)),
        };
        if cmd == Command::WriteCkdNextTrack
            && !matches!(prev, Some(Command::WriteCkd | Command::WriteCkdNextTrack))
        {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        if !matches!(self.mask, FileMask::PermitAll | FileMask::InhibitR0) {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        if count < 8 {
            return Err(cr(reject::COUNT_TOO_SMALL));
        }
        let p = Self::payload(ccw)?;
        let mut h = self.head()?;
        if cmd == Command::WriteCkdNextTrack {
            let next = h.track + 1;
            if !self.in_extent(next) {
                return Err(file_protected());
            }
            self.seek_to(next, out);
            self.set_pos(Pos::AfterCount(0));
            h = self.head()?;
        }
        let after = match h.pos {
            Pos::AfterCount(r) | Pos::AfterData(r) => r as u32,
            Pos::Index => return Err(cr(reject::INVALID_SEQUENCE)),
        };
        let rec = after + 1;
        if rec > 255 {
            return Err(invalid_track_format());
        }
        let dev = self.vol.device_type();
        let mut used = 0u32;
        for r in 1..=after {
            let (k, d) = self
                .format_of(out, Cchhr::from_track(h.track, r as u8))
                .unwrap_or((0, 0));
            used += dev.record_units(k, d as u32);
        }
        if used + dev.record_units(p.key_len, p.data_len as u32) > dev.track_units() {
            return Err(invalid_track_format());
        }
        out.writes.push(RecordWrite {
            addr: Cchhr::from_track(h.track, rec as u8),
            key_len: p.key_len,
            data_len: p.data_len,
            digest: p.digest,
            kind: WriteKind::Format,
        });
        let s = out.shadow_mut(self.vol, h.track);
        s.recs.truncate(after as usize);
        s.recs.push((p.key_len, p.data_len));
        let len = 8 + p.key_len as u64 + p.data_len as u64;
        out.bytes_to_device += count.min(len);
        self.set_pos(Pos::AfterData(rec as u8));
        self.wckd = !in_domain;
        Ok(Done::len(len))
    }

    fn write_r0(&mut self, ccw: &Ccw, count: u64, out: &mut ChainEffects) -> Step {
        match self.dom {
            Some(d)
                if d.op == LocateOp::FormatWrite
                    && matches!(d.orientation, Orientation::Home | Orientation::Index) => {}
            _ => return Err(cr(reject::INVALID_SEQUENCE)),
        }
        if self.mask != FileMask::PermitAll {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        let h = self.head()?;
        if h.pos != Pos::Index {
            return Err(cr(reject::INVALID_SEQUENCE));
        }
        if count < 8 {
            return Err(cr(reject::COUNT_TOO_SMALL));
        }
        let p = Self::payload(ccw)?;
        out.writes.push(RecordWrite {
            addr: Cchhr::from_track(h.track, 0),
            key_len: p.key_len,
            data_len: p.data_len,
            digest: p.digest,
            kind: WriteKind::Format,
        });
        let s = out.shadow_mut(self.vol, h.track);
        s.recs.clear();
        s.r0 = (p.key_len, p.data_len);
        let len = 8 + p.key_len as u64 + p.data_len as u64;
        out.bytes_to_device += count.min(len);
        self.set_pos(Pos::AfterData(0));
        Ok(Done::len(len))
    }

    fn read(&mut self, cmd: Command, count: u64, out: &mut ChainEffects) -> Step {
        let h = self.head()?;
        let in_domain = match self.dom {
            Some(d) if d.op == LocateOp::ReadData => true,
            Some(_) => return Err(cr(reject::INVALID_SEQUENCE)),
            None => false,
        };
        let target = match (cmd, h.pos) {
            (Command::ReadRecordZero, _) => 0,
            (Command::ReadData, Pos::AfterCount(r)) => r,
            _ => self.next_user(out, in_domain)?,
        };
        let addr = Cchhr::from_track(h.track, target);
        let st = self.state_of(out, addr).ok_or(no_record_found())?;
        let kd = st.key_len as u64 + st.data_len as u64;
        let len = match cmd {
            Command::ReadData => st.data_len as u64,
            Command::ReadCount => 8,
            _ => 8 + kd,
        };
        out.bytes_from_device += count.min(len);
        if cmd == Command::ReadCount {
            self.set_pos(Pos::AfterCount(target));
            return Ok(Done::len(len));
        }
        out.reads.push((addr, st));
        self.set_pos(Pos::AfterData(target));
        Ok(Done {
            sm: false,
            ux: st.data_len == 0,
            len: Some(len),
        })
    }

    fn read_track(&mut self, count: u64, prev: Option<Command>, out: &mut ChainEffects) -> Step {
        match self.dom {
            Some(d) if d.op == LocateOp::ReadTracks => {}
            _ => return Err(cr(reject::INVALID_SEQUENCE)),
        }
        let h = self.head()?;
        let track = match prev {
            Some(Command::LocateRecord) => h.track,
            Some(Command::ReadTrack) => {
                let t = h.track + 1;
                if !self.in_extent(t) {
                    return Err(file_protected());
                }
                self.seek_to(t, out);
                t
            }
            _ => return Err(cr(reject::INVALID_SEQUENCE)),
        };
        let n = self.n_records(out, track);
        let mut len = 0u64;
        for r in 0..=n {
            let addr = Cchhr::from_track(track, r as u8);
            if let Some(st) = self.state_of(out, addr) {
                len += 8 + st.key_len as u64 + st.data_len as u64;
                out.reads.push((addr, st));
            }
        }
        out.bytes_from_device += count.min(len);
        self.set_pos(Pos::Index);
        Ok(Done::len(len))
    }
}

/// Plans channel program `chain` against `vol` (which it does not change) and returns how
/// it ends; `out` is cleared and filled with what the chain did (see the module docs for
/// the rules). Never panics: a malformed chain ends in unit check with sense data.
pub fn execute(chain: &[Ccw], vol: &VolumeImage, out: &mut ChainEffects) -> ChainStatus {
    out.clear();
    let mut m = Machine::new(vol);
    let mut i = 0usize;
    let mut tics = 0u32;
    let mut prev: Option<Command> = None;
    let mut first = true;
    // The last CCW that ran (a status-modifier skip can chain past the end).
    let mut last = 0usize;
    let idx = |i: usize| i.min(u16::MAX as usize) as u16;
    let reject_at = |msg: u8, i: usize| ChainStatus::unit_check(cr(msg), idx(i));
    loop {
        let Some(ccw) = chain.get(i) else {
            // Empty chain, or chaining (or skipping) past the last CCW.
            return reject_at(reject::INVALID_SEQUENCE, last);
        };
        if out.ccws_executed >= MAX_CCWS {
            return reject_at(reject::INVALID_SEQUENCE, i);
        }
        out.ccws_executed += 1;
        if ccw.code == Command::Tic.code() {
            let CcwData::Tic(t) = ccw.data else {
                return reject_at(reject::INVALID_PARAMETER, i);
            };
            let t = t as usize;
            tics += 1;
            let bad = first
                || chain.get(t).is_none_or(|c| c.code == Command::Tic.code())
                || tics > MAX_TICS;
            if bad {
                return reject_at(reject::INVALID_SEQUENCE, i);
            }
            i = t;
            continue;
        }
        let Some(cmd) = Command::from_code(ccw.code) else {
            return reject_at(reject::INVALID_COMMAND, i);
        };
        // Data chaining: the following CCWs extend this command's data area.
        let mut count = ccw.count as u64;
        let mut flags = ccw.flags;
        let mut end = i;
        if flags.has(CcwFlags::CD) && !cmd.is_read() {
            return reject_at(reject::INVALID_COMMAND, i);
        }
        while flags.has(CcwFlags::CD) {
            end += 1;
            let Some(next) = chain.get(end) else {
                return reject_at(reject::INVALID_SEQUENCE, end - 1);
            };
            if next.code == Command::Tic.code() || out.ccws_executed >= MAX_CCWS {
                return reject_at(reject::INVALID_SEQUENCE, end);
            }
            out.ccws_executed += 1;
            count += next.count as u64;
            flags = next.flags;
        }
        if count == 0 && cmd != Command::Nop {
            return reject_at(reject::COUNT_TOO_SMALL, i);
        }
        let result = m.step(cmd, ccw, count, prev, first, out);
        first = false;
        // Search flags live for one command only, as on the 3990.
        if !matches!(
            cmd,
            Command::SearchIdEqual | Command::ReadData | Command::WriteData
        ) {
            m.ideq = false;
        }
        if !matches!(cmd, Command::WriteCkd | Command::WriteRecordZero) {
            m.wckd = false;
        }
        let done = match result {
            Ok(d) => d,
            Err(sense) => return ChainStatus::unit_check(sense, idx(end)),
        };
        let mut status = ChainStatus::normal(idx(end));
        if done.sm {
            status.unit_status |= unit::STATUS_MODIFIER;
        }
        if done.ux {
            status.unit_status |= unit::UNIT_EXCEPTION;
            return status;
        }
        if done.len.is_some_and(|l| l != count) && !flags.has(CcwFlags::SLI) {
            status.channel_status |= super::status::channel::INCORRECT_LENGTH;
            return status;
        }
        if let (true, Some(d)) = (cmd != Command::LocateRecord, m.dom.as_mut()) {
            d.remaining -= 1;
            if d.remaining == 0 {
                m.dom = None;
            } else if !flags.has(CcwFlags::CC) {
                return ChainStatus::unit_check(
                    Sense::new(sense0::COMMAND_REJECT | sense0::OPERATION_CHECK, 0, 0),
                    idx(end),
                );
            }
        }
        if !flags.has(CcwFlags::CC) {
            return status;
        }
        prev = Some(cmd);
        last = end;
        i = end + 1 + done.sm as usize;
    }
}
