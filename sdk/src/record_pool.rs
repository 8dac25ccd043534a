//! A per-thread stack of emptied span records, so starting a span takes
//! storage that an earlier span already paid for.
//!
//! Records come back from the export thread through each thread's buffer
//! (see `processor::thread_buffer`); this pool is where the thread keeps
//! them until its next span starts.

use std::cell::RefCell;

use crate::unique_record::UniqueRecord;

/// How many spare records a thread keeps; more go back to the allocator.
pub(crate) const POOL_CAPACITY: usize = 128;

thread_local! {
    static POOL: RefCell<Vec<UniqueRecord>> = const { RefCell::new(Vec::new()) };
}

/// An empty record: from the pool when it has one (emptied here, on the
/// thread that will write it, so the export thread only ever reads
/// records), else newly allocated.
pub(crate) fn take() -> UniqueRecord {
    let pooled = POOL
        .try_with(|pool| pool.try_borrow_mut().ok().and_then(|mut p| p.pop()))
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

/// How many more records the pool would accept.
pub(crate) fn room() -> usize {
    POOL.try_with(|pool| {
        pool.try_borrow()
            .map_or(0, |p| POOL_CAPACITY.saturating_sub(p.len()))
    })
    .unwrap_or(0)
}

/// Keeps `record` for a later span; when the pool is full it is dropped.
pub(crate) fn give(record: UniqueRecord) {
    let _ = POOL.try_with(|pool| {
        if let Ok(mut pool) = pool.try_borrow_mut() {
            if pool.len() < POOL_CAPACITY {
                if pool.capacity() == 0 {
                    pool.reserve_exact(POOL_CAPACITY);
                }
                pool.push(record);
            }
        }
    });
}
