#!/usr/bin/env bash
# Tests the package as a user gets it: `npm pack` the repo, install the tarball into a fresh
# temporary project, and run pkg-tests/ (node:test) against that install.
#
# Building dist/ is not this script's job: run `npm run build` first.
#
# Environment:
#   PIPEHOOK_PKG_SOURCE   directory to pack (default: the repo root)
#   PIPEHOOK_KEEP_TMP=1   keep the temporary folder (its path is printed)
#   extra arguments are passed to `node --test` (e.g. --test-name-pattern=cli)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_dir="${PIPEHOOK_PKG_SOURCE:-$root}"

if [[ ! -f "$source_dir/dist/node.js" ]]; then
  echo "test-pkg: $source_dir/dist/node.js is missing; run 'npm run build' first" >&2
  exit 2
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/pipehook-pkg-test.XXXXXX")"
if [[ "${PIPEHOOK_KEEP_TMP:-}" == 1 ]]; then
  echo "test-pkg: keeping $tmp" >&2
else
  trap 'rm -rf "$tmp"' EXIT
fi
mkdir -p "$tmp/pack" "$tmp/app"

# --ignore-scripts: packing must not rebuild; the tests are of what dist/ holds now.
tarball="$(cd "$source_dir" && npm pack --ignore-scripts --silent --pack-destination "$tmp/pack" | tail -n 1)"
tarball="$tmp/pack/$tarball"
echo "test-pkg: packed $(basename "$tarball") ($(du -h "$tarball" | cut -f1))" >&2

(
  cd "$tmp/app"
  npm init -y >/dev/null
  npm install --no-audit --no-fund --no-package-lock --silent "$tarball"
)

export PIPEHOOK_INSTALL_DIR="$tmp/app"
export PIPEHOOK_TARBALL="$tarball"
export PIPEHOOK_REPO_ROOT="$root"
cd "$root"
node --test "$@" pkg-tests/
