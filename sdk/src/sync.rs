//! The atomics and cells the lock-free buffers use: std's normally, loom's
//! when the crate is built with `--cfg spanlite_loom` for model checking.

#[cfg(spanlite_loom)]
pub(crate) use loom::cell::UnsafeCell;
#[cfg(spanlite_loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicUsize};

#[cfg(not(spanlite_loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicUsize};

pub(crate) use std::sync::atomic::Ordering;

/// `std::cell::UnsafeCell` behind loom's closure-based API, so the ring
/// reads the same under both.
#[cfg(not(spanlite_loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

#[cfg(not(spanlite_loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(std::cell::UnsafeCell::new(value))
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// Keeps a value on its own cache line so the producer's and the
/// consumer's indices do not share one.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(crate) struct CachePadded<T>(pub(crate) T);

impl<T> std::ops::Deref for CachePadded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
