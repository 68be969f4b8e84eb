//! The derived schema metadata of every record matches `zookeeper.jute`, record by record and
//! field by field, in both directions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test: failing is panicking

use std::collections::BTreeSet;

use jute::idl;
use jute_schemas::registry::RECORDS;

fn fixture(name: &str) -> idl::File {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    idl::parse(&src).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_record_matches_the_3_9_schema() {
    let file = fixture("zookeeper.jute");
    let in_idl: BTreeSet<String> = file.records().map(|r| r.qualified_name()).collect();
    let in_rust: BTreeSet<String> = RECORDS.iter().map(|r| r.qualified_name()).collect();
    assert_eq!(RECORDS.len(), in_rust.len(), "a record is registered twice");
    let missing: Vec<_> = in_idl.difference(&in_rust).collect();
    let extra: Vec<_> = in_rust.difference(&in_idl).collect();
    assert!(
        missing.is_empty(),
        "records of zookeeper.jute missing in Rust: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "records in Rust that zookeeper.jute lacks: {extra:?}"
    );
    assert_eq!(in_idl.len(), 72);

    for info in &RECORDS {
        let name = info.qualified_name();
        let def = file.record(&name).expect("checked above");
        let idl_fields: Vec<(String, String)> = def
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.ty.to_string()))
            .collect();
        let rust_fields: Vec<(String, String)> = info
            .schema
            .fields
            .iter()
            .map(|f| (f.name.to_string(), f.ty.to_string()))
            .collect();
        assert_eq!(rust_fields, idl_fields, "fields of {name}");
    }
}

/// 3.8's schema is 3.9's without the trailing `readOnly` of ConnectRequest/ConnectResponse,
/// which is exactly the set of optional fields.
#[test]
fn optional_fields_are_what_3_8_lacks() {
    let old = fixture("zookeeper-3.8.jute");
    for info in &RECORDS {
        let name = info.qualified_name();
        let def = old
            .record(&name)
            .unwrap_or_else(|| panic!("{name} missing in 3.8"));
        let required: Vec<&str> = info
            .schema
            .fields
            .iter()
            .filter(|f| !f.optional)
            .map(|f| f.name)
            .collect();
        let old_names: Vec<&str> = def.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(required, old_names, "{name}");
    }
}

/// Fixed sizes from PROTOCOL.md §1.4.
#[test]
fn fixed_record_sizes() {
    use jute::Encode;
    use jute_schemas::{data, persistence, proto, txn};
    assert_eq!(proto::RequestHeader::default().encoded_len(), 8);
    assert_eq!(proto::ReplyHeader::default().encoded_len(), 16);
    assert_eq!(proto::MultiHeader::default().encoded_len(), 9);
    assert_eq!(data::Stat::default().encoded_len(), 68);
    assert_eq!(data::StatPersisted::default().encoded_len(), 60);
    let pw = Some(vec![0u8; 16]);
    let req = proto::ConnectRequest {
        passwd: pw.clone(),
        read_only: Some(false),
        ..Default::default()
    };
    assert_eq!(req.encoded_len(), 45);
    let resp = proto::ConnectResponse {
        passwd: pw,
        read_only: Some(true),
        ..Default::default()
    };
    assert_eq!(resp.encoded_len(), 37);
    assert_eq!(persistence::FileHeader::default().encoded_len(), 16);
    assert_eq!(txn::TxnHeader::default().encoded_len(), 32);
    assert_eq!(txn::TxnDigest::default().encoded_len(), 12);
}
