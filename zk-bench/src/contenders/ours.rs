//! This project's client.

use std::time::Duration;

use zk_client::{Client, ClientBuilder, CreateMode, CreateOptions};

use crate::driver::{self, closed_loop, Span};
use crate::measure::Measurement;
use crate::scenario::{
    Scenario, BUSY_SESSIONS, CD, DATA, KIDS, MISSING, SESSIONS, WATCHED, WATCHES,
};

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
                    let f = zk.exists_watch(&format!("{WATCHED}/n{i}"));
                    async move { f.await.map(|(_, w)| w).map_err(e) }
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
        Scenario::CreateDelete | Scenario::Sessions1k | Scenario::ManySessions => {
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
