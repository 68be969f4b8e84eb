//! SASL GSSAPI (Kerberos 5) against a real ZooKeeper 3.8 logged in with `Krb5LoginModule` from
//! a keytab, and a real MIT KDC: login from the client keytab, the `sasl:` identity and ACLs by
//! principal, the default and the explicit server principal, Kerberos again after a reconnect,
//! and credentials or tickets that cannot be had ending the session in `AuthFailed` with no
//! reconnect loop.
//!
//! Built with the `gssapi` feature only. The driver `tests/gssapi.rs` of the workspace (run by
//! `cargo test --workspace`) installs MIT Kerberos, starts the KDC with the principals below and
//! runs these tests with the process's Kerberos environment set: `KRB5_CONFIG` (the test
//! realm), `KRB5_CLIENT_KTNAME` (the keys of `zkcli` and `zkother`), `KRB5CCNAME` (a private
//! cache) and `ZK_TEST_KDC` (the KDC's directory).

#![cfg(feature = "gssapi")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use zk_client::{acl, ClientBuilder, CreateOptions, Error, GssapiOptions, SaslOptions};
use zk_client::{Client, SessionState};
use zk_testkit::{ServerOptions, TestKdc, TestServer};

/// The server's principal (without the realm), whose key the driver wrote.
const SERVER: &str = "zookeeper/localhost";

fn kdc() -> TestKdc {
    TestKdc::from_env().expect("the KDC started by the driver")
}

fn kerberos_server(kdc: &TestKdc) -> TestServer {
    TestServer::start_with(ServerOptions {
        sasl: Some(kdc.server_sasl(SERVER)),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with Kerberos must start")
}

fn builder(connect: String, options: GssapiOptions) -> ClientBuilder {
    ClientBuilder::new(connect)
        .session_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(10))
        .fail_fast(true)
        .sasl(SaslOptions::gssapi(options))
}

async fn sasl_id(zk: &Client) -> Option<String> {
    zk.who_am_i()
        .await
        .expect("whoAmI")
        .into_iter()
        .find(|i| i.auth_scheme.as_deref() == Some("sasl"))
        .and_then(|i| i.user)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keytab_login_its_identity_and_acls_by_principal() {
    let kdc = kdc();
    let server = kerberos_server(&kdc);
    let zkcli = kdc.principal("zkcli");
    // The connect string says 127.0.0.1; the service principal is zookeeper/localhost, found
    // as the Java client finds it (krb5.conf's default canonicalisation).
    let owner = builder(
        server.connect_string(),
        GssapiOptions::new().client_principal(&zkcli),
    )
    .connect()
    .await
    .unwrap_or_else(|e| panic!("Kerberos connect: {e}; KDC log: {}", kdc.log()));
    assert_eq!(sasl_id(&owner).await, Some(zkcli.clone()));
    owner
        .create(
            "/kerberos-only",
            b"secret",
            &CreateOptions::default().with_acl(vec![acl::sasl(&zkcli, acl::perms::ALL)]),
        )
        .await
        .expect("create with an ACL naming the principal");
    assert_eq!(
        owner.get_data("/kerberos-only").await.expect("read").0,
        b"secret"
    );

    // Another principal of the same realm is authenticated, and refused by the ACL.
    let other = builder(
        server.connect_string(),
        GssapiOptions::new().client_principal(kdc.principal("zkother")),
    )
    .connect()
    .await
    .expect("the second principal connects");
    assert_eq!(sasl_id(&other).await, Some(kdc.principal("zkother")));
    assert_eq!(other.get_data("/kerberos-only").await, Err(Error::NoAuth));
    // And so is a session without SASL.
    let anonymous = common::client(&server).await;
    assert_eq!(
        anonymous.get_data("/kerberos-only").await,
        Err(Error::NoAuth)
    );
    for zk in [owner, other, anonymous] {
        zk.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kerberos_is_done_again_after_a_reconnect() {
    let kdc = kdc();
    let mut server = kerberos_server(&kdc);
    let zkcli = kdc.principal("zkcli");
    // The server's principal named outright, with its realm.
    let zk = builder(
        server.connect_string(),
        GssapiOptions::new()
            .client_principal(&zkcli)
            .server_principal(kdc.principal(SERVER)),
    )
    // A session that outlasts a server restart on a loaded machine.
    .session_timeout(Duration::from_secs(30))
    .connect()
    .await
    .expect("Kerberos connect");
    let id = zk.session_id();
    zk.create(
        "/kept",
        b"v",
        &CreateOptions::default().with_acl(vec![acl::sasl(&zkcli, acl::perms::ALL)]),
    )
    .await
    .expect("create");
    let state = zk.states();
    server.restart().expect("restart");
    // Announced connected only after the GSSAPI exchange (its last, null-token reply
    // included) succeeded: a read guarded by the ACL works as soon as the state says so.
    common::eventually_reads(&zk, "/kept", b"v").await;
    assert_eq!(state.current(), SessionState::Connected);
    assert_eq!(zk.session_id(), id, "the session is resumed");
    assert_eq!(sasl_id(&zk).await, Some(zkcli));
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_or_tickets_that_cannot_be_had_are_auth_failed_for_good() {
    let kdc = kdc();
    let server = kerberos_server(&kdc);
    // Through a proxy that counts connections: the failure is final, not retried.
    let proxy = zk_testkit::Proxy::start(server.addr()).expect("proxy");

    // A principal whose key is in no keytab and whose ticket is in no cache.
    let nobody = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(10))
        .sasl(SaslOptions::gssapi(
            GssapiOptions::new().client_principal(kdc.principal("nobody")),
        ))
        .connect()
        .await;
    assert_eq!(nobody.err(), Some(Error::AuthFailed));

    // A server principal the KDC does not know: no ticket for it.
    let client = builder(
        proxy.connect_string(),
        GssapiOptions::new()
            .client_principal(kdc.principal("zkcli"))
            .server_principal("zookeeper/elsewhere"),
    )
    .connect()
    .await;
    assert_eq!(client.err(), Some(Error::AuthFailed));
    // Neither opened a connection: the exchange starts before the connection does.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(proxy.connections(), 0);

    // A ticket for a principal that exists but is not the server's (its key is not in the
    // server's keytab): the server refuses the exchange and closes the connection; the
    // session ends in AuthFailed, with no reconnect.
    kdc.add_principal("zookeeper/impostor")
        .expect("a second service principal");
    let refused = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(10))
        .sasl(SaslOptions::gssapi(
            GssapiOptions::new()
                .client_principal(kdc.principal("zkcli"))
                .server_principal(kdc.principal("zookeeper/impostor")),
        ))
        .connect()
        .await;
    assert_eq!(refused.err(), Some(Error::AuthFailed));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(proxy.connections(), 1, "no reconnect after the refusal");
}
