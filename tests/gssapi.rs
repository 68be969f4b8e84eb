//! The GSSAPI (Kerberos) tests, run from `cargo test --workspace`.
//!
//! GSSAPI is behind zk-client's `gssapi` cargo feature: it links the system's MIT Kerberos,
//! whose headers (and libclang, for the binding's generator) a fresh machine lacks, so the
//! workspace builds without it. This driver installs what the feature and the tests need
//! (Debian's `libkrb5-dev`, `libclang-dev`, `pkg-config`, `krb5-kdc`, `krb5-admin-server`),
//! starts a throwaway MIT KDC with the principals the tests use, and runs the feature's tests
//! (`zk-client/tests/gssapi.rs`, `zk-cli/tests/gssapi.rs`) with a nested `cargo test
//! --features ...` in a target directory of their own, in the test realm's environment. It
//! fails unless every one of those tests ran and passed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::path::{Path, PathBuf};
use std::process::Command;

use zk_testkit::{ensure_packages, TestKdc, KDC_ENV, KDC_PACKAGES};

/// What building the feature needs: the GSSAPI headers and library, `krb5-config` and
/// `pkg-config` to find them, and libclang for bindgen.
const BUILD_PACKAGES: &[&str] = &["libkrb5-dev", "libclang-dev", "pkg-config"];

/// The test files the nested run must run, every test of them.
const INNER: &[&str] = &["zk-client/tests/gssapi.rs", "zk-cli/tests/gssapi.rs"];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds tests/")
        .to_path_buf()
}

/// How many tests `file` declares.
fn tests_in(file: &Path) -> usize {
    let text =
        std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with("#[test]") || l.starts_with("#[tokio::test"))
        .count()
}

/// The sum of "N passed" over the `test result:` lines, and whether each said `ok`.
fn results(output: &str) -> (usize, bool) {
    let mut passed = 0;
    let mut all_ok = true;
    for line in output.lines().filter(|l| l.starts_with("test result:")) {
        all_ok &= line.starts_with("test result: ok.");
        passed += line
            .split(';')
            .find_map(|part| part.trim().strip_suffix(" passed"))
            .and_then(|n| n.rsplit(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
    }
    (passed, all_ok)
}

#[test]
fn kerberos_tests_with_the_gssapi_feature() {
    ensure_packages(BUILD_PACKAGES).expect("the packages the gssapi feature builds with");
    ensure_packages(KDC_PACKAGES).expect("the KDC's packages");
    let kdc = TestKdc::start().expect("a test KDC must start");
    for principal in ["zookeeper/localhost", "zkcli", "zkother"] {
        kdc.add_principal(principal)
            .unwrap_or_else(|e| panic!("principal {principal}: {e}"));
    }
    let clients = kdc
        .export(&["zkcli", "zkother"], "clients.keytab")
        .expect("the client keytab");
    let cache = kdc.dir().join("ccache");
    std::fs::create_dir_all(&cache).expect("the credential cache directory");

    let root = workspace();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("gssapi");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(&root)
        .args([
            "test",
            "--locked",
            "--no-fail-fast",
            "-p",
            "zk-client",
            "-p",
            "zk-tools",
            "--features",
            "zk-client/gssapi,zk-tools/gssapi",
            "--test",
            "gssapi",
            "--",
            "--test-threads=2",
        ])
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_TERM_COLOR", "never")
        .env("KRB5_CONFIG", kdc.krb5_conf())
        .env("KRB5_CLIENT_KTNAME", &clients)
        .env("KRB5CCNAME", format!("DIR:{}", cache.display()))
        .env(KDC_ENV, kdc.dir())
        .output()
        .expect("running cargo test with the gssapi feature");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected: usize = INNER.iter().map(|f| tests_in(&root.join(f))).sum();
    let (passed, all_ok) = results(&stdout);
    assert!(
        out.status.success() && all_ok && passed == expected,
        "the gssapi tests: {}, {passed} of {expected} passed\n--- stdout\n{stdout}\n--- stderr \
         (tail)\n{}\n--- KDC log\n{}",
        out.status,
        stderr
            .lines()
            .rev()
            .take(80)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n"),
        kdc.log()
    );
    eprintln!("{passed} Kerberos tests passed with the gssapi feature");
}

#[test]
fn the_result_lines_are_read() {
    let out = "running 3 tests\ntest result: ok. 3 passed; 0 failed; 0 ignored\n\
               test result: ok. 0 passed; 0 failed\n\
               test result: FAILED. 1 passed; 1 failed; 0 ignored\n";
    assert_eq!(results(out), (4, false));
    assert_eq!(results("test result: ok. 2 passed; 0 failed"), (2, true));
}
