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
#
# When the `node` on the PATH is older than namerctl's engines (a fresh machine's Node 20), the
# tarball also depends on the checkout's Node (24, from the npm registry: usually in npm's cache
# since setup.sh), which npm installs inside namerctl's own folder, and the installed command
# runs namerctl on it whatever node is first on the PATH (runtime.mjs says how). No `node` is
# added to the prefix's bin, so the user's other programs keep theirs. With a new enough node,
# nothing extra is installed.
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

# The node that will run an installed namerctl by default: the first on the PATH.
path_node=$(command -v node || true)
path_version=none
[ -z "$path_node" ] || path_version=$(node -p process.versions.node 2>/dev/null || echo none)
own_node=$("$node" "$here/runtime.mjs" "$path_version")
pack_args=()
if [ -n "$own_node" ]; then
  engines=$("$node" -p 'require(process.argv[1]).engines.node' "$root/packages/namerctl/package.json")
  have="the node on your PATH is $path_node ($path_version)"
  [ -n "$path_node" ] || have="there is no node on your PATH"
  echo "install.sh: $have, and namerctl needs ${engines#>=} or later: installing Node $own_node from the npm registry for namerctl alone, inside its package folder (nothing is added to your PATH)" >&2
  pack_args=(--node "$own_node")
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
tarball=$("$node" "$here/pack.mjs" "$out" ${pack_args[@]+"${pack_args[@]}"} | tail -n 1)

args=(install -g --no-audit --no-fund --loglevel=error)
if [ -n "$prefix" ]; then
  mkdir -p "$prefix"
  prefix=$(cd "$prefix" && pwd)
  args+=(--prefix "$prefix")
fi
npm "${args[@]}" "$tarball" >&2 || {
  why="without --prefix, npm's global prefix ($(npm prefix -g)) may need sudo, or pass --prefix ~/.local"
  [ -z "$own_node" ] || why="$why; namerctl's own Node comes from the npm registry (is it reachable?)"
  echo "install.sh: npm install -g failed (above); $why" >&2
  exit 1
}

top="${prefix:-$(npm prefix -g)}"
bindir="$top/bin"
if ! version=$("$bindir/namerctl" --version 2>&1); then
  echo "install.sh: installed $bindir/namerctl, but it does not run:" >&2
  echo "$version" >&2
  exit 1
fi
if [ -n "$own_node" ]; then
  echo "installed $bindir/namerctl ($version, on its own Node $own_node in $top/lib/node_modules/@switchyard/namerctl/node_modules; your PATH's node is unchanged)"
else
  echo "installed $bindir/namerctl ($version)"
fi
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "  $bindir is not on your PATH: add it (export PATH=\"$bindir:\$PATH\")" ;;
esac
