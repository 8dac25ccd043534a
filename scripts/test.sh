#!/usr/bin/env bash
# Every check spanlite runs: formatting, clippy, docs, all tests, the loom
# model of the lock-free span buffer, and Miri over the unsafe code.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "rustfmt"
cargo fmt --all -- --check

step "clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "docs"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "loom: the per-thread span ring, the export thread's pacing handshake and the rate limiter under every interleaving"
RUSTFLAGS="--cfg spanlite_loom" CARGO_TARGET_DIR=target/loom \
    cargo test -p spanlite -p spanlite-samplers --lib --release loom

step "miri: the unsafe code (ring, thread buffers, record reset, context futures)"
if ! cargo +nightly miri --version >/dev/null 2>&1; then
    echo "Miri is not installed. Install it with:" >&2
    echo "  rustup toolchain install nightly && rustup component add --toolchain nightly miri rust-src" >&2
    exit 1
fi
export CARGO_TARGET_DIR=target/miri
MIRIFLAGS="-Zmiri-strict-provenance" cargo +nightly miri test -p spanlite --lib -- ring unique_record span_data
cargo +nightly miri test -p spanlite-api
# Real threads, condition variables and thread-locals through the whole
# batch pipeline; isolation off for the OS random seed and current_exe.
MIRIFLAGS="-Zmiri-disable-isolation -Zmiri-ignore-leaks" cargo +nightly miri test -p spanlite \
    --test batch_processor -- spans_are_exported_on_force_flush spans_ended_on_threads \
    a_full_batch exports_never
unset CARGO_TARGET_DIR

step "every test"
cargo test --workspace
