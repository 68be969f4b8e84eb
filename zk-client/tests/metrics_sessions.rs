//! The load gauges add up every session of the process: one session's call does not overwrite
//! what another holds, and a closed session takes its share away. (A process of its own: the
//! recorder is global.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use zk_client::telemetry::names;

/// The watch gauge as a recorder such as Prometheus's keeps it: read without being reset
/// (metrics-util's debugging recorder resets a gauge on every snapshot).
#[derive(Default)]
struct WatchGauge(Mutex<f64>);

impl metrics::GaugeFn for WatchGauge {
    fn increment(&self, value: f64) {
        *self.0.lock().unwrap() += value;
    }
    fn decrement(&self, value: f64) {
        *self.0.lock().unwrap() -= value;
    }
    fn set(&self, value: f64) {
        *self.0.lock().unwrap() = value;
    }
}

struct Recorder(Arc<WatchGauge>);

impl metrics::Recorder for Recorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::noop()
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        if key.name() == names::WATCHES {
            Gauge::from_arc(self.0.clone())
        } else {
            Gauge::noop()
        }
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

fn watches(gauge: &WatchGauge) -> f64 {
    *gauge.0.lock().unwrap()
}

/// Waits for the watch gauge to read `want`.
async fn gauge_reads(gauge: &WatchGauge, want: f64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = watches(gauge);
        if now == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the watch gauge reads {now}, not {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_load_gauges_add_up_every_session() {
    let gauge = Arc::new(WatchGauge::default());
    metrics::set_global_recorder(Recorder(gauge.clone()))
        .expect("the only recorder of this process");
    let watch_gauge = &*gauge;
    let server = common::server();
    let holder = common::client(&server).await;
    let other = common::client(&server).await;
    let mut held = Vec::new();
    for i in 0..200 {
        let (_, w) = holder
            .exists_watch(&format!("/absent-{i}"))
            .await
            .expect("exists");
        held.push(w);
    }
    gauge_reads(watch_gauge, 200.0).await;
    // The other session's calls (it holds no watch) leave the holder's share alone.
    for _ in 0..5 {
        other.exists("/").await.expect("exists");
    }
    assert_eq!(watches(watch_gauge), 200.0);
    let (_, w) = other.exists_watch("/x").await.expect("exists");
    gauge_reads(watch_gauge, 201.0).await;
    holder.close().await;
    gauge_reads(watch_gauge, 1.0).await;
    drop((w, held));
    other.close().await;
    gauge_reads(watch_gauge, 0.0).await;
}
