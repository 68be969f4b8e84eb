//! The calls' bookkeeping: reply slots, deadlines, the queue bound, wake-ups and watches.

use super::*;
use crate::session::test_config;
use bytes::BytesMut;
use futures_util::FutureExt;
use jute::{Encode, Record};
use jute_schemas::proto::{ExistsRequest, ReplyHeader};
use jute_schemas::protocol::{OpCode, RequestBody};
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The calls over a session connected to a server (the handshake done).
fn shared(queue: usize) -> Arc<Calls> {
    let mut session = Session::new(test_config("/"));
    let now = Instant::now();
    session.on_transport(now, None, None);
    let welcome = jute_schemas::proto::ConnectResponse {
        protocol_version: 0,
        time_out: 30_000,
        session_id: 0x42,
        passwd: Some(vec![7; 16]),
        read_only: Some(false),
    };
    session.on_connect_response(now, &welcome.to_vec()).unwrap();
    session.take_first();
    Calls::new(session, queue)
}

fn exists(path: &str) -> OutRequest {
    OutRequest {
        op: OpCode::Exists,
        body: RequestBody::Exists(ExistsRequest {
            path: Some(path.into()),
            watch: false,
        }),
        watch: None,
    }
}

/// Hands the output over: the bytes, and the queue permits to give back.
fn take(s: &Calls) -> (BytesMut, usize) {
    let mut out = BytesMut::new();
    let permits = s.lock().take_output(Instant::now(), &mut out);
    (out, permits)
}

/// Answers the oldest request in flight with a NoNode error header.
fn answer(s: &Calls, xid: i32) {
    let frame = ReplyHeader {
        xid,
        zxid: 1,
        err: -101,
    }
    .to_vec();
    let mut wake = Vec::new();
    let mut core = s.lock();
    let outcome = core.session.on_frame(&frame).unwrap().unwrap();
    assert_eq!(core.deliver(outcome, &mut wake), Delivered::Continue);
}

fn exists_watch(path: &str) -> OutRequest {
    OutRequest {
        op: OpCode::Exists,
        body: RequestBody::Exists(ExistsRequest {
            path: Some(path.into()),
            watch: true,
        }),
        watch: Some((crate::watch::WatchKind::Exist, path.into())),
    }
}

fn notify(s: &Calls, path: &str) {
    let mut frame = ReplyHeader {
        xid: -1,
        zxid: -1,
        err: 0,
    }
    .to_vec();
    jute_schemas::proto::WatcherEvent {
        r#type: 1,
        state: 3,
        path: Some(path.into()),
    }
    .encode(&mut frame);
    let mut wake = Vec::new();
    let mut core = s.lock();
    if let Some(outcome) = core.session.on_frame(&frame).unwrap() {
        core.deliver(outcome, &mut wake);
    }
    drop(core);
    wake.into_iter().for_each(Waker::wake);
}

/// Counts its wake-ups.
struct Counter(std::sync::atomic::AtomicUsize);

impl std::task::Wake for Counter {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn counter() -> (Arc<Counter>, Waker) {
    let c = Arc::new(Counter(std::sync::atomic::AtomicUsize::new(0)));
    (c.clone(), Waker::from(c))
}

fn woken(c: &Counter) -> usize {
    c.0.load(std::sync::atomic::Ordering::SeqCst)
}

/// Sends an exists watch on a missing `path` and answers it: the handle.
fn set_watch(s: &Arc<Calls>, path: &str, xid: i32) -> crate::watcher::OneshotWatcher {
    let mut call = s.submit(exists_watch(path), Some(WatchSink::oneshot()), None);
    take(s);
    answer(s, xid);
    assert_eq!((&mut call).now_or_never(), Some(Err(Error::NoNode)));
    let (id, calls) = call.take_watch().expect("the watch");
    crate::watcher::OneshotWatcher::new(crate::watcher::Unwatcher::new(id, calls))
}

#[test]
fn a_one_shot_watch_waits_in_its_entry_and_is_freed_when_taken() {
    let s = shared(8);
    let mut handle = set_watch(&s, "/a", 1);
    assert_eq!(s.watches_held(), 1);
    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
    notify(&s, "/a");
    assert_eq!(woken(&count), 1);
    let Poll::Ready(Ok(event)) = Pin::new(&mut handle).poll(&mut cx) else {
        panic!("no event")
    };
    assert_eq!(event.path, "/a");
    assert_eq!(s.watches_held(), 0, "taken: nothing left behind");
    drop(handle);
    // A second event on the path finds nothing.
    notify(&s, "/a");
    assert_eq!(woken(&count), 1);
}

#[test]
fn a_watch_whose_call_is_dropped_before_the_reply_is_never_set() {
    let s = shared(8);
    drop(s.submit(exists_watch("/a"), Some(WatchSink::oneshot()), None));
    assert_eq!(s.watches_held(), 0);
    take(&s);
    answer(&s, 1);
    assert_eq!(s.lock().session.watch_count(), 0);
    assert_eq!(s.watches_held(), 0);
}

#[test]
fn dropping_a_fired_handle_frees_its_entry() {
    let s = shared(8);
    let handle = set_watch(&s, "/a", 1);
    notify(&s, "/a");
    assert_eq!(s.watches_held(), 1, "the event waits for its handle");
    drop(handle);
    assert_eq!(s.watches_held(), 0);
}

#[test]
fn the_session_end_wakes_a_waiting_handle_with_its_error() {
    let s = shared(8);
    let mut handle = set_watch(&s, "/a", 1);
    let (count, waker) = counter();
    let mut cx = Context::from_waker(&waker);
    assert!(Pin::new(&mut handle).poll(&mut cx).is_pending());
    s.end(&Error::SessionExpired);
    assert_eq!(woken(&count), 1);
    assert_eq!(
        Pin::new(&mut handle).poll(&mut cx),
        Poll::Ready(Err(Error::SessionExpired))
    );
    assert_eq!(s.watches_held(), 0);
}

#[test]
fn a_reply_reaches_its_caller_and_frees_its_slot() {
    let s = shared(8);
    let mut call = s.submit(exists("/a"), None, None);
    assert!((&mut call).now_or_never().is_none());
    let (out, permits) = take(&s);
    assert_eq!(permits, 1);
    assert_eq!(&out[4..8], 1i32.to_be_bytes());
    answer(&s, 1);
    assert_eq!(call.now_or_never(), Some(Err(Error::NoNode)));
    assert_eq!(s.slots_in_use(), 0);
}

#[test]
fn an_abandoned_slot_is_kept_until_its_answer_then_freed() {
    let s = shared(8);
    drop(s.submit(exists("/a"), None, None).now_or_never());
    assert_eq!(s.slots_in_use(), 1);
    take(&s);
    // The next call gets another slot; the late answer does not reach it.
    let mut second = s.submit(exists("/b"), None, None);
    assert!((&mut second).now_or_never().is_none());
    answer(&s, 1);
    assert_eq!(s.slots_in_use(), 1);
    assert!((&mut second).now_or_never().is_none());
    take(&s);
    answer(&s, 2);
    assert_eq!(second.now_or_never(), Some(Err(Error::NoNode)));
    assert_eq!(s.slots_in_use(), 0);
}

#[test]
fn a_full_queue_makes_calls_wait_in_call_order() {
    let s = shared(1);
    let mut first = s.submit(exists("/1"), None, None);
    let mut second = s.submit(exists("/2"), None, None);
    assert!((&mut first).now_or_never().is_none());
    assert!((&mut second).now_or_never().is_none());
    let (_, permits) = take(&s);
    assert_eq!(permits, 1);
    s.release(permits);
    // The waiting call writes once polled with room.
    assert!((&mut second).now_or_never().is_none());
    let (out, _) = take(&s);
    let xid = i32::from_be_bytes([out[4], out[5], out[6], out[7]]);
    assert_eq!(xid, 2);
    answer(&s, 1);
    answer(&s, 2);
    assert_eq!(first.now_or_never(), Some(Err(Error::NoNode)));
    assert_eq!(second.now_or_never(), Some(Err(Error::NoNode)));
}

#[test]
fn the_end_fails_waiting_and_later_calls() {
    let s = shared(1);
    let mut sent = s.submit(exists("/1"), None, None);
    let mut queued = s.submit(exists("/2"), None, None);
    assert!((&mut sent).now_or_never().is_none());
    assert!((&mut queued).now_or_never().is_none());
    s.end(&Error::SessionExpired);
    assert_eq!(sent.now_or_never(), Some(Err(Error::SessionExpired)));
    assert_eq!(queued.now_or_never(), Some(Err(Error::SessionExpired)));
    let later = s.submit(exists("/3"), None, None).now_or_never();
    assert_eq!(later, Some(Err(Error::SessionExpired)));
    assert_eq!(s.slots_in_use(), 0);
}

#[test]
fn the_task_is_woken_once_per_output_taken() {
    let s = shared(8);
    let calls: Vec<_> = (0..3)
        .map(|i| s.submit(exists(&format!("/{i}")), None, None))
        .collect();
    // One stored notification for three requests.
    assert!(s.wake().notified().now_or_never().is_some());
    assert!(s.wake().notified().now_or_never().is_none());
    assert_eq!(take(&s).1, 3);
    drop(calls);
    let _next = s.submit(exists("/x"), None, None);
    assert!(s.wake().notified().now_or_never().is_some());
}

#[test]
fn a_call_past_its_deadline_times_out_and_its_slot_waits_for_the_answer() {
    let s = shared(8);
    let mut call = s.submit(exists("/slow"), None, Some(Duration::from_secs(5)));
    assert!((&mut call).now_or_never().is_none());
    take(&s);
    let mut wake = Vec::new();
    s.lock().expire(Instant::now(), &mut wake);
    assert!(wake.is_empty(), "not yet");
    let at = s.lock().next_deadline().unwrap();
    s.lock().expire(at, &mut wake);
    assert_eq!(wake.len(), 1);
    assert_eq!(s.lock().next_deadline(), None);
    assert_eq!(call.now_or_never(), Some(Err(Error::Timeout)));
    // The slot is kept until the late answer, which then frees it.
    assert_eq!(s.slots_in_use(), 1);
    answer(&s, 1);
    assert_eq!(s.slots_in_use(), 0);
}

#[test]
fn an_answer_before_the_deadline_removes_it() {
    let s = shared(8);
    let call = s.submit(exists("/a"), None, Some(Duration::from_secs(5)));
    assert!(s.lock().next_deadline().is_some());
    take(&s);
    answer(&s, 1);
    assert_eq!(s.lock().next_deadline(), None);
    assert_eq!(call.now_or_never(), Some(Err(Error::NoNode)));
}

#[test]
fn the_host_to_try_wraps_around_a_list_that_shrank() {
    let s = shared(8);
    let mut core = s.lock();
    assert!(core.try_host(0).is_none(), "no hosts yet");
    core.session
        .set_hosts(vec![("a".into(), 1), ("b".into(), 2), ("c".into(), 3)]);
    assert_eq!(core.try_host(2).map(|(h, _)| h), Some(("c".into(), 3)));
    // An update left two hosts; the next index (3) still names one of them.
    core.session
        .set_hosts(vec![("a".into(), 1), ("b".into(), 2)]);
    assert_eq!(core.try_host(3).map(|(h, _)| h), Some(("b".into(), 2)));
    assert_eq!(core.session.host(), Some(&("b".into(), 2)));
}
