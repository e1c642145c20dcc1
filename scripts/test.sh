#!/usr/bin/env bash
# Every test: Rust, the packed npm package, the Worker (workerd + real local KV,
# boto3, AWS CLI, AWS SDK for JS), and the validator page in headless Chromium.
# Installs whatever a fresh machine lacks first (several minutes the first time).
set -uo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "setup"
bash scripts/setup.sh --all || exit 1
export PATH="$HOME/.cargo/bin:$PATH"

failed=()
run() { # name, command...
  local name=$1; shift
  step "$name"
  if [ "$1" = bash ] && [ ! -f "$2" ]; then echo "--- $name: NOT RUN ($2 does not exist yet)"; return; fi
  if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; failed+=("$name"); fi
}

run "Rust tests" bash scripts/test-rust.sh
step "build the npm package"
bash scripts/build-wasm.sh || { echo "build failed"; exit 1; }
run "package tests (packed tarball)" bash scripts/test-pkg.sh
run "Worker tests (workerd, KV, SDKs)" bash scripts/test-worker.sh
run "browser tests (Chromium)" bash scripts/test-browser.sh
run "fuzzing (cargo-fuzz, 20 s per target)" bash scripts/fuzz.sh 20

step "summary"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all test suites passed"
