#[derive(jute::JuteEnum)]
enum Mode {
    A = 0,
    B = 1,
}

fn main() {}
