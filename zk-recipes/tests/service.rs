//! The README's service (`examples/service.rs`) against a real ZooKeeper and against the
//! embedded server (its default): two runs in turn,
//! each counted, each leaving no member behind, each writing the configuration under the lock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

#[path = "../examples/service.rs"]
#[allow(dead_code)] // its `main` is the example's, not the test's
mod service;

use zk_client::Client;
use zk_testkit::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_service_runs_against_a_real_server() {
    let server = TestServer::start().expect("server");
    two_runs(&server.connect_string()).await;
}

/// The example's default: the embedded server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_service_runs_against_the_embedded_server() {
    let server = zk_server::Server::builder().start().await.expect("server");
    two_runs(&server.connect_string()).await;
}

async fn two_runs(cs: &str) {
    assert_eq!(service::run(cs, "host-a").await.expect("first run"), 1);
    let admin = Client::connect(cs).await.expect("admin");
    let (config, _) = admin.get_data("/app/config").await.expect("config");
    let config = String::from_utf8(config).expect("text");
    assert!(config.starts_with("host-a (token "), "{config}");
    assert_eq!(service::run(cs, "host-b").await.expect("second run"), 2);
    let (config, _) = admin.get_data("/app/config").await.expect("config");
    assert!(config.starts_with(b"host-b (token "));
    // Each run left: no member, no lock or leader node behind.
    for dir in ["/app/members", "/app/lock", "/app/leader"] {
        let left = admin.get_children(dir).await.expect("children");
        assert!(left.is_empty(), "{dir}: {left:?}");
    }
}

#[test]
fn the_readme_shows_the_example_as_it_is() {
    let example = include_str!("../examples/service.rs");
    let readme = include_str!("../../README.md");
    let start = example
        .find("use std::time::Duration;")
        .expect("the example's first use");
    let end = example.find("#[tokio::main]").expect("the example's main");
    let code = example[start..end].trim_end();
    assert!(
        readme.contains(code),
        "README.md's service is not examples/service.rs's: copy lines {start}..{end} again"
    );
    let lines = example.lines().count();
    assert!(lines <= 70, "the service example is {lines} lines, over 70");
}
