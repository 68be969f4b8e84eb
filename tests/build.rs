//! Generates ZooKeeper's records from its `.jute` files with jute-build, for
//! `generated.rs` to hold them against jute-schemas and the golden vectors; and records whose
//! names are Rust keywords, which must compile.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::var("OUT_DIR")?;
    // Links to jute-schemas' copies (so the package carries them: cargo packs a link's file).
    let fixtures = "fixtures";
    // 3.9, with the one place the schema needs help: the trailing readOnly that older peers
    // omit.
    jute_build::Config::new()
        .optional("org.apache.zookeeper.proto.ConnectRequest.readOnly")
        .optional("org.apache.zookeeper.proto.ConnectResponse.readOnly")
        .compile(&[format!("{fixtures}/zookeeper.jute")], &out)?;
    jute_build::Config::new()
        .output_file("zookeeper_3_8.rs")
        .compile(&[format!("{fixtures}/zookeeper-3.8.jute")], &out)?;
    // Rust keywords as class and field names, and a bare CR in a comment.
    jute_build::Config::new()
        .output_file("keyword_names.rs")
        .compile(&["fixtures/keyword-names.jute"], &out)?;
    println!("cargo:rerun-if-changed=fixtures/keyword-names.jute");
    Ok(())
}
