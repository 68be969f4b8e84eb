//! The Markdown table and the JSON of a benchmark run.

use serde_json::{json, Value};

use crate::contenders::Contender;
use crate::scenario::Scenario;
use crate::Cli;

/// The run with the median throughput of `runs` for (s, c).
fn median(runs: &[(Scenario, Contender, Value)], s: Scenario, c: Contender) -> Option<&Value> {
    let mut mine: Vec<&Value> = runs
        .iter()
        .filter(|(rs, rc, _)| *rs == s && *rc == c)
        .map(|(_, _, v)| v)
        .collect();
    mine.sort_by(|a, b| {
        let x = a["ops_per_sec"].as_f64().unwrap_or(0.0);
        let y = b["ops_per_sec"].as_f64().unwrap_or(0.0);
        x.total_cmp(&y)
    });
    mine.get(mine.len() / 2).copied()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn fmt_us(v: &Value) -> String {
    num(v).map_or_else(|| "-".into(), |x| format!("{x:.0}"))
}

/// The report: one table per scenario.
pub fn markdown(
    scenarios: &[Scenario],
    contenders: &[Contender],
    runs: &[(Scenario, Contender, Value)],
    cli: &Cli,
) -> String {
    let mut out = format!(
        "Median of {} rounds, {} s measured per run after a warm-up of at least 1 s that lasts until two consecutive half-second windows' throughputs agree within 5% (at most 15 s; `warmup_ms` says how long each took); every clock starts before the call; each run in its own process{}. `reregister_ms=-`: the server did not hold all the watches again within 60 s of the cut.\n",
        cli.rounds,
        cli.seconds,
        if cli.pin {
            "; server pinned to CPU 0, each client (the JVM's compiler and collector threads included) to CPU 1"
        } else {
            ""
        }
    );
    for &s in scenarios {
        out.push_str(&format!(
            "\n**{}**\n\n| client | ops/s | vs raw | zk-client vs it | p50 µs | p99 µs | p99.9 µs | CPU µs/op | peak RSS MiB | other |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
            s.name()
        ));
        let raw = median(runs, s, Contender::Raw).and_then(|v| num(&v["ops_per_sec"]));
        let ours = median(runs, s, Contender::Ours).and_then(|v| num(&v["ops_per_sec"]));
        for &c in contenders {
            let Some(v) = median(runs, s, c) else {
                continue;
            };
            let ops = num(&v["ops_per_sec"]).unwrap_or(0.0);
            let vs_raw = raw
                .filter(|_| c != Contender::Raw)
                .map_or("".into(), |r| format!("{:.0}%", 100.0 * ops / r));
            let vs_ours = ours
                .filter(|_| c != Contender::Ours && c != Contender::Raw)
                .map_or("".into(), |o| format!("{:.2}x", o / ops));
            let extra = v["extra"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, x)| {
                            format!(
                                "{k}={}",
                                x.as_f64().map_or("-".into(), |f| format!("{f:.1}"))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            out.push_str(&format!(
                "| {} | {:.0} | {vs_raw} | {vs_ours} | {} | {} | {} | {:.1} | {:.1} | {extra} |\n",
                c.name(),
                ops,
                fmt_us(&v["p50_us"]),
                fmt_us(&v["p99_us"]),
                fmt_us(&v["p999_us"]),
                num(&v["cpu_us_per_op"]).unwrap_or(0.0),
                num(&v["peak_rss_kb"]).unwrap_or(0.0) / 1024.0,
            ));
        }
    }
    out
}

/// Every run, as JSON.
pub fn json(runs: &[(Scenario, Contender, Value)]) -> Value {
    Value::Array(
        runs.iter()
            .map(|(s, c, v)| json!({"scenario": s.name(), "contender": c.name(), "result": v}))
            .collect(),
    )
}
