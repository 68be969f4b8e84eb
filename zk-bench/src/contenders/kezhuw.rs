//! `zookeeper-client` 0.11 (kezhuw), the leading Rust client, with the same loops.

use std::time::Duration;

use zookeeper_client as zkc;

use crate::driver::{self, closed_loop, Span};
use crate::measure::Measurement;
use crate::scenario::{
    Scenario, BUSY_SESSIONS, CD, DATA, KIDS, MISSING, SESSIONS, WATCHED, WATCHES,
};

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
        return driver::sessions(SESSIONS, |_| connect(server)).await;
    }
    if s == Scenario::ManySessions {
        return driver::spread(
            BUSY_SESSIONS,
            || connect(server),
            c,
            span,
            |zk, _| {
                let f = zk.get_data(DATA);
                async move { f.await.map(|_| ()).map_err(e) }
            },
        )
        .await;
    }
    let zk = connect(server).await?;
    let data = vec![b'y'; 1024];
    let m = match s {
        Scenario::Watches100k => {
            driver::watches(
                c,
                WATCHES,
                |i| {
                    let path = format!("{WATCHED}/n{i}");
                    let zk = &zk;
                    async move {
                        zk.check_and_watch_stat(&path)
                            .await
                            .map(|(_, w)| w)
                            .map_err(e)
                    }
                },
                ready,
            )
            .await?
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
        Scenario::CreateDelete | Scenario::Sessions1k | Scenario::ManySessions => {
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
