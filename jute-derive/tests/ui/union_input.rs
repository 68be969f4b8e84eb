#[derive(jute::Jute)]
union Bits {
    a: i32,
    b: f32,
}

fn main() {}
