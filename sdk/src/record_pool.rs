//! A per-thread stack of emptied span records, so starting a span takes
//! storage that an earlier span already paid for.
//!
//! Records come back from the export thread through each thread's buffer
//! (see `processor::thread_buffer`); when this pool runs dry it takes a
//! batch of them from there, and keeps them until spans start.

use std::cell::RefCell;

use crate::unique_record::UniqueRecord;

/// How many spare records a thread keeps; more go back to the allocator.
pub(crate) const POOL_CAPACITY: usize = 128;
/// How many records one refill takes from the thread's buffers.
const REFILL: usize = 32;

thread_local! {
    static POOL: RefCell<Vec<UniqueRecord>> = const { RefCell::new(Vec::new()) };
}

/// An empty record: from the pool when it has one (emptied here, on the
/// thread that will write it, so the export thread only ever reads
/// records), else newly allocated.
#[inline]
pub(crate) fn take() -> UniqueRecord {
    let pooled = POOL
        .try_with(|pool| {
            let mut pool = pool.try_borrow_mut().ok()?;
            if pool.is_empty() {
                if pool.capacity() == 0 {
                    pool.reserve_exact(POOL_CAPACITY);
                }
                crate::processor::refill_pool(&mut pool, REFILL);
            }
            let record = pool.pop()?;
            // Records come back cold from the export thread's core: start
            // loading the next ones now, a span ahead. The next record's
            // header was asked for by the previous call, so reading it to
            // find its attribute storage does not stall.
            let len = pool.len();
            if len >= 1 {
                pool[len - 1].prefetch_attributes();
            }
            if len >= 2 {
                pool[len - 2].prefetch();
            }
            Some(record)
        })
        .ok()
        .flatten();
    match pooled {
        Some(mut record) => {
            record.reset();
            record
        }
        None => UniqueRecord::new(),
    }
}

/// Keeps an ended span's record that nothing else holds (its span was not
/// queued: dropped on a full buffer, or no processor kept it), so the next
/// span reuses it instead of freeing it here and allocating anew.
#[inline]
pub(crate) fn give_back(record: UniqueRecord) {
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            if pool.len() < POOL_CAPACITY {
                pool.push(record);
            }
        }
    });
}
