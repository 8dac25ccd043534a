//! The trace flags byte of a span context.

use std::fmt;
use std::ops::BitOr;

/// The trace flags: bit 0x01 is *sampled*, bit 0x02 (W3C Trace Context
/// Level 2) says the trace id's right-most 7 bytes are random.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TraceFlags(u8);

impl TraceFlags {
    /// No flag set: not sampled.
    pub const NONE: TraceFlags = TraceFlags(0);
    /// The caller may have recorded the trace.
    pub const SAMPLED: TraceFlags = TraceFlags(0x01);
    /// The trace id's right-most 56 bits are random (W3C Level 2).
    pub const RANDOM: TraceFlags = TraceFlags(0x02);
    /// The bits this version of W3C Trace Context defines; others are sent as 0.
    pub const KNOWN: TraceFlags = TraceFlags(0x03);

    /// Flags from their byte, unknown bits kept.
    #[inline]
    pub const fn new(byte: u8) -> TraceFlags {
        TraceFlags(byte)
    }

    /// The byte.
    #[inline]
    pub const fn to_u8(self) -> u8 {
        self.0
    }

    /// Whether the sampled bit is set.
    #[inline]
    pub const fn is_sampled(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Whether the random bit is set.
    #[inline]
    pub const fn is_random(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// These flags with the sampled bit set to `sampled`.
    #[inline]
    pub const fn with_sampled(self, sampled: bool) -> TraceFlags {
        if sampled {
            TraceFlags(self.0 | 0x01)
        } else {
            TraceFlags(self.0 & !0x01)
        }
    }

    /// These flags with the random bit set to `random`.
    #[inline]
    pub const fn with_random(self, random: bool) -> TraceFlags {
        if random {
            TraceFlags(self.0 | 0x02)
        } else {
            TraceFlags(self.0 & !0x02)
        }
    }

    /// Only the bits that are defined; what goes on the wire.
    #[inline]
    pub const fn known(self) -> TraceFlags {
        TraceFlags(self.0 & Self::KNOWN.0)
    }
}

impl BitOr for TraceFlags {
    type Output = TraceFlags;

    #[inline]
    fn bitor(self, rhs: TraceFlags) -> TraceFlags {
        TraceFlags(self.0 | rhs.0)
    }
}

impl fmt::Debug for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceFlags({:02x})", self.0)
    }
}

impl fmt::Display for TraceFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02x}", self.0)
    }
}
