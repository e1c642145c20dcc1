#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ (cargo-fuzz, libFuzzer, nightly Rust) for a given time each.
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     # npm run fuzz -- 300 delivery
#   FUZZ_SECONDS=600 npm run fuzz                    # every target, 10 minutes each
# Default: 60 s per target. A crash (panic, failed assertion, sanitizer report, an input slower
# than FUZZ_TIMEOUT seconds, default 10) fails the run; its input is kept in
# fuzz/artifacts/<target>/ and can be replayed with `cargo +nightly fuzz run <target> <file>`.
# The corpus grows in fuzz/corpus/<target>/ (kept between runs); the seeds (GitHub payloads,
# AWS SigV4 suite requests, webhook and pipeline definitions) are written to fuzz/seeds/.
# Installs the nightly toolchain and cargo-fuzz when missing (minutes, once).
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
step() { printf '\033[1m[fuzz]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

SECONDS_EACH=${1:-${FUZZ_SECONDS:-60}}
[ $# -gt 0 ] && shift
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=(validate jsonpath delivery scan sigv4 trace)
CARGO_FUZZ_VERSION=0.13.2

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  step "installing the nightly Rust toolchain (rustup, minimal profile)"
  rustup toolchain install nightly --profile minimal || exit 1
fi
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  step "installing cargo-fuzz $CARGO_FUZZ_VERSION (cargo build from source, ~1 min)"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked --force || exit 1
fi

fixtures=$root/../shared/fixtures
seeds=$root/fuzz/seeds
write_seeds() {
  rm -rf "$seeds" && mkdir -p "$seeds"/{validate,jsonpath,delivery,scan,sigv4,trace}
  local i=0 f
  for f in "$fixtures"/github-payloads/*.json; do
    i=$((i + 1))
    cp "$f" "$seeds/scan/$i"
    { printf '\x00\x10'; cat "$f"; } >"$seeds/trace/$i"
    { head -c 24 /dev/zero; cat "$f"; } >"$seeds/delivery/$i"
    { printf '$.ref\nrefs/heads/main\n'; cat "$f"; } >"$seeds/jsonpath/$i-ref"
    { printf '$..*\n\n'; cat "$f"; } >"$seeds/jsonpath/$i-all"
    { printf '$.commits[*].author.name\nCodertocat\n'; cat "$f"; } >"$seeds/jsonpath/$i-commits"
  done
  for f in "$fixtures"/sigv4-suite/v4/*/header-signed-request.txt; do
    i=$((i + 1))
    cp "$f" "$seeds/sigv4/$i"
  done
  local hook='{"name":"hook","targetPipeline":"app","targetAction":"Source","filters":[{"jsonPath":"$.ref","matchEquals":"refs/heads/{Branch}"}],"authentication":"GITHUB_HMAC","authenticationConfiguration":{"SecretToken":"s3cr3t-token"}}'
  printf '{"webhook":%s,"tags":[{"key":"team","value":"ci"}]}' "$hook" >"$seeds/validate/put-webhook"
  printf '%s' "$hook" >"$seeds/validate/definition"
  printf '{"webhook":{"name":"ip","targetPipeline":"app","targetAction":"Source","filters":[],"authentication":"IP","authenticationConfiguration":{"AllowedIPRange":"10.0.0.0/8"}}}' >"$seeds/validate/ip"
  printf '{"name":"app","roleArn":"arn:aws:iam::123456789012:role/r","artifactStore":{"type":"S3","location":"b"},"stages":[{"name":"Source","actions":[{"name":"Source","actionTypeId":{"category":"Source","owner":"ThirdParty","provider":"GitHub","version":"1"},"configuration":{"Owner":"o","Repo":"r","Branch":"main","OAuthToken":"ghp_token"}}]},{"name":"Build","actions":[{"name":"B","actionTypeId":{"category":"Build","owner":"AWS","provider":"CodeBuild","version":"1"}}]}]}' >"$seeds/validate/pipeline"
}
write_seeds

cd fuzz
step "building the fuzz targets (nightly, AddressSanitizer)"
nice -n 10 cargo +nightly fuzz build -O || exit 1
failed=()
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t"
  step "$t: ${SECONDS_EACH}s"
  if nice -n 10 cargo +nightly fuzz run -O "$t" "corpus/$t" "seeds/$t" -- \
      -max_total_time="$SECONDS_EACH" -timeout="${FUZZ_TIMEOUT:-10}" -max_len=65536 \
      -rss_limit_mb=2048 -print_final_stats=1 2>"$root/fuzz/$t.log"; then
    grep -E '^stat::number_of_executed_units|^Done' "$root/fuzz/$t.log" | sed "s/^/[fuzz] $t: /"
  else
    failed+=("$t")
    tail -n 40 "$root/fuzz/$t.log"
    echo "[fuzz] $t: FAILED (full log fuzz/$t.log; the input is in fuzz/artifacts/$t/)"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz] crashed: ${failed[*]}"
  exit 1
fi
step "no crash in ${TARGETS[*]}"
