//! Closed-loop load: keep `concurrency` operations in flight, warm up, then measure for a
//! fixed time (or a fixed count). Every contender runs through this same loop in its own
//! process, so the figures differ only by client.

use std::future::Future;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::measure::{cpu_ms, peak_rss_kb, Measurement};
use crate::warmup::Warmup;

/// How long to run.
#[derive(Debug, Clone, Copy)]
pub enum Span {
    /// Warm up for at least the first (until the throughput is stable, see `warmup.rs`), then
    /// measure for the second.
    Timed(Duration, Duration),
    /// Exactly this many operations, all measured.
    Count(u64),
}

/// Runs `op(i)` with `concurrency` in flight for `span`.
pub async fn closed_loop<F, Fut, T>(
    concurrency: usize,
    span: Span,
    op: F,
) -> Result<Measurement, String>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    closed_loop_keep(concurrency, span, false, op)
        .await
        .map(|(m, _)| m)
}

/// Like [`closed_loop`], keeping what each measured operation returned when `keep` is set
/// (watch handles, which must live on).
pub async fn closed_loop_keep<F, Fut, T>(
    concurrency: usize,
    span: Span,
    keep: bool,
    mut op: F,
) -> Result<(Measurement, Vec<T>), String>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let mut kept = Vec::new();
    let mut inflight = FuturesUnordered::new();
    let mut next = 0u64;
    let limit = match span {
        Span::Count(n) => n,
        Span::Timed(..) => u64::MAX,
    };
    // The clock starts before the call, as for every contender: a call that validates,
    // encodes and queues its request when it is made pays for that inside its latency.
    let start_op = |i: u64, op: &mut F| {
        let t = Instant::now();
        let fut = op(i);
        async move { (t, fut.await) }
    };
    let (mut warmup, measure_for) = match span {
        Span::Timed(w, m) => (Some(Warmup::new(w)), m),
        Span::Count(_) => (None, Duration::MAX),
    };
    let mut m = Measurement::default();
    let mut measuring: Option<(Instant, f64)> = None;
    if matches!(span, Span::Count(_)) {
        measuring = Some((Instant::now(), cpu_ms()));
    }
    while (inflight.len() < concurrency) && next < limit {
        inflight.push(start_op(next, &mut op));
        next += 1;
    }
    while let Some((t, result)) = inflight.next().await {
        let value = result?;
        if keep {
            kept.push(value);
        }
        let now = Instant::now();
        match measuring {
            Some((t0, _)) => {
                m.ops += 1;
                m.latencies_us
                    .push(u32::try_from(now.duration_since(t).as_micros()).unwrap_or(u32::MAX));
                if now.duration_since(t0) >= measure_for {
                    break;
                }
            }
            None => {
                if let Some(w) = warmup.as_mut() {
                    if w.done(now, 1) {
                        m.extra.push(("warmup_ms".into(), w.elapsed_ms(now)));
                        measuring = Some((now, cpu_ms()));
                    }
                }
            }
        }
        if next < limit {
            inflight.push(start_op(next, &mut op));
            next += 1;
        }
    }
    if let Some((t0, cpu0)) = measuring {
        m.secs = t0.elapsed().as_secs_f64();
        m.cpu_ms = cpu_ms() - cpu0;
    }
    // What is still in flight finishes unmeasured.
    while let Some((_, r)) = inflight.next().await {
        let value = r?;
        if keep {
            kept.push(value);
        }
    }
    m.peak_rss_kb = peak_rss_kb();
    Ok((m, kept))
}

/// The many-sessions scenario: opens `sessions` sessions with `connect`, one after the other,
/// then runs `op(session, i)` with `concurrency` in flight, spreading the operations
/// round-robin over the sessions.
pub async fn spread<C, F, Fut, O, OFut, T>(
    sessions: usize,
    mut connect: F,
    concurrency: usize,
    span: Span,
    mut op: O,
) -> Result<Measurement, String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<C, String>>,
    O: FnMut(&C, u64) -> OFut,
    OFut: Future<Output = Result<T, String>>,
{
    let mut clients = Vec::with_capacity(sessions);
    for _ in 0..sessions {
        clients.push(connect().await?);
    }
    closed_loop(concurrency, span, |i| {
        op(&clients[i as usize % sessions], i)
    })
    .await
}

/// The session scenario: opens `n` sessions with `connect` (16 at a time), then idles 5 s with
/// all of them open; memory per session and idle CPU go into `extra`.
pub async fn sessions<F, Fut, T>(n: usize, connect: F) -> Result<Measurement, String>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let before = crate::measure::rss_kb();
    let t = Instant::now();
    let cpu0 = cpu_ms();
    let (mut m, sessions) = closed_loop_keep(16, Span::Count(n as u64), true, connect).await?;
    m.secs = t.elapsed().as_secs_f64();
    m.cpu_ms = cpu_ms() - cpu0;
    let per = (crate::measure::rss_kb().saturating_sub(before) * 1024) as f64 / n as f64;
    let idle0 = cpu_ms();
    tokio::time::sleep(Duration::from_secs(5)).await;
    m.extra.push(("bytes_per_session".into(), per));
    m.extra
        .push(("idle_cpu_ms_per_s".into(), (cpu_ms() - idle0) / 5.0));
    m.peak_rss_kb = peak_rss_kb();
    drop(sessions);
    Ok(m)
}

/// The watch scenario: sets `n` one-shot watches with `watch(i)` (`concurrency` at a time),
/// keeps their handles, then waits for `ready` (the parent measures re-registration).
pub async fn watches<F, Fut, T, R>(
    concurrency: usize,
    n: usize,
    watch: F,
    ready: R,
) -> Result<Measurement, String>
where
    F: FnMut(u64) -> Fut,
    Fut: Future<Output = Result<T, String>>,
    R: Future<Output = ()>,
{
    let before = crate::measure::rss_kb();
    let (mut m, handles) =
        closed_loop_keep(concurrency, Span::Count(n as u64), true, watch).await?;
    let per = (crate::measure::rss_kb().saturating_sub(before) * 1024) as f64 / n as f64;
    m.extra.push(("bytes_per_watch".into(), per));
    ready.await;
    m.peak_rss_kb = peak_rss_kb();
    drop(handles);
    Ok(m)
}
