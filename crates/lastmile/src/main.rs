//! `lastmile`: the ISP operations platform in one binary.

// Also `malloc` for the C code (SQLite): one allocator, whose freed pages go
// back to the system (see .cargo/config.toml).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod bench;
mod bench_billing;
mod bench_ipam;
mod bench_pdf;
mod bench_recon;
mod cli;
mod config;
mod serve;
mod tools;

fn main() -> std::process::ExitCode {
    // Whatever Lastmile creates (database, WAL, backups, imports, journal,
    // key) is for its own user only; the code also sets these modes
    // explicitly, this is the belt for files made by libraries and tools
    // (pg_dump, SQLite's temporary files).
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    cli::main()
}
