#[derive(jute::JuteEnum)]
#[repr(i32)]
enum Mode {
    A = 0,
    B,
    C(String),
    #[jute(other)]
    D { value: i32 },
}

fn main() {}
