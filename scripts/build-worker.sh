#!/usr/bin/env bash
# Builds the Worker (worker/build/index.js + index_bg.wasm) with worker-build,
# using the local wasm-bindgen, wasm-opt (npm binaryen) and esbuild so nothing is
# downloaded (TOOLCHAIN.md: worker-build's own downloads fail here).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export PATH="$HOME/.cargo/bin:$PATH"

for tool in worker-build wasm-bindgen; do
  command -v "$tool" >/dev/null || { echo "build-worker: $tool is missing; run: bash scripts/setup.sh" >&2; exit 1; }
done
[ -x node_modules/binaryen/bin/wasm-opt ] && [ -x node_modules/.bin/esbuild ] \
  || { echo "build-worker: npm devDependencies are missing; run: npm install" >&2; exit 1; }

export WASM_BINDGEN_BIN="$(command -v wasm-bindgen)"
export WASM_OPT_BIN="$root/node_modules/binaryen/bin/wasm-opt"
export ESBUILD_BIN="$root/node_modules/.bin/esbuild"

cd worker
# Unminified, so scripts/worker-entry.mjs can find the entry it rewrites (wrangler
# bundles the module again on deploy; the .wasm is what the size goals count).
NO_MINIFY=1 worker-build --release
node ../scripts/worker-entry.mjs build/index.js
ls -l build/index.js build/index_bg.wasm 2>/dev/null | awk '{print "build-worker: " $5 " bytes  " $9}'
