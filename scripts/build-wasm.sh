#!/usr/bin/env bash
# Builds the npm package: the core compiled to wasm (release, size-tuned,
# real LTO), wasm-bindgen's web glue, wasm-opt, and the JS entry points, into
# dist/. Copies the result to www/pkg/ for the validator page.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m[build]\033[0m %s\n' "$*"; }

PROFILE=${PIPEHOOK_WASM_PROFILE:-release}
TARGET_DIR=target/wasm32-unknown-unknown/$PROFILE
OUT=dist/wasm

step "compiling the core to wasm32 ($PROFILE)"
# cdylib via `cargo rustc` so that LTO applies (it is ignored for cdylib+rlib).
cargo rustc --lib --crate-type cdylib --profile "$PROFILE" --target wasm32-unknown-unknown --features wasm -q

step "generating JS bindings (wasm-bindgen --target web)"
rm -rf dist && mkdir -p "$OUT"
wasm-bindgen "$TARGET_DIR/pipehook.wasm" --target web --out-dir "$OUT" --out-name pipehook

WASM_OPT=node_modules/binaryen/bin/wasm-opt
if [ -x "$WASM_OPT" ] && [ "${PIPEHOOK_NO_OPT:-}" != 1 ]; then
  step "optimising with wasm-opt -Oz (binaryen from npm; Debian's 108 breaks wasm-bindgen output)"
  "$WASM_OPT" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals \
    "$OUT/pipehook_bg.wasm" -o "$OUT/pipehook_bg.wasm"
fi

cp js/api.js js/node.js js/web.js js/index.d.ts dist/
rm -f "$OUT/.gitignore"

step "copying the web build to www/pkg/"
rm -rf www/pkg && mkdir -p www/pkg && cp -r dist/* www/pkg/

size=$(wc -c < "$OUT/pipehook_bg.wasm"); gz=$(gzip -9c "$OUT/pipehook_bg.wasm" | wc -c)
step "done: dist/ (pipehook_bg.wasm $((size / 1024)) KB, $((gz / 1024)) KB gzip)"
