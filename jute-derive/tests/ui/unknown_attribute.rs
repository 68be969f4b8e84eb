#[derive(jute::Jute)]
#[jute(modul = "org.example")]
struct Rec {
    #[jute(skip)]
    a: i32,
    #[jute(rename = 5)]
    b: i32,
}

fn main() {}
