//! The spans the bridge has open, by layer and `tracing` id: a table of
//! its own instead of the registry's extensions, which would cost every
//! span a boxed value, a type-keyed map and two lookups of the span in the
//! registry. Sharded by key, each shard behind an uncontended lock.
//!
//! Nothing but this crate's and the SDK's own code runs while a shard is
//! locked: a span is removed before it ends (its processors may run any
//! code, even code asking for the current context, which reads this table),
//! spanlite's warnings raised meanwhile are held back until the lock is
//! released (they run the application's handler), and a span shared
//! through a context is recorded on outside the lock.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, PoisonError};

use spanlite::{Context, ContextValues, Span};

/// A span's key: the bridging layer's id and the span's `tracing` id.
pub(crate) type Key = (u64, u64);

/// How a span of the bridge is kept.
pub(crate) enum Form {
    /// The span, owned here until code asks for its context, and the
    /// values of the context it started in (for its children).
    Owned { span: Span, values: ContextValues },
    /// The span shared through a context, once code asked for one.
    Shared(Context),
}

impl Form {
    /// The context a child of this span starts in.
    pub(crate) fn child_parent(&mut self) -> Context {
        match self {
            Form::Owned { span, values } => {
                Context::from(values.clone()).with_span_context(span.span_context().clone())
            }
            Form::Shared(cx) => cx.clone(),
        }
    }

    /// The span's context, through which code can record on it: the span
    /// is shared from the first call on.
    pub(crate) fn context(&mut self) -> Context {
        let cx = match std::mem::replace(self, Form::Shared(Context::new())) {
            Form::Owned { span, values } => span.into_context(&Context::from(values)),
            Form::Shared(cx) => cx,
        };
        *self = Form::Shared(cx.clone());
        cx
    }

    /// Ends the span.
    pub(crate) fn end(self) {
        match self {
            Form::Owned { mut span, .. } => span.end(),
            Form::Shared(cx) => cx.end_span(),
        }
    }
}

/// A power of two.
const SHARDS: usize = 64;

/// One shard, on a cache line of its own.
#[repr(align(64))]
struct Shard(Mutex<HashMap<Key, Form, BuildHasherDefault<KeyHasher>>>);

static OPEN: [Shard; SHARDS] =
    [const { Shard(Mutex::new(HashMap::with_hasher(BuildHasherDefault::new()))) }; SHARDS];

/// Spreads a key's bits: `tracing`'s ids are slab indices, dense in their
/// low bits.
const SPREAD: u64 = 0x9e37_79b9_7f4a_7c15;

fn shard(key: Key) -> MutexGuard<'static, HashMap<Key, Form, BuildHasherDefault<KeyHasher>>> {
    let (layer, id) = key;
    // The product's top bits, as many as pick a shard.
    let at = ((id ^ layer.rotate_left(32)).wrapping_mul(SPREAD) >> (64 - SHARDS.ilog2())) as usize;
    OPEN[at].0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keeps `form` under `key`.
pub(crate) fn insert(key: Key, form: Form) {
    let replaced = shard(key).insert(key, form);
    // Only if a close never came for an id `tracing` has reused: ended
    // outside the lock.
    if let Some(old) = replaced {
        old.end();
    }
}

/// Takes the span under `key` out of the table.
pub(crate) fn remove(key: Key) -> Option<Form> {
    shard(key).remove(&key)
}

/// Takes every span of `layer` out of the table (the layer is going away).
pub(crate) fn remove_layer(layer: u64) -> Vec<Form> {
    let mut taken = Vec::new();
    for shard in &OPEN {
        let mut spans = shard.0.lock().unwrap_or_else(PoisonError::into_inner);
        let keys: Vec<Key> = spans
            .keys()
            .filter(|(of, _)| *of == layer)
            .copied()
            .collect();
        taken.extend(keys.iter().filter_map(|key| spans.remove(key)));
    }
    taken
}

/// Runs `f` on the span under `key`, if the table has one. `f` must not
/// run code other than this crate's and the SDK's.
pub(crate) fn with<T>(key: Key, f: impl FnOnce(&mut Form) -> T) -> Option<T> {
    shard(key).get_mut(&key).map(f)
}

/// Hashes a [`Key`]'s two words by multiplication: the keys are not
/// chosen by an adversary (`tracing` hands them out).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(29) ^ word).wrapping_mul(SPREAD);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::BuildHasher;

    #[test]
    fn keys_of_neighbouring_ids_and_layers_hash_apart() {
        let build = BuildHasherDefault::<KeyHasher>::default();
        let mut hashes: Vec<u64> = (1..=4u64)
            .flat_map(|layer| (1..=256u64).map(move |id| (layer, id)))
            .map(|key| build.hash_one(key))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), 4 * 256);
        // The low bits (hashbrown's bucket index) differ too.
        let mut low: Vec<u64> = hashes.iter().map(|h| h & 0x3ff).collect();
        low.sort_unstable();
        low.dedup();
        assert!(
            low.len() > 512,
            "only {} distinct low bit patterns",
            low.len()
        );
    }

    #[test]
    fn a_span_is_found_until_removed() {
        let key = (u64::MAX, 7);
        assert!(with(key, |_| ()).is_none());
        insert(key, Form::Shared(Context::new()));
        assert_eq!(
            with(key, |form| matches!(form, Form::Shared(_))),
            Some(true)
        );
        assert!(remove(key).is_some());
        assert!(remove(key).is_none());
        assert!(with(key, |_| ()).is_none());
    }
}
