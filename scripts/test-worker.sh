#!/usr/bin/env bash
# Builds the Worker and runs every Worker suite against it in workerd
# (Miniflare, real local KV, served on a loopback port):
#   1. boto3 and the AWS CLI (python unittest) against worker-tests/serve.mjs
#   2. node:test suites: @aws-sdk/client-codepipeline + raw SigV4 (api), real
#      GitHub payload deliveries signed with @octokit/webhooks-methods
#      (delivery), the entry rewrite and its crash recovery (entry), deliveries
#      following API writes (views), the synchronous and the general way of
#      deciding a delivery answering alike (ways), concurrency and
#      quota (concurrency), and `npm start` itself
#      (scripts/start.sh: wrangler dev, persisted local KV) with the SDK and a push (start),
#      Register/DeregisterWebhookWithThirdParty against GitHub's OpenAPI description
#      served through Prism (github), secret rotation (rotation);
#      dispatch with real local queues: an HTTP target verified with standardwebhooks, a
#      second pipehook as the AWS target with botocore's SigV4Auth compared, exactly once,
#      retries, the dead-letter queue (dispatch), injected faults (dispatch-faults), and the
#      tag and StartPipelineExecution checks (dispatch-api); the delivery log and redelivery
#      (deliveries), and the package's CLI against the Worker through its packed bin (cli)
# Every response body is recorded by a proxy and scanned for SecretTokens.
# Exits non-zero if anything fails.   SKIP_WORKER_BUILD=1 reuses worker/build.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n\033[1m[test-worker]\033[0m %s\n' "$*"; }
status=0

if ! python3 -c 'import boto3' 2>/dev/null || ! command -v aws >/dev/null; then
  step "installing boto3 and awscli (pip)"
  python3 -m pip install --quiet boto3 awscli || { echo "pip install failed"; exit 1; }
fi

if [ "${SKIP_WORKER_BUILD:-0}" != 1 ] || [ ! -f worker/build/index.js ]; then
  step "building the Worker"
  bash scripts/build-worker.sh || { echo "test-worker: build failed"; exit 1; }
fi

# cli.test.mjs runs the packed package's bin against the Worker: dist/ must be built.
if [ ! -f dist/client.js ]; then
  step "building the npm package (dist/) for the CLI suite"
  bash scripts/build-wasm.sh || { echo "test-worker: package build failed"; exit 1; }
fi

step "Rust unit tests: src/pipeline.rs (core) and the Worker crate (SigV4, the AWS SigV4 suite), natively"
cargo test --quiet --lib pipeline:: || status=1
cargo test --quiet -p pipehook-worker --lib --test sigv4_suite || status=1

tmp="$(mktemp -d)"
cleanup() { exec 3>&- 2>/dev/null; [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

step "boto3 and AWS CLI against the Worker (Miniflare, local KV)"
mkfifo "$tmp/ctl"
node worker-tests/serve.mjs <"$tmp/ctl" >"$tmp/endpoint" 2>"$tmp/serve.log" &
serve_pid=$!
exec 3>"$tmp/ctl"   # serve.mjs stops when this closes
for _ in $(seq 1 100); do
  [ -s "$tmp/endpoint" ] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.2
done
endpoint="$(head -n 1 "$tmp/endpoint" 2>/dev/null)"
if [ -z "$endpoint" ]; then
  echo "test-worker: the Worker did not start"; cat "$tmp/serve.log"; exit 1
fi
echo "endpoint $endpoint"
(cd worker-tests && PIPEHOOK_ENDPOINT="$endpoint" python3 -m unittest -v test_boto3 test_awscli) || status=1
exec 3>&-
wait "$serve_pid" || status=1
serve_pid=
cat "$tmp/serve.log"

step "node:test suites (@aws-sdk/client-codepipeline, the entry, GitHub deliveries, views, concurrency, wrangler dev)"
# The SDK's notice about Node 20 support is not a test result.
NODE_NO_WARNINGS=1 node --test worker-tests/api.test.mjs worker-tests/entry.test.mjs worker-tests/delivery.test.mjs worker-tests/views.test.mjs worker-tests/ways.test.mjs worker-tests/concurrency.test.mjs worker-tests/sigv4.test.mjs worker-tests/hostile.test.mjs worker-tests/faults.test.mjs worker-tests/start.test.mjs worker-tests/github.test.mjs worker-tests/rotation.test.mjs \
  worker-tests/dispatch.test.mjs worker-tests/dispatch-faults.test.mjs worker-tests/dispatch-api.test.mjs \
  worker-tests/deliveries.test.mjs worker-tests/cli.test.mjs || status=1

exit $status
