//! `cargo run --release -p zk-chaos -- --minutes 30 --seed 7`: a randomized fault soak against
//! a real three-member ensemble it starts; prints the figures and every violation. Exit
//! status: 0 when everything was checked and nothing violated, 1 on a violation, 3 when no
//! violation was found but something could not be checked (named in the output), 2 when the
//! soak could not run.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use zk_chaos::harness::{run, Config};

/// A randomized fault soak of zk-client, checked for linearizability and lost watches.
///
/// Exit status: 0 when every recorded operation was checked and none violated; 1 when a
/// violation was found; 3 when none was found but something could not be checked (a key
/// group too large to search, a final read that failed: each is named); 2 when the soak could
/// not run.
#[derive(Parser)]
struct Args {
    /// How long the workload and the faults run, in minutes.
    #[arg(long, default_value_t = 1.0)]
    minutes: f64,
    /// The seed of the workload's and the faults' choices.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Client sessions.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Keys of the register workload.
    #[arg(long, default_value_t = 5)]
    keys: usize,
    /// Sessions taking turns on one lock and writing under it.
    #[arg(long, default_value_t = 3)]
    lockers: usize,
    /// Let the members sync a returning follower by diff or truncation, ZooKeeper's default,
    /// instead of by snapshot (ZooKeeper 3.8.0 can lose committed writes in diff sync; see
    /// `Config::snapshot_sync`).
    #[arg(long)]
    diff_sync: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Ok(duration) = Duration::try_from_secs_f64(args.minutes * 60.0) else {
        eprintln!("zk-chaos: --minutes {} is not a duration", args.minutes);
        return ExitCode::from(2);
    };
    // On a violation the members' logs and data are kept here, for finding out what happened.
    let evidence =
        std::env::temp_dir().join(format!("zk-chaos-{}-{}", args.seed, std::process::id()));
    let config = Config {
        seed: args.seed,
        duration,
        clients: args.clients,
        keys: args.keys,
        lockers: args.lockers,
        snapshot_sync: !args.diff_sync,
        evidence: Some(Box::leak(evidence.into_boxed_path())),
        ..Config::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zk-chaos: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match runtime.block_on(run(config)) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("zk-chaos: the soak could not run: {e}");
            return ExitCode::from(2);
        }
    };
    let h = &outcome.history;
    println!(
        "seed {}, {:?}, {} clients, {} keys, {} lock holders, followers synced by {}",
        args.seed,
        duration,
        args.clients,
        args.keys,
        args.lockers,
        if args.diff_sync { "diff" } else { "snapshot" }
    );
    let f = &outcome.findings;
    let unchecked_ops: usize = f
        .unchecked_groups
        .iter()
        .map(|g| h.ops.get(g).map_or(0, Vec::len))
        .sum();
    println!(
        "operations: {} recorded, {} checked, {} in key groups too large to check ({} with unknown outcomes); sequential creates: {}; ephemerals: {}; watches: {} ({} fired)",
        h.operations(),
        h.operations() - unchecked_ops,
        unchecked_ops,
        h.unknown(),
        h.sequential.len(),
        h.ephemerals.len(),
        h.watches.len(),
        h.watches.iter().filter(|w| !w.fired.is_empty()).count()
    );
    println!(
        "multis: {}; listings: {}; pipelined bursts: {}",
        h.multis(),
        h.listings(),
        h.bursts.len()
    );
    println!(
        "lock acquisitions: {}; fenced writes acknowledged: {}; log entries: {}",
        h.acquisitions,
        h.fenced.len(),
        h.fence_log
            .as_ref()
            .map_or_else(|| "not read".to_string(), |l| l.len().to_string())
    );
    println!("sessions expired: {}", h.session_ends.len());
    println!("faults: {:?}", h.faults_by_kind());
    println!("violations: {}", f.violations.len());
    for v in &f.violations {
        println!("  seed {}: {v}", args.seed);
    }
    if !f.complete() {
        println!("not checked ({}):", f.unchecked.len());
        for u in &f.unchecked {
            println!("  {u}");
        }
    }
    match &outcome.evidence {
        Some(Ok(dir)) => println!(
            "the members' logs and data directories are kept in {}",
            dir.display()
        ),
        Some(Err(e)) => println!("the members' directories could not be kept: {e}"),
        None => {}
    }
    let verdict = if !f.violations.is_empty() {
        (1, "violations found")
    } else if !f.complete() {
        (
            3,
            "incomplete: no violation in what was checked, but not everything was",
        )
    } else {
        (0, "every operation checked, no violation")
    };
    println!("verdict: {}", verdict.1);
    ExitCode::from(verdict.0)
}
