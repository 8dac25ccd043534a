//! A bounded single-producer single-consumer ring: the per-thread span
//! buffer. Push and pop are wait-free: two atomic loads, one slot write, one
//! release store. The producer's and the consumer's indices live on their
//! own cache lines, so a thread ending spans writes only lines it owns.

use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering;

use crate::sync::{AtomicUsize, CachePadded, UnsafeCell};

pub(crate) struct Ring<T> {
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    capacity: usize,
    mask: usize,
    producer: CachePadded<Side>,
    consumer: CachePadded<Side>,
}

/// One side's index, and its last view of the other side's index, on a
/// cache line of their own: a push reads the consumer's line only when the
/// ring looks full, a pop reads the producer's only when it looks empty.
struct Side {
    /// Next slot to push (producer) or pop (consumer). Written by its side.
    index: AtomicUsize,
    /// The other side's index as last read. Touched by this side only.
    seen: UnsafeCell<usize>,
}

impl Side {
    fn new() -> Side {
        Side {
            index: AtomicUsize::new(0),
            seen: UnsafeCell::new(0),
        }
    }
}

// SAFETY: values of `T` move from the producer's thread to the consumer's
// through the ring, so `T: Send` is all that is needed; slots are accessed
// exclusively thanks to the index protocol and the single-producer /
// single-consumer contract of `push` and `pop`, and each side's `seen` is
// touched by that side only.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: see `Send`.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    /// A ring that holds at most `capacity` values (at least one).
    pub(crate) fn new(capacity: usize) -> Ring<T> {
        let capacity = capacity.max(1);
        let slot_count = capacity.next_power_of_two();
        let slots = (0..slot_count)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect();
        Ring {
            slots,
            capacity,
            mask: slot_count - 1,
            producer: CachePadded(Side::new()),
            consumer: CachePadded(Side::new()),
        }
    }

    /// Appends `value`, or gives it back when the ring is full.
    ///
    /// # Safety
    /// At most one thread may be inside `push` at any time (the producer).
    pub(crate) unsafe fn push(&self, value: T) -> Result<(), T> {
        let tail = self.producer.index.load(Ordering::Relaxed);
        // SAFETY: `seen` of the producer side is touched by the producer
        // only, and the caller is the only producer.
        let mut head = self.producer.seen.with(|p| unsafe { *p });
        if tail.wrapping_sub(head) >= self.capacity {
            // Acquire pairs with the consumer's release in `pop_into`: once
            // we see a slot freed, the consumer is done reading it.
            head = self.consumer.index.load(Ordering::Acquire);
            // SAFETY: as above.
            self.producer.seen.with_mut(|p| unsafe { *p = head });
            if tail.wrapping_sub(head) >= self.capacity {
                return Err(value);
            }
        }
        let slot = &self.slots[tail & self.mask];
        // SAFETY: the slot at `tail` is outside the consumer's range
        // [head, tail), so no one else touches it; the caller guarantees
        // we are the only producer.
        slot.with_mut(|p| unsafe { (*p).write(value) });
        // Release publishes the written slot to the consumer.
        self.producer
            .index
            .store(tail.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Hands up to `max` of the oldest values to `take`, oldest first,
    /// freeing their slots with one store; returns how many.
    ///
    /// # Safety
    /// At most one thread may be inside `pop_with`, `pop_into` or `pop` at
    /// any time (the consumer).
    pub(crate) unsafe fn pop_with(&self, max: usize, mut take: impl FnMut(T)) -> usize {
        let head = self.consumer.index.load(Ordering::Relaxed);
        // SAFETY: the consumer side's `seen` is the consumer's alone.
        let mut tail = self.consumer.seen.with(|p| unsafe { *p });
        if tail.wrapping_sub(head) < max {
            // Acquire pairs with the producer's release in `push`.
            tail = self.producer.index.load(Ordering::Acquire);
            // SAFETY: as above.
            self.consumer.seen.with_mut(|p| unsafe { *p = tail });
        }
        let n = tail.wrapping_sub(head).min(max);
        for i in 0..n {
            let slot = &self.slots[head.wrapping_add(i) & self.mask];
            // SAFETY: every index in [head, tail) was initialised by the
            // producer and published by its release store, which our
            // acquire load saw; the producer does not touch these slots
            // until we advance the head; we are the only consumer.
            take(slot.with(|p| unsafe { (*p).assume_init_read() }));
        }
        if n > 0 {
            self.consumer
                .index
                .store(head.wrapping_add(n), Ordering::Release);
        }
        n
    }

    /// Moves up to `max` of the oldest values into `out`; returns how many.
    ///
    /// # Safety
    /// As for [`Ring::pop_with`].
    pub(crate) unsafe fn pop_into(&self, out: &mut Vec<T>, max: usize) -> usize {
        // SAFETY: forwarded contract.
        unsafe { self.pop_with(max, |v| out.push(v)) }
    }

    /// Removes the oldest value.
    ///
    /// # Safety
    /// As for [`Ring::pop_with`].
    pub(crate) unsafe fn pop(&self) -> Option<T> {
        let mut one = None;
        // SAFETY: forwarded contract.
        unsafe { self.pop_with(1, |v| one = Some(v)) };
        one
    }

    /// How many values are queued; a snapshot when the other side is busy.
    pub(crate) fn len(&self) -> usize {
        // Head first: it never passes the tail that is read after it.
        let head = self.consumer.index.load(Ordering::Acquire);
        let tail = self.producer.index.load(Ordering::Acquire);
        tail.wrapping_sub(head).min(self.capacity)
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no producer or consumer is active.
        while unsafe { self.pop() }.is_some() {}
    }
}

impl<T> fmt::Debug for Ring<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ring")
            .field("len", &self.len())
            .field("capacity", &self.capacity)
            .finish()
    }
}

#[cfg(all(test, not(spanlite_loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn values_come_out_in_order_and_a_full_ring_refuses() {
        let ring = Ring::new(3);
        // SAFETY: this test is the only producer and consumer.
        unsafe {
            assert!(ring.push(1).is_ok());
            assert!(ring.push(2).is_ok());
            assert!(ring.push(3).is_ok());
            assert_eq!(ring.push(4), Err(4));
            assert_eq!(ring.len(), 3);
            assert_eq!(ring.pop(), Some(1));
            assert!(ring.push(5).is_ok());
            assert_eq!(ring.pop(), Some(2));
            assert_eq!(ring.pop(), Some(3));
            assert_eq!(ring.pop(), Some(5));
            assert_eq!(ring.pop(), None);
        }
    }

    #[test]
    fn dropping_a_ring_drops_what_it_holds() {
        let marker = Arc::new(());
        let ring = Ring::new(4);
        // SAFETY: single thread.
        unsafe {
            ring.push(marker.clone()).unwrap();
            ring.push(marker.clone()).unwrap();
        }
        assert_eq!(Arc::strong_count(&marker), 3);
        drop(ring);
        assert_eq!(Arc::strong_count(&marker), 1);
    }

    #[test]
    fn indices_wrap_around_many_times() {
        let ring = Ring::new(2);
        for i in 0..1000u32 {
            // SAFETY: single thread.
            unsafe {
                ring.push(i).unwrap();
                assert_eq!(ring.pop(), Some(i));
            }
        }
        assert_eq!(ring.len(), 0);
    }

    #[test]
    fn a_producer_and_a_consumer_thread_lose_nothing() {
        const N: usize = if cfg!(miri) { 200 } else { 10_000 };
        let ring = Arc::new(Ring::new(64));
        let producer = {
            let ring = ring.clone();
            std::thread::spawn(move || {
                let mut refused = 0usize;
                for i in 0..N {
                    let mut v = i;
                    // SAFETY: this thread is the only producer.
                    while let Err(back) = unsafe { ring.push(v) } {
                        v = back;
                        refused += 1;
                        std::thread::yield_now();
                    }
                }
                refused
            })
        };
        let mut expected = 0;
        while expected < N {
            // SAFETY: this thread is the only consumer.
            match unsafe { ring.pop() } {
                Some(v) => {
                    assert_eq!(v, expected);
                    expected += 1;
                }
                None => std::thread::yield_now(),
            }
        }
        producer.join().unwrap();
        assert_eq!(ring.len(), 0);
    }
}

#[cfg(all(test, spanlite_loom))]
mod loom_tests {
    use super::*;
    use loom::sync::Arc;

    /// A producer pushing three values through a two-slot ring while a
    /// consumer pops them: every value arrives once, in order, intact
    /// (loom also checks that no slot is read before it is written).
    #[test]
    fn values_cross_the_ring_once_in_order() {
        loom::model(|| {
            let ring = Arc::new(Ring::new(2));
            let producer = {
                let ring = ring.clone();
                loom::thread::spawn(move || {
                    for i in 0..3 {
                        let mut value = Box::new(i);
                        // SAFETY: the only producer.
                        while let Err(back) = unsafe { ring.push(value) } {
                            value = back;
                            loom::thread::yield_now();
                        }
                    }
                })
            };
            let mut popped = Vec::new();
            while popped.len() < 3 {
                // SAFETY: the only consumer.
                match unsafe { ring.pop() } {
                    Some(v) => popped.push(*v),
                    None => loom::thread::yield_now(),
                }
            }
            producer.join().unwrap();
            assert_eq!(popped, vec![0, 1, 2]);
            assert_eq!(ring.len(), 0);
        });
    }

    /// Values still in the ring when it is dropped are dropped once.
    #[test]
    fn values_left_behind_are_dropped_once() {
        loom::model(|| {
            let marker = Arc::new(());
            let ring = Arc::new(Ring::new(2));
            let producer = {
                let ring = ring.clone();
                let marker = marker.clone();
                loom::thread::spawn(move || {
                    // SAFETY: the only producer.
                    let _ = unsafe { ring.push(marker.clone()) };
                    // SAFETY: the only producer.
                    let _ = unsafe { ring.push(marker) };
                })
            };
            // SAFETY: the only consumer.
            drop(unsafe { ring.pop() });
            producer.join().unwrap();
            drop(ring);
            assert_eq!(Arc::strong_count(&marker), 1);
        });
    }
}
