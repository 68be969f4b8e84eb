//! The test kit's embedded server: starts without a JVM, stops (freeing its port) and
//! restarts on the same port, and refuses the options only a real ZooKeeper has.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::net::TcpStream;

use zk_testkit::{EmbeddedServer, Error, ServerOptions};

#[test]
fn starts_stops_and_restarts_on_its_port() {
    let mut server = EmbeddedServer::start().expect("starts");
    let addr = server.addr();
    assert_eq!(server.connect_string(), addr.to_string());
    assert!(TcpStream::connect(addr).is_ok());
    assert!(matches!(
        server.expire_session(0x1234, &[0; 16]),
        Err(Error::Expire(_))
    ));
    server.stop();
    assert!(
        TcpStream::connect(addr).is_err(),
        "a stopped server listens"
    );
    server.restart().expect("restart");
    assert!(TcpStream::connect(addr).is_ok());
    drop(server);
    assert!(
        TcpStream::connect(addr).is_err(),
        "dropped, it still listens"
    );
}

#[test]
fn options_only_zookeeper_has_are_refused_by_name() {
    let mut options = ServerOptions::default();
    options.extra_config.push("snapCount=10".into());
    let err = EmbeddedServer::start_with(&options).expect_err("refused");
    assert!(err.to_string().contains("snapCount=10"), "{err}");
    let mut options = ServerOptions::default();
    options
        .system_properties
        .push(("zookeeper.forceSync".into(), "no".into()));
    let err = EmbeddedServer::start_with(&options).expect_err("refused");
    assert!(err.to_string().contains("zookeeper.forceSync"), "{err}");
    let mut options = ServerOptions::default();
    options.system_properties.push((
        "zookeeper.DigestAuthenticationProvider.superDigest".into(),
        zk_server::auth::digest("super:pw"),
    ));
    assert!(EmbeddedServer::start_with(&options).is_ok());
}
