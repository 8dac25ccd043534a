//! Helpers for spanlite's own tests.
//!
//! [`CountingAllocator`] counts the allocations each thread makes. A test
//! binary that checks a hot path installs it (one global allocator per
//! binary, so such tests live in files of their own):
//!
//! ```
//! use spanlite_test_support::{allocations_during, CountingAllocator};
//!
//! #[global_allocator]
//! static GLOBAL: CountingAllocator = CountingAllocator;
//!
//! let mut kept = Vec::with_capacity(4);
//! assert_eq!(allocations_during(|| kept.push(1)), 0);
//! assert_eq!(allocations_during(|| kept.extend([2, 3, 4, 5])), 1);
//! ```

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting each thread's allocations and
/// reallocations (frees are not counted).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

// SAFETY: every call goes to the system allocator unchanged; counting
// touches only a const-initialised thread-local Cell, which never
// allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `realloc`'s contract, which we pass on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// The allocations this thread has made so far (0 unless
/// [`CountingAllocator`] is the global allocator).
pub fn allocations_on_this_thread() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// How many allocations `f` makes on this thread.
pub fn allocations_during(f: impl FnOnce()) -> u64 {
    let before = allocations_on_this_thread();
    f();
    allocations_on_this_thread() - before
}
