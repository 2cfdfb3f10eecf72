// `namerctl delegate <ns> <path>`: the route debugger in a terminal. Asks namerd how <path>
// delegates through the namespace's dtab (plus --dtab, as an l5d-dtab header would add it) and
// prints every branch with the dentry that led there. A namespace that does not exist is exit 1.
import { Path } from '@switchyard/dtab'
import type { Command } from 'commander'
import { type Context, examples } from '../context.js'
import { CliError, UsageError } from '../errors.js'
import { readText } from '../input.js'
import { requireNamespace } from '../missing-namespace.js'
import { formatOf, outputOption, print } from '../output.js'
import { renderTree } from '../tree.js'

export function registerDelegate(program: Command, ctx: Context): void {
  program
    .command('delegate')
    .description('show how a name delegates through a namespace: every step and its dentry')
    .argument('<ns>', 'the namespace')
    .argument('<path>', 'the logical name, e.g. /svc/world')
    .option('--dtab <dentries>', 'extra dentries, applied last (as an l5d-dtab header would be)')
    .option('--json', "output in JSON (the same as -o json): namerd's delegation tree")
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl delegate internal /svc/world',
        "namerctl delegate internal /svc/world --dtab '/host/world => /tmp/world-v2'",
        'namerctl delegate internal /svc/world -o json | jq .',
      ),
    )
    .action(async (ns: string, pathText: string, opts: { dtab?: string }, cmd: Command) => {
      try {
        Path.read(pathText)
      } catch (err) {
        throw new UsageError(`invalid path ${JSON.stringify(pathText)}`, [
          `a path looks like /svc/world: ${err instanceof Error ? err.message : String(err)}`,
        ])
      }
      if (opts.dtab !== undefined) {
        try {
          readText(opts.dtab, '--dtab')
        } catch (err) {
          // A bad flag value is a usage error; the message keeps its caret.
          if (err instanceof CliError) throw new UsageError(err.message)
          throw err
        }
      }
      const client = ctx.connect(cmd)
      // namerd delegates through an empty dtab for a namespace it does not have: ask first.
      await requireNamespace(client, ns)
      const { tree, raw } = await client.delegate(ns, pathText, opts.dtab)
      const format = formatOf(cmd.opts())
      // JSON as namerd sent it: its weights read 1.0, as Linkerd's did.
      if (format === 'json') ctx.io.out(raw.endsWith('\n') ? raw : `${raw}\n`)
      else print(ctx.io, format, tree, () => renderTree(tree, ctx.out))
    })
}
