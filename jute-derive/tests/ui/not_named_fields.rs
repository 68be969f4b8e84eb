#[derive(jute::Jute)]
struct Pair(i32, i32);

#[derive(jute::Jute)]
struct Unit;

fn main() {}
