//! `zk --sasl-mechanism GSSAPI` against a real ZooKeeper logged in with `Krb5LoginModule` and a
//! real MIT KDC: a login from `--keytab` with `--sasl-principal`, the identity and an ACL by
//! principal, `zk dump` of the captured Kerberos exchange (three SASL round trips, the last
//! answered with a null token), and a principal without a key failing with exit code 3 and
//! the reason on standard error.
//!
//! Built with the `gssapi` feature only, and run by the workspace's `tests/gssapi.rs` driver,
//! which starts the KDC (see `zk-client/tests/gssapi.rs`).

#![cfg(feature = "gssapi")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::process::{Command, Output};

use zk_testkit::{ServerOptions, Tcpdump, TestKdc, TestServer};

const SERVER: &str = "zookeeper/localhost";

/// `zk` with the test realm's `krb5.conf` but none of the driver's credentials: what it
/// authenticates with comes from its own options.
fn zk(kdc: &TestKdc, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zk"))
        .args(args)
        .env("KRB5_CONFIG", kdc.krb5_conf())
        .env_remove("KRB5_CLIENT_KTNAME")
        .env_remove("KRB5CCNAME")
        .output()
        .expect("run zk")
}

#[test]
fn a_keytab_login_from_the_command_line() {
    let kdc = TestKdc::from_env().expect("the KDC started by the driver");
    let server = TestServer::start_with(ServerOptions {
        sasl: Some(kdc.server_sasl(SERVER)),
        ..ServerOptions::default()
    })
    .expect("a real ZooKeeper with Kerberos must start");
    let hosts = server.connect_string();
    let zkcli = kdc.principal("zkcli");
    let keytab = kdc.keytab("zkcli").display().to_string();
    // zk as `principal`, logged in from zkcli's keytab.
    let as_principal = |principal: &str, args: &[&str]| {
        let mut all = vec![
            "-s",
            &hosts,
            "--sasl-mechanism",
            "GSSAPI",
            "--sasl-principal",
            principal,
            "--keytab",
            &keytab,
        ];
        all.extend_from_slice(args);
        zk(&kdc, &all)
    };
    let as_zkcli = |args: &[&str]| as_principal(&zkcli, args);

    let capture_file = server.dir().join("gssapi.pcap");
    let capture = Tcpdump::start(&capture_file, &format!("tcp port {}", server.addr().port()))
        .expect("tcpdump");
    zk_testkit::wait_recording(&capture_file, || {
        let _ = server.four_letter_word("ruok");
    })
    .expect("tcpdump records nothing");
    let out = as_zkcli(&["whoami"]);
    assert!(out.status.success(), "{out:?}\nKDC log: {}", kdc.log());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("sasl") && l.contains(&zkcli)),
        "{stdout}"
    );
    capture.stop();
    let out = zk(
        &kdc,
        &[
            "dump",
            &capture_file.display().to_string(),
            "-p",
            &server.addr().port().to_string(),
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let sasl: Vec<&str> = text.lines().filter(|l| l.contains(" sasl ")).collect();
    // AP-REQ / AP-REP, empty / layer offer, wrapped answer / null.
    assert_eq!(sasl.len(), 6, "{text}");
    assert!(
        sasl[0].contains("-> ") && !sasl[0].contains("token=0B"),
        "{text}"
    );
    assert!(sasl[5].contains("token=null"), "{text}");

    // An ACL naming the principal: its holder reads, a session without Kerberos does not.
    let out = as_zkcli(&["create", "/krb", "x"]);
    assert!(out.status.success(), "{out:?}");
    let acl = format!("sasl:{zkcli}:cdrwa");
    let out = as_zkcli(&["setAcl", "/krb", &acl]);
    assert!(out.status.success(), "{out:?}");
    let out = as_zkcli(&["get", "/krb"]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "x");
    let anonymous = zk(&kdc, &["-s", &hosts, "get", "/krb"]);
    assert_eq!(anonymous.status.code(), Some(4), "{anonymous:?}");

    // A principal whose key is not in the keytab: exit code 3, and why.
    let nobody = kdc.principal("nobody");
    let out = as_principal(&nobody, &["get", "/krb"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("authentication failed"), "{stderr}");
    assert!(
        stderr.contains(&format!("no Kerberos credentials for {nobody}")),
        "{stderr}"
    );

    // A keytab that is not there is a usage error naming it.
    let out = zk(
        &kdc,
        &[
            "-s",
            &hosts,
            "--sasl-mechanism",
            "GSSAPI",
            "--keytab",
            "/nonexistent.keytab",
            "get",
            "/krb",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent.keytab"));
}
