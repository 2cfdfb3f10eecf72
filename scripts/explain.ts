// `pnpm explain <dtab-file|-> <path> [--dtab <override>] [--json]`: reads a dtab and a path
// and prints how the path delegates, step by step, and what it binds to. The interim main job
// until the daemons exist (`pnpm demo` runs it on examples/blue-green.dtab).
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { closestKey } from '@switchyard/config'
import {
  bind,
  Dtab,
  DtabError,
  DtabParseError,
  delegate,
  delegateTreeJson,
  interpreterLookup,
  type MountedNamer,
  NameTree,
  Path,
  renderParseError,
} from '@switchyard/dtab'
import { DelegateNode, renderTree, style, wantsColor } from '@switchyard/namerctl'
import { NamerConfig } from '@switchyard/namers'

const USAGE = `usage: explain <dtab-file|-> <path> [--dtab <override>] [--json]

Shows how <path> delegates through the dtab in <dtab-file> (- reads stdin), and what it binds to.
explain has no namers: a /#/<namer>/... name is shown as the namer's, bound but not resolved
(pending); \`namerctl delegate <ns> <path>\` asks namerd, whose namers know its addresses.
A /#/<kind> that is no namer kind Switchyard has (a typo) is neg, and explain exits 1 when
the path reaches nothing else.
  --dtab <override>   dentries appended after the file's, as an l5d-dtab header would be
  --json              print the delegation tree as namerd's delegate API returns it

examples:
  pnpm explain examples/blue-green.dtab /svc/world
  pnpm explain examples/blue-green.dtab /svc/world --dtab '/host/world => /tmp/world-v2'`

function fail(message: string, code: number): never {
  console.error(message)
  process.exit(code)
}

function parse<T>(read: (s: string) => T, text: string, what: string): T {
  try {
    return read(text)
  } catch (err) {
    if (err instanceof DtabParseError) fail(renderParseError(err, what), 1)
    throw err
  }
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    dtab: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) fail(USAGE, 0)
if (positionals.length !== 2) fail(`explain: expected a dtab file and a path\n\n${USAGE}`, 2)
const [file, pathText] = positionals as [string, string]

let text: string
try {
  text = readFileSync(file === '-' ? 0 : file, 'utf8')
} catch (err) {
  fail(`explain: cannot read ${file}: ${(err as Error).message}`, 1)
}
const base = parse(Dtab.read, text, `dtab in ${file}`)
const override =
  values.dtab === undefined ? Dtab.empty : parse(Dtab.read, values.dtab, 'the --dtab override')
const path = parse(Path.read, pathText, 'path')
const dtab = Dtab.concat(base, override)

// Offline there are no namers, so a /#/ name would be neg ("no route here"), which it is not:
// it names a namer's entry that only the namer can resolve. A stand-in binds each /#/ name as
// itself, its addresses unknown (pending), assuming the namer knows it (in an alt, a real namer
// that does not know it would pass on to the next branch). A kind Switchyard has no namer for
// (`io.l5d.fss`) is neg, as namerd answers it: no namer there, so nothing will resolve it.
const NAMER_MARK = '#'
const NAMER_KINDS: readonly string[] = NamerConfig.options.map((o) => o.shape.kind.value)
const unknownKinds = new Set<string>()
const offlineNamers: MountedNamer[] = [
  {
    prefix: Path.read(`/${NAMER_MARK}`),
    namer: {
      lookup: (rest) => {
        const kind = rest[0]
        if (kind !== undefined && !NAMER_KINDS.includes(kind)) {
          unknownKinds.add(kind)
          return NameTree.Neg
        }
        return rest.length < 2
          ? NameTree.Neg
          : NameTree.leaf({ type: 'bound', id: [NAMER_MARK, ...rest], residual: Path.empty })
      },
    },
  },
]
const isNamerName = (id: Path) => id[0] === NAMER_MARK
const unresolved = new Set<string>()

const tree = (() => {
  try {
    return delegate(dtab, path, { namers: offlineNamers })
  } catch (err) {
    if (err instanceof DtabError) fail(`explain: ${err.message} (does the dtab loop?)`, 1)
    throw err
  }
})()

const pending = JSON.stringify({ type: 'pending' })
const addrOf = (b: { id: Path }) => {
  if (!isNamerName(b.id)) return undefined
  unresolved.add(Path.show(b.id))
  return pending
}
const json = delegateTreeJson(tree, addrOf)

const bound = (() => {
  try {
    return bind(interpreterLookup(dtab, offlineNamers), NameTree.leaf(path))
  } catch (err) {
    return err as Error
  }
})()
/** `no namer io.l5d.fss: Switchyard has none by that name (did you mean io.l5d.fs?)`, one a kind. */
const unknownNotes = [...unknownKinds].map((kind) => {
  const near = closestKey(kind, NAMER_KINDS)
  return `no namer ${kind}: Switchyard has none by that name (${near === undefined ? `its namers: ${NAMER_KINDS.join(', ')}` : `did you mean ${near}?`})`
})
// A namer that namerd's config mounts under its own `prefix:` is a name explain cannot know
// offline: say so, so a working config is not taken for a typo.
if (unknownNotes.length > 0)
  unknownNotes.push(
    "  (a namer mounted at another prefix by namerd's config is not known here: namerctl delegate <namespace> <path> resolves through namerd)",
  )
// A mistake is never silent: a path that reaches only namers that do not exist routes nowhere,
// though each step of the dtab matched.
const onlyUnknown = unknownKinds.size > 0 && !(bound instanceof Error) && bound.type === 'neg'

if (values.json) {
  console.log(json)
  for (const note of unknownNotes) console.error(`explain: ${note}`)
  process.exit(onlyUnknown ? 1 : 0)
}

const out: string[] = [
  `dtab: ${base.length} dentries from ${file}${override.length ? `, then the override ${Dtab.show(override)}` : ''}`,
  '',
]
// One renderer for delegation trees: namerctl's, over the JSON namerd's delegate API sends,
// so this draws a tree exactly as `namerctl delegate` does.
const drawn = renderTree(
  DelegateNode.parse(JSON.parse(json)),
  style(wantsColor(process.stdout.isTTY, process.env)),
)
out.push(drawn.trimEnd())
if (bound instanceof Error) out.push('', `does not bind: ${bound.message}`)
else out.push('', `binds to: ${NameTree.showWith(bound, (b) => Path.show(b.id))}`)
if (unknownNotes.length > 0) out.push('', ...unknownNotes)
if (unresolved.size > 0) {
  const names = [...unresolved].join(', ')
  out.push(
    '',
    `not resolved here: ${names} ${unresolved.size === 1 ? "is a namer's name" : "are namers' names"}, which explain cannot resolve without the namer (pending: whether the namer knows ${unresolved.size === 1 ? 'it' : 'them'}, and the addresses)`,
    `  namerd resolves ${unresolved.size === 1 ? 'it' : 'them'}: namerctl delegate <namespace> ${Path.show(path)}`,
  )
}
console.log(out.join('\n'))
process.exit(onlyUnknown ? 1 : 0)
