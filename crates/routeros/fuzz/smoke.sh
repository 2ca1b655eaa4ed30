#!/bin/sh
# Runs every fuzz target for FUZZ_SECONDS (default 15) seconds; exits
# non-zero as soon as one finds a crash. Works on stable Rust through
# RUSTC_BOOTSTRAP=1. Needs cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -eu
cd "$(dirname "$0")"
seconds="${FUZZ_SECONDS:-15}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 1
fi
export RUSTC_BOOTSTRAP=1
targets=$(cargo fuzz list)
cargo fuzz build
failed=""
for t in $targets; do
    echo "== fuzz $t for ${seconds}s"
    if ! cargo fuzz run "$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 2>"/tmp/routeros-fuzz-$t.log"; then
        tail -n 40 "/tmp/routeros-fuzz-$t.log" >&2
        failed="$failed $t"
    else
        grep -E '^Done|#[0-9]+.*DONE' "/tmp/routeros-fuzz-$t.log" | tail -n 1 || true
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz targets found crashes:$failed" >&2
    exit 1
fi
echo "all fuzz targets ran ${seconds}s without a crash"
