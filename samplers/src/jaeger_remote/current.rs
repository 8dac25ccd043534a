//! The strategy in force, swapped by the poller and read on every span
//! start without a lock.
//!
//! The poller, the only writer, puts a new [`Installed`] behind a lock and
//! then bumps a version number. A sampling thread reads the version (one
//! atomic load of a word that changes once per strategy change, so the
//! cache line stays shared) and looks in a small thread-local cache for
//! the `Installed` of that version. Only on a miss, once per thread after
//! each change, does it take the read lock and clone the `Arc` into its
//! cache. No `unsafe`, no allocation, and no shared write on a hit.
//!
//! The cost of this: a thread that stopped sampling keeps the `Arc` of the
//! strategy it last used (a few hundred bytes) until it samples again or
//! exits; a thread's cache holds the strategies of `CACHE_SLOTS` samplers,
//! so a thread switching among more samplers than that takes the lock.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::installed::Installed;

/// Samplers whose strategy one thread caches at once.
const CACHE_SLOTS: usize = 4;

/// Tells the samplers of one process apart in the thread caches.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new(Cache::new()) };
}

/// The strategy of one sampler, shared by its handles and its poller.
#[derive(Debug)]
pub(crate) struct Current {
    id: u64,
    version: AtomicU64,
    installed: RwLock<Arc<Installed>>,
}

impl Current {
    /// Starts with `installed` (version 0).
    pub(crate) fn new(installed: Installed) -> Current {
        Current {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            version: AtomicU64::new(installed.version),
            installed: RwLock::new(Arc::new(installed)),
        }
    }

    /// The strategy in force (takes the lock: not for the hot path).
    pub(crate) fn load(&self) -> Arc<Installed> {
        Arc::clone(&self.installed.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The version the next install must carry.
    pub(crate) fn next_version(&self) -> u64 {
        self.version.load(Ordering::Relaxed) + 1
    }

    /// Puts `installed` in force. Only the poller calls this.
    pub(crate) fn install(&self, installed: Installed) {
        let version = installed.version;
        let mut slot = self.installed.write().unwrap_or_else(|e| e.into_inner());
        *slot = Arc::new(installed);
        // Published under the lock: a reader that sees the new version and
        // misses its cache reads this `Installed` or a later one.
        self.version.store(version, Ordering::Release);
    }

    /// Calls `f` with the strategy in force: from this thread's cache when
    /// it holds the current version, else from under the lock (and then
    /// cached). `f` may itself sample with another `Current` (a sampler
    /// nested in the initial sampler): the cache is only borrowed shared
    /// around `f`, and updating it is skipped when it is borrowed.
    pub(crate) fn with<R>(&self, f: impl Fn(&Installed) -> R) -> R {
        let version = self.version.load(Ordering::Acquire);
        let hit = CACHE.try_with(|cache| {
            let cache = cache.try_borrow().ok()?;
            cache.get(self.id, version).map(&f)
        });
        if let Ok(Some(result)) = hit {
            return result;
        }
        let installed = self.load();
        let result = f(&installed);
        // Fails only while the thread is exiting or inside a nested call:
        // then the next call takes the lock again, which is still correct.
        let _ = CACHE.try_with(|cache| {
            if let Ok(mut cache) = cache.try_borrow_mut() {
                cache.put(self.id, installed);
            }
        });
        result
    }
}

/// A thread's strategies, a few samplers' worth.
struct Cache {
    slots: [Option<(u64, Arc<Installed>)>; CACHE_SLOTS],
    /// The slot the next new sampler replaces.
    next: usize,
}

impl Cache {
    const fn new() -> Cache {
        Cache {
            slots: [const { None }; CACHE_SLOTS],
            next: 0,
        }
    }

    fn get(&self, id: u64, version: u64) -> Option<&Installed> {
        self.slots.iter().flatten().find_map(|(owner, installed)| {
            (*owner == id && installed.version == version).then_some(&**installed)
        })
    }

    fn put(&mut self, id: u64, installed: Arc<Installed>) {
        let index = self
            .slots
            .iter()
            .position(|slot| matches!(slot, Some((owner, _)) if *owner == id))
            .or_else(|| self.slots.iter().position(Option::is_none))
            .unwrap_or_else(|| {
                let victim = self.next;
                self.next = (self.next + 1) % CACHE_SLOTS;
                victim
            });
        self.slots[index] = Some((id, installed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jaeger_remote::strategy::Strategy;

    fn probabilistic(version: u64, rate: f64) -> Installed {
        Installed::new(version, Strategy::Probabilistic { rate }, 10)
    }

    fn version_seen(current: &Current) -> u64 {
        current.with(|installed| installed.version)
    }

    #[test]
    fn readers_see_each_install() {
        let current = Current::new(Installed::initial());
        assert_eq!(version_seen(&current), 0);
        for version in 1..5 {
            current.install(probabilistic(version, 0.5));
            assert_eq!(version_seen(&current), version);
            // A hit now: the same answer.
            assert_eq!(version_seen(&current), version);
        }
    }

    #[test]
    fn other_threads_see_an_install() {
        let current = Current::new(Installed::initial());
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(version_seen(&current), 0));
        });
        current.install(probabilistic(1, 0.5));
        std::thread::scope(|s| {
            s.spawn(|| assert_eq!(version_seen(&current), 1));
        });
    }

    #[test]
    fn more_samplers_than_slots_still_read_their_own_strategy() {
        let samplers: Vec<Current> = (0..CACHE_SLOTS as u64 * 2 + 1)
            .map(|i| {
                let current = Current::new(Installed::initial());
                current.install(probabilistic(i + 1, 0.5));
                current
            })
            .collect();
        for _ in 0..3 {
            for (i, current) in samplers.iter().enumerate() {
                assert_eq!(version_seen(current), i as u64 + 1);
            }
        }
    }

    #[test]
    fn a_nested_read_of_another_sampler_works() {
        let outer = Current::new(Installed::initial());
        let inner = Current::new(Installed::initial());
        inner.install(probabilistic(7, 0.5));
        // Warm the outer one's slot so the nested call runs under a borrow.
        let _ = version_seen(&outer);
        let seen = outer.with(|_| version_seen(&inner));
        assert_eq!(seen, 7);
        let seen = outer.with(|_| version_seen(&inner));
        assert_eq!(seen, 7);
    }
}
