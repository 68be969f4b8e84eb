//! TLS against a real ZooKeeper 3.8 (Netty, `secureClientPort`) with certificates the test kit
//! makes: every basic operation, mutual TLS with the x509 provider and x509 ACLs, each named
//! handshake failure, plain and TLS clients on the wrong port, a reconnect that resumes the
//! session and picks up rotated certificate files, and ZooKeeper's own CLI reading over TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use zk_client::{acl, ClientBuilder, CreateOptions, Error, Op, TlsFailure, TlsOptions};
use zk_testkit::{
    netty_classpath, CertSpec, ClientAuth, IssuedCert, ServerOptions, ServerTls, TestCa,
    TestServer, ZOOKEEPER_JAR,
};

struct Pki {
    ca: TestCa,
    server: IssuedCert,
    client_a: IssuedCert,
}

fn pki() -> Pki {
    let ca = TestCa::new("zk-test-ca").expect("a CA");
    let server = ca
        .issue("server", &CertSpec::server())
        .expect("server cert");
    let client_a = ca
        .issue("client-a", &CertSpec::client("client-a"))
        .expect("client cert");
    Pki {
        ca,
        server,
        client_a,
    }
}

fn tls_server(keystore: &Path, truststore: &Path, auth: ClientAuth) -> TestServer {
    TestServer::start_with(ServerOptions {
        tls: Some(ServerTls {
            keystore: keystore.to_path_buf(),
            truststore: truststore.to_path_buf(),
            client_auth: auth,
        }),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with a TLS port must start")
}

fn secure(server: &TestServer) -> String {
    server.secure_addr().expect("a TLS port").to_string()
}

fn builder(connect: String, tls: TlsOptions) -> ClientBuilder {
    ClientBuilder::new(connect)
        .session_timeout(Duration::from_secs(10))
        .connect_timeout(Duration::from_secs(5))
        .fail_fast(true)
        .tls(tls)
}

fn mutual(pki: &Pki, client: &IssuedCert) -> TlsOptions {
    TlsOptions::new()
        .ca_file(pki.ca.cert_file())
        .identity_files(&client.cert, &client.key)
}

/// The `x509` id of a session, from whoAmI.
async fn x509_id(zk: &zk_client::Client) -> Option<String> {
    zk.who_am_i()
        .await
        .expect("whoAmI")
        .into_iter()
        .find(|i| i.auth_scheme.as_deref() == Some("x509"))
        .and_then(|i| i.user)
}

/// Expects a fail-fast connect to end with `Error::Tls`, and returns its reason.
async fn tls_failure(b: ClientBuilder) -> TlsFailure {
    match b.connect().await {
        Err(Error::Tls { reason, server }) => {
            eprintln!("TLS with {server}: {reason}");
            reason
        }
        Err(other) => panic!("expected a TLS error, got {other:?}"),
        Ok(_) => panic!("expected a TLS error, connected"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_operations_over_mutual_tls_with_the_x509_identity_and_acl() {
    let pki = pki();
    let client_b = pki
        .ca
        .issue("client-b", &CertSpec::client("client-b"))
        .expect("client cert");
    let server = tls_server(&pki.server.keystore, &pki.ca.cert_file(), ClientAuth::Need);
    let zk = builder(secure(&server), mutual(&pki, &pki.client_a))
        .connect()
        .await
        .expect("TLS connect");
    assert_eq!(x509_id(&zk).await.as_deref(), Some("CN=client-a"));

    // Every basic operation.
    zk.create("/t", b"v1", &CreateOptions::default())
        .await
        .expect("create");
    let (data, stat) = zk.get_data("/t").await.expect("get");
    assert_eq!(data, b"v1");
    let (data, _, watch) = zk.get_data_watch("/t").await.expect("get with watch");
    assert_eq!(data, b"v1");
    zk.set_data("/t", b"v2", Some(stat.version))
        .await
        .expect("set");
    let event = tokio::time::timeout(Duration::from_secs(10), watch)
        .await
        .expect("the watch fires")
        .expect("event");
    assert_eq!(event.path, "/t");
    zk.multi(&[
        Op::Check {
            path: "/t".into(),
            version: 1,
        },
        Op::Create {
            path: "/t/kid".into(),
            data: vec![7; 100_000],
            options: CreateOptions::default(),
        },
    ])
    .await
    .expect("multi");
    assert_eq!(zk.get_children("/t").await.expect("children"), ["kid"]);
    // A reply larger than one TLS record (16 KiB) comes back whole.
    assert_eq!(
        zk.get_data("/t/kid").await.expect("get").0,
        vec![7; 100_000]
    );
    assert!(zk.exists("/t/kid").await.expect("exists").is_some());
    zk.delete("/t/kid", None).await.expect("delete");
    assert!(zk.exists("/t/kid").await.expect("exists").is_none());

    // Four-letter words over TLS, through the path the read-only probe (isro) takes too.
    let secure_addr = server.secure_addr().expect("a TLS port");
    let isro = zk_client::four_letter_word(
        "127.0.0.1",
        secure_addr.port(),
        "isro",
        Some(mutual(&pki, &pki.client_a)),
        Duration::from_secs(5),
    )
    .await
    .expect("isro over TLS");
    assert_eq!(isro, b"rw");

    // An x509 ACL: client-a may read the node, client-b (same CA) may not.
    let only_a = vec![acl::x509("CN=client-a", acl::perms::ALL)];
    zk.create(
        "/only-a",
        b"secret",
        &CreateOptions::default().with_acl(only_a),
    )
    .await
    .expect("create with an x509 ACL");
    assert_eq!(zk.get_data("/only-a").await.expect("a reads").0, b"secret");
    let zk_b = builder(secure(&server), mutual(&pki, &client_b))
        .connect()
        .await
        .expect("TLS connect as b");
    assert_eq!(x509_id(&zk_b).await.as_deref(), Some("CN=client-b"));
    assert_eq!(zk_b.get_data("/only-a").await, Err(Error::NoAuth));
    zk_b.close().await;
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_handshake_failure_has_its_named_error() {
    let pki = pki();
    let other_ca = TestCa::new("another-ca").expect("a CA");
    let server = tls_server(&pki.server.keystore, &pki.ca.cert_file(), ClientAuth::Need);

    // A client that trusts another CA.
    let wrong_ca = TlsOptions::new()
        .ca_file(other_ca.cert_file())
        .identity_files(&pki.client_a.cert, &pki.client_a.key);
    assert_eq!(
        tls_failure(builder(secure(&server), wrong_ca)).await,
        TlsFailure::UnknownCa
    );

    // No client certificate for a server that needs one.
    let anonymous = TlsOptions::new().ca_file(pki.ca.cert_file());
    assert_eq!(
        tls_failure(builder(secure(&server), anonymous)).await,
        TlsFailure::NoClientCertificate
    );

    // A client certificate from a CA the server does not trust.
    let stranger = other_ca
        .issue("stranger", &CertSpec::client("stranger"))
        .expect("cert");
    let reason = tls_failure(builder(secure(&server), mutual(&pki, &stranger))).await;
    assert!(
        matches!(reason, TlsFailure::ClientCertificateRejected(_)),
        "{reason:?}"
    );

    // A server certificate for another name; accepted when host names are not verified.
    let elsewhere = pki
        .ca
        .issue(
            "elsewhere",
            &CertSpec {
                common_name: "zk.elsewhere.example".into(),
                names: vec!["zk.elsewhere.example".into()],
                expired: false,
            },
        )
        .expect("cert");
    let misnamed = tls_server(&elsewhere.keystore, &pki.ca.cert_file(), ClientAuth::Need);
    let reason = tls_failure(builder(secure(&misnamed), mutual(&pki, &pki.client_a))).await;
    match &reason {
        TlsFailure::NameMismatch(asked, presented) => {
            assert_eq!(asked, "127.0.0.1");
            assert!(presented.contains("zk.elsewhere.example"), "{presented}");
        }
        other => panic!("expected a name mismatch, got {other:?}"),
    }
    let zk = builder(
        secure(&misnamed),
        mutual(&pki, &pki.client_a).no_hostname_verification(),
    )
    .connect()
    .await
    .expect("connects without host-name verification");
    zk.close().await;

    // An expired server certificate: refused even without host-name verification.
    let expired = pki
        .ca
        .issue(
            "expired",
            &CertSpec {
                expired: true,
                ..CertSpec::server()
            },
        )
        .expect("cert");
    let stale = tls_server(&expired.keystore, &pki.ca.cert_file(), ClientAuth::Need);
    assert_eq!(
        tls_failure(builder(
            secure(&stale),
            mutual(&pki, &pki.client_a).no_hostname_verification()
        ))
        .await,
        TlsFailure::Expired
    );

    // Options that cannot work fail at once, before any connection.
    let missing = TlsOptions::new().ca_file(pki.ca.dir().join("missing.pem"));
    match builder(secure(&server), missing).connect().await {
        Err(Error::Tls {
            reason: TlsFailure::Config(why),
            ..
        }) => assert!(why.contains("missing.pem"), "{why}"),
        other => panic!("expected a configuration error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_ports_fail_fast_with_a_clear_message() {
    let pki = pki();
    let server = tls_server(&pki.server.keystore, &pki.ca.cert_file(), ClientAuth::Need);
    let limit = Duration::from_secs(5);

    // A TLS client on the plain port.
    let started = Instant::now();
    let reason = tls_failure(builder(
        server.connect_string(),
        mutual(&pki, &pki.client_a),
    ))
    .await;
    assert!(matches!(reason, TlsFailure::NotTls(_)), "{reason:?}");
    assert!(
        reason.to_string().contains("plain, non-TLS port"),
        "{reason}"
    );
    assert!(
        started.elapsed() < limit * 2,
        "took {:?}",
        started.elapsed()
    );

    // A plain client on the TLS port.
    let started = Instant::now();
    let plain = ClientBuilder::new(secure(&server))
        .session_timeout(Duration::from_secs(10))
        .connect_timeout(limit)
        .fail_fast(true)
        .connect()
        .await;
    match plain {
        Err(Error::NoHosts(why)) => assert!(why.contains("TLS-only port"), "{why}"),
        other => panic!("expected NoHosts, got {other:?}"),
    }
    assert!(
        started.elapsed() < limit * 2,
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_resumes_the_session_over_tls_with_the_rotated_certificate() {
    let pki = pki();
    // The client's files, rotated in place below.
    let mine = pki
        .ca
        .issue("mine", &CertSpec::client("before-rotation"))
        .expect("cert");
    let mut server = tls_server(&pki.server.keystore, &pki.ca.cert_file(), ClientAuth::Need);
    // A session that outlasts a server restart on a loaded machine.
    let zk = builder(secure(&server), mutual(&pki, &mine))
        .session_timeout(Duration::from_secs(30))
        .connect()
        .await
        .expect("TLS connect");
    let id = zk.session_id();
    zk.create(
        "/eph",
        b"",
        &CreateOptions::new(zk_client::CreateMode::Ephemeral),
    )
    .await
    .expect("create");
    assert_eq!(x509_id(&zk).await.as_deref(), Some("CN=before-rotation"));

    pki.ca
        .issue("mine", &CertSpec::client("after-rotation"))
        .expect("rotate");
    server.restart().expect("restart");
    // Only a new connection can carry the new identity (a call on the old one fails with
    // ConnectionLoss and is asked again).
    common::eventually(|| async {
        match zk.who_am_i().await {
            Ok(ids) => ids
                .iter()
                .any(|i| i.user.as_deref() == Some("CN=after-rotation")),
            Err(Error::ConnectionLoss) => false,
            Err(e) => panic!("whoAmI after the restart: {e}"),
        }
    })
    .await;
    assert_eq!(zk.session_id(), id, "the session is resumed");
    assert!(zk.exists("/eph").await.expect("exists").is_some());
    zk.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeepers_own_cli_reads_over_tls_what_we_wrote() {
    let pki = pki();
    let server = tls_server(&pki.server.keystore, &pki.ca.cert_file(), ClientAuth::Need);
    let zk = builder(secure(&server), mutual(&pki, &pki.client_a))
        .connect()
        .await
        .expect("TLS connect");
    zk.create("/from-rust", b"written over TLS", &CreateOptions::default())
        .await
        .expect("create");

    let classpath = format!(
        "{ZOOKEEPER_JAR}:{}:/usr/share/java/slf4j-nop.jar",
        netty_classpath()
    );
    let out = Command::new("java")
        .arg("-Dzookeeper.client.secure=true")
        .arg("-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty")
        .arg(format!(
            "-Dzookeeper.ssl.keyStore.location={}",
            pki.client_a.keystore.display()
        ))
        .arg("-Dzookeeper.ssl.keyStore.type=PEM")
        .arg(format!(
            "-Dzookeeper.ssl.trustStore.location={}",
            pki.ca.cert_file().display()
        ))
        .arg("-Dzookeeper.ssl.trustStore.type=PEM")
        .args(["-cp", &classpath, "org.apache.zookeeper.ZooKeeperMain"])
        .args(["-server", &secure(&server), "get", "/from-rust"])
        .output()
        .expect("run zkCli (java)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.lines().any(|l| l == "written over TLS"),
        "zkCli over TLS: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    zk.close().await;
}
