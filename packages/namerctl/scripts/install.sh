#!/usr/bin/env bash
# Installs namerctl from this checkout onto this machine, in one command, from any folder:
#
#   bash <checkout>/packages/namerctl/scripts/install.sh                 # npm's global prefix
#   bash <checkout>/packages/namerctl/scripts/install.sh --prefix DIR    # DIR/bin/namerctl
#
# On a fresh machine it first sets the checkout up (scripts/setup.sh: Node 24 and pnpm into
# .tools/, then the workspace, whose esbuild bundles namerctl). Then it packs the standalone
# tarball (pack.mjs: one file, no dependencies, since @switchyard/dtab is on no registry),
# installs it with `npm install -g` (no registry needed) and runs the installed
# `namerctl --version`; it exits non-zero, saying why, if any step fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
usage="usage: bash $here/install.sh [--prefix DIR]"

prefix=
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix)
      [ $# -ge 2 ] || { echo "install.sh: --prefix needs a directory" >&2; echo "$usage" >&2; exit 2; }
      prefix=$2
      shift 2
      ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    *) echo "install.sh: unknown argument: $1" >&2; echo "$usage" >&2; exit 2 ;;
  esac
done

if ! command -v npm >/dev/null 2>&1; then
  echo "install.sh: npm is not on the PATH; it installs the tarball (it comes with Node)" >&2
  exit 1
fi

node="$root/.tools/node_modules/.bin/node"
if [ ! -x "$node" ] || [ ! -d "$root/packages/namerctl/node_modules/esbuild" ]; then
  echo "install.sh: setting up the checkout first (bash scripts/setup.sh)" >&2
  bash "$root/scripts/setup.sh"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tarball=$("$node" "$here/pack.mjs" "$out" | tail -n 1)

args=(install -g --no-audit --no-fund --loglevel=error)
if [ -n "$prefix" ]; then
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  args+=(--prefix "$prefix")
fi
npm "${args[@]}" "$tarball" >&2 || {
  echo "install.sh: npm install -g failed (above); without --prefix, npm's global prefix ($(npm prefix -g)) may need sudo, or pass --prefix ~/.local" >&2
  exit 1
}

bindir="${prefix:-$(npm prefix -g)}/bin"
if ! version=$("$bindir/namerctl" --version 2>&1); then
  echo "install.sh: installed $bindir/namerctl, but it does not run with the node on your PATH ($(command -v node || echo none)):" >&2
  echo "$version" >&2
  echo "  namerctl needs Node 22.12 or later on the PATH (this checkout's is in $root/.tools/node_modules/.bin)" >&2
  exit 1
fi
echo "installed $bindir/namerctl ($version)"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "  $bindir is not on your PATH: add it (export PATH=\"$bindir:\$PATH\")" ;;
esac
