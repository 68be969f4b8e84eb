//! What keeps the workload's shared parents small at any run length, so that every listing
//! (the workload's own and the harness's at the end) stays far below what a stock client
//! reads (`jute.maxbuffer`, 1 MiB). A ten-minute run once ended with a 1.1 MB listing of
//! the ephemeral parent, and every result was lost with it.
//!
//! - Ephemeral nodes: a session keeps at most [`KEEP_EPHEMERALS`] alive; past that it deletes
//!   its oldest before creating another ([`Ephemerals`]). A create whose outcome is unknown
//!   is deleted in its turn too (its name is known).
//! - Sequential nodes: deleted as soon as they are created (the sequence counter is the
//!   parent's `cversion`, which deletes advance too, so names stay unique and increasing);
//!   a create whose answer was lost leaves a name nobody knows, so now and then a client
//!   sweeps the parent ([`SWEEP_EVERY`]).
//! - The lock's log is spread over buckets by the holder's token (`locker.rs`).
//!
//! The decisions live here, free of I/O, so that a simulated run of millions of steps with
//! lost answers and failed deletes can show the bounds (see the tests).

use std::collections::VecDeque;

/// Ephemeral nodes one session keeps alive at most.
pub(crate) const KEEP_EPHEMERALS: usize = 8;

/// A client sweeps the sequential parent once every this many of its sequential creates, on
/// average.
pub(crate) const SWEEP_EVERY: u32 = 256;

/// One session's ephemeral nodes that may exist, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Ephemerals {
    /// Each node's path, and its index in the history's ephemerals when its create was
    /// acknowledged (`None`: the outcome is unknown).
    live: VecDeque<(String, Option<usize>)>,
}

impl Ephemerals {
    /// The node to delete before the next create, when the session holds its budget: the
    /// next create waits until this delete is answered.
    pub(crate) fn due(&self) -> Option<&(String, Option<usize>)> {
        if self.live.len() >= KEEP_EPHEMERALS {
            self.live.front()
        } else {
            None
        }
    }

    /// The node [`Ephemerals::due`] named is gone (deleted, or answered NoNode).
    pub(crate) fn deleted(&mut self) {
        self.live.pop_front();
    }

    /// A create was sent for `path`: acknowledged (`record`, its index in the history) or
    /// with an unknown outcome. Either way the node may exist.
    pub(crate) fn created(&mut self, path: String, record: Option<usize>) {
        self.live.push_back((path, record));
    }

    /// The session ended: its ephemeral nodes went with it.
    pub(crate) fn session_ended(&mut self) {
        self.live.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// What a request did: applied or not, and whether its answer arrived.
    #[derive(Clone, Copy)]
    enum Outcome {
        Answered,
        LostBeforeApplied,
        AppliedAnswerLost,
    }

    fn outcome(rng: &mut StdRng) -> Outcome {
        match rng.random_range(0..100) {
            0..=4 => Outcome::LostBeforeApplied,
            5..=9 => Outcome::AppliedAnswerLost,
            _ => Outcome::Answered,
        }
    }

    /// The bytes of a getChildren reply listing `names`.
    fn listing_bytes(names: &BTreeSet<String>) -> usize {
        names.iter().map(|n| 4 + n.len()).sum::<usize>() + 16
    }

    /// Eight clients over a long run in which one request in ten loses its answer (half of
    /// those took effect), sessions end now and then, and each step is an ephemeral or a
    /// sequential create as the workload makes them: neither parent's listing grows with the
    /// run's length.
    #[test]
    fn the_shared_parents_stay_small_over_a_long_simulated_run() {
        const CLIENTS: usize = 8;
        const STEPS: usize = 2_000_000;
        let mut rng = StdRng::seed_from_u64(30);
        let mut eph_parent: BTreeSet<String> = BTreeSet::new();
        let mut seq_parent: BTreeSet<String> = BTreeSet::new();
        let mut sessions: Vec<(usize, Ephemerals)> =
            (0..CLIENTS).map(|_| (0, Ephemerals::default())).collect();
        let mut cversion = 0u64;
        let (mut max_eph, mut max_seq) = (0, 0);
        for step in 0..STEPS {
            let c = rng.random_range(0..CLIENTS);
            let (session, eph) = &mut sessions[c];
            if rng.random_ratio(1, 20_000) {
                // The session expires: the server deletes its ephemerals.
                let prefix = format!("c{c}-s{session}-");
                eph_parent.retain(|n| !n.starts_with(&prefix));
                eph.session_ended();
                *session += 1;
                continue;
            }
            if rng.random_bool(0.5) {
                // An ephemeral create, after the delete that is due, if any.
                if let Some((path, _)) = eph.due() {
                    let path = path.clone();
                    match outcome(&mut rng) {
                        Outcome::Answered => {
                            eph_parent.remove(&path);
                            eph.deleted();
                        }
                        Outcome::AppliedAnswerLost => {
                            eph_parent.remove(&path);
                            continue;
                        }
                        Outcome::LostBeforeApplied => continue,
                    }
                }
                let path = format!("c{c}-s{session}-1000a1b2c3d4e5f6-{step}-t{step}");
                match outcome(&mut rng) {
                    Outcome::Answered => {
                        eph_parent.insert(path.clone());
                        eph.created(path, Some(step));
                    }
                    Outcome::AppliedAnswerLost => {
                        eph_parent.insert(path.clone());
                        eph.created(path, None);
                    }
                    Outcome::LostBeforeApplied => eph.created(path, None),
                }
            } else {
                // A sequential create, deleted at once, and now and then a sweep.
                let created = match outcome(&mut rng) {
                    Outcome::LostBeforeApplied => None,
                    o => {
                        cversion += 1;
                        let name = format!("item-{cversion:010}");
                        seq_parent.insert(name.clone());
                        matches!(o, Outcome::Answered).then_some(name)
                    }
                };
                if let Some(name) = created {
                    if !matches!(outcome(&mut rng), Outcome::LostBeforeApplied) {
                        seq_parent.remove(&name);
                        cversion += 1;
                    }
                }
                if rng.random_ratio(1, SWEEP_EVERY) {
                    let listed: Vec<String> = seq_parent.iter().cloned().collect();
                    for name in listed {
                        if !matches!(outcome(&mut rng), Outcome::LostBeforeApplied) {
                            seq_parent.remove(&name);
                        }
                    }
                }
            }
            max_eph = max_eph.max(listing_bytes(&eph_parent));
            max_seq = max_seq.max(listing_bytes(&seq_parent));
        }
        // Two million creates are some hours of the real workload (which makes about 100,000
        // a minute of all kinds, 6% of them these). The budget holds exactly for ephemerals
        // (names of about 50 bytes); the sequential parent holds what was lost since the last
        // sweep. Without the deletes both parents would list megabytes.
        assert!(
            max_eph <= 16 + CLIENTS * KEEP_EPHEMERALS * 60,
            "ephemeral listing reached {max_eph} bytes"
        );
        assert!(
            max_seq < 16 * 1024,
            "sequential listing reached {max_seq} bytes"
        );
    }
}
