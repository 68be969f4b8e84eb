//! Local watches: their ids and kinds, how a kind maps to the server's watcher types, and the
//! [`Registry`] that the session owns, the one record of every watch (its path, kind, phase
//! and the sink its events go to).

mod recursive;
mod registry;
mod sink;

use jute_schemas::protocol::{EventType, WatcherType};

pub use registry::{Phase, Registry, Removed};
pub(crate) use sink::WatchSink;

/// Identifies one local watch: its registry slot and that slot's generation.
pub type WatchId = u64;

/// The kinds of watch a session can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatchKind {
    /// Set by `get_data`: fires on change or deletion.
    Data,
    /// Set by `exists`: fires on creation, change or deletion.
    Exist,
    /// Set by `get_children`: fires on child changes or deletion.
    Child,
    /// `addWatch` persistent: every event on the node, until removed.
    Persistent,
    /// `addWatch` persistent-recursive: data, create and delete events on the node and below.
    PersistentRecursive,
}

impl WatchKind {
    /// Every kind, in the order of SetWatches2's lists.
    pub const ALL: [WatchKind; 5] = [
        WatchKind::Data,
        WatchKind::Exist,
        WatchKind::Child,
        WatchKind::Persistent,
        WatchKind::PersistentRecursive,
    ];

    /// Whether the watch stays after firing.
    pub fn is_persistent(self) -> bool {
        matches!(self, WatchKind::Persistent | WatchKind::PersistentRecursive)
    }

    /// The event a watch of this kind gets when removeWatches takes it away.
    pub fn removed_event(self) -> EventType {
        match self {
            WatchKind::Child => EventType::ChildWatchRemoved,
            WatchKind::Data | WatchKind::Exist => EventType::DataWatchRemoved,
            WatchKind::Persistent | WatchKind::PersistentRecursive => {
                EventType::PersistentWatchRemoved
            }
        }
    }

    /// How the last local watch of this kind on a path is removed from the server: the
    /// watcher type to send, and the kinds that removal would also take away.
    ///
    /// Data and exist watches are one server type; on 3.8, types 1 and 2 also remove a
    /// persistent watch on the path, and 3.8 cannot read the persistent types (4, 5), so those
    /// go as "any" (3).
    pub fn removal(self) -> (WatcherType, &'static [WatchKind]) {
        match self {
            WatchKind::Data | WatchKind::Exist => (
                WatcherType::Data,
                &[
                    WatchKind::Data,
                    WatchKind::Exist,
                    WatchKind::Persistent,
                    WatchKind::PersistentRecursive,
                ],
            ),
            WatchKind::Child => (
                WatcherType::Children,
                &[
                    WatchKind::Child,
                    WatchKind::Persistent,
                    WatchKind::PersistentRecursive,
                ],
            ),
            WatchKind::Persistent | WatchKind::PersistentRecursive => {
                (WatcherType::Any, &WatchKind::ALL)
            }
        }
    }

    /// The local kinds a successful removeWatches of `ty` takes away.
    pub fn removed_by(ty: WatcherType) -> &'static [WatchKind] {
        match ty {
            WatcherType::Children => &[WatchKind::Child],
            WatcherType::Data => &[WatchKind::Data, WatchKind::Exist],
            WatcherType::Persistent => &[WatchKind::Persistent],
            WatcherType::PersistentRecursive => &[WatchKind::PersistentRecursive],
            WatcherType::Any => &WatchKind::ALL,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removal_takes_away_what_it_names() {
        for kind in WatchKind::ALL {
            let (ty, shared) = kind.removal();
            // What the server removes for that type includes the kind itself.
            assert!(WatchKind::removed_by(ty).contains(&kind), "{kind:?}");
            assert!(shared.contains(&kind), "{kind:?}");
        }
        assert_eq!(
            WatchKind::Exist.removed_event(),
            EventType::DataWatchRemoved
        );
    }
}
