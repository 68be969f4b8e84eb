//! The client's metrics through the `metrics` facade, read back with `metrics-util`'s
//! debugging recorder after a known sequence against a real ZooKeeper: requests by op and
//! outcome, their latency, bytes each way, connections, session states and the watch gauge;
//! and its `tracing` output (connection events at info, a span per call at debug with its
//! xid and sizes on the wire).
//!
//! One test: the recorder and the subscriber are global to the process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use zk_client::telemetry::names;
use zk_client::{ClientBuilder, CreateOptions, Error};

/// `name{label=value,...}` → value; counters and gauges as numbers, histograms as their
/// samples. Reading drains the recorder (counters count from zero again).
fn read(snapshotter: &Snapshotter) -> HashMap<String, DebugValue> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            (format!("{}{{{}}}", key.name(), labels.join(",")), value)
        })
        .collect()
}

fn counter(m: &HashMap<String, DebugValue>, key: &str) -> u64 {
    match m.get(key) {
        Some(DebugValue::Counter(n)) => *n,
        None => 0,
        Some(other) => panic!("{key} is {other:?}"),
    }
}

/// Where the subscriber writes: a buffer the test reads.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_sequence_shows_in_the_recorder() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this process");
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .init();
    let server = common::server();

    let zk = ClientBuilder::new(server.connect_string())
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect");
    let m = read(&snapshotter);
    assert_eq!(
        counter(&m, &format!("{}{{outcome=ok}}", names::CONNECTIONS)),
        1,
        "{m:?}"
    );
    assert_eq!(
        counter(
            &m,
            &format!("{}{{state=connected}}", names::STATE_TRANSITIONS)
        ),
        1
    );
    assert!(
        counter(&m, &format!("{}{{}}", names::BYTES_SENT)) > 0,
        "{m:?}"
    );
    assert!(
        counter(&m, &format!("{}{{}}", names::BYTES_RECEIVED)) > 0,
        "{m:?}"
    );

    zk.create("/m", b"v", &CreateOptions::default())
        .await
        .expect("create");
    assert_eq!(
        zk.create("/m", b"v", &CreateOptions::default()).await,
        Err(Error::NodeExists)
    );
    assert_eq!(zk.get_data("/missing").await, Err(Error::NoNode));
    for _ in 0..3 {
        zk.get_data("/m").await.expect("get");
    }
    let (_, _watch) = zk.exists_watch("/m").await.expect("exists with a watch");
    let m = read(&snapshotter);
    let requests = |op: &str, outcome: &str| {
        counter(
            &m,
            &format!("{}{{op={op},outcome={outcome}}}", names::REQUESTS),
        )
    };
    assert_eq!(requests("create2", "ok"), 1, "{m:?}");
    assert_eq!(requests("create2", "node_exists"), 1, "{m:?}");
    assert_eq!(requests("getData", "no_node"), 1, "{m:?}");
    assert_eq!(requests("getData", "ok"), 3, "{m:?}");
    assert_eq!(requests("exists", "ok"), 1, "{m:?}");
    match m.get(&format!("{}{{op=getData}}", names::REQUEST_DURATION)) {
        Some(DebugValue::Histogram(samples)) => {
            assert_eq!(samples.len(), 4, "{samples:?}");
            assert!(
                samples.iter().all(|s| s.0 > 0.0 && s.0 < 10.0),
                "{samples:?}"
            );
        }
        other => panic!("no getData latencies: {other:?}"),
    }
    match m.get(&format!("{}{{}}", names::WATCHES)) {
        Some(DebugValue::Gauge(n)) => assert_eq!(n.0, 1.0),
        other => panic!("no watch gauge: {other:?}"),
    }
    // Each request and reply has at least a length prefix and a header.
    assert!(
        counter(&m, &format!("{}{{}}", names::BYTES_SENT)) >= 7 * 12,
        "{m:?}"
    );
    assert!(
        counter(&m, &format!("{}{{}}", names::BYTES_RECEIVED)) >= 7 * 20,
        "{m:?}"
    );

    let log = captured.text();
    let server = server.connect_string();
    assert!(
        log.contains(&format!("connected to {server} (session 0x")),
        "{log}"
    );
    assert!(log.contains("session state: Connected"), "{log}");
    let answered = |op: &str, path: &str, outcome: &str| {
        log.lines()
            .filter(|l| {
                l.contains("DEBUG")
                    && l.contains("answered")
                    && l.contains(&format!("op=\"{op}\""))
                    && l.contains(&format!("path=\"{path}\""))
                    && l.contains(&format!("server=\"{server}\""))
                    && l.contains(&format!("outcome=\"{outcome}\""))
                    && l.contains("latency_us=")
            })
            .count()
    };
    assert_eq!(answered("getData", "/m", "ok"), 3, "{log}");
    assert_eq!(answered("getData", "/missing", "no_node"), 1, "{log}");
    // The span's wire figures: the getData request for "/m" is a 4-byte length, an 8-byte
    // header, the path (4 + 2) and the watch flag (1); its reply a 4-byte length, a 16-byte
    // header, the data (4 + 1) and a 68-byte Stat; the NoNode reply just the header.
    let field = |line: &str, name: &str| -> u64 {
        let at = line
            .find(&format!(" {name}="))
            .unwrap_or_else(|| panic!("no {name} in {line}"));
        line[at + name.len() + 2..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap_or_else(|e| panic!("{name} in {line}: {e}"))
    };
    let gets: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("answered") && l.contains("op=\"getData\""))
        .collect();
    assert_eq!(gets.len(), 4, "{log}");
    let xids: Vec<u64> = gets.iter().map(|l| field(l, "xid")).collect();
    assert!(xids.windows(2).all(|w| w[0] < w[1]), "xids {xids:?}");
    for line in &gets {
        let (request, reply) = if line.contains("path=\"/m\"") {
            (19, 93)
        } else {
            (25, 20)
        };
        assert_eq!(field(line, "request_bytes"), request, "{line}");
        assert_eq!(field(line, "reply_bytes"), reply, "{line}");
    }

    zk.close().await;
    let m = read(&snapshotter);
    assert_eq!(
        counter(&m, &format!("{}{{state=closed}}", names::STATE_TRANSITIONS)),
        1,
        "{m:?}"
    );
    assert_eq!(
        counter(&m, &format!("{}{{}}", names::DISCONNECTS)),
        0,
        "{m:?}"
    );
}
