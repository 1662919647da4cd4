#!/usr/bin/env bash
# Runs the whole shared SQLite sqllogictest corpus (417 files, 3.9M records) with a release
# build and prints `N passed, N failed, N skipped`. Extra arguments go to `llkv --slt`
# (for example -v for per-file counts).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d target/slt/sqlite/index ]; then
    mkdir -p target/slt
    tar -xJf ../shared/slt/sqlite-corpus.tar.xz -C target/slt
fi
cargo build --release -p llkv-reference-engine --bin llkv
time ./target/release/llkv --slt target/slt/sqlite --jobs "$(nproc)" -q "$@"
