//! A new server list for a running client: whether it moves, and where to, so that load evens
//! out across the new list without every client reconnecting (the Java client's probabilistic
//! rebalancing, ZOOKEEPER-1355). Free of I/O; the driver applies the decision.
//!
//! With `o` servers before and `n` after:
//! - more servers (`n > o`): a client whose server stays moves with probability `1 - o/n`, to
//!   one of the added servers; a client whose server left moves to an added one;
//! - as many or fewer: a client whose server stays stays; one whose server left moves to one
//!   of the servers that were already there with the probability that evens their load
//!   (`k·(o−n) / (n·(o−k))`, `k` of them), else to an added one.

/// A host of a connect string.
pub(crate) type Host = (String, u16);

/// What a client does after its list changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Move {
    /// Keep the current connection (or, not connected, go on through the new list).
    Stay,
    /// Reconnect to this index of the new list.
    To(usize),
}

fn same(a: &Host, b: &Host) -> bool {
    a.1 == b.1 && a.0.eq_ignore_ascii_case(&b.0)
}

/// One of `candidates`, chosen by `r` in `[0, 1)`.
fn pick(candidates: &[usize], r: f64) -> Option<usize> {
    if candidates.is_empty() {
        return None;
    }
    // Truncation is the point: r in [0, 1) maps onto the indices evenly.
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let i = ((r * candidates.len() as f64) as usize).min(candidates.len() - 1);
    Some(candidates[i])
}

/// The decision for a client on `current` (`None` when not connected) when the list goes
/// from `old` to `new`; `r_move` and `r_pick` are uniform random numbers in `[0, 1)`.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn rebalance(
    old: &[Host],
    new: &[Host],
    current: Option<&Host>,
    r_move: f64,
    r_pick: f64,
) -> Move {
    let Some(current) = current else {
        return Move::Stay;
    };
    let (mut kept, mut added) = (Vec::new(), Vec::new());
    for (i, h) in new.iter().enumerate() {
        if old.iter().any(|o| same(o, h)) {
            kept.push(i);
        } else {
            added.push(i);
        }
    }
    let stays = new.iter().any(|h| same(h, current));
    let to = |first: &[usize], then: &[usize]| {
        pick(first, r_pick)
            .or_else(|| pick(then, r_pick))
            .map_or(Move::Stay, Move::To)
    };
    let (o, n, k) = (old.len() as f64, new.len() as f64, kept.len() as f64);
    if new.len() > old.len() {
        if !stays || r_move < 1.0 - o / n {
            return to(&added, &kept);
        }
        return Move::Stay;
    }
    if stays {
        return Move::Stay;
    }
    let p_kept = if added.is_empty() || old.len() == kept.len() {
        1.0
    } else {
        k * (o - n) / (n * (o - k))
    };
    if r_move < p_kept {
        to(&kept, &added)
    } else {
        to(&added, &kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(names: &[&str]) -> Vec<Host> {
        names.iter().map(|n| ((*n).to_string(), 2181)).collect()
    }

    /// Where `clients` clients spread, one per `r_move` on an even grid.
    fn spread(old: &[Host], new: &[Host], on: &Host, clients: usize) -> Vec<usize> {
        let mut per = vec![0; new.len()];
        for c in 0..clients {
            let r = (c as f64 + 0.5) / clients as f64;
            // The pick uses another grid, as if independent.
            let p = ((c * 7919) % clients) as f64 / clients as f64;
            match rebalance(old, new, Some(on), r, p) {
                Move::Stay => {
                    let i = new
                        .iter()
                        .position(|h| same(h, on))
                        .expect("stays on a kept host");
                    per[i] += 1;
                }
                Move::To(i) => per[i] += 1,
            }
        }
        per
    }

    #[test]
    fn growing_from_one_to_three_servers_moves_two_thirds_evenly() {
        let (old, new) = (hosts(&["a"]), hosts(&["a", "b", "c"]));
        let per = spread(&old, &new, &old[0], 3000);
        // A third stays; the rest split over the added two (the pick grid is not exact).
        assert_eq!(per[0], 1000, "{per:?}");
        assert!(per[1..].iter().all(|n| n.abs_diff(1000) <= 10), "{per:?}");
    }

    #[test]
    fn a_server_that_stays_in_a_smaller_list_keeps_its_clients() {
        let (old, new) = (hosts(&["a", "b", "c"]), hosts(&["a", "b"]));
        assert_eq!(rebalance(&old, &new, Some(&old[0]), 0.0, 0.0), Move::Stay);
        assert_eq!(rebalance(&old, &new, Some(&old[1]), 0.99, 0.5), Move::Stay);
    }

    #[test]
    fn the_clients_of_a_removed_server_spread_over_the_rest() {
        let (old, new) = (hosts(&["a", "b", "c"]), hosts(&["a", "b"]));
        assert_eq!(spread(&old, &new, &old[2], 1000), [500, 500]);
        // Replaced by a new server: they go where load evens out (the new one is empty).
        let new = hosts(&["a", "b", "d"]);
        assert_eq!(spread(&old, &new, &old[2], 900), [0, 0, 900]);
    }

    #[test]
    fn a_server_that_left_a_bigger_list_sends_its_clients_to_the_added_ones() {
        let (old, new) = (hosts(&["a", "b"]), hosts(&["a", "c", "d"]));
        for r in [0.0, 0.5, 0.99] {
            assert!(matches!(
                rebalance(&old, &new, Some(&old[1]), r, r),
                Move::To(1 | 2)
            ));
        }
    }

    #[test]
    fn not_connected_or_the_same_list_changes_nothing() {
        let list = hosts(&["a", "b", "c"]);
        assert_eq!(rebalance(&list, &list, None, 0.0, 0.0), Move::Stay);
        assert_eq!(
            rebalance(&list, &list, Some(&list[1]), 0.0, 0.0),
            Move::Stay
        );
        // Names compare without case.
        let upper = hosts(&["A", "B", "C"]);
        assert_eq!(
            rebalance(&list, &upper, Some(&list[0]), 0.0, 0.0),
            Move::Stay
        );
    }
}
