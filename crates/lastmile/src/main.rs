//! `lastmile`: the ISP operations platform in one binary.

mod bench;
mod cli;
mod config;
mod serve;
mod tools;

fn main() -> std::process::ExitCode {
    cli::main()
}
