#!/usr/bin/env bash
# Installs what a fresh machine lacks, and nothing it already has.
#   bash scripts/setup.sh            # Rust target and tools, npm packages (enough for `npm start`)
#   bash scripts/setup.sh --all      # also Chromium and the Python AWS clients (for `npm test`)
# The first run on a fresh machine takes several minutes (cargo builds
# wasm-bindgen-cli and worker-build from source); later runs take seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pinned in Cargo.toml
WORKER_BUILD_VERSION=0.8.7
ALL=0; [ "${1:-}" = "--all" ] && ALL=1

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (cargo build from source, ~6 min on first run)"
  # Without --locked: its lock file pins a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# `worker-build --version` prints the bare version.
if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "$WORKER_BUILD_VERSION" ]; then
  step "installing worker-build $WORKER_BUILD_VERSION (cargo build from source, ~3 min on first run)"
  cargo install worker-build --version "$WORKER_BUILD_VERSION" --locked --debug --force
fi

# npm packages: reinstall only when package-lock.json changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund
fi

if [ "$ALL" = 1 ]; then
  need_apt=()
  [ -x /usr/bin/chromium ] || need_apt+=(chromium)
  [ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
  # Jayway JsonPath itself (../shared/jayway-oracle/) runs on it: pkg-tests/jayway.test.mjs.
  command -v java >/dev/null || need_apt+=(openjdk-17-jre-headless)
  if [ ${#need_apt[@]} -gt 0 ]; then
    step "installing Debian packages: ${need_apt[*]}"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
  fi
  if ! python3 -c 'import boto3' 2>/dev/null || ! command -v aws >/dev/null; then
    step "installing the Python AWS clients (boto3, awscli)"
    python3 -m pip install --quiet boto3 awscli
  fi
fi
step "ready"
