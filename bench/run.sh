#!/usr/bin/env bash
# `npm run bench`: builds the package, installs the peers it lacks, and measures pipehook
# against them side by side; writes bench/RESULTS.md and bench/chart.svg.
#   BENCH_QUICK=1        few rounds (a smoke run, ~3 min)
#   BENCH_NO_BUILD=1     use the existing dist/ (and worker/build/)
#   BENCH_SKIP=...       space-separated parts to skip: delivery receivers dispatch startup page criterion
#   BENCH_RECEIVERS=...  only these receivers (ids as in bench/out/receivers.json); BENCH_LARGE=0 skips
#                        the 1 MB / 25 MB Worker deliveries (CPU and peak memory)
# Never part of `npm test`. Everything it starts listens on 127.0.0.1 and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\033[1m[bench]\033[0m %s\n' "$*"; }
skip() { [[ " ${BENCH_SKIP:-} " == *" $1 "* ]]; }
start=$(date +%s)

step "peers"
[ -d node_modules/@octokit/webhooks-methods ] && [ -d node_modules/jsonpath-plus ] && [ -d node_modules/miniflare ] || npm install --no-audit --no-fund
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v webhook >/dev/null || missing+=(webhook)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)   # Jayway itself as a peer (bench/jayway.mjs)
if [ ${#missing[@]} -gt 0 ]; then
  step "installing ${missing[*]} from Debian"
  if [ "$(id -u)" = 0 ]; then apt-get install -y "${missing[@]}" >/dev/null || true
  else sudo -n apt-get install -y "${missing[@]}" >/dev/null || echo "[bench] cannot install ${missing[*]}: those peers will be reported as not measured"; fi
fi

# oha times every request (p50/p99); wrk's own latency statistics are not used (bench/receivers.mjs).
if ! skip receivers && ! command -v oha >/dev/null; then
  step "installing oha 1.16.0 (cargo install; about 6 minutes, once)"
  cargo install oha --version 1.16.0 --locked --quiet || echo "[bench] cannot install oha: p99 will be wrk's own"
fi

if [ "${BENCH_NO_BUILD:-}" != 1 ]; then
  step "building the npm package (npm run build)"
  bash scripts/build-wasm.sh
  if [ -f scripts/build-worker.sh ] && command -v worker-build >/dev/null; then
    step "building the Worker (scripts/build-worker.sh)"
    bash scripts/build-worker.sh || echo "[bench] the Worker did not build: its rows will be reported as not measured"
  fi
fi

mkdir -p bench/out
skip delivery || { step "time per delivery (Node), interleaved with the JS peers"; node --expose-gc bench/delivery.mjs; }
skip startup || { step "sizes, instantiation, memory"; node bench/startup.mjs > bench/out/startup.log; }
skip page || { step "the validator page in Chromium (transfer size, load to first verdict)"; node bench/page.mjs; }
skip dispatch || { step "dispatch: an accepted delivery with a target against one without, and the consumer per start (Worker CPU)"; node bench/dispatch.mjs; }
skip receivers || { step "receivers under wrk (adnanh/webhook, JS Worker, pipehook Worker; CPU per request), large Worker deliveries"; node bench/receivers.mjs; }
if ! skip criterion; then
  step "native criterion benchmarks (cargo bench --bench core)"
  if [ "${BENCH_QUICK:-}" = 1 ]; then t="--warm-up-time 0.5 --measurement-time 1"; else t="--warm-up-time 1 --measurement-time 3"; fi
  # shellcheck disable=SC2086
  cargo bench --bench core -- $t > bench/out/criterion.log 2>&1 || echo "[bench] cargo bench failed: see bench/out/criterion.log"
  node bench/criterion-summary.mjs
fi

step "report"
node bench/report.mjs
step "done in $(( $(date +%s) - start )) s: bench/RESULTS.md, bench/chart.svg"
