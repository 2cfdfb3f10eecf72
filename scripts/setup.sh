#!/usr/bin/env bash
# Sets up a fresh checkout, then runs one pnpm script in it.
#
#   bash scripts/setup.sh demo     # set up, then run the main job
#   bash scripts/setup.sh test     # set up, then run every test
#   bash scripts/setup.sh          # set up only
#
# The machines ship Node 20 (end of life); we run on Node 24 LTS. Node 24 and pnpm 10 are
# installed from the npm registry into .tools/ (the `node@24` package carries the real
# binary), so nothing global changes and a second run reuses them.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools="$root/.tools"
bin="$tools/node_modules/.bin"

if [ ! -x "$bin/node" ] || [ ! -x "$bin/pnpm" ] || ! "$bin/node" -e 'process.exit(+process.versions.node.split(".")[0] === 24 ? 0 : 1)'; then
  echo "setup: installing Node 24 and pnpm 10 into .tools/ (from the npm registry)" >&2
  mkdir -p "$tools"
  [ -f "$tools/package.json" ] || echo '{"private":true}' >"$tools/package.json"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error node@24 pnpm@10 >&2
fi
export PATH="$bin:$PATH"
echo "setup: $(node --version), pnpm $(pnpm --version)" >&2

cd "$root"
pnpm install --frozen-lockfile --reporter=silent >&2 || pnpm install --frozen-lockfile >&2
pnpm run --silent build >&2

# Test dependencies from Debian that the tests look for and skip without (.ci/run installs
# them): prometheus, for the rollouts' Prometheus source (test/support/prometheus.ts).
if [ "${1:-}" = test ] && ! command -v prometheus >/dev/null 2>&1 && [ ! -x /usr/bin/prometheus ]; then
  echo "setup: prometheus is not installed, so the tests that need it will skip; install it with: apt-get install -y prometheus" >&2
fi

# openssl makes the TLS tests' certificates (test/support/certs.ts); they cannot run without it.
if [ "${1:-}" = test ] && ! command -v openssl >/dev/null 2>&1; then
  echo "setup: openssl is not installed, and the TLS tests need it; install it with: apt-get install -y openssl" >&2
fi

if [ $# -gt 0 ]; then
  exec pnpm run "$@"
fi
