//! `lastmile`: the ISP operations platform in one binary.

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
