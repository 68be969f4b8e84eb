//! The fault soak, bounded: 60 seconds with a fixed seed against a real three-member ensemble,
//! every operation checked for linearizability (multis as one step on several keys), sequential
//! names, ephemerals, watches, pipelined reply order and the lock holders' fenced writes.
//! (`cargo run --release -p zk-chaos -- --minutes 30` runs it long.)

use std::time::Duration;

use zk_chaos::harness::{run, Config};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seeded_minute_of_faults_shows_no_violation() {
    let config = Config {
        seed: 20_261_123,
        duration: Duration::from_secs(60),
        ..Config::default()
    };
    let outcome = run(config).await.expect("the soak runs");
    let h = &outcome.history;
    eprintln!(
        "operations {}, unknown {}, multis {}, listings {}, bursts {}, sequential {}, ephemerals {}, watches {}, fenced writes {}, faults {:?}",
        h.operations(),
        h.unknown(),
        h.multis(),
        h.listings(),
        h.bursts.len(),
        h.sequential.len(),
        h.ephemerals.len(),
        h.watches.len(),
        h.fenced.len(),
        h.faults_by_kind()
    );
    assert!(
        outcome.findings.violations.is_empty(),
        "seed {}: {:#?}",
        config.seed,
        outcome.findings.violations
    );
    assert!(
        outcome.findings.complete(),
        "not everything was checked: {:?}",
        outcome.findings.unchecked
    );
    // The soak did something: thousands of operations of every kind, faults of several kinds,
    // watches fired, writes made under the lock.
    assert!(h.operations() > 5_000, "{}", h.operations());
    assert!(h.multis() > 100, "{}", h.multis());
    assert!(h.listings() > 100, "{}", h.listings());
    assert!(h.bursts.len() > 100, "{}", h.bursts.len());
    assert!(h.fenced.len() > 10, "{}", h.fenced.len());
    assert!(h
        .fence_log
        .as_ref()
        .is_some_and(|l| l.len() >= h.fenced.len()));
    assert!(h.faults.len() >= 10, "{:?}", h.faults);
    assert!(h.faults_by_kind().len() >= 3, "{:?}", h.faults_by_kind());
    assert!(h.watches.iter().any(|w| !w.fired.is_empty()));
    // The faults had effects: answers were lost, and sessions expired (the clients were told).
    assert!(h.unknown() > 0, "no operation had an unknown outcome");
    assert!(
        !h.session_ends.is_empty(),
        "no client learned of an expiry: {:?}",
        h.faults_by_kind()
    );
}

/// The whole pipeline (workload, recording, final reads, checks) catches a client that loses
/// acknowledged writes, not only the checker on hand-made histories.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_soak_whose_client_loses_acknowledged_writes_reports_violations() {
    let evidence = std::env::temp_dir().join(format!("zk-chaos-soak-test-{}", std::process::id()));
    let config = Config {
        seed: 30,
        duration: Duration::from_secs(20),
        phantom_writes: true,
        evidence: Some(Box::leak(evidence.clone().into_boxed_path())),
        ..Config::default()
    };
    let outcome = run(config).await.expect("the soak runs");
    let v = &outcome.findings.violations;
    assert!(
        v.iter().any(|v| v.contains("is not linearizable")),
        "no violation reported for lost writes ({} operations): {v:#?}",
        outcome.history.operations()
    );
    // The members' logs are kept for an investigation.
    assert_eq!(outcome.evidence, Some(Ok(evidence.clone())));
    for m in 1..=3 {
        let log = std::fs::read_to_string(evidence.join(format!("member{m}/stdout.log")))
            .expect("a member's log kept");
        assert!(
            log.contains("LEADING") || log.contains("FOLLOWING"),
            "member {m}"
        );
    }
    let _ = std::fs::remove_dir_all(&evidence);
}
