#!/usr/bin/env bash
# Builds the npm package: the core compiled to wasm (release, size-tuned,
# real LTO), wasm-bindgen's web glue, wasm-opt, and the JS entry points, into
# dist/. Copies the result to www/pkg/ for the validator page.
#
# Two .wasm files share one glue: pipehook_bg.wasm scans bodies with wasm SIMD
# (every engine since 2023: Node, Workers, Chrome 91, Firefox 89, Safari 16.4);
# pipehook_nosimd_bg.wasm is the same core without it, which the web entry loads
# where SIMD is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\033[1m[build]\033[0m %s\n' "$*"; }
fail() { printf 'build-wasm: %s\n' "$*" >&2; exit 1; }

PROFILE=${PIPEHOOK_WASM_PROFILE:-release}
TARGET_DIR=target/wasm32-unknown-unknown/$PROFILE
OUT=dist/wasm
# binaryen from npm: Debian's 108 breaks wasm-bindgen's output.
WASM_OPT=node_modules/binaryen/bin/wasm-opt
WASM_DIS=node_modules/binaryen/bin/wasm-dis
[ -x "$WASM_DIS" ] || fail "npm devDependencies are missing (binaryen); run: npm install"

# build_core FEATURES OUT_DIR: the core as wasm, its glue, and wasm-opt.
build_core() {
  # cdylib via `cargo rustc` so that LTO applies (it is ignored for cdylib+rlib).
  cargo rustc --lib --crate-type cdylib --profile "$PROFILE" --target wasm32-unknown-unknown --features "$1" -q
  wasm-bindgen "$TARGET_DIR/pipehook.wasm" --target web --out-dir "$2" --out-name pipehook
  if [ -x "$WASM_OPT" ] && [ "${PIPEHOOK_NO_OPT:-}" != 1 ]; then
    "$WASM_OPT" -Oz --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals "$2/pipehook_bg.wasm" -o "$2/pipehook_bg.wasm"
  fi
}
# grep -c reads the whole disassembly (grep -q could stop early and fail the pipe under pipefail).
simd_ops() { "$WASM_DIS" "$1" | grep -c 'v128\.' || true; }

rm -rf dist && mkdir -p "$OUT"
fallback=$(mktemp -d)
trap 'rm -rf "$fallback"' EXIT

step "compiling the core to wasm32 with SIMD ($PROFILE), glue (wasm-bindgen --target web), wasm-opt -Oz"
build_core wasm,simd "$OUT"
[ "$(simd_ops "$OUT/pipehook_bg.wasm")" -gt 0 ] || fail "pipehook_bg.wasm has no SIMD instructions: the simd feature did not apply"

step "compiling the fallback without SIMD ($PROFILE)"
build_core wasm "$fallback"
[ "$(simd_ops "$fallback/pipehook_bg.wasm")" -eq 0 ] || fail "the fallback uses SIMD instructions"
# One glue serves both, so the two builds must export and import exactly the same.
cmp -s "$OUT/pipehook.js" "$fallback/pipehook.js" || fail "the SIMD and fallback builds' glue differ"
cp "$fallback/pipehook_bg.wasm" "$OUT/pipehook_nosimd_bg.wasm"

cp js/api.js js/node.js js/web.js js/index.d.ts dist/

step "bundling the template readers (js/formats/ with yaml and the Lezer HCL/JSON parsers) into dist/formats.js"
# One self-contained file, so every runtime (and a page that loads dist/ as it is) needs no
# resolver. @codemirror/language is stubbed: only codemirror-lang-hcl's parser is used.
# Lezer's debug switch (process.env.LOG) is fixed off: in Deno, reading it needs --allow-env.
node_modules/.bin/esbuild js/formats/index.js --bundle --format=esm --platform=neutral --main-fields=module,main \
  --alias:@codemirror/language=./js/formats/codemirror-language-stub.js --define:process.env.LOG=undefined \
  --minify --legal-comments=eof --log-level=warning --outfile=dist/formats.js
rm -f "$OUT/.gitignore"

step "copying the web build to www/pkg/"
rm -rf www/pkg && mkdir -p www/pkg && cp -r dist/* www/pkg/

step "bundling the Worker client (js/client.js with aws4fetch and the AWS SDK's shared-file reader) into dist/client.js"
# Node only (it reads ~/.aws): bundled after the copy to www/pkg/, which it has no use for.
node_modules/.bin/esbuild js/client.js --bundle --format=esm --platform=node --minify --legal-comments=eof \
  --log-level=warning --outfile=dist/client.js
cp js/client.d.ts dist/

step "bundling the page's editor (CodeMirror 6, www/src/editor.js) into www/build/editor.js"
rm -rf www/build
node_modules/.bin/esbuild www/src/editor.js --bundle --format=esm --minify --legal-comments=eof \
  --define:process.env.LOG=undefined --log-level=warning --outfile=www/build/editor.js

for f in pipehook_bg.wasm pipehook_nosimd_bg.wasm; do
  size=$(wc -c < "$OUT/$f"); gz=$(gzip -9c "$OUT/$f" | wc -c)
  step "done: dist/wasm/$f $((size / 1024)) KB, $((gz / 1024)) KB gzip"
done
