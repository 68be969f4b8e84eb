use std::collections::HashMap;

#[derive(jute::Jute)]
struct Rec {
    a: u32,
    b: (i32, i32),
    c: HashMap<String, i32>,
    d: u8,
    e: Vec<char>,
    f: [u8; 4],
}

fn main() {}
