//! Generates `records.rs` in OUT_DIR from `records.jute`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out_dir = std::env::var("OUT_DIR")?;
    jute_build::Config::new()
        // Written by newer versions only: absent when the bytes end before it.
        .optional("com.example.inventory.Shelf.updatedAtMs")
        // Versions can be hashed and ordered.
        .derive("com.example.common.Version", "Hash")
        .derive("com.example.common.Version", "PartialOrd")
        .derive("com.example.common.Version", "Ord")
        .compile(&["records.jute"], out_dir)?;
    Ok(())
}
