#[derive(jute::Jute)]
struct Rec {
    #[jute(optional)]
    a: i32,
    #[jute(optional)]
    b: Option<bool>,
    c: i32,
}

fn main() {}
