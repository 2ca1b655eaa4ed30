#!/usr/bin/env bash
# Runs every fuzz target for ${FUZZ_SECONDS:-15} seconds; exits non-zero on a crash.
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); works on stable
# through RUSTC_BOOTSTRAP.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${FUZZ_SECONDS:-15}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
status=0
for target in $(cargo fuzz list); do
    echo "== fuzz $target for ${secs}s"
    if ! RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" -- -max_total_time="$secs" -rss_limit_mb=2048; then
        echo "fuzz target $target FAILED"
        status=1
    fi
done
exit $status
