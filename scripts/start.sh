#!/usr/bin/env bash
# `npm start`: set up what a fresh machine lacks, build the Worker, and serve it
# with `wrangler dev` on http://127.0.0.1:${PORT:-8787}, with local KV persisted
# under .wrangler/state. Ctrl-C stops it.
#
# Environment:
#   PORT                        port to listen on (default 8787)
#   PIPEHOOK_ACCESS_KEY_ID      management access key id   (default: test)
#   PIPEHOOK_SECRET_ACCESS_KEY  management secret key       (default: test)
#   PIPEHOOK_REGION             region in ARNs and SigV4    (default: us-east-1)
#   PIPEHOOK_SKIP_SETUP=1       skip scripts/setup.sh
#   PIPEHOOK_SKIP_BUILD=1       reuse worker/build as it is
#   PIPEHOOK_PERSIST_TO         local KV directory (default .wrangler/state)
#   PIPEHOOK_GITHUB_API_URL     GitHub's REST API for Register/DeregisterWebhookWithThirdParty
#                               (default https://api.github.com; GitHub Enterprise Server:
#                               https://HOST/api/v3)
#   PIPEHOOK_DELIVERY_LOG       the Worker's DELIVERY_LOG ("off": no delivery log)
# Dispatch (the DISPATCH queue runs locally too; README.md, "Dispatch"):
#   PIPEHOOK_DISPATCH_SIGNING_SECRET       whsec_… key that signs HTTP targets' POSTs
#   PIPEHOOK_DISPATCH_AWS_ACCESS_KEY_ID    credentials for AWS targets
#   PIPEHOOK_DISPATCH_AWS_SECRET_ACCESS_KEY
#   PIPEHOOK_DISPATCH_AWS_SESSION_TOKEN    (optional)
#   PIPEHOOK_DISPATCH_AWS_ENDPOINT         instead of https://codepipeline.<region>.amazonaws.com
#   PIPEHOOK_DISPATCH_RETRY_BASE_S         retry delays base·2^(n−1) s (default 2)
# The secrets reach the Worker through a private env file, so wrangler shows them as hidden.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

PORT="${PORT:-8787}"
KEY_ID="${PIPEHOOK_ACCESS_KEY_ID:-test}"
SECRET="${PIPEHOOK_SECRET_ACCESS_KEY:-test}"
REGION="${PIPEHOOK_REGION:-us-east-1}"
PERSIST="${PIPEHOOK_PERSIST_TO:-.wrangler/state}"
GITHUB_API="${PIPEHOOK_GITHUB_API_URL:-}"
extra_vars=()
[ -n "$GITHUB_API" ] && extra_vars+=(--var "GITHUB_API_URL:${GITHUB_API}")
[ -n "${PIPEHOOK_DELIVERY_LOG:-}" ] && extra_vars+=(--var "DELIVERY_LOG:${PIPEHOOK_DELIVERY_LOG}")

[ "${PIPEHOOK_SKIP_SETUP:-0}" = 1 ] || bash scripts/setup.sh
[ "${PIPEHOOK_SKIP_BUILD:-0}" = 1 ] && [ -f worker/build/index.js ] || bash scripts/build-worker.sh
# The validator page the Worker serves at / needs the package (www/pkg) and its editor (www/build).
[ "${PIPEHOOK_SKIP_BUILD:-0}" = 1 ] || { [ -f www/pkg/web.js ] && [ -f www/build/editor.js ]; } || bash scripts/build-wasm.sh

# wrangler would otherwise phone home (metrics, cf properties).
export WRANGLER_SEND_METRICS=false WRANGLER_HIDE_BANNER=true CLOUDFLARE_CF_FETCH_ENABLED=false

cat <<INFO

pipehook Worker (wrangler dev, local KV in ${PERSIST})
  endpoint     http://127.0.0.1:${PORT}        (API: POST /, validator page: GET /)
  region       ${REGION}
  GitHub API   ${GITHUB_API:-https://api.github.com}   (RegisterWebhookWithThirdParty)
  credentials  AWS_ACCESS_KEY_ID=${KEY_ID} AWS_SECRET_ACCESS_KEY=${SECRET}   (development only)
  try          AWS_ACCESS_KEY_ID=${KEY_ID} AWS_SECRET_ACCESS_KEY=${SECRET} \\
                 aws codepipeline list-webhooks --region ${REGION} --endpoint-url http://127.0.0.1:${PORT}

INFO
dispatch=()
[ -n "${PIPEHOOK_DISPATCH_SIGNING_SECRET:-}" ] && dispatch+=("HTTP targets (signing secret set)")
[ -n "${PIPEHOOK_DISPATCH_AWS_ACCESS_KEY_ID:-}" ] && dispatch+=("AWS targets${PIPEHOOK_DISPATCH_AWS_ENDPOINT:+ at ${PIPEHOOK_DISPATCH_AWS_ENDPOINT}}")
if [ ${#dispatch[@]} -gt 0 ]; then
  printf '  dispatch     %s\n\n' "${dispatch[*]}"
else
  printf '  dispatch     no PIPEHOOK_DISPATCH_* secrets: starts of tagged pipelines will fail\n\n'
fi

dispatch_args=()
for name in AWS_ENDPOINT RETRY_BASE_S; do
  value="$(printenv "PIPEHOOK_DISPATCH_${name}" || true)"
  [ -n "$value" ] && dispatch_args+=(--var "DISPATCH_${name}:${value}")
done
secrets="$(mktemp)"
chmod 600 "$secrets"
trap 'rm -f "$secrets"' EXIT
for name in SIGNING_SECRET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; do
  value="$(printenv "PIPEHOOK_DISPATCH_${name}" || true)"
  [ -n "$value" ] && printf "DISPATCH_%s='%s'\n" "$name" "$value" >>"$secrets"
done
[ -s "$secrets" ] && dispatch_args+=(--env-file "$secrets")

# Not exec: the trap removes the secrets file when wrangler stops.
node_modules/.bin/wrangler dev -c worker/wrangler.toml --local \
  --ip 127.0.0.1 --port "$PORT" --persist-to "$PERSIST" \
  --var "AWS_REGION:${REGION}" --var "AWS_ACCESS_KEY_ID:${KEY_ID}" --var "AWS_SECRET_ACCESS_KEY:${SECRET}" \
  ${extra_vars[@]+"${extra_vars[@]}"} ${dispatch_args[@]+"${dispatch_args[@]}"}
