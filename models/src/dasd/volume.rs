//! A sparse CKD volume image: VOLSER, device type, data sets (VTOC extents) and record
//! contents as 64-bit digests.
//!
//! The image must scale to thousands of volumes of 65,520 cylinders, so nothing is stored
//! per track or per record unless the run changed it:
//!
//! - every track has R0 (key length 0, data length 8 unless a Write R0 said otherwise);
//! - a track inside a data set extent holds R1..Rn in the data set's format, with
//!   `n = records_per_track(key_len, data_len)`; a track outside every extent holds only R0;
//! - a track re-formatted by Write CKD / Write R0 gets an entry in a sparse per-track format
//!   map (removed again when the track returns to its data set's default format);
//! - a record never written holds its *initial* digest ([`VolumeImage::initial_digest`]);
//!   only records written during the run are stored.
//!
//! A written record is stored as the id of the write that produced it, 8 bytes in a
//! [`WriterMap`] (hash table; about 10-20 bytes per record with its free slots), when its
//! state is the usual one: lengths those of the track's format, content
//! [`digest_of`]`(content volume, addr, writer)` (the world tells a volume its content
//! volume: itself for a primary volume, its primary for a secondary one). Anything else
//! (R0, which keeps its own lengths; content that is not its writer's, as a secondary
//! applying newer data shipped for an older write; a volume without a content volume)
//! is stored whole, in a side map of [`RecordState`]s. Reads give the same
//! [`RecordState`] either way. Both maps use the deterministic [`sim::StableHasher`];
//! iteration order never leaks: [`VolumeImage::written_records`] sorts. (Hash map against
//! `BTreeMap`, release build, 10^6 random updates over a 3390-9, ignored test
//! `measure_record_map`: 172 ms against 655 ms, lookups 51 ms against 588 ms.)

use serde::{Deserialize, Serialize};
use sim::{StableHasher, avalanche};

use crate::content::{WriterMap, digest_of};
use crate::types::VolumeId;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasherDefault;

use super::geometry::DeviceType;
use crate::types::{Cchhr, Digest, TRACKS_PER_CYLINDER};

/// Data length of a standard R0 (the track descriptor record), in bytes.
pub const STANDARD_R0_DATA_LEN: u16 = 8;

/// One extent of a data set, as a VTOC lists it: whole tracks `first_track..=last_track`
/// (linear track numbers, `cyl * 15 + head`), formatted with `key_len`/`data_len` records.
/// A data set with several extents appears once per extent, with the same name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataSet {
    /// Data set name (MVS rules: qualifiers of 1-8 characters, 44 characters at most).
    pub name: String,
    /// First track of the extent (linear track number).
    pub first_track: u64,
    /// Last track of the extent, inclusive.
    pub last_track: u64,
    /// Key length of the records the extent is formatted with, in bytes.
    pub key_len: u8,
    /// Data length of the records the extent is formatted with, in bytes.
    pub data_len: u16,
}

impl DataSet {
    /// An extent of data set `name` over tracks `first_track..=last_track`.
    pub fn new(
        name: &str,
        first_track: u64,
        last_track: u64,
        key_len: u8,
        data_len: u16,
    ) -> DataSet {
        DataSet {
            name: name.to_string(),
            first_track,
            last_track,
            key_len,
            data_len,
        }
    }

    /// Number of tracks in the extent.
    pub fn tracks(&self) -> u64 {
        self.last_track.saturating_sub(self.first_track) + 1
    }

    /// Whether linear track `track` is in the extent.
    pub fn contains(&self, track: u64) -> bool {
        self.first_track <= track && track <= self.last_track
    }
}

/// The state of one record: its formatted lengths, its content digest and the write
/// operation that produced the content (`writer` 0 = initial content).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecordState {
    /// Key length in bytes.
    pub key_len: u8,
    /// Data length in bytes.
    pub data_len: u16,
    /// Digest of the key and data contents.
    pub digest: Digest,
    /// Opaque id of the write that produced the content; 0 for the initial content.
    pub writer: u64,
}

/// Why a write to a volume image was refused.
#[derive(Copy, Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VolumeError {
    /// The address is not on the volume (cylinder or head out of range).
    #[error("address {addr} is not on the volume ({cylinders} cylinders x 15 tracks)")]
    NoSuchTrack {
        /// The address asked for.
        addr: Cchhr,
        /// Cylinders on the volume.
        cylinders: u32,
    },
    /// The track exists but has no such record.
    #[error("no record {addr}: the track holds R0..R{last}")]
    NoSuchRecord {
        /// The address asked for.
        addr: Cchhr,
        /// Highest record number on the track.
        last: u32,
    },
    /// A format write would leave a gap: records must be written in order after R0.
    #[error("format write of {addr} leaves a gap: the next record on the track is R{next}")]
    FormatGap {
        /// The address asked for.
        addr: Cchhr,
        /// The only record number that may be format-written next.
        next: u32,
    },
    /// A format write would exceed the track capacity.
    #[error(
        "format write of {addr} (KL {key_len}, DL {data_len}) needs {needed} track units, \
         {capacity} available"
    )]
    TrackCapacity {
        /// The address asked for.
        addr: Cchhr,
        /// Key length of the record.
        key_len: u8,
        /// Data length of the record.
        data_len: u16,
        /// Units used by the records up to and including this one.
        needed: u32,
        /// Units on a track.
        capacity: u32,
    },
}

/// Records stored whole, by [`Cchhr::key`], with a deterministic hasher.
type RecordMap = HashMap<u64, RecordState, BuildHasherDefault<StableHasher>>;

/// `content_vol` of a volume that has none (nothing is stored as a write id alone).
const NO_CONTENT_VOL: u32 = u32::MAX;

/// Records a volume's map makes room for at its first update write.
const FIRST_RECORDS: usize = 14;

/// The user-record format of a track that no longer matches its default.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TrackFormat {
    /// `count` records R1..Rcount, all with the same lengths.
    Uniform {
        count: u8,
        key_len: u8,
        data_len: u16,
    },
    /// Records R1..Rn with the listed (key length, data length).
    Mixed(Box<[(u8, u16)]>),
}

impl TrackFormat {
    fn count(&self) -> u32 {
        match self {
            TrackFormat::Uniform { count, .. } => *count as u32,
            TrackFormat::Mixed(v) => v.len() as u32,
        }
    }
    /// Format of R`rec` (1-based), if present.
    fn get(&self, rec: u32) -> Option<(u8, u16)> {
        if rec == 0 || rec > self.count() {
            return None;
        }
        match self {
            TrackFormat::Uniform {
                key_len, data_len, ..
            } => Some((*key_len, *data_len)),
            TrackFormat::Mixed(v) => Some(v[rec as usize - 1]),
        }
    }
}

/// A CKD volume image (see the module docs for what is stored and what is implied).
/// Cloning snapshots it. (`repr(C)`: the fields every record lookup reads come first, so
/// that a cold image costs as few cache lines as possible.)
#[derive(Clone, Debug)]
#[repr(C)]
pub struct VolumeImage {
    /// Records written during the run in the usual state (see the module docs): the write
    /// whose content each holds.
    records: WriterMap,
    /// The other records written during the run, whole (boxed: most volumes have none).
    #[allow(clippy::box_collection)]
    other: Option<Box<RecordMap>>,
    /// Tracks re-formatted during the run (boxed: most volumes never have one, and the
    /// image's leading fields should stay within as few cache lines as possible).
    #[allow(clippy::box_collection)]
    formats: Option<Box<BTreeMap<u64, TrackFormat>>>,
    /// The only data set's (first track, last track, records per track, key length, data
    /// length) when the volume holds exactly one (the common case), kept inline so that a
    /// format lookup does not touch the heap: with thousands of volumes, each write's
    /// volume is cold in the cache.
    single: Option<(u32, u32, u8, u8, u16)>,
    /// The volume whose writes' contents this one holds ([`digest_of`]'s volume): itself
    /// for a primary volume, its primary for a secondary one; [`NO_CONTENT_VOL`]: none.
    content_vol: u32,
    device: DeviceType,
    /// Seed of the initial contents (the VOLSER packed into a word, unless copied).
    content_seed: u64,
    /// Extents sorted by first track, non-overlapping.
    datasets: Box<[DataSet]>,
    /// User records per track of each data set (same order), from the capacity formula.
    per_track: Box<[u8]>,
    volser: Box<str>,
}

/// Checks a volume serial: 1-6 characters from A-Z, 0-9, @, # and $.
pub fn validate_volser(volser: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || "@#$".contains(c);
    if volser.is_empty() || volser.len() > 6 || !volser.chars().all(ok_char) {
        return Err(format!(
            "invalid VOLSER {volser:?}: 1-6 characters from A-Z, 0-9, @, #, $"
        ));
    }
    Ok(())
}

/// Checks an MVS data set name: qualifiers separated by periods, each 1-8 characters, the
/// first A-Z, @, # or $, the rest also 0-9 or hyphen; 44 characters at most.
pub fn validate_dsname(name: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "invalid data set name {name:?}: {why} (qualifiers of 1-8 characters, first \
             A-Z @ # $, others also 0-9 or -, separated by periods, 44 characters at most)"
        ))
    };
    if name.is_empty() || name.len() > 44 {
        return bad("length must be 1-44");
    }
    for q in name.split('.') {
        let mut chars = q.chars();
        let Some(first) = chars.next() else {
            return bad("empty qualifier");
        };
        if q.len() > 8 {
            return bad("qualifier longer than 8 characters");
        }
        if !(first.is_ascii_uppercase() || "@#$".contains(first)) {
            return bad("qualifier must start with A-Z, @, # or $");
        }
        if !chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "@#$-".contains(c)) {
            return bad("invalid character");
        }
    }
    Ok(())
}

/// The VOLSER as a word: its bytes (padded with blanks to 6) big-endian in the low 48 bits.
fn volser_word(volser: &str) -> u64 {
    let mut b = [b' '; 6];
    for (i, c) in volser.bytes().take(6).enumerate() {
        b[i] = c;
    }
    b.iter().fold(0u64, |w, &c| (w << 8) | c as u64)
}

impl VolumeImage {
    /// A freshly initialised volume `volser` of model `device` with the given data set
    /// extents (any order). Errors if the VOLSER or a name is invalid, an extent is outside
    /// the volume, empty or overlaps another, or its record format does not fit a track.
    pub fn new(
        volser: &str,
        device: DeviceType,
        mut datasets: Vec<DataSet>,
    ) -> Result<VolumeImage, String> {
        validate_volser(volser)?;
        let tracks = device.tracks();
        for d in &datasets {
            validate_dsname(&d.name)?;
            if d.first_track > d.last_track || d.last_track >= tracks {
                return Err(format!(
                    "data set {} extent tracks {}..={} is not inside volume {volser} \
                     (tracks 0..={})",
                    d.name,
                    d.first_track,
                    d.last_track,
                    tracks - 1
                ));
            }
            if device.records_per_track(d.key_len, d.data_len as u32) == 0 {
                return Err(format!(
                    "data set {}: records of key length {} and data length {} do not fit a \
                     {device} track (at most {} bytes)",
                    d.name,
                    d.key_len,
                    d.data_len,
                    device.max_record_bytes()
                ));
            }
        }
        datasets.sort_by_key(|d| d.first_track);
        for w in datasets.windows(2) {
            if w[1].first_track <= w[0].last_track {
                return Err(format!(
                    "data set extents overlap on volume {volser}: {} (tracks {}..={}) and {} \
                     (tracks {}..={})",
                    w[0].name,
                    w[0].first_track,
                    w[0].last_track,
                    w[1].name,
                    w[1].first_track,
                    w[1].last_track
                ));
            }
        }
        let per_track = datasets
            .iter()
            .map(|d| {
                device
                    .records_per_track(d.key_len, d.data_len as u32)
                    .min(255) as u8
            })
            .collect::<Vec<u8>>();
        let single = match (datasets.as_slice(), per_track.as_slice()) {
            // Linear track numbers fit 32 bits (65,520 cylinders x 15 tracks at most).
            ([d], [n]) => Some((
                d.first_track as u32,
                d.last_track as u32,
                *n,
                d.key_len,
                d.data_len,
            )),
            _ => None,
        };
        Ok(VolumeImage {
            volser: volser.into(),
            content_seed: volser_word(volser),
            content_vol: NO_CONTENT_VOL,
            device,
            datasets: datasets.into_boxed_slice(),
            per_track: per_track.into_boxed_slice(),
            single,
            formats: None,
            records: WriterMap::default(),
            other: None,
        })
    }

    /// A copy of this image under another VOLSER, with identical formats and contents
    /// (including initial contents): the initial point-in-time copy of a volume.
    pub fn initial_copy(&self, volser: &str) -> Result<VolumeImage, String> {
        validate_volser(volser)?;
        let mut v = self.clone();
        v.volser = volser.into();
        Ok(v)
    }

    /// Tells the image whose writes it holds: `vol`, the volume that [`digest_of`] names
    /// in the contents written here (the volume itself for a primary volume, its primary
    /// for a secondary one). Only the storage changes: a record whose content is
    /// `digest_of(vol, addr, writer)` is then kept as its writer's id alone.
    pub fn set_content_volume(&mut self, vol: VolumeId) {
        if vol.0 == self.content_vol {
            return;
        }
        let all = self.written_records();
        self.content_vol = vol.0;
        self.records = WriterMap::default();
        self.other = None;
        for (addr, st) in all {
            self.store(addr, st);
        }
    }

    /// Stores the state of written record `addr` (a user record's lengths are its track
    /// format's): as its writer's id when its content is its writer's, else whole.
    #[inline]
    fn store(&mut self, addr: Cchhr, st: RecordState) {
        // The caller has set the track's format: a user record's lengths are the format's.
        debug_assert!(addr.rec == 0 || self.record_format(addr) == Some((st.key_len, st.data_len)));
        let derived = addr.rec != 0
            && self.content_vol != NO_CONTENT_VOL
            && st.digest == digest_of(VolumeId(self.content_vol), addr, st.writer);
        if derived {
            if self.records.capacity() == 0 {
                // A volume written once is usually written again: start with room for a
                // few records rather than growing 3 -> 7 -> 14 (each growth moves a table
                // that is cold when thousands of volumes share the cache).
                self.records.reserve(FIRST_RECORDS);
            }
            self.records.insert(addr, st.writer);
            if let Some(o) = self.other.as_mut() {
                o.remove(&addr.key());
            }
        } else {
            self.other.get_or_insert_default().insert(addr.key(), st);
            self.records.remove(addr);
        }
    }

    /// Forgets the stored state of `addr` (it holds its initial content again, or no
    /// longer exists).
    #[inline]
    fn erase(&mut self, addr: Cchhr) {
        self.records.remove(addr);
        if let Some(o) = self.other.as_mut() {
            o.remove(&addr.key());
        }
    }

    /// The stored state of written record `addr` whose format is `(key_len, data_len)`.
    #[inline]
    fn stored(&self, addr: Cchhr, key_len: u8, data_len: u16) -> Option<RecordState> {
        if let Some(w) = self.records.get(addr) {
            return Some(RecordState {
                key_len,
                data_len,
                digest: digest_of(VolumeId(self.content_vol), addr, w),
                writer: w,
            });
        }
        self.other.as_ref()?.get(&addr.key()).copied()
    }

    /// The volume serial.
    pub fn volser(&self) -> &str {
        &self.volser
    }

    /// The device model.
    pub fn device_type(&self) -> DeviceType {
        self.device
    }

    /// The data set extents, sorted by first track.
    pub fn datasets(&self) -> &[DataSet] {
        &self.datasets
    }

    /// The extent (first and last track) of the data set holding linear track `track`, if
    /// any; from the inline copy when the volume holds one data set.
    #[inline]
    pub fn extent_of(&self, track: u64) -> Option<(u64, u64)> {
        if let Some((first, last, ..)) = self.single {
            let (first, last) = (first as u64, last as u64);
            return (first <= track && track <= last).then_some((first, last));
        }
        self.dataset_of(track)
            .map(|d| (d.first_track, d.last_track))
    }

    /// The extent holding linear track `track`, if any (binary search).
    pub fn dataset_of(&self, track: u64) -> Option<&DataSet> {
        let i = self.datasets.partition_point(|d| d.first_track <= track);
        let d = self.datasets.get(i.checked_sub(1)?)?;
        d.contains(track).then_some(d)
    }

    /// Whether `addr`'s track (cylinder and head) is on the volume.
    pub fn has_track(&self, addr: Cchhr) -> bool {
        addr.cyl < self.device.cylinders() && (addr.head as u32) < TRACKS_PER_CYLINDER
    }

    /// The user-record format of a track without overrides.
    #[inline]
    fn default_format(&self, track: u64) -> TrackFormat {
        if let Some((first, last, count, key_len, data_len)) = self.single {
            return if first as u64 <= track && track <= last as u64 {
                TrackFormat::Uniform {
                    count,
                    key_len,
                    data_len,
                }
            } else {
                TrackFormat::Uniform {
                    count: 0,
                    key_len: 0,
                    data_len: 0,
                }
            };
        }
        let i = self.datasets.partition_point(|d| d.first_track <= track);
        match i
            .checked_sub(1)
            .and_then(|i| self.datasets.get(i).map(|d| (i, d)))
        {
            Some((i, d)) if d.contains(track) => TrackFormat::Uniform {
                count: self.per_track[i],
                key_len: d.key_len,
                data_len: d.data_len,
            },
            _ => TrackFormat::Uniform {
                count: 0,
                key_len: 0,
                data_len: 0,
            },
        }
    }

    /// Number of user records (R1..Rn, not counting R0) on linear track `track`
    /// (0 for a track outside the volume).
    pub fn records_on_track(&self, track: u64) -> u32 {
        if track >= self.device.tracks() {
            return 0;
        }
        match self.formats.as_ref().and_then(|f| f.get(&track)) {
            Some(f) => f.count(),
            None => self.default_format(track).count(),
        }
    }

    /// Appends the (key length, data length) of R1..Rn of linear track `track` to `out`.
    pub fn record_formats(&self, track: u64, out: &mut Vec<(u8, u16)>) {
        let n = self.records_on_track(track);
        for rec in 1..=n {
            if let Some(f) = self.record_format(Cchhr::from_track(track, rec as u8)) {
                out.push(f);
            }
        }
    }

    /// (key length, data length) of the record at `addr`, or `None` if there is none.
    pub fn record_format(&self, addr: Cchhr) -> Option<(u8, u16)> {
        if !self.has_track(addr) {
            return None;
        }
        if addr.rec == 0 {
            // R0 is always stored whole.
            return Some(match self.other.as_ref().and_then(|o| o.get(&addr.key())) {
                Some(s) => (s.key_len, s.data_len),
                None => (0, STANDARD_R0_DATA_LEN),
            });
        }
        let track = addr.track();
        match self.formats.as_ref().and_then(|f| f.get(&track)) {
            Some(f) => f.get(addr.rec as u32),
            None => self.default_format(track).get(addr.rec as u32),
        }
    }

    /// The initial content digest of the record at `addr`:
    /// `avalanche(avalanche(seed) ^ addr.key())`, where `seed` packs the VOLSER's bytes
    /// (blank-padded to 6) big-endian into a word and `avalanche` is the SplitMix64
    /// finaliser. (An [`initial_copy`](VolumeImage::initial_copy) keeps its source's seed.)
    pub fn initial_digest(&self, addr: Cchhr) -> Digest {
        Digest(avalanche(avalanche(self.content_seed) ^ addr.key()))
    }

    /// The state of the record at `addr` (initial state for a record never written), or
    /// `None` if there is no such record.
    pub fn read(&self, addr: Cchhr) -> Option<RecordState> {
        let (key_len, data_len) = self.record_format(addr)?;
        Some(match self.stored(addr, key_len, data_len) {
            Some(s) => s,
            None => RecordState {
                key_len,
                data_len,
                digest: self.initial_digest(addr),
                writer: 0,
            },
        })
    }

    /// The id of the write that last put content into the record at `addr` (0: the content
    /// it was formatted with), or `None` if there is no such record: `read(addr)`'s
    /// `writer` without deriving the digest (a mover's capture asks only this).
    #[inline]
    pub fn writer(&self, addr: Cchhr) -> Option<u64> {
        self.record_format(addr)?;
        if let Some(w) = self.records.get(addr) {
            return Some(w);
        }
        Some(
            self.other
                .as_ref()
                .and_then(|o| o.get(&addr.key()))
                .map_or(0, |r| r.writer),
        )
    }

    fn no_record(&self, addr: Cchhr) -> VolumeError {
        if !self.has_track(addr) {
            VolumeError::NoSuchTrack {
                addr,
                cylinders: self.device.cylinders(),
            }
        } else {
            VolumeError::NoSuchRecord {
                addr,
                last: self.records_on_track(addr.track()),
            }
        }
    }

    /// Update write (Write Data / Write Update Data): the existing record at `addr` gets
    /// content `digest` written by `writer`; its lengths do not change.
    pub fn write(&mut self, addr: Cchhr, digest: Digest, writer: u64) -> Result<(), VolumeError> {
        let (key_len, data_len) = self
            .record_format(addr)
            .ok_or_else(|| self.no_record(addr))?;
        self.store(
            addr,
            RecordState {
                key_len,
                data_len,
                digest,
                writer,
            },
        );
        Ok(())
    }

    /// Format write (Write CKD for `addr.rec >= 1`, Write R0 for `addr.rec == 0`): writes
    /// the record's count, key and data, and erases every later record on the track.
    /// `addr.rec` may be at most one past the last record (no gaps). For user records, the
    /// track capacity is checked with the device formula.
    pub fn format_write(
        &mut self,
        addr: Cchhr,
        key_len: u8,
        data_len: u16,
        digest: Digest,
        writer: u64,
    ) -> Result<(), VolumeError> {
        if !self.has_track(addr) {
            return Err(self.no_record(addr));
        }
        let track = addr.track();
        let old_count = self.records_on_track(track);
        let rec = addr.rec as u32;
        if rec > old_count + 1 {
            return Err(VolumeError::FormatGap {
                addr,
                next: old_count + 1,
            });
        }
        let mut kept: Vec<(u8, u16)> = Vec::new();
        if rec >= 1 {
            let mut used = 0u32;
            for r in 1..rec {
                let f = self
                    .record_format(Cchhr::from_track(track, r as u8))
                    .unwrap_or((0, 0));
                used += self.device.record_units(f.0, f.1 as u32);
                kept.push(f);
            }
            let needed = used + self.device.record_units(key_len, data_len as u32);
            if needed > self.device.track_units() {
                return Err(VolumeError::TrackCapacity {
                    addr,
                    key_len,
                    data_len,
                    needed,
                    capacity: self.device.track_units(),
                });
            }
            kept.push((key_len, data_len));
        }
        // Erase stored contents of the records that are overwritten or gone.
        for r in rec.max(1)..=old_count {
            self.erase(Cchhr::from_track(track, r as u8));
        }
        self.set_track_format(track, &kept);
        self.store(
            addr,
            RecordState {
                key_len,
                data_len,
                digest,
                writer,
            },
        );
        Ok(())
    }

    /// Formats a whole track: erases all user records (R0 is kept) and writes
    /// `records` as R1..Rn (key length, data length, digest), all by `writer`.
    /// On error (capacity) the records written so far stay, as on a real device.
    pub fn format_track(
        &mut self,
        track: u64,
        records: &[(u8, u16, Digest)],
        writer: u64,
    ) -> Result<(), VolumeError> {
        let r0 = Cchhr::from_track(track, 0);
        if !self.has_track(r0) {
            return Err(self.no_record(r0));
        }
        let old_count = self.records_on_track(track);
        for r in 1..=old_count {
            self.erase(Cchhr::from_track(track, r as u8));
        }
        self.set_track_format(track, &[]);
        for (i, &(kl, dl, digest)) in records.iter().enumerate() {
            let rec = u8::try_from(i + 1).map_err(|_| VolumeError::FormatGap {
                addr: Cchhr::from_track(track, 255),
                next: 256,
            })?;
            self.format_write(Cchhr::from_track(track, rec), kl, dl, digest, writer)?;
        }
        Ok(())
    }

    /// Records the user-record format `recs` of `track`, dropping the override when it
    /// equals the track's default format.
    fn set_track_format(&mut self, track: u64, recs: &[(u8, u16)]) {
        let f = match recs.first() {
            None => TrackFormat::Uniform {
                count: 0,
                key_len: 0,
                data_len: 0,
            },
            Some(&(k, d)) if recs.iter().all(|&r| r == (k, d)) => TrackFormat::Uniform {
                count: recs.len() as u8,
                key_len: k,
                data_len: d,
            },
            Some(_) => TrackFormat::Mixed(recs.into()),
        };
        let default = self.default_format(track);
        let same = f == default || (f.count() == 0 && default.count() == 0);
        if same {
            if let Some(fs) = self.formats.as_mut() {
                fs.remove(&track);
            }
        } else {
            self.formats.get_or_insert_default().insert(track, f);
        }
    }

    /// Number of records written during the run (stored explicitly).
    pub fn written_count(&self) -> usize {
        self.records.len() + self.other.as_ref().map_or(0, |o| o.len())
    }

    /// All records written during the run, sorted by CCHHR (for image export and checks).
    pub fn written_records(&self) -> Vec<(Cchhr, RecordState)> {
        let mut v: Vec<(Cchhr, RecordState)> = Vec::with_capacity(self.written_count());
        for (a, _) in self.records.sorted() {
            let (key_len, data_len) = self.record_format(a).unwrap_or((0, 0));
            v.extend(self.stored(a, key_len, data_len).map(|s| (a, s)));
        }
        for (&k, &s) in self.other.iter().flat_map(|o| o.iter()) {
            let a = Cchhr::new((k >> 24) as u32, ((k >> 8) & 0xFFFF) as u16, k as u8);
            v.push((a, s));
        }
        v.sort_unstable_by_key(|(a, _)| *a);
        v
    }

    /// Written records stored as a write id alone, and stored whole (see the module docs).
    pub fn stored_counts(&self) -> (usize, usize) {
        (
            self.records.len(),
            self.other.as_ref().map_or(0, |o| o.len()),
        )
    }

    /// Heap bytes of the stored records (hash tables, free slots included): for memory
    /// accounting.
    pub fn record_bytes(&self) -> usize {
        self.records.heap_bytes()
            + self.other.as_ref().map_or(0, |o| {
                32 + crate::content::table_bytes(o.capacity(), 8 + size_of::<RecordState>())
            })
    }

    /// Linear track numbers whose format was changed by format writes, in order.
    pub fn reformatted_tracks(&self) -> impl Iterator<Item = u64> + '_ {
        self.formats.iter().flat_map(|f| f.keys().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vol() -> VolumeImage {
        VolumeImage::new(
            "PRI001",
            DeviceType::D3390_3,
            vec![
                DataSet::new("DB2.LOG", 150, 299, 0, 4096),
                DataSet::new("DB2.DATA.TS01", 15, 149, 0, 27_998),
                DataSet::new("SYS1.VTOCIX", 300, 300, 44, 96),
            ],
        )
        .unwrap()
    }

    #[test]
    fn validates_names_and_extents() {
        assert!(validate_volser("PRI001").is_ok());
        assert!(validate_volser("A@#$").is_ok());
        for bad in ["", "TOOLONG", "pri001", "AB-1"] {
            assert!(validate_volser(bad).is_err(), "{bad}");
        }
        assert!(validate_dsname("SYS1.PARMLIB").is_ok());
        assert!(validate_dsname("A.B-C.$X#@").is_ok());
        let long = "ABCDEFGH.".repeat(5) + "A"; // 46 characters
        for bad in [
            "",
            "A..B",
            ".A",
            "ABCDEFGHI.X",
            "1ABC",
            "A.-B",
            &long,
            "a.b",
        ] {
            assert!(validate_dsname(bad).is_err(), "{bad}");
        }
        let d = DeviceType::D3390_1;
        let e = |ds: Vec<DataSet>| VolumeImage::new("V1", d, ds).unwrap_err();
        assert!(e(vec![DataSet::new("A", 10, 9, 0, 80)]).contains("not inside"));
        assert!(e(vec![DataSet::new("A", 0, d.tracks(), 0, 80)]).contains("not inside"));
        assert!(e(vec![DataSet::new("A", 0, 5, 0, 60_000)]).contains("do not fit"));
        let overlap = e(vec![
            DataSet::new("A", 0, 5, 0, 80),
            DataSet::new("B", 5, 9, 0, 80),
        ]);
        assert!(overlap.contains("overlap"), "{overlap}");
        assert!(VolumeImage::new("bad", d, vec![]).is_err());
    }

    #[test]
    fn implicit_records_follow_data_set_formats() {
        let v = vol();
        assert_eq!(
            v.datasets()[0].name,
            "DB2.DATA.TS01",
            "sorted by first track"
        );
        assert_eq!(v.records_on_track(0), 0, "outside data sets: R0 only");
        assert_eq!(v.records_on_track(15), 2);
        assert_eq!(v.records_on_track(150), 12);
        assert_eq!(
            v.records_on_track(300),
            DeviceType::D3390_3.records_per_track(44, 96)
        );
        assert_eq!(v.records_on_track(v.device_type().tracks()), 0);
        assert_eq!(v.record_format(Cchhr::new(0, 0, 0)), Some((0, 8)));
        assert_eq!(v.record_format(Cchhr::new(0, 0, 1)), None);
        assert_eq!(v.record_format(Cchhr::new(10, 0, 12)), Some((0, 4096)));
        assert_eq!(v.record_format(Cchhr::new(10, 0, 13)), None);
        assert_eq!(v.record_format(Cchhr::new(3339, 0, 0)), None);
        assert_eq!(v.record_format(Cchhr::new(0, 15, 0)), None);
        assert_eq!(v.dataset_of(149).unwrap().name, "DB2.DATA.TS01");
        assert_eq!(v.dataset_of(150).unwrap().name, "DB2.LOG");
        assert!(v.dataset_of(14).is_none() && v.dataset_of(301).is_none());
        // A volume with one data set answers from its inline copy: the same formats.
        let one = VolumeImage::new(
            "PRI002",
            DeviceType::D3390_3,
            vec![DataSet::new("DB2.LOG", 150, 299, 0, 4096)],
        )
        .unwrap();
        for t in [0, 149, 150, 200, 299, 300, one.device_type().tracks()] {
            let expect = if (150..=299).contains(&t) { 12 } else { 0 };
            assert_eq!(one.records_on_track(t), expect, "track {t}");
        }
        assert_eq!(one.record_format(Cchhr::new(10, 0, 12)), Some((0, 4096)));
        assert_eq!(one.record_format(Cchhr::new(10, 0, 13)), None);
        assert_eq!(one.record_format(Cchhr::new(20, 0, 1)), None);
        for t in [0, 149, 150, 299, 300] {
            let d = one.dataset_of(t).map(|d| (d.first_track, d.last_track));
            assert_eq!(one.extent_of(t), d, "track {t}");
            let d = v.dataset_of(t).map(|d| (d.first_track, d.last_track));
            assert_eq!(v.extent_of(t), d, "track {t}");
        }
    }

    #[test]
    fn initial_contents_are_deterministic_and_distinct() {
        let v = vol();
        let a = Cchhr::new(10, 0, 1);
        let s = v.read(a).unwrap();
        assert_eq!(s.writer, 0);
        assert_eq!((s.key_len, s.data_len), (0, 4096));
        assert_eq!(s.digest, vol().read(a).unwrap().digest);
        assert_ne!(s.digest, v.read(Cchhr::new(10, 0, 2)).unwrap().digest);
        let other = VolumeImage::new("PRI002", DeviceType::D3390_3, vec![]).unwrap();
        assert_ne!(v.initial_digest(a), other.initial_digest(a));
        let copy = v.initial_copy("SEC001").unwrap();
        assert_eq!(copy.volser(), "SEC001");
        assert_eq!(copy.read(a), v.read(a));
        assert!(v.initial_copy("sec").is_err());
    }

    #[test]
    fn update_writes_are_stored_and_read_back() {
        let mut v = vol();
        let a = Cchhr::new(10, 0, 3);
        v.write(a, Digest(42), 7).unwrap();
        let s = v.read(a).unwrap();
        assert_eq!((s.digest, s.writer, s.data_len), (Digest(42), 7, 4096));
        assert_eq!(v.written_count(), 1);
        assert!(matches!(
            v.write(Cchhr::new(10, 0, 13), Digest(1), 1),
            Err(VolumeError::NoSuchRecord { last: 12, .. })
        ));
        assert!(matches!(
            v.write(Cchhr::new(4000, 0, 1), Digest(1), 1),
            Err(VolumeError::NoSuchTrack { .. })
        ));
        v.write(Cchhr::new(0, 3, 0), Digest(5), 8).unwrap();
        v.write(Cchhr::new(1, 0, 1), Digest(6), 9).unwrap();
        let w = v.written_records();
        let addrs: Vec<Cchhr> = w.iter().map(|(a, _)| *a).collect();
        assert_eq!(addrs, vec![Cchhr::new(0, 3, 0), Cchhr::new(1, 0, 1), a]);
    }

    #[test]
    fn format_writes_reformat_and_erase() {
        let mut v = vol();
        let t = 160u64; // DB2.LOG: 12 x 4096
        let a = |r| Cchhr::from_track(t, r);
        v.write(a(2), Digest(2), 1).unwrap();
        v.write(a(5), Digest(5), 1).unwrap();
        // Write CKD R3 with a new length erases R4..R12.
        v.format_write(a(3), 0, 8000, Digest(33), 2).unwrap();
        assert_eq!(v.records_on_track(t), 3);
        assert_eq!(v.record_format(a(3)), Some((0, 8000)));
        assert_eq!(v.record_format(a(2)), Some((0, 4096)));
        assert_eq!(
            v.read(a(2)).unwrap().digest,
            Digest(2),
            "earlier records kept"
        );
        assert_eq!(v.read(a(4)), None);
        assert_eq!(v.written_count(), 2, "R5's stored content is gone");
        // Gaps are refused.
        assert!(matches!(
            v.format_write(a(5), 0, 80, Digest(0), 3),
            Err(VolumeError::FormatGap { next: 4, .. })
        ));
        // Capacity: R4 of 56,664 bytes cannot fit after three records.
        assert!(matches!(
            v.format_write(a(4), 0, 56_664, Digest(0), 3),
            Err(VolumeError::TrackCapacity { .. })
        ));
        // Write R0 erases all user records.
        v.format_write(a(0), 0, 8, Digest(100), 4).unwrap();
        assert_eq!(v.records_on_track(t), 0);
        assert_eq!(v.read(a(0)).unwrap().writer, 4);
        assert_eq!(v.written_count(), 1);
        assert_eq!(v.reformatted_tracks().collect::<Vec<_>>(), vec![t]);
        // Reformatting back to the default drops the override.
        let recs: Vec<(u8, u16, Digest)> = (0..12).map(|i| (0, 4096, Digest(i))).collect();
        v.format_track(t, &recs, 5).unwrap();
        assert_eq!(v.records_on_track(t), 12);
        assert_eq!(v.reformatted_tracks().count(), 0);
        assert_eq!(v.read(a(12)).unwrap().digest, Digest(11));
        // 13 records do not fit: the first 12 are written, then capacity error.
        let recs13: Vec<(u8, u16, Digest)> = (0..13).map(|i| (0, 4096, Digest(i))).collect();
        assert!(v.format_track(t, &recs13, 6).is_err());
        assert_eq!(v.records_on_track(t), 12);
        // Mixed formats on a track outside any data set.
        v.format_track(1, &[(0, 80, Digest(1)), (8, 200, Digest(2))], 7)
            .unwrap();
        let mut f = Vec::new();
        v.record_formats(1, &mut f);
        assert_eq!(f, vec![(0, 80), (8, 200)]);
    }

    #[test]
    fn ten_thousand_large_volumes_stay_small() {
        // 10,000 3390-54 volumes with a data set each: nothing per track or record is
        // stored until written.
        let d = DeviceType::D3390_54;
        let vols: Vec<VolumeImage> = (0..10_000)
            .map(|i| {
                let ds = DataSet::new("BIG.DATA", 15, d.tracks() - 1, 0, 4096);
                VolumeImage::new(&format!("V{i:05}"), d, vec![ds]).unwrap()
            })
            .collect();
        let last = Cchhr::new(65_519, 14, 12);
        assert!(
            vols.iter()
                .all(|v| v.record_format(last) == Some((0, 4096)))
        );
        assert!(vols.iter().all(|v| v.written_count() == 0));
        assert_eq!(vols[9_999].volser(), "V09999");
    }

    proptest! {
        /// Any sequence of update writes reads back as the last write per record.
        #[test]
        fn last_write_wins(ops in proptest::collection::vec((0u64..300, 1u8..14, any::<u64>()), 1..200)) {
            let mut v = vol();
            let mut model = std::collections::BTreeMap::new();
            for (i, &(t, r, d)) in ops.iter().enumerate() {
                let a = Cchhr::from_track(t, r);
                let ok = v.write(a, Digest(d), i as u64 + 1).is_ok();
                prop_assert_eq!(ok, v.record_format(a).is_some());
                if ok { model.insert(a, (d, i as u64 + 1)); }
            }
            for (a, (d, w)) in &model {
                let s = v.read(*a).unwrap();
                prop_assert_eq!((s.digest.0, s.writer), (*d, *w));
            }
            let w = v.written_records();
            prop_assert_eq!(w.len(), model.len());
            prop_assert!(w.windows(2).all(|p| p[0].0 < p[1].0));
        }
    }

    #[test]
    fn records_are_stored_as_write_ids_when_their_content_is_their_writers() {
        let id = VolumeId(5);
        let mut v = vol();
        let a = Cchhr::new(10, 0, 3);
        v.write(a, digest_of(id, a, 7), 7).unwrap();
        assert_eq!(
            v.stored_counts(),
            (0, 1),
            "no content volume yet: stored whole"
        );
        v.set_content_volume(id);
        assert_eq!(v.stored_counts(), (1, 0), "re-stored as a write id");
        assert_eq!(v.read(a).unwrap().digest, digest_of(id, a, 7));
        // Another write's content (newer data applied for an older write): whole.
        v.write(a, digest_of(id, a, 9), 8).unwrap();
        assert_eq!(v.stored_counts(), (0, 1));
        assert_eq!(
            (v.read(a).unwrap().writer, v.read(a).unwrap().digest),
            (8, digest_of(id, a, 9))
        );
        // Back to its own content: a write id again; R0 is always whole.
        v.write(a, digest_of(id, a, 10), 10).unwrap();
        let r0 = Cchhr::new(10, 0, 0);
        v.format_write(r0, 0, 8, digest_of(id, r0, 11), 11).unwrap();
        assert_eq!(
            v.stored_counts(),
            (0, 1),
            "R0 erased R3 and is stored whole"
        );
        // A write id above 32 bits keeps its full value.
        let b = Cchhr::new(11, 0, 1);
        let big = u32::MAX as u64 + 3;
        v.write(b, digest_of(id, b, big), big).unwrap();
        assert_eq!(v.read(b).unwrap().writer, big);
        assert_eq!(v.stored_counts(), (1, 1));
        assert!(v.record_bytes() > 0);
    }

    proptest! {
        /// Storing a record as its writer's id only changes the representation: an image
        /// told its content volume reads and lists exactly as one that stores every record
        /// whole, through update writes, format writes, whole-track formats, contents that
        /// are or are not their writer's, 64-bit write ids and a late content volume.
        #[test]
        fn compact_store_reads_as_whole_records(
            ops in proptest::collection::vec((0u8..5, 0u64..20, 0u8..14, 0u8..4), 1..200),
        ) {
            let id = VolumeId(3);
            let mut compact = vol();
            let mut whole = vol();
            for (i, &(kind, t, r, dig)) in ops.iter().enumerate() {
                let w = i as u64 + 1 + if dig == 1 { u32::MAX as u64 } else { 0 };
                // Tracks 140-159: the end of DB2.DATA (2 records) and DB2.LOG (12).
                let track = 140 + t;
                let a = Cchhr::from_track(track, r);
                let d = |a: Cchhr| if dig == 3 { Digest(w.wrapping_mul(7)) } else { digest_of(id, a, w) };
                let (x, y) = match kind {
                    0 | 1 => (compact.write(a, d(a), w), whole.write(a, d(a), w)),
                    2 => (
                        compact.format_write(a, 0, 4096, d(a), w),
                        whole.format_write(a, 0, 4096, d(a), w),
                    ),
                    3 => {
                        let recs: Vec<(u8, u16, Digest)> = (1..=r % 4)
                            .map(|k| (0, 4096, d(Cchhr::from_track(track, k))))
                            .collect();
                        (compact.format_track(track, &recs, w), whole.format_track(track, &recs, w))
                    }
                    _ => {
                        compact.set_content_volume(id);
                        (Ok(()), Ok(()))
                    }
                };
                prop_assert_eq!(x, y);
            }
            compact.set_content_volume(id);
            prop_assert_eq!(compact.written_records(), whole.written_records());
            prop_assert_eq!(compact.written_count(), whole.written_count());
            for t in 140..160 {
                prop_assert_eq!(compact.records_on_track(t), whole.records_on_track(t));
                for r in 0..14 {
                    let a = Cchhr::from_track(t, r);
                    prop_assert_eq!(compact.read(a), whole.read(a));
                    prop_assert_eq!(compact.writer(a), whole.read(a).map(|r| r.writer));
                    prop_assert_eq!(compact.record_format(a), whole.record_format(a));
                }
            }
            // Every user record whose content is its writer's is a write id.
            let derived = whole
                .written_records()
                .iter()
                .filter(|(a, s)| a.rec != 0 && s.digest == digest_of(id, *a, s.writer))
                .count();
            prop_assert_eq!(compact.stored_counts().0, derived);
        }
    }

    /// Measures the record map against a BTreeMap: `cargo test --release -p models
    /// measure_record_map -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn measure_record_map() {
        use std::time::Instant;
        let n = 1_000_000u64;
        let tracks = DeviceType::D3390_9.tracks();
        let keys: Vec<u64> = (0..n)
            .map(|i| {
                let x = avalanche(i);
                Cchhr::from_track(x % tracks, (x >> 40) as u8 % 12 + 1).key()
            })
            .collect();
        let st = RecordState {
            key_len: 0,
            data_len: 4096,
            digest: Digest(1),
            writer: 1,
        };
        let t0 = Instant::now();
        let mut h = RecordMap::default();
        for (i, &k) in keys.iter().enumerate() {
            h.insert(
                k,
                RecordState {
                    writer: i as u64,
                    ..st
                },
            );
        }
        let th = t0.elapsed();
        let t1 = Instant::now();
        let mut b = BTreeMap::new();
        for (i, &k) in keys.iter().enumerate() {
            b.insert(
                k,
                RecordState {
                    writer: i as u64,
                    ..st
                },
            );
        }
        let tb = t1.elapsed();
        let t2 = Instant::now();
        let mut hits = 0u64;
        for &k in &keys {
            hits += h.get(&k).map_or(0, |s| s.writer & 1);
        }
        let thl = t2.elapsed();
        let t3 = Instant::now();
        for &k in &keys {
            hits += b.get(&k).map_or(0, |s| s.writer & 1);
        }
        let tbl = t3.elapsed();
        println!(
            "1e6 random updates: HashMap<StableHasher> {th:?}, BTreeMap {tb:?}; \
             1e6 lookups: HashMap {thl:?}, BTreeMap {tbl:?} ({} entries, {hits})",
            h.len()
        );
        assert_eq!(h.len(), b.len());
    }
}
