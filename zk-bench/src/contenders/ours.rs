//! This project's client.

use std::time::{Duration, Instant};

use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions};

use crate::driver::{closed_loop, closed_loop_keep, Span};
use crate::measure::{cpu_ms, peak_rss_kb, rss_kb, Measurement};
use crate::scenario::{Scenario, CD, DATA, KIDS, MISSING, SESSIONS, WATCHED, WATCHES};

async fn connect(server: &str) -> Result<Client, String> {
    ClientBuilder::new(server)
        .session_timeout(Duration::from_secs(10))
        .request_queue(16 * 1024)
        .connect()
        .await
        .map_err(|e| e.to_string())
}

fn e(err: zk_client::Error) -> String {
    err.to_string()
}

/// Runs scenario `s`. For the watch scenario, `ready` is awaited once the watches are set, and
/// returns when the parent has measured their re-registration.
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
                let f = zk.exists_watch(&format!("{WATCHED}/n{i}"));
                async move { f.await.map(|(_, w)| w).map_err(e) }
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
                let f = zk.exists(MISSING);
                async move { f.await.map(|_| ()).map_err(e) }
            })
            .await?
        }
        Scenario::Children10k => {
            closed_loop(c, span, |_| {
                let f = zk.get_children(KIDS);
                async move { f.await.map(|_| ()).map_err(e) }
            })
            .await?
        }
        Scenario::CreateDelete | Scenario::Sessions1k => {
            closed_loop(c, span, |i| {
                let path = format!("{CD}/o{i}");
                let created = zk.create(&path, b"", &CreateOptions::new(CreateMode::Persistent));
                let zk = zk.clone();
                async move {
                    created.await.map_err(e)?;
                    zk.delete(&path, None).await.map_err(e)
                }
            })
            .await?
        }
    };
    zk.close().await;
    Ok(m)
}
