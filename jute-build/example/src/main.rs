//! `cargo run -p jute-build-example`: encodes a shelf with the generated records, decodes it
//! back, and prints both.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let shelf = jute_build_example::sample_shelf();
    let bytes = jute::Record::to_vec(&shelf);
    println!(
        "encoded {} bytes: {}",
        bytes.len(),
        jute::json::hex_encode(&bytes)
    );
    let back: jute_build_example::inventory::Shelf = jute::from_slice(&bytes)?;
    println!("decoded: {back:?}");
    if back != shelf {
        return Err("the decoded shelf differs".into());
    }
    Ok(())
}
