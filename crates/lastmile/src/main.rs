//! `lastmile`: the ISP operations platform in one binary.

// Also `malloc` for the C code (SQLite): one allocator, whose freed pages go
// back to the system (see .cargo/config.toml).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod bench;
mod cli;
mod config;
mod serve;
mod tools;

fn main() -> std::process::ExitCode {
    cli::main()
}
