#!/usr/bin/env bash
# The core's Rust tests: unit tests and doc tests.
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\033[1m[test]\033[0m %s\n' "Rust: cargo test (core crate)"
cargo test --locked 2>&1
