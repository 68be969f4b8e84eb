//! Which host comes next and how long to wait before trying it: the reconnection policy as a
//! value without I/O (the driver asks it, then acts).

use std::time::Duration;

use tokio::sync::oneshot;

use crate::backoff::Backoff;
use crate::transport::OpenFailure;

/// The attempts so far.
pub(crate) struct Pacing {
    backoff: Backoff,
    /// The index the next attempt goes to, unless `next` says otherwise.
    host: usize,
    /// A host to go to next (a rebalance or a read-write server found), without pausing.
    next: Option<usize>,
    failures_in_a_row: usize,
    /// The first attempt, and a switch to a chosen host, go without a pause.
    no_pause: bool,
    /// With fail-fast, until the first session: who waits to learn why no host worked, and
    /// the reasons so far.
    fail_fast: Option<(oneshot::Sender<Vec<OpenFailure>>, Vec<OpenFailure>)>,
}

impl Pacing {
    pub(crate) fn new(
        backoff: Backoff,
        fail_fast: Option<oneshot::Sender<Vec<OpenFailure>>>,
    ) -> Pacing {
        Pacing {
            backoff,
            host: 0,
            next: None,
            failures_in_a_row: 0,
            no_pause: true,
            fail_fast: fail_fast.map(|tx| (tx, Vec::new())),
        }
    }

    /// How long to wait before the next attempt over `hosts` hosts: nothing first or after a
    /// switch, a short jittered pause between hosts, a growing one after a whole pass failed.
    pub(crate) fn pause(&mut self, hosts: usize, jitter: f64) -> Duration {
        if std::mem::take(&mut self.no_pause) {
            return Duration::ZERO;
        }
        let hosts = hosts.max(1);
        if self.failures_in_a_row > 0 && self.failures_in_a_row.is_multiple_of(hosts) {
            let pass = u32::try_from(self.failures_in_a_row / hosts).unwrap_or(u32::MAX);
            self.backoff.after_failed_pass(pass, jitter)
        } else {
            self.backoff.before_attempt(jitter)
        }
    }

    /// Go to host `index` next, at once.
    pub(crate) fn switch_to(&mut self, index: usize) {
        self.next = Some(index);
        self.no_pause = true;
    }

    /// Go to host `index` next (after the usual pause).
    pub(crate) fn prefer(&mut self, index: usize) {
        self.next = Some(index);
    }

    /// The index of the host to try among `hosts`, and the pass over them it belongs to (a
    /// name's addresses are tried in turn, one per pass).
    pub(crate) fn target(&mut self, hosts: usize) -> (usize, usize) {
        let hosts = hosts.max(1);
        let index = self.next.take().unwrap_or(self.host) % hosts;
        self.host = index + 1;
        (index, self.failures_in_a_row / hosts)
    }

    /// A session was on the connection that ended: failures count from zero again.
    pub(crate) fn had_session(&mut self) {
        self.failures_in_a_row = 0;
    }

    /// The session was usable: fail-fast concerns the first connection only.
    pub(crate) fn connected(&mut self) {
        self.fail_fast = None;
    }

    /// An attempt gave no session, for `why`. With fail-fast, after a whole pass over `hosts`
    /// without one, returns who waits and every reason: the driver then ends.
    #[allow(clippy::type_complexity)]
    pub(crate) fn failed(
        &mut self,
        why: OpenFailure,
        hosts: usize,
    ) -> Option<(oneshot::Sender<Vec<OpenFailure>>, Vec<OpenFailure>)> {
        self.failures_in_a_row += 1;
        let (_, reasons) = self.fail_fast.as_mut()?;
        reasons.push(why);
        if self.failures_in_a_row < hosts {
            return None;
        }
        self.fail_fast.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(n: usize) -> OpenFailure {
        OpenFailure {
            server: format!("h{n}"),
            why: "refused".into(),
            tls: None,
        }
    }

    #[test]
    fn hosts_are_tried_in_turn_with_growing_pauses_after_failed_passes() {
        let backoff = Backoff::default();
        let mut p = Pacing::new(backoff.clone(), None);
        assert_eq!(p.pause(3, 0.5), Duration::ZERO, "the first attempt");
        assert_eq!(p.target(3), (0, 0));
        assert!(p.failed(why(0), 3).is_none());
        assert_eq!(p.pause(3, 0.5), backoff.before_attempt(0.5));
        assert_eq!(p.target(3), (1, 0));
        p.failed(why(1), 3);
        p.pause(3, 0.5);
        assert_eq!(p.target(3), (2, 0));
        p.failed(why(2), 3);
        assert_eq!(p.pause(3, 0.5), backoff.after_failed_pass(1, 0.5));
        assert_eq!(p.target(3), (0, 1), "the second pass");
        p.had_session();
        p.switch_to(2);
        assert_eq!(p.pause(3, 0.5), Duration::ZERO);
        assert_eq!(p.target(3), (2, 0));
        // A shorter list after an update: the index wraps.
        assert_eq!(p.target(2), (1, 0));
        p.prefer(7);
        assert_eq!(p.target(3), (1, 0));
    }

    #[test]
    fn fail_fast_reports_every_reason_after_one_pass_and_only_before_a_session() {
        let (tx, _rx) = oneshot::channel();
        let mut p = Pacing::new(Backoff::default(), Some(tx));
        assert!(p.failed(why(0), 2).is_none());
        let (_, reasons) = p.failed(why(1), 2).expect("a whole pass failed");
        assert_eq!(reasons.len(), 2);
        let (tx, _rx) = oneshot::channel();
        let mut p = Pacing::new(Backoff::default(), Some(tx));
        p.connected();
        assert!(p.failed(why(0), 1).is_none());
        assert!(p.failed(why(0), 1).is_none());
    }
}
