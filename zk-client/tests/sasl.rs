//! SASL (DIGEST-MD5) against a real ZooKeeper 3.8 with a JAAS `DigestLoginModule` and the
//! `sasl` auth provider: the identity, `sasl:` ACLs, a wrong password ending the session in
//! `AuthFailed` without a reconnect loop, SASL again after a reconnect, a server that requires
//! SASL, and SASL inside TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::time::Duration;

use zk_client::{acl, ClientBuilder, CreateOptions, Error, SaslOptions, SessionState, TlsOptions};
use zk_testkit::{CertSpec, ClientAuth, ServerOptions, ServerSasl, ServerTls, TestCa, TestServer};

fn users() -> ServerSasl {
    ServerSasl {
        users: vec![
            ("bob".into(), "bobsecret".into()),
            ("carol".into(), "carolsecret".into()),
        ],
        required: false,
        kerberos: None,
    }
}

fn sasl_server(sasl: ServerSasl) -> TestServer {
    TestServer::start_with(ServerOptions {
        sasl: Some(sasl),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with SASL must start")
}

fn builder(connect: String, user: &str, password: &str) -> ClientBuilder {
    ClientBuilder::new(connect)
        .session_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .fail_fast(true)
        .sasl(SaslOptions::digest_md5(user, password))
}

async fn sasl_id(zk: &zk_client::Client) -> Option<String> {
    zk.who_am_i()
        .await
        .expect("whoAmI")
        .into_iter()
        .find(|i| i.auth_scheme.as_deref() == Some("sasl"))
        .and_then(|i| i.user)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sasl_identity_and_its_acls() {
    let server = sasl_server(users());
    let bob = builder(server.connect_string(), "bob", "bobsecret")
        .connect()
        .await
        .expect("SASL connect");
    assert_eq!(sasl_id(&bob).await.as_deref(), Some("bob"));
    let only_bob = vec![acl::sasl("bob", acl::perms::ALL)];
    bob.create(
        "/bobs",
        b"mine",
        &CreateOptions::default().with_acl(only_bob),
    )
    .await
    .expect("create with a sasl ACL");
    assert_eq!(bob.get_data("/bobs").await.expect("bob reads").0, b"mine");

    let carol = builder(server.connect_string(), "carol", "carolsecret")
        .connect()
        .await
        .expect("SASL connect");
    assert_eq!(sasl_id(&carol).await.as_deref(), Some("carol"));
    assert_eq!(carol.get_data("/bobs").await, Err(Error::NoAuth));
    let anonymous = common::client(&server).await;
    assert_eq!(anonymous.get_data("/bobs").await, Err(Error::NoAuth));
    for zk in [bob, carol, anonymous] {
        zk.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_auth_failed_for_good() {
    let server = sasl_server(users());
    // Through a proxy that counts connections; without fail-fast too: the refusal is final,
    // not a reason to try again.
    let proxy = zk_testkit::Proxy::start(server.addr()).expect("proxy");
    let refused = ClientBuilder::new(proxy.connect_string())
        .session_timeout(Duration::from_secs(10))
        .sasl(SaslOptions::digest_md5("bob", "not-the-password"))
        .connect()
        .await;
    assert_eq!(refused.err(), Some(Error::AuthFailed));
    // Time for a reconnect loop to show (the client retries within 100 ms when it does).
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(proxy.connections(), 1, "no reconnect after the refusal");

    // A session whose password stops working at a reconnect (the server's JAAS file changed):
    // the session ends in AuthFailed and every call fails with it.
    let mut server = server;
    let bob = builder(server.connect_string(), "bob", "bobsecret")
        // A session that outlasts a server restart on a loaded machine.
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("SASL connect");
    let jaas = server.dir().join("jaas.conf");
    let text = std::fs::read_to_string(&jaas).expect("the server's JAAS file");
    std::fs::write(&jaas, text.replace("bobsecret", "changed")).expect("rewrite JAAS");
    let mut state = bob.states();
    server.restart().expect("restart");
    common::reach(&mut state, SessionState::AuthFailed).await;
    assert_eq!(bob.get_data("/").await.err(), Some(Error::AuthFailed));
    assert_eq!(bob.exists("/").await.err(), Some(Error::AuthFailed));

    // A user the server does not know.
    let unknown = builder(server.connect_string(), "mallory", "x")
        .connect()
        .await;
    assert_eq!(unknown.err(), Some(Error::AuthFailed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_is_done_again_after_a_reconnect() {
    let mut server = sasl_server(users());
    let bob = builder(server.connect_string(), "bob", "bobsecret")
        // A session that outlasts a server restart on a loaded machine.
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("SASL connect");
    let id = bob.session_id();
    let only_bob = vec![acl::sasl("bob", acl::perms::ALL)];
    bob.create("/kept", b"v", &CreateOptions::default().with_acl(only_bob))
        .await
        .expect("create");
    let state = bob.states();
    server.restart().expect("restart");
    // The new connection is announced only after its SASL exchange succeeded, so a read
    // guarded by the sasl ACL works as soon as the state says connected.
    common::eventually_reads(&bob, "/kept", b"v").await;
    assert_eq!(state.current(), SessionState::Connected);
    assert_eq!(bob.session_id(), id, "the session is resumed");
    assert_eq!(sasl_id(&bob).await.as_deref(), Some("bob"));
    bob.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_requires_sasl() {
    let server = sasl_server(ServerSasl {
        required: true,
        ..users()
    });
    let bob = builder(server.connect_string(), "bob", "bobsecret")
        .connect()
        .await
        .expect("SASL connect");
    bob.create("/open", b"", &CreateOptions::default())
        .await
        .expect("an authenticated session may write");
    // Without SASL, the server refuses the request and closes the connection.
    let anonymous = common::client(&server).await;
    assert_eq!(
        anonymous.get_data("/open").await,
        Err(Error::SessionClosedRequireSaslAuth)
    );
    bob.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sasl_inside_tls() {
    let ca = TestCa::new("sasl-tls-ca").expect("a CA");
    let cert = ca.issue("server", &CertSpec::server()).expect("cert");
    let server = TestServer::start_with(ServerOptions {
        sasl: Some(users()),
        tls: Some(ServerTls {
            keystore: cert.keystore.clone(),
            truststore: ca.cert_file(),
            client_auth: ClientAuth::None,
        }),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with TLS and SASL must start");
    let secure = server.secure_addr().expect("TLS port").to_string();
    let bob = builder(secure, "bob", "bobsecret")
        .tls(TlsOptions::new().ca_file(ca.cert_file()))
        .connect()
        .await
        .expect("TLS and SASL connect");
    assert_eq!(sasl_id(&bob).await.as_deref(), Some("bob"));
    bob.close().await;
}
