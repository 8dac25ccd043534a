//! A span record that only one place can reach, writable without atomics.

use std::mem::size_of;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

use crate::span_data::SpanRecord;
use crate::KeyValue;

/// An `Arc<SpanRecord>` that is known to be the only reference to its
/// record. A running span writes its record on every call; `Arc::get_mut`
/// would pay an atomic compare-and-swap each time, and touch the count's
/// cache line that the export thread last wrote. This type checks
/// uniqueness once, when it is made, and never again.
#[derive(Debug)]
pub(crate) struct UniqueRecord(Arc<SpanRecord>);

impl UniqueRecord {
    /// A new, empty record.
    pub(crate) fn new() -> UniqueRecord {
        UniqueRecord(Arc::new(SpanRecord::default()))
    }

    /// Takes back a shared record once every other handle is gone.
    ///
    /// spanlite never makes a `Weak` to a record and never lets an `Arc` of
    /// one escape (`SpanData` keeps it private), so a strong count of one
    /// means ours is the only reference, and nothing can clone it meanwhile.
    /// The count is only read, so the export thread does not write the
    /// cache line the producing thread will use next.
    pub(crate) fn from_shared(record: Arc<SpanRecord>) -> Option<UniqueRecord> {
        if Arc::strong_count(&record) != 1 {
            return None;
        }
        // Pairs with the release decrement of the handles dropped before:
        // their accesses to the record happen before ours.
        fence(Ordering::Acquire);
        Some(UniqueRecord(record))
    }

    /// Asks the CPU to start loading the record's own memory. A recycled
    /// record comes back from the export thread's core, so its lines are
    /// usually cold here; loading them a span ahead hides that latency.
    #[inline]
    pub(crate) fn prefetch(&self) {
        prefetch_range(Arc::as_ptr(&self.0).cast(), size_of::<SpanRecord>());
    }

    /// Asks the CPU to start loading the storage of the record's attributes
    /// (the stale ones reset drops, and room for a few new ones). Reads the
    /// record's vector header: call it after [`prefetch`](Self::prefetch)
    /// has had time to bring that in.
    #[inline]
    pub(crate) fn prefetch_attributes(&self) {
        let attributes = &self.0.attributes;
        let entries = attributes.len().max(4).min(attributes.capacity());
        prefetch_range(attributes.as_ptr().cast(), entries * size_of::<KeyValue>());
    }

    /// Gives the record up for sharing (a finished span).
    pub(crate) fn into_shared(self) -> Arc<SpanRecord> {
        self.0
    }
}

/// Prefetches the cache lines of `len` bytes from `start` (a hint only).
#[inline]
fn prefetch_range(start: *const u8, len: usize) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut offset = 0;
        while offset < len {
            // SAFETY: a prefetch is a hint to the cache: it never faults and
            // changes no memory, whatever the address (here always inside a
            // live allocation anyway). SSE, which it needs, is part of the
            // x86-64 baseline.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset).cast()) };
            offset += 64;
        }
    }
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = (start, len);
}

impl Default for UniqueRecord {
    fn default() -> UniqueRecord {
        UniqueRecord::new()
    }
}

impl Deref for UniqueRecord {
    type Target = SpanRecord;

    fn deref(&self) -> &SpanRecord {
        &self.0
    }
}

impl DerefMut for UniqueRecord {
    fn deref_mut(&mut self) -> &mut SpanRecord {
        // SAFETY: a `UniqueRecord` is made only from a new `Arc` or from one
        // whose strong count was 1 with no `Weak` possible (see
        // `from_shared`), and it never clones its `Arc`, so no other
        // reference to the record exists; `&mut self` makes this access
        // exclusive. The pointer comes from the `Arc`'s own allocation,
        // which it owns and which permits writes.
        unsafe { &mut *Arc::as_ptr(&self.0).cast_mut() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_record_comes_back_only_when_no_other_handle_remains() {
        let unique = UniqueRecord::new();
        let shared = unique.into_shared();
        let other = shared.clone();
        let shared = match UniqueRecord::from_shared(shared) {
            Some(_) => panic!("taken back while another handle exists"),
            None => other,
        };
        let mut back = UniqueRecord::from_shared(shared).expect("the only handle");
        back.dropped_events = 3;
        assert_eq!(back.dropped_events, 3);
    }

    #[test]
    fn writes_through_a_unique_record_are_seen_after_sharing() {
        let mut unique = UniqueRecord::new();
        unique.start_unix_nanos = 42;
        let shared = unique.into_shared();
        let reader = shared.clone();
        let seen = std::thread::spawn(move || reader.start_unix_nanos)
            .join()
            .unwrap();
        assert_eq!(seen, 42);
        assert!(UniqueRecord::from_shared(shared).is_some());
    }
}
