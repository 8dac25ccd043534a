//! The 56-bit arithmetic of consistent probability sampling: rejection
//! thresholds, their `th` encoding, and the randomness they are compared
//! with.
//!
//! A span is sampled when its randomness `R` is at least the rejection
//! threshold `T = (1 - p) * 2^56`. Thresholds are rounded to a number of hex
//! digits, as the spec's tracestate-probability-sampling page describes, so
//! that the `th` value written into the trace state is short and the
//! decision uses exactly the threshold that is written.

use spanlite_api::TraceId;

/// The number of distinct 56-bit randomness values; a threshold this high
/// would reject everything, so valid thresholds are below it.
pub(crate) const MAX_ADJUSTED_COUNT: u64 = 1 << 56;

/// The smallest probability the 56 bits of randomness can express.
pub(crate) const MIN_PROBABILITY: f64 = 1.0 / MAX_ADJUSTED_COUNT as f64;

/// Hex digits of precision the spec recommends for SDKs.
pub(crate) const DEFAULT_PRECISION: u8 = 4;

/// Hex digits in a full 56-bit value.
pub(crate) const MAX_DIGITS: u8 = 14;

/// The rejection threshold for `probability`, rounded (half up) to
/// `precision` significant hex digits, where leading `f` digits of small
/// probabilities do not count against the precision.
///
/// `None` means "never sample": zero, NaN, negative, or below 2^-56.
/// Probabilities of 1 or more give threshold 0.
pub(crate) fn probability_to_threshold(probability: f64, precision: u8) -> Option<u64> {
    if probability.is_nan() || probability < MIN_PROBABILITY {
        return None;
    }
    if probability >= 1.0 {
        return Some(0);
    }
    let precision = i32::from(precision.clamp(1, MAX_DIGITS));
    let bits = probability.to_bits();
    // `probability` is normal here (>= 2^-56), so the biased exponent is in
    // 967..=1022 and the implicit leading bit is set.
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    // frexp's exponent: probability = m * 2^exp with m in [0.5, 1).
    let exp = biased - 1022;
    // Each 4 bits of leading zeros in the probability become a leading `f`
    // in the threshold, which should not eat into the precision.
    let digits = (precision + (-exp) / 4).min(i32::from(MAX_DIGITS));

    // Fixed point with 64 fraction bits below the 56-bit threshold unit:
    // probability * 2^(56 + 64) is exact, since the 53-bit mantissa only
    // moves left (the shift is at least 12 for probability >= 2^-56).
    let shift = (biased - 955) as u32;
    let kept = u128::from(mantissa) << shift;
    let rejected = (1u128 << 120) - kept;
    let step = 1u128 << (4 * (i32::from(MAX_DIGITS) - digits) as u32 + 64);
    let rounded = (rejected + step / 2) / step * step;
    let threshold = u64::try_from(rounded >> 64).ok()?;
    // The precision adjustment above keeps the rounding below 2^56 for
    // every probability >= 2^-56; stay safe if it ever does not.
    (threshold < MAX_ADJUSTED_COUNT).then_some(threshold)
}

/// The `th` value: 14 hex digits with trailing zeros removed, `0` for 0.
pub(crate) fn encode_th(threshold: u64) -> String {
    if threshold == 0 {
        return "0".to_owned();
    }
    let full = format!("{:014x}", threshold & (MAX_ADJUSTED_COUNT - 1));
    full.trim_end_matches('0').to_owned()
}

/// Reads a `th` value: 1 to 14 hex digits, extended with trailing zeros.
pub(crate) fn decode_th(value: &str) -> Option<u64> {
    if value.is_empty() || value.len() > usize::from(MAX_DIGITS) {
        return None;
    }
    let digits = parse_hex(value)?;
    Some(digits << (4 * (usize::from(MAX_DIGITS) - value.len())))
}

/// Reads an `rv` value: exactly 14 hex digits.
pub(crate) fn decode_rv(value: &str) -> Option<u64> {
    if value.len() != usize::from(MAX_DIGITS) {
        return None;
    }
    parse_hex(value)
}

/// The trace id's own randomness: its least significant 56 bits (W3C Trace
/// Context Level 2).
pub(crate) fn trace_id_randomness(trace_id: TraceId) -> u64 {
    (trace_id.to_int() as u64) & (MAX_ADJUSTED_COUNT - 1)
}

/// Hex digits (either case) to a number; at most 14 digits are passed in,
/// so it cannot overflow.
fn parse_hex(value: &str) -> Option<u64> {
    value.bytes().try_fold(0u64, |acc, b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return None,
        };
        Some((acc << 4) | u64::from(digit))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn th(probability: f64, precision: u8) -> String {
        probability_to_threshold(probability, precision)
            .map(encode_th)
            .unwrap_or_else(|| "never".to_owned())
    }

    /// The spec's table of 1-in-N probabilities at precision 3, 4 and 5
    /// (tracestate-probability-sampling, "Converting floating-point
    /// probability to threshold value").
    #[test]
    fn thresholds_match_the_specs_table_at_precision_3_4_and_5() {
        let table: [(f64, [&str; 3]); 13] = [
            (1.0, ["0", "0", "0"]),
            (0.5, ["8", "8", "8"]),
            (1.0 / 3.0, ["aab", "aaab", "aaaab"]),
            (0.25, ["c", "c", "c"]),
            (0.2, ["ccd", "cccd", "ccccd"]),
            (0.125, ["e", "e", "e"]),
            (0.1, ["e66", "e666", "e6666"]),
            (0.0625, ["f", "f", "f"]),
            (0.01, ["fd71", "fd70a", "fd70a4"]),
            (0.001, ["ffbe7", "ffbe77", "ffbe76d"]),
            (0.0001, ["fff972", "fff9724", "fff97247"]),
            (0.00001, ["ffff584", "ffff583a", "ffff583a5"]),
            (0.000001, ["ffffef4", "ffffef39", "ffffef391"]),
        ];
        for (probability, expected) in table {
            for (precision, want) in [3, 4, 5].into_iter().zip(expected) {
                assert_eq!(
                    th(probability, precision),
                    want,
                    "p={probability} precision={precision}"
                );
            }
        }
    }

    #[test]
    fn the_spec_example_of_one_percent_is_fd70a4_at_five_digits() {
        // "(1-0.01) * 2^56 ≈ 71337018784743424 = 0xfd70a400000000"
        assert_eq!(probability_to_threshold(0.01, 5), Some(0xfd70a400000000));
    }

    #[test]
    fn probability_one_is_threshold_zero_written_th_0() {
        assert_eq!(probability_to_threshold(1.0, 4), Some(0));
        assert_eq!(probability_to_threshold(7.0, 4), Some(0));
        assert_eq!(encode_th(0), "0");
    }

    #[test]
    fn zero_nan_negative_and_below_two_to_the_minus_56_never_sample() {
        for p in [
            0.0,
            -0.5,
            f64::NAN,
            f64::NEG_INFINITY,
            MIN_PROBABILITY / 2.0,
            1e-300,
        ] {
            assert_eq!(probability_to_threshold(p, 4), None, "{p}");
        }
    }

    #[test]
    fn the_smallest_probability_rejects_all_but_one_randomness_value() {
        for precision in 1..=14 {
            assert_eq!(
                probability_to_threshold(MIN_PROBABILITY, precision),
                Some(MAX_ADJUSTED_COUNT - 1)
            );
        }
    }

    #[test]
    fn precision_is_clamped_to_1_through_14_digits() {
        assert_eq!(th(1.0 / 3.0, 0), th(1.0 / 3.0, 1));
        assert_eq!(th(1.0 / 3.0, 1), "b");
        assert_eq!(th(1.0 / 3.0, 200), th(1.0 / 3.0, 14));
        assert_eq!(th(1.0 / 3.0, 14).len(), 14);
    }

    #[test]
    fn thresholds_never_rise_as_probability_rises() {
        // Consistency: a higher probability must sample a superset, so its
        // threshold must not be higher, across the precision steps too.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for precision in [1, 3, 4, 5, 14] {
            let mut probabilities = vec![MIN_PROBABILITY, 1.0];
            for k in 1..56 {
                let edge = (-(k as f64)).exp2();
                probabilities.extend([edge, edge * (1.0 + 1e-12), edge * (1.0 - 1e-12)]);
            }
            for _ in 0..2_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                probabilities.push((x >> 11) as f64 / (1u64 << 53) as f64);
            }
            probabilities.sort_by(f64::total_cmp);
            let thresholds: Vec<u64> = probabilities
                .iter()
                .map(|&p| probability_to_threshold(p, precision).unwrap_or(MAX_ADJUSTED_COUNT))
                .collect();
            for (pair, ps) in thresholds.windows(2).zip(probabilities.windows(2)) {
                assert!(
                    pair[0] >= pair[1],
                    "precision {precision}: {ps:?} -> {pair:x?}"
                );
            }
        }
    }

    #[test]
    fn th_values_extend_with_trailing_zeros_to_14_digits() {
        assert_eq!(decode_th("8"), Some(0x80000000000000));
        assert_eq!(decode_th("fd70a4"), Some(0xfd70a400000000));
        assert_eq!(decode_th("0"), Some(0));
        assert_eq!(decode_th("FD70A4"), Some(0xfd70a400000000));
        assert_eq!(decode_th("ffffffffffffff"), Some(MAX_ADJUSTED_COUNT - 1));
    }

    #[test]
    fn th_values_of_0_or_over_14_digits_or_not_hex_are_invalid() {
        for bad in ["", "fffffffffffffff", "x", "8g", "-1", "+8", " 8", "é"] {
            assert_eq!(decode_th(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rv_values_are_exactly_14_hex_digits() {
        assert_eq!(decode_rv("7479cfb506891d"), Some(0x7479cfb506891d));
        for bad in ["7479cfb506891", "7479cfb506891d0", "7479cfb50689zz", ""] {
            assert_eq!(decode_rv(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn encoding_then_decoding_a_threshold_gives_it_back() {
        for t in [
            1,
            0x80000000000000,
            0xfd70a400000000,
            MAX_ADJUSTED_COUNT - 1,
            0x10,
        ] {
            assert_eq!(decode_th(&encode_th(t)), Some(t), "{t:x}");
        }
    }

    #[test]
    fn randomness_is_the_low_56_bits_of_the_trace_id() {
        let id = TraceId::from_int(0xffff_ffff_ffff_ffff_ff12_3456_789a_bcde);
        assert_eq!(trace_id_randomness(id), 0x12_3456_789a_bcde);
    }
}
