//! `zk` with the global `--sasl-*` options against a real ZooKeeper with DIGEST-MD5 users, and
//! with the `--tls-*` options against its TLS port (certificates from the test kit): client
//! commands and four-letter words over mutual TLS, the x509
//! identity, the named error (exit code 3) for an untrusted server, and `zk dump` marking the
//! captured TLS connections as encrypted instead of decoding them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Output};

use zk_testkit::{
    CertSpec, ClientAuth, ServerOptions, ServerSasl, ServerTls, Tcpdump, TestCa, TestServer,
};

fn zk(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .output()
        .expect("run zk")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn commands_and_four_letter_words_over_mutual_tls() {
    let ca = TestCa::new("cli-ca").expect("a CA");
    let server_cert = ca.issue("server", &CertSpec::server()).expect("cert");
    let client = ca.issue("cli", &CertSpec::client("zk-cli")).expect("cert");
    let server = TestServer::start_with(ServerOptions {
        tls: Some(ServerTls {
            keystore: server_cert.keystore.clone(),
            truststore: ca.cert_file(),
            client_auth: ClientAuth::Need,
        }),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with a TLS port must start");
    let secure = server.secure_addr().expect("TLS port").to_string();
    let mut base = strings(&["-s", &secure, "--tls-ca"]);
    base.push(ca.cert_file().display().to_string());
    base.push("--tls-cert".into());
    base.push(client.cert.display().to_string());
    base.push("--tls-key".into());
    base.push(client.key.display().to_string());
    let run = |extra: &[&str]| {
        let mut args = base.clone();
        args.extend(strings(extra));
        let out = zk(&args);
        assert!(
            out.status.success(),
            "zk {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    let capture_file = server.dir().join("tls.pcap");
    let port = server.secure_addr().expect("TLS port").port();
    let capture = Tcpdump::start(&capture_file, &format!("tcp port {port}")).expect("tcpdump");
    zk_testkit::wait_recording(&capture_file, || {
        run(&["ruok"]);
    })
    .expect("tcpdump records nothing");

    run(&["create", "/over-tls", "hello"]);
    assert_eq!(run(&["get", "/over-tls"]).trim(), "hello");
    let whoami = run(&["whoami"]);
    assert!(
        whoami.contains("x509") && whoami.contains("CN=zk-cli"),
        "{whoami}"
    );
    assert_eq!(run(&["ruok"]).trim(), "imok");

    capture.stop();
    let out = zk(&strings(&[
        "--json",
        "dump",
        &capture_file.display().to_string(),
        "-p",
        &port.to_string(),
    ]));
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let events: Vec<_> = lines.iter().filter(|l| l.get("kind").is_some()).collect();
    // ruok (at least once), create, get, whoami, ruok: a connection each, all encrypted.
    assert!(events.len() >= 5, "{lines:?}");
    for e in &events {
        assert_eq!(e["kind"], "encrypted", "{e}");
        assert_eq!(e["op"], "tls", "{e}");
    }

    // The options are global: they may follow the command too.
    let mut args = strings(&["-s", &secure, "get", "/over-tls", "--tls-ca"]);
    args.push(ca.cert_file().display().to_string());
    args.extend(strings(&["--tls-cert"]));
    args.push(client.cert.display().to_string());
    args.extend(strings(&["--tls-key"]));
    args.push(client.key.display().to_string());
    let out = zk(&args);
    assert!(out.status.success(), "{out:?}");

    // A server the given CA did not sign: exit code 3, the reason named.
    let other = TestCa::new("other-ca").expect("a CA");
    let mut args = strings(&["-s", &secure, "--tls-ca"]);
    args.push(other.cert_file().display().to_string());
    args.extend(strings(&["get", "/over-tls"]));
    let out = zk(&args);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not signed by a trusted CA"), "{stderr}");

    // A certificate without its key is a usage error.
    let mut args = strings(&["-s", &secure, "--tls-cert"]);
    args.push(client.cert.display().to_string());
    args.extend(strings(&["get", "/over-tls"]));
    let out = zk(&args);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[test]
fn sasl_user_and_password_on_the_command_line_or_in_the_environment() {
    let server = TestServer::start_with(ServerOptions {
        sasl: Some(ServerSasl {
            users: vec![("bob".into(), "bobsecret".into())],
            ..ServerSasl::default()
        }),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with SASL must start");
    let hosts = server.connect_string();
    let capture_file = server.dir().join("sasl.pcap");
    let capture = Tcpdump::start(&capture_file, &format!("tcp port {}", server.addr().port()))
        .expect("tcpdump");
    zk_testkit::wait_recording(&capture_file, || {
        let _ = server.four_letter_word("ruok");
    })
    .expect("tcpdump records nothing");
    let out = zk(&strings(&[
        "-s",
        &hosts,
        "--sasl-user",
        "bob",
        "--sasl-password",
        "bobsecret",
        "whoami",
    ]));
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sasl") && stdout.contains("bob"),
        "{stdout}"
    );

    // zk dump shows the exchange: two SASL requests and their replies before whoAmI, by size.
    capture.stop();
    let out = zk(&strings(&[
        "dump",
        &capture_file.display().to_string(),
        "-p",
        &server.addr().port().to_string(),
    ]));
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let sasl: Vec<&str> = text.lines().filter(|l| l.contains(" sasl ")).collect();
    assert_eq!(sasl.len(), 4, "{text}");
    assert!(
        sasl[0].contains("-> ") && sasl[0].contains("token=0B"),
        "{text}"
    );
    assert!(sasl.iter().all(|l| l.contains("token=")), "{text}");
    assert!(!text.contains("bobsecret"), "{text}");

    // The password from ZK_SASL_PASSWORD, and a sasl ACL the same user then satisfies.
    let with_env = |args: &[&str], password: &str| {
        Command::new(env!("CARGO_BIN_EXE_zk"))
            .args(strings(&["-s", &hosts, "--sasl-user", "bob"]))
            .args(args)
            .env("ZK_SASL_PASSWORD", password)
            .output()
            .expect("run zk")
    };
    let out = with_env(&["create", "/bobs", "x"], "bobsecret");
    assert!(out.status.success(), "{out:?}");
    let out = with_env(&["setAcl", "/bobs", "sasl:bob:cdrwa"], "bobsecret");
    assert!(out.status.success(), "{out:?}");
    let out = with_env(&["get", "/bobs"], "bobsecret");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "x");
    let anonymous = zk(&strings(&["-s", &hosts, "get", "/bobs"]));
    assert_eq!(anonymous.status.code(), Some(4), "{anonymous:?}");

    // A wrong password: exit code 3, authentication named.
    let out = with_env(&["get", "/bobs"], "wrong");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("authentication failed"), "{stderr}");

    // A user without a password is a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(strings(&[
            "-s",
            &hosts,
            "--sasl-user",
            "bob",
            "get",
            "/bobs",
        ]))
        .env_remove("ZK_SASL_PASSWORD")
        .output()
        .expect("run zk");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
