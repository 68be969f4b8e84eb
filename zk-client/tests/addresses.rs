//! Connect strings as operators write them, on both servers: an IPv6 literal
//! (`[::1]:port`, through a test-kit proxy listening on `::1`), alone and beside a host where
//! nothing listens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use common::on_both;

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use zk_client::{ClientBuilder, CreateOptions};
use zk_testkit::Backend;

on_both!(an_ipv6_literal_in_the_connect_string,);

async fn an_ipv6_literal_in_the_connect_string(backend: Backend) {
    let server = common::server_on(backend);
    let proxy = zk_testkit::Proxy::start_on(IpAddr::V6(Ipv6Addr::LOCALHOST), server.addr())
        .expect("a proxy on ::1");
    let connect = proxy.connect_string();
    assert!(connect.starts_with("[::1]:"), "{connect}");
    let zk = ClientBuilder::new(connect.as_str())
        .session_timeout(Duration::from_secs(10))
        .fail_fast(true)
        .connect()
        .await
        .expect("connect over IPv6");
    assert_eq!(zk.connected_server(), Some(proxy.addr()));
    zk.create("/v6", b"over ::1", &CreateOptions::default())
        .await
        .expect("create");
    assert_eq!(zk.get_data("/v6").await.expect("read").0, b"over ::1");
    zk.close().await;

    // Beside an IPv4 host where nothing listens, and with a chroot after the literal: the
    // client gets to the live one.
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let dead = nothing.local_addr().expect("its address");
    drop(nothing);
    let zk = ClientBuilder::new(format!("{dead},{connect}/"))
        .session_timeout(Duration::from_secs(10))
        .connect()
        .await
        .expect("connect past the dead host");
    assert_eq!(zk.connected_server(), Some(proxy.addr()));
    assert_eq!(zk.get_data("/v6").await.expect("read").0, b"over ::1");
    zk.close().await;
}
