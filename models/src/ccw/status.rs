//! Ending status of a channel program: unit status, channel status and sense bytes.
//!
//! Bit values as in the S/370 CSW and the 3990 sense format (Hercules `esa390.h`
//! `CSW_*`, `SENSE_*`, `SENSE1_*`).

/// Unit (device) status bits.
pub mod unit {
    /// Attention.
    pub const ATTENTION: u8 = 0x80;
    /// Status modifier (e.g. a search compared equal: the next CCW is skipped).
    pub const STATUS_MODIFIER: u8 = 0x40;
    /// Control unit end.
    pub const CONTROL_UNIT_END: u8 = 0x20;
    /// Busy.
    pub const BUSY: u8 = 0x10;
    /// Channel end.
    pub const CHANNEL_END: u8 = 0x08;
    /// Device end.
    pub const DEVICE_END: u8 = 0x04;
    /// Unit check: sense data describes the error.
    pub const UNIT_CHECK: u8 = 0x02;
    /// Unit exception (e.g. an end-of-file record, data length 0).
    pub const UNIT_EXCEPTION: u8 = 0x01;
}

/// Channel status bits.
pub mod channel {
    /// Program-controlled interruption.
    pub const PCI: u8 = 0x80;
    /// Incorrect length: the CCW count differed from the record length and SLI was off.
    pub const INCORRECT_LENGTH: u8 = 0x40;
    /// Program check.
    pub const PROGRAM_CHECK: u8 = 0x20;
}

/// Sense byte 0 bits (device independent).
pub mod sense0 {
    /// Command reject: invalid command, sequence or parameter.
    pub const COMMAND_REJECT: u8 = 0x80;
    /// Intervention required.
    pub const INTERVENTION_REQUIRED: u8 = 0x40;
    /// Bus-out check.
    pub const BUS_OUT_CHECK: u8 = 0x20;
    /// Equipment check.
    pub const EQUIPMENT_CHECK: u8 = 0x10;
    /// Data check.
    pub const DATA_CHECK: u8 = 0x08;
    /// Overrun.
    pub const OVERRUN: u8 = 0x04;
    /// Control check.
    pub const CONTROL_CHECK: u8 = 0x02;
    /// Operation check (e.g. a Locate Record domain left incomplete).
    pub const OPERATION_CHECK: u8 = 0x01;
}

/// Sense byte 1 bits (CKD device dependent).
pub mod sense1 {
    /// Permanent error.
    pub const PERMANENT_ERROR: u8 = 0x80;
    /// Invalid track format (e.g. a record would exceed the track capacity).
    pub const INVALID_TRACK_FORMAT: u8 = 0x40;
    /// End of cylinder.
    pub const END_OF_CYLINDER: u8 = 0x20;
    /// Message to operator.
    pub const MESSAGE_TO_OPERATOR: u8 = 0x10;
    /// No record found.
    pub const NO_RECORD_FOUND: u8 = 0x08;
    /// File protected (access outside the Define Extent extent).
    pub const FILE_PROTECTED: u8 = 0x04;
    /// Write inhibited.
    pub const WRITE_INHIBITED: u8 = 0x02;
    /// Imprecise ending.
    pub const IMPRECISE_ENDING: u8 = 0x01;
}

/// Format-0 message codes in sense byte 7 (low 4 bits) for command reject.
pub mod reject {
    /// Invalid command code.
    pub const INVALID_COMMAND: u8 = 1;
    /// Invalid command sequence.
    pub const INVALID_SEQUENCE: u8 = 2;
    /// CCW count less than required.
    pub const COUNT_TOO_SMALL: u8 = 3;
    /// Invalid parameter.
    pub const INVALID_PARAMETER: u8 = 4;
}

/// Number of sense bytes a 3990 returns.
pub const SENSE_BYTES: usize = 32;

/// Sense bytes describing a unit check.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sense(pub [u8; SENSE_BYTES]);

impl Default for Sense {
    fn default() -> Sense {
        Sense([0; SENSE_BYTES])
    }
}

impl Sense {
    /// Sense with byte 0 = `b0`, byte 1 = `b1` and byte 7 = format-0 message `msg`.
    pub const fn new(b0: u8, b1: u8, msg: u8) -> Sense {
        let mut s = [0u8; SENSE_BYTES];
        s[0] = b0;
        s[1] = b1;
        s[7] = msg & 0x0F;
        Sense(s)
    }
    /// Command reject with format-0 message `msg` (see [`reject`]).
    pub const fn command_reject(msg: u8) -> Sense {
        Sense::new(sense0::COMMAND_REJECT, 0, msg)
    }
    /// Byte 0.
    pub const fn byte0(&self) -> u8 {
        self.0[0]
    }
    /// Byte 1.
    pub const fn byte1(&self) -> u8 {
        self.0[1]
    }
    /// Format-0 message code (byte 7, low 4 bits).
    pub const fn message(&self) -> u8 {
        self.0[7] & 0x0F
    }
    /// Command reject.
    pub const fn is_command_reject(&self) -> bool {
        self.0[0] & sense0::COMMAND_REJECT != 0
    }
    /// File protected.
    pub const fn is_file_protected(&self) -> bool {
        self.0[1] & sense1::FILE_PROTECTED != 0
    }
    /// No record found.
    pub const fn is_no_record_found(&self) -> bool {
        self.0[1] & sense1::NO_RECORD_FOUND != 0
    }
    /// Invalid track format.
    pub const fn is_invalid_track_format(&self) -> bool {
        self.0[1] & sense1::INVALID_TRACK_FORMAT != 0
    }
}

/// How a channel program ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChainStatus {
    /// Unit status byte ([`unit`] bits).
    pub unit_status: u8,
    /// Channel status byte ([`channel`] bits).
    pub channel_status: u8,
    /// Sense bytes (meaningful when unit check is on).
    pub sense: Sense,
    /// Index of the CCW that ended the chain.
    pub last_ccw: u16,
}

impl ChainStatus {
    /// Normal ending: channel end and device end, no sense.
    pub const fn normal(last_ccw: u16) -> ChainStatus {
        ChainStatus {
            unit_status: unit::CHANNEL_END | unit::DEVICE_END,
            channel_status: 0,
            sense: Sense([0; SENSE_BYTES]),
            last_ccw,
        }
    }
    /// Unit check with `sense`.
    pub const fn unit_check(sense: Sense, last_ccw: u16) -> ChainStatus {
        ChainStatus {
            unit_status: unit::CHANNEL_END | unit::DEVICE_END | unit::UNIT_CHECK,
            channel_status: 0,
            sense,
            last_ccw,
        }
    }
    /// Whether the chain ended with unit check.
    pub const fn is_unit_check(&self) -> bool {
        self.unit_status & unit::UNIT_CHECK != 0
    }
    /// Whether the chain ended with unit exception.
    pub const fn is_unit_exception(&self) -> bool {
        self.unit_status & unit::UNIT_EXCEPTION != 0
    }
    /// Whether the channel reported incorrect length.
    pub const fn is_incorrect_length(&self) -> bool {
        self.channel_status & channel::INCORRECT_LENGTH != 0
    }
    /// Whether the chain completed normally (channel end + device end only, no channel
    /// status).
    pub const fn is_normal(&self) -> bool {
        self.unit_status == unit::CHANNEL_END | unit::DEVICE_END && self.channel_status == 0
    }
}
