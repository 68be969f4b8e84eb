//! The README's first command, `cargo run -p zk-client --example tour`: the tour runs to the
//! end on the embedded server (its default, no JVM) and on a real ZooKeeper (`--server`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

#[path = "../examples/tour.rs"]
#[allow(dead_code)] // its `main` is the example's, not the test's
mod tour;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_runs_on_the_embedded_server() {
    let server = zk_server::Server::builder().start().await.expect("starts");
    tour::tour(&server.connect_string())
        .await
        .expect("the tour");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tour_runs_on_zookeeper() {
    let server = zk_testkit::TestServer::start().expect("ZooKeeper starts");
    tour::tour(&server.connect_string())
        .await
        .expect("the tour");
}
