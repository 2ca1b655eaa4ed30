//! `lastmile version`.

pub fn run() {
    println!("lastmile {}", env!("CARGO_PKG_VERSION"));
}
