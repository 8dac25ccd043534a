//! Per-operation sampling: a probability per span name, each with a
//! guaranteed lower bound of traces per second, as Jaeger's clients do it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::RwLock;

use super::installed::rate_limiter;
use super::strategy::PerOperationStrategy;
use crate::{RateLimiting, Sampler, SamplingParams, SamplingResult, TraceIdRatioBased};

/// The sampler of one operation: sampled by its probability, or else by
/// its lower bound's rate limiter.
#[derive(Debug)]
struct OperationSampler {
    probabilistic: TraceIdRatioBased,
    /// `None` when the lower bound is 0.
    lower_bound: Option<RateLimiting>,
}

impl OperationSampler {
    fn new(probability: f64, lower_bound: f64) -> OperationSampler {
        OperationSampler {
            probabilistic: TraceIdRatioBased::new(probability),
            lower_bound: (lower_bound > 0.0).then(|| rate_limiter(lower_bound)),
        }
    }

    fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        let by_probability = self.probabilistic.should_sample(params);
        let Some(lower_bound) = &self.lower_bound else {
            return by_probability;
        };
        if by_probability.decision().is_sampled() {
            // Spend the token anyway, as Jaeger's clients do: the bound
            // tops up to a minimum rate, it does not add to the sampled one.
            let _ = lower_bound.should_sample(params);
            by_probability
        } else {
            lower_bound.should_sample(params)
        }
    }
}

/// Samples each span by the strategy of its name.
///
/// The operations the strategy names are in a map that never changes once
/// built, read without a lock. An operation it does not name uses the
/// default probability; when the lower bound is above 0 it also needs a
/// rate limiter of its own, made the first time the name is seen and kept
/// in a second map behind a read-mostly lock (the only allocation, once
/// per name). At most `max_operations` names get a sampler of their own,
/// counting both maps; the others share the default probability, without
/// a lower bound.
#[derive(Debug)]
pub(crate) struct PerOperation {
    default: TraceIdRatioBased,
    lower_bound: f64,
    known: Operations,
    seen: RwLock<Operations>,
    /// How many names `seen` may hold.
    seen_capacity: usize,
}

impl PerOperation {
    /// The samplers for `strategy`; its first `max_operations` distinct
    /// names get their own (a later entry for a name replaces an earlier).
    pub(crate) fn new(strategy: &PerOperationStrategy, max_operations: usize) -> PerOperation {
        let mut known = Operations::default();
        for (name, probability) in &strategy.operations {
            if known.len() < max_operations || known.contains_key(name.as_str()) {
                let sampler = OperationSampler::new(*probability, strategy.lower_bound);
                known.insert(name.as_str().into(), sampler);
            }
        }
        PerOperation {
            default: TraceIdRatioBased::new(strategy.default_probability),
            lower_bound: strategy.lower_bound,
            seen_capacity: max_operations.saturating_sub(known.len()),
            known,
            seen: RwLock::new(Operations::default()),
        }
    }

    /// The decision for `params.name`.
    pub(crate) fn should_sample(&self, params: &SamplingParams<'_>) -> SamplingResult {
        if let Some(sampler) = self.known.get(params.name) {
            return sampler.should_sample(params);
        }
        if self.lower_bound <= 0.0 || self.seen_capacity == 0 {
            // Every unnamed operation would get the same probabilistic
            // sampler: no need to tell them apart.
            return self.default.should_sample(params);
        }
        {
            let seen = self.seen.read().unwrap_or_else(|e| e.into_inner());
            if let Some(sampler) = seen.get(params.name) {
                return sampler.should_sample(params);
            }
            if seen.len() >= self.seen_capacity {
                return self.default.should_sample(params);
            }
        }
        let mut seen = self.seen.write().unwrap_or_else(|e| e.into_inner());
        if !seen.contains_key(params.name) {
            if seen.len() >= self.seen_capacity {
                drop(seen);
                return self.default.should_sample(params);
            }
            let sampler = OperationSampler::new(self.default.ratio(), self.lower_bound);
            seen.insert(params.name.into(), sampler);
        }
        match seen.get(params.name) {
            Some(sampler) => sampler.should_sample(params),
            None => self.default.should_sample(params),
        }
    }

    /// How many operations have a sampler of their own so far.
    #[cfg(test)]
    fn operations(&self) -> usize {
        self.known.len() + self.seen.read().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// Samplers by span name.
type Operations = HashMap<Box<str>, OperationSampler, BuildHasherDefault<NameHasher>>;

/// Hashes span names a word at a time (the multiply-rotate step of rustc's
/// FxHash), then mixes the result (MurmurHash3's finaliser) so that every
/// bit depends on every byte. SipHash, the default, took more time than
/// the rest of a per-operation decision. Names that collide on purpose
/// only slow lookups among at most `max_operations` names.
#[derive(Debug, Clone, Copy)]
struct NameHasher(u64);

impl Default for NameHasher {
    fn default() -> NameHasher {
        NameHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl NameHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let word = rest
                .iter()
                .rev()
                .fold(0u64, |word, &b| (word << 8) | u64::from(b));
            self.add(word ^ ((rest.len() as u64) << 59));
        }
    }

    /// `str` hashes end with a `0xff` byte: one step, not a `write`.
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use spanlite_api::{Context, SpanKind, TraceId};

    /// A trace id whose low 56 bits are `r`: sampled by probability `p`
    /// when `r >= (1 - p) * 2^56`.
    fn sampled(sampler: &PerOperation, name: &str, trace: u128) -> bool {
        let cx = Context::new();
        let params = SamplingParams::new(&cx, TraceId::from_int(trace), name, SpanKind::Server);
        sampler.should_sample(&params).decision().is_sampled()
    }

    const HIGH: u128 = (1 << 56) - 1; // sampled by any probability above 0
    const LOW: u128 = 1; // sampled by probability 1 only

    fn strategy(lower_bound: f64, operations: &[(&str, f64)]) -> PerOperationStrategy {
        PerOperationStrategy {
            default_probability: 0.5,
            lower_bound,
            operations: operations
                .iter()
                .map(|(name, p)| ((*name).to_owned(), *p))
                .collect(),
        }
    }

    #[test]
    fn the_name_hasher_tells_similar_names_apart() {
        use std::hash::BuildHasher;
        let build = BuildHasherDefault::<NameHasher>::default();
        let names = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "a\0",
            "GET /users/{id}",
            "GET /users/{id}/",
        ];
        let hashes: std::collections::HashSet<u64> =
            names.iter().map(|name| build.hash_one(name)).collect();
        assert_eq!(hashes.len(), names.len());
    }

    #[test]
    fn named_operations_use_their_probability_and_others_the_default() {
        let sampler = PerOperation::new(&strategy(0.0, &[("all", 1.0), ("none", 0.0)]), 10);
        assert!(sampled(&sampler, "all", LOW));
        assert!(!sampled(&sampler, "none", HIGH));
        assert!(sampled(&sampler, "other", HIGH));
        assert!(!sampled(&sampler, "other", LOW));
        // Without a lower bound, unnamed operations need no sampler.
        assert_eq!(sampler.operations(), 2);
    }

    #[test]
    fn the_lower_bound_samples_what_the_probability_drops() {
        let sampler = PerOperation::new(&strategy(2.0, &[("none", 0.0)]), 10);
        // A full bucket of 2: two roots, then the probability's answer.
        let kept = (0..10).filter(|_| sampled(&sampler, "none", HIGH)).count();
        assert_eq!(kept, 2);
        // Each operation has its own bucket, unnamed ones too.
        let kept = (0..10).filter(|_| sampled(&sampler, "new", LOW)).count();
        assert_eq!(kept, 2);
        assert_eq!(sampler.operations(), 2);
    }

    #[test]
    fn at_most_max_operations_get_their_own_sampler() {
        let sampler = PerOperation::new(&strategy(1.0, &[("a", 0.0), ("b", 0.0), ("c", 0.0)]), 2);
        // "c" is past the cap: the default probability, no lower bound.
        assert!(!sampled(&sampler, "c", LOW));
        assert!(sampled(&sampler, "a", LOW));
        assert!(!sampled(&sampler, "a", LOW));
        // Unnamed operations find the cap reached too.
        assert!(!sampled(&sampler, "d", LOW));
        assert_eq!(sampler.operations(), 2);

        let sampler = PerOperation::new(&strategy(1.0, &[("a", 0.0)]), 2);
        assert!(sampled(&sampler, "b", LOW));
        assert!(!sampled(&sampler, "c", LOW));
        assert_eq!(sampler.operations(), 2);
    }
}
