//! `zookeeper-client` 0.11 (kezhuw), the leading Rust client, with the same loops.

use std::time::{Duration, Instant};

use zookeeper_client as zkc;

use crate::driver::{closed_loop, closed_loop_keep, Span};
use crate::measure::{cpu_ms, peak_rss_kb, rss_kb, Measurement};
use crate::scenario::{Scenario, CD, DATA, KIDS, MISSING, SESSIONS, WATCHED, WATCHES};

async fn connect(server: &str) -> Result<zkc::Client, String> {
    zkc::Client::connector()
        .with_session_timeout(Duration::from_secs(10))
        .connect(server)
        .await
        .map_err(|e| e.to_string())
}

fn e(err: zkc::Error) -> String {
    err.to_string()
}

/// Runs scenario `s`; see [`crate::contenders::ours::run`].
pub async fn run<R>(s: Scenario, server: &str, span: Span, ready: R) -> Result<Measurement, String>
where
    R: std::future::Future<Output = ()>,
{
    let c = s.concurrency();
    if s == Scenario::Sessions1k {
        let before = rss_kb();
        let t = Instant::now();
        let cpu0 = cpu_ms();
        let (mut m, sessions) =
            closed_loop_keep(16, Span::Count(SESSIONS as u64), true, |_| connect(server)).await?;
        m.secs = t.elapsed().as_secs_f64();
        m.cpu_ms = cpu_ms() - cpu0;
        let per = (rss_kb().saturating_sub(before) * 1024) as f64 / SESSIONS as f64;
        let idle0 = cpu_ms();
        tokio::time::sleep(Duration::from_secs(5)).await;
        m.extra.push(("bytes_per_session".into(), per));
        m.extra
            .push(("idle_cpu_ms_per_s".into(), (cpu_ms() - idle0) / 5.0));
        m.peak_rss_kb = peak_rss_kb();
        drop(sessions);
        return Ok(m);
    }
    let zk = connect(server).await?;
    let data = vec![b'y'; 1024];
    let m = match s {
        Scenario::Watches100k => {
            let before = rss_kb();
            let (mut m, watchers) = closed_loop_keep(c, Span::Count(WATCHES as u64), true, |i| {
                let path = format!("{WATCHED}/n{i}");
                let zk = &zk;
                async move {
                    zk.check_and_watch_stat(&path)
                        .await
                        .map(|(_, w)| w)
                        .map_err(e)
                }
            })
            .await?;
            let per = (rss_kb().saturating_sub(before) * 1024) as f64 / WATCHES as f64;
            m.extra.push(("bytes_per_watch".into(), per));
            ready.await;
            m.peak_rss_kb = peak_rss_kb();
            drop(watchers);
            m
        }
        Scenario::Get1k(_) => {
            closed_loop(c, span, |_| {
                let f = zk.get_data(DATA);
                async move { f.await.map(|_| ()).map_err(e) }
            })
            .await?
        }
        Scenario::Set1k => {
            closed_loop(c, span, |_| {
                let f = zk.set_data(DATA, &data, None);
                async move { f.await.map(|_| ()).map_err(e) }
            })
            .await?
        }
        Scenario::ExistsMissing => {
            closed_loop(c, span, |_| {
                let f = zk.check_stat(MISSING);
                async move { f.await.map(|_| ()).map_err(e) }
            })
            .await?
        }
        Scenario::Children10k => {
            closed_loop(c, span, |_| {
                let zk = &zk;
                async move { zk.list_children(KIDS).await.map(|_| ()).map_err(e) }
            })
            .await?
        }
        Scenario::CreateDelete | Scenario::Sessions1k => {
            let options = zkc::CreateMode::Persistent.with_acls(zkc::Acls::anyone_all());
            closed_loop(c, span, |i| {
                let path = format!("{CD}/k{i}");
                let zk = &zk;
                let options = &options;
                async move {
                    zk.create(&path, b"", options).await.map_err(e)?;
                    zk.delete(&path, None).await.map_err(e)
                }
            })
            .await?
        }
    };
    Ok(m)
}
