#!/usr/bin/env bash
# The test command (README.md): builds everything and runs every test in release mode:
# unit tests, conformance kits, trybuild, crash tests, end-to-end SQL tests and the fixed
# sqllogictest selection (which unpacks ../shared/slt/sqlite-corpus.tar.xz on first use).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release "$@"
