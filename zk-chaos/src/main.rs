//! `cargo run --release -p zk-chaos -- --minutes 30 --seed 7`: a randomized fault soak against
//! a real three-member ensemble it starts; prints the figures and every violation (exit 1 if
//! any).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use zk_chaos::harness::{run, Config};

/// A randomized fault soak of zk-client, checked for linearizability and lost watches.
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
}

fn main() -> ExitCode {
    let args = Args::parse();
    let Ok(duration) = Duration::try_from_secs_f64(args.minutes * 60.0) else {
        eprintln!("zk-chaos: --minutes {} is not a duration", args.minutes);
        return ExitCode::from(2);
    };
    let config = Config {
        seed: args.seed,
        duration,
        clients: args.clients,
        keys: args.keys,
        lockers: args.lockers,
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
        "seed {}, {:?}, {} clients, {} keys, {} lock holders",
        args.seed, duration, args.clients, args.keys, args.lockers
    );
    println!(
        "operations checked: {} ({} with unknown outcomes); sequential creates: {}; ephemerals: {}; watches: {} ({} fired)",
        h.operations(),
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
        h.fence_log.len()
    );
    println!("sessions expired: {}", h.session_ends.len());
    println!("faults: {:?}", h.faults_by_kind());
    if !outcome.findings.unchecked_groups.is_empty() {
        println!(
            "key groups too large to check: {:?}",
            outcome.findings.unchecked_groups
        );
    }
    println!("violations: {}", outcome.findings.violations.len());
    for v in &outcome.findings.violations {
        println!("  seed {}: {v}", args.seed);
    }
    if outcome.findings.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
