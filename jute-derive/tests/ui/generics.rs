#[derive(jute::Jute)]
struct Rec<'a, 'b, T> {
    a: &'a str,
    b: &'b str,
    t: T,
}

fn main() {}
