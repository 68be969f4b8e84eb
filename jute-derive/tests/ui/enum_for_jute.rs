#[derive(jute::Jute)]
#[repr(i32)]
enum Mode {
    A = 0,
}

fn main() {}
