#!/usr/bin/env bash
# The validator page's tests: its helpers in Node, then the page itself in
# Debian's Chromium (playwright-core), served from www/ by a plain static server.
# Screenshots of each state go to test-output/browser/.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m[test-browser]\033[0m %s\n' "$*"; }

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  step "installing Debian's chromium (not found at $CHROMIUM)"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
fi

if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/@octokit/webhooks-methods ]; then
  step "installing npm devDependencies (playwright-core, @octokit/webhooks-methods)"
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund
fi

if [ ! -f www/pkg/web.js ] || [ ! -f www/pkg/wasm/pipehook_bg.wasm ] || [ ! -f www/build/editor.js ]; then
  step "building the wasm package into www/pkg (setup, then npm run build)"
  bash scripts/setup.sh   # the Rust target and wasm-bindgen the build needs; quick when present
  npm run build
fi

rm -rf test-output/browser && mkdir -p test-output/browser   # only this run's screenshots
step "running browser-tests/ (screenshots in test-output/browser/)"
exec node --test --test-concurrency=1 browser-tests/
