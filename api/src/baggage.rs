//! Baggage: name/value pairs that travel with a request across processes,
//! kept in the [`Context`].

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::Context;

/// An immutable, ordered set of name/value entries, each with optional
/// metadata (the W3C `baggage` properties, an opaque string).
///
/// Names are case-sensitive and unique: inserting a name again replaces its
/// entry, which moves to the end. Every operation returns a new baggage;
/// clones share storage. The API sets no limits on names or values: the
/// propagators apply the wire format's rules and limits when they send.
///
/// ```
/// use spanlite_api::{Baggage, Context};
/// let baggage = Baggage::new()
///     .insert("user.id", "42")
///     .insert_with_metadata("region", "eu", "origin=edge");
/// assert_eq!(baggage.get("user.id"), Some("42"));
/// assert_eq!(baggage.get_with_metadata("region"), Some(("eu", "origin=edge")));
///
/// let cx = baggage.in_context(&Context::new());
/// assert_eq!(Baggage::from_context(&cx).len(), 2);
/// assert!(Baggage::from_context(&Context::new()).is_empty());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Baggage {
    // `None` when empty, so that an empty baggage needs no allocation;
    // `Some` is never empty, which keeps the derived equality meaningful.
    entries: Option<Arc<[BaggageEntry]>>,
}

/// One baggage entry: a name, a value, and metadata (empty when none).
///
/// ```
/// use spanlite_api::BaggageEntry;
/// let entry = BaggageEntry::new("tenant", "acme").with_metadata("ttl=30");
/// assert_eq!((entry.name(), entry.value(), entry.metadata()), ("tenant", "acme", "ttl=30"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BaggageEntry {
    name: String,
    value: String,
    metadata: String,
}

impl BaggageEntry {
    /// An entry without metadata.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> BaggageEntry {
        BaggageEntry {
            name: name.into(),
            value: value.into(),
            metadata: String::new(),
        }
    }

    /// The same entry with `metadata` (replacing any it had).
    pub fn with_metadata(mut self, metadata: impl Into<String>) -> BaggageEntry {
        self.metadata = metadata.into();
        self
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The metadata; empty when there is none.
    pub fn metadata(&self) -> &str {
        &self.metadata
    }
}

impl Baggage {
    /// The empty baggage.
    pub const fn new() -> Baggage {
        Baggage { entries: None }
    }

    /// The baggage stored in `cx`, or the empty baggage.
    pub fn from_context(cx: &Context) -> Baggage {
        cx.get::<Baggage>().cloned().unwrap_or_default()
    }

    /// `cx` with this baggage in it, replacing any baggage it had.
    pub fn in_context(self, cx: &Context) -> Context {
        cx.with_value(self)
    }

    /// The value for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entry(name).map(BaggageEntry::value)
    }

    /// The value and metadata for `name`.
    pub fn get_with_metadata(&self, name: &str) -> Option<(&str, &str)> {
        self.entry(name).map(|e| (e.value(), e.metadata()))
    }

    /// The entry for `name`.
    pub fn entry(&self, name: &str) -> Option<&BaggageEntry> {
        self.as_slice().iter().find(|e| e.name == name)
    }

    /// A new baggage with `name` set to `value` (no metadata).
    pub fn insert(&self, name: impl Into<String>, value: impl Into<String>) -> Baggage {
        self.insert_entry(BaggageEntry::new(name, value))
    }

    /// A new baggage with `name` set to `value` and `metadata`.
    pub fn insert_with_metadata(
        &self,
        name: impl Into<String>,
        value: impl Into<String>,
        metadata: impl Into<String>,
    ) -> Baggage {
        self.insert_entry(BaggageEntry::new(name, value).with_metadata(metadata))
    }

    /// A new baggage with `entry` last, replacing any entry of the same name.
    pub fn insert_entry(&self, entry: BaggageEntry) -> Baggage {
        let mut list: Vec<BaggageEntry> = Vec::with_capacity(self.len() + 1);
        list.extend(
            self.as_slice()
                .iter()
                .filter(|e| e.name != entry.name)
                .cloned(),
        );
        list.push(entry);
        Baggage::from_vec(list)
    }

    /// A new baggage without `name`.
    pub fn remove(&self, name: &str) -> Baggage {
        if self.entry(name).is_none() {
            return self.clone();
        }
        let list = self
            .as_slice()
            .iter()
            .filter(|e| e.name != name)
            .cloned()
            .collect();
        Baggage::from_vec(list)
    }

    /// The entries, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, BaggageEntry> {
        self.as_slice().iter()
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_none()
    }

    fn as_slice(&self) -> &[BaggageEntry] {
        self.entries.as_deref().unwrap_or(&[])
    }

    fn from_vec(list: Vec<BaggageEntry>) -> Baggage {
        if list.is_empty() {
            Baggage::new()
        } else {
            Baggage {
                entries: Some(Arc::from(list)),
            }
        }
    }
}

impl FromIterator<BaggageEntry> for Baggage {
    /// Collects entries as if inserted one by one: for a repeated name the
    /// last entry wins, in the position of its last occurrence.
    fn from_iter<I: IntoIterator<Item = BaggageEntry>>(iter: I) -> Baggage {
        let mut iter = iter.into_iter();
        // Baggage is usually a few entries (what a propagator extracts):
        // gathered on the stack, the shared slice is their only allocation.
        let mut few: [Option<BaggageEntry>; FEW] = Default::default();
        let mut len = 0;
        for entry in iter.by_ref().take(FEW) {
            few[len] = Some(entry);
            len += 1;
        }
        if len < FEW {
            return Baggage::from_few(&mut few[..len]);
        }
        let list: Vec<BaggageEntry> = few.into_iter().flatten().chain(iter).collect();
        let keep: Vec<bool> = {
            let mut seen: HashSet<&str> = HashSet::with_capacity(list.len());
            let mut keep: Vec<bool> = list.iter().rev().map(|e| seen.insert(&e.name)).collect();
            keep.reverse();
            keep
        };
        let list = list
            .into_iter()
            .zip(keep)
            .filter_map(|(e, keep)| keep.then_some(e))
            .collect();
        Baggage::from_vec(list)
    }
}

/// Up to this many entries, [`Baggage::from_iter`] works on the stack and
/// finds repeated names by comparing every pair.
const FEW: usize = 8;

impl Baggage {
    /// The baggage of `few` (every slot `Some`), the last of a repeated
    /// name kept, in one allocation.
    fn from_few(few: &mut [Option<BaggageEntry>]) -> Baggage {
        for i in 0..few.len() {
            let Some((entry, later)) = few[i..].split_first_mut() else {
                break;
            };
            let repeated = entry
                .as_ref()
                .is_some_and(|entry| later.iter().flatten().any(|later| later.name == entry.name));
            if repeated {
                *entry = None;
            }
        }
        let mut kept = 0;
        for i in 0..few.len() {
            if few[i].is_some() {
                few.swap(kept, i);
                kept += 1;
            }
        }
        if kept == 0 {
            return Baggage::new();
        }
        // A slice iterator mapped is `TrustedLen`, so the `Arc` is
        // allocated once at its exact size. Every slot up to `kept` is
        // `Some`; the empty entry is never made.
        let entries = few[..kept]
            .iter_mut()
            .map(|slot| slot.take().unwrap_or_else(|| BaggageEntry::new("", "")))
            .collect();
        Baggage {
            entries: Some(entries),
        }
    }
}

impl<'a> IntoIterator for &'a Baggage {
    type Item = &'a BaggageEntry;
    type IntoIter = std::slice::Iter<'a, BaggageEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl fmt::Debug for Baggage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(baggage: &Baggage) -> Vec<&str> {
        baggage.iter().map(BaggageEntry::name).collect()
    }

    #[test]
    fn names_are_case_sensitive() {
        let baggage = Baggage::new().insert("Key", "1").insert("key", "2");
        assert_eq!(baggage.get("Key"), Some("1"));
        assert_eq!(baggage.get("key"), Some("2"));
        assert_eq!(baggage.get("KEY"), None);
    }

    #[test]
    fn inserting_a_name_again_replaces_it_and_moves_it_last() {
        let baggage = Baggage::new()
            .insert_with_metadata("a", "1", "p")
            .insert("b", "2")
            .insert("a", "3");
        assert_eq!(names(&baggage), ["b", "a"]);
        assert_eq!(baggage.get_with_metadata("a"), Some(("3", "")));
    }

    #[test]
    fn insert_leaves_the_original_unchanged() {
        let first = Baggage::new().insert("a", "1");
        let second = first.insert("a", "2");
        assert_eq!(first.get("a"), Some("1"));
        assert_eq!(second.get("a"), Some("2"));
    }

    #[test]
    fn remove_drops_the_entry_and_the_last_removal_gives_empty() {
        let baggage = Baggage::new().insert("a", "1").insert("b", "2");
        let without_a = baggage.remove("a");
        assert_eq!(names(&without_a), ["b"]);
        assert_eq!(baggage.remove("zz"), baggage);
        let empty = without_a.remove("b");
        assert!(empty.is_empty());
        assert_eq!(empty, Baggage::new());
    }

    #[test]
    fn collecting_keeps_the_last_entry_of_a_repeated_name() {
        let baggage: Baggage = [
            BaggageEntry::new("a", "1"),
            BaggageEntry::new("b", "2"),
            BaggageEntry::new("a", "3"),
        ]
        .into_iter()
        .collect();
        assert_eq!(names(&baggage), ["b", "a"]);
        assert_eq!(baggage.get("a"), Some("3"));
        assert_eq!(baggage.len(), 2);
    }

    #[test]
    // Safe code throughout, and thousands of cases: Miri would add minutes
    // and find nothing.
    #[cfg_attr(miri, ignore)]
    fn collecting_is_inserting_one_by_one_for_any_count() {
        // Around the stack-gathered size, with and without repeats.
        for len in [0, 1, 2, 7, 8, 9, 17, 40] {
            for names in [len, 3] {
                let entries: Vec<BaggageEntry> = (0..len)
                    .map(|i| BaggageEntry::new(format!("n{}", i % names.max(1)), i.to_string()))
                    .collect();
                let inserted = entries
                    .iter()
                    .cloned()
                    .fold(Baggage::new(), |b, e| b.insert_entry(e));
                let collected: Baggage = entries.into_iter().collect();
                assert_eq!(collected, inserted, "{len} entries, {names} names");
                assert_eq!(collected.is_empty(), len == 0);
            }
        }
    }

    #[test]
    fn context_round_trip_and_absent_baggage_is_empty() {
        let cx = Context::new();
        assert!(Baggage::from_context(&cx).is_empty());
        let cx = Baggage::new().insert("a", "1").in_context(&cx);
        assert_eq!(Baggage::from_context(&cx).get("a"), Some("1"));
        let cx = Baggage::new().in_context(&cx);
        assert!(Baggage::from_context(&cx).is_empty());
    }

    #[test]
    fn clones_share_storage() {
        let baggage = Baggage::new().insert("a", "1");
        let clone = baggage.clone();
        let (Some(a), Some(b)) = (&baggage.entries, &clone.entries) else {
            panic!("non-empty baggage must hold entries");
        };
        assert!(Arc::ptr_eq(a, b));
    }

    #[test]
    fn debug_lists_the_entries() {
        let baggage = Baggage::new().insert("a", "1");
        let debug = format!("{baggage:?}");
        assert!(debug.contains("name: \"a\""), "{debug}");
        assert_eq!(format!("{:?}", Baggage::new()), "[]");
    }
}
