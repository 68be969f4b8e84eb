//! The session's states as a [`Stream`]: [`Client::states`](crate::Client::states).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::sync::watch;
use tokio_util::sync::ReusableBoxFuture;

use crate::error::Error;
use crate::types::SessionState;

/// What one step of the stream yields: the state (`None` when the client is gone) and the
/// receiver, handed back for the next step.
type Step = (Option<SessionState>, watch::Receiver<SessionState>);

async fn step(mut rx: watch::Receiver<SessionState>, first: bool) -> Step {
    if !first && rx.changed().await.is_err() {
        return (None, rx);
    }
    let state = *rx.borrow_and_update();
    (Some(state), rx)
}

/// The session's states, from [`Client::states`](crate::Client::states): first the state it
/// is in now, then each change (a state that changes twice before it is read shows only
/// as its latest value). Items are `Ok(state)` while the session lives; the session's end
/// is the last item, as the error calls fail with from then on
/// ([`SessionState::ending_error`]: [`Error::SessionExpired`], [`Error::AuthFailed`] or
/// [`Error::Closed`]), and the stream ends after it.
///
/// ```no_run
/// # async fn demo(zk: zk_client::Client) -> Result<(), zk_client::Error> {
/// use zk_client::SessionState;
/// let mut states = zk.states();
/// while let Some(state) = states.next().await {
///     match state? {
///         SessionState::Disconnected => eprintln!("connection lost; reconnecting"),
///         other => eprintln!("{other:?}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct SessionStates {
    step: ReusableBoxFuture<'static, Step>,
    /// A receiver of its own for [`SessionStates::wait_for`].
    rx: watch::Receiver<SessionState>,
    done: bool,
}

impl std::fmt::Debug for SessionStates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionStates")
            .field("now", &*self.rx.borrow())
            .field("done", &self.done)
            .finish()
    }
}

impl SessionStates {
    pub(crate) fn new(rx: watch::Receiver<SessionState>) -> SessionStates {
        SessionStates {
            step: ReusableBoxFuture::new(step(rx.clone(), true)),
            rx,
            done: false,
        }
    }

    /// The next item (the same as `StreamExt::next`, without importing it).
    pub async fn next(&mut self) -> Option<Result<SessionState, Error>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// Waits until the session is in a state `pred` accepts (the current one included) and
    /// returns it; if the session ends first, returns its terminal state (which `pred` may
    /// accept or not). Independent of the stream's position.
    pub async fn wait_for(&self, pred: impl Fn(SessionState) -> bool) -> SessionState {
        let mut rx = self.rx.clone();
        let found = rx
            .wait_for(|s| pred(*s) || s.is_terminal())
            .await
            .map(|s| *s);
        found.unwrap_or(SessionState::Closed)
    }

    /// The state now.
    pub fn current(&self) -> SessionState {
        *self.rx.borrow()
    }
}

impl Stream for SessionStates {
    type Item = Result<SessionState, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let (state, rx) = match self.step.poll(cx) {
            Poll::Ready(step) => step,
            Poll::Pending => return Poll::Pending,
        };
        self.step.set(step(rx, false));
        match state {
            Some(s) if !s.is_terminal() => Poll::Ready(Some(Ok(s))),
            Some(s) => {
                self.done = true;
                Poll::Ready(Some(Err(s.ending_error())))
            }
            None => {
                // The client is gone without a terminal state: closed.
                self.done = true;
                Poll::Ready(Some(Err(Error::Closed)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll(states: &mut SessionStates) -> Poll<Option<Result<SessionState, Error>>> {
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        Pin::new(states).poll_next(&mut cx)
    }

    #[test]
    fn the_current_state_then_each_change_then_the_end_as_an_error() {
        let (tx, rx) = watch::channel(SessionState::Connecting);
        let mut states = SessionStates::new(rx);
        assert_eq!(
            poll(&mut states),
            Poll::Ready(Some(Ok(SessionState::Connecting)))
        );
        assert_eq!(poll(&mut states), Poll::Pending);
        tx.send(SessionState::Connected).unwrap();
        assert_eq!(
            poll(&mut states),
            Poll::Ready(Some(Ok(SessionState::Connected)))
        );
        tx.send(SessionState::Expired).unwrap();
        assert_eq!(
            poll(&mut states),
            Poll::Ready(Some(Err(Error::SessionExpired)))
        );
        assert_eq!(poll(&mut states), Poll::Ready(None));
        assert_eq!(states.current(), SessionState::Expired);
    }

    #[test]
    fn a_client_gone_without_an_ending_ends_the_stream_as_closed() {
        let (tx, rx) = watch::channel(SessionState::Connected);
        let mut states = SessionStates::new(rx);
        assert_eq!(
            poll(&mut states),
            Poll::Ready(Some(Ok(SessionState::Connected)))
        );
        drop(tx);
        assert_eq!(poll(&mut states), Poll::Ready(Some(Err(Error::Closed))));
        assert_eq!(poll(&mut states), Poll::Ready(None));
    }
}
