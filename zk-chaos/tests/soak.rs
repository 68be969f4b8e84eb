//! The fault soak, bounded: 60 seconds with a fixed seed against a real three-member ensemble,
//! every operation checked for linearizability, sequential names, ephemerals and watches.
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
        "operations {}, unknown {}, sequential {}, ephemerals {}, watches {}, faults {:?}",
        h.operations(),
        h.unknown(),
        h.sequential.len(),
        h.ephemerals.len(),
        h.watches.len(),
        h.faults_by_kind()
    );
    assert!(
        outcome.findings.violations.is_empty(),
        "seed {}: {:#?}",
        config.seed,
        outcome.findings.violations
    );
    assert!(
        outcome.findings.unchecked_keys.is_empty(),
        "{:?}",
        outcome.findings.unchecked_keys
    );
    // The soak did something: thousands of operations, faults of several kinds, watches fired.
    assert!(h.operations() > 5_000, "{}", h.operations());
    assert!(h.faults.len() >= 10, "{:?}", h.faults);
    assert!(h.faults_by_kind().len() >= 3, "{:?}", h.faults_by_kind());
    assert!(h.watches.iter().any(|w| !w.fired.is_empty()));
}
