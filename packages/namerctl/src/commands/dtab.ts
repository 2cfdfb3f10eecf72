// `namerctl dtab list|get|create|update|delete`: namerctl's commands, aliases, flags and texts
// (namerd-wire.md §2.2), so a script written for namerctl runs unchanged; plus `-o`,
// `--dry-run` and `--version` on delete.
import { type Command, InvalidArgumentError } from 'commander'
import { type Context, examples } from '../context.js'
import { diffDtabs, hasChanges, renderDiff } from '../diff.js'
import { UsageError } from '../errors.js'
import { parseDtabInput, readSource } from '../input.js'
import { formatOf, outputOption, print } from '../output.js'
import { compactDtab, prettyDtab } from '../pretty.js'
import { registerEdit } from './edit.js'

interface DtabFlags {
  readonly json?: boolean
  readonly output?: string
}

export function registerDtab(program: Command, ctx: Context): void {
  const dtab = program
    .command('dtab')
    .description("read and change namerd's delegation tables (dtabs), one per namespace")
    .option('--json', 'input/output in json instead of text')
    .addHelpText(
      'after',
      examples(
        'namerctl dtab list',
        'namerctl dtab get internal',
        'echo "/svc => /#/io.l5d.k8s/default/http;" | namerctl dtab create internal -',
        'namerctl dtab get internal --json > internal.json   # edit, then:',
        'namerctl dtab update internal internal.json           # 412 if it changed meanwhile',
        'namerctl dtab edit internal',
      ),
    )

  dtab
    .command('list')
    .alias('ls')
    .description('list the namespaces that have a dtab')
    .addOption(outputOption())
    .allowExcessArguments(true)
    .addHelpText('after', examples('namerctl dtab list', 'namerctl dtab ls -o json'))
    .action(async (_opts: DtabFlags, cmd: Command) => {
      if (cmd.args.length > 0) throw new UsageError('list does not take arguments')
      const names = await ctx.connect(cmd).list()
      print(ctx.io, formatOf(cmd.optsWithGlobals<DtabFlags>()), names, () =>
        names.length === 0 ? '\n' : `${names.join('\n')}\n`,
      )
    })

  dtab
    .command('get')
    .alias('cat')
    .description('print a dtab and its version')
    .argument('<ns>', 'the namespace')
    .option('--pretty [bool]', 'one aligned dentry per line (default true)', parseBool)
    .option('--no-pretty', 'print the dtab on one line, p=>d;p=>d;')
    .addOption(outputOption())
    .addHelpText(
      'after',
      examples(
        'namerctl dtab get internal',
        'namerctl dtab get internal --json          # {"version":"<ETag>","dtab":[...]}',
        'namerctl dtab get internal -o yaml',
        'namerctl dtab get internal --pretty=false  # /srv=>/#/io.l5d.k8s/default/http;...',
      ),
    )
    .action(async (ns: string, opts: { pretty?: boolean }, cmd: Command) => {
      const { version, dtab: dentries } = await ctx.connect(cmd).get(ns)
      print(ctx.io, formatOf(cmd.optsWithGlobals<DtabFlags>()), { version, dtab: dentries }, () => {
        if (opts.pretty === false) return `${compactDtab(dentries)}\n`
        return (version === '' ? '' : `# version ${version}\n`) + prettyDtab(dentries)
      })
    })

  dtab
    .command('create')
    .alias('new')
    .description('create a dtab from a file, or - for standard input')
    .argument('<ns>', 'the namespace')
    .argument('<file>', 'dtab text, or JSON as `get --json` prints it; - reads standard input')
    .option('--dry-run', 'check the dtab and show it, but create nothing')
    .addHelpText(
      'after',
      examples(
        'namerctl dtab create internal internal.dtab',
        'echo "/svc => /#/io.l5d.k8s/default/http;" | namerctl dtab create internal -',
        'namerctl dtab create internal internal.dtab --dry-run',
      ),
    )
    .action(async (ns: string, file: string, opts: { dryRun?: boolean }, cmd: Command) => {
      const input = parseDtabInput(await readSource(file, ctx.io), file)
      if (opts.dryRun === true) {
        ctx.io.out(
          renderDiff(
            diffDtabs([], input.dtab),
            { before: `${ns} (absent)`, after: `${ns} (created)` },
            ctx.out,
          ),
        )
        ctx.io.out(`Dry run: ${ns} not created.\n`)
        return
      }
      await ctx.connect(cmd).create(ns, input.body)
      ctx.io.out(`Created ${ns}\n`)
    })

  dtab
    .command('update')
    .alias('up')
    .description('replace a dtab with a file, or - for standard input')
    .argument('<ns>', 'the namespace')
    .argument('<file>', 'dtab text, or JSON as `get --json` prints it; - reads standard input')
    .option('--version <version>', 'only update if the current version (ETag) is this one')
    .option('--dry-run', 'show what would change, but write nothing')
    .addHelpText(
      'after',
      [
        '',
        'JSON input carries the version it was read at ({"version","dtab"}); it is sent as',
        'If-Match, so the update fails with 412 if the dtab changed since. Text input replaces',
        'the dtab unless --version is given.',
        examples(
          'namerctl dtab get internal --json > internal.json',
          'namerctl dtab update internal internal.json',
          'namerctl dtab update internal internal.dtab --version AAAAAAAAAAE=',
          'namerctl dtab update internal internal.dtab --dry-run   # show the diff only',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        file: string,
        opts: { version?: string; dryRun?: boolean },
        cmd: Command,
      ) => {
        const input = parseDtabInput(await readSource(file, ctx.io), file)
        // namerctl: a version inside the JSON overrides --version.
        const version = input.version ?? opts.version
        const client = ctx.connect(cmd)
        if (opts.dryRun === true) {
          const current = await client.get(ns)
          const ops = diffDtabs(current.dtab, input.dtab)
          ctx.io.out(
            renderDiff(
              ops,
              { before: `${ns} ${current.version}`, after: `${ns} (updated)` },
              ctx.out,
            ),
          )
          if (!hasChanges(ops)) ctx.io.out('No changes.\n')
          if (version !== undefined && version !== current.version) {
            ctx.io.out(
              `The update would fail with 412: it is based on version ${version}, but ${ns} is at ${current.version}.\n`,
            )
          }
          ctx.io.out('Dry run: nothing written.\n')
          return
        }
        await client.update(ns, input.body, version)
        ctx.io.out(`Updated ${ns}\n`)
      },
    )

  dtab
    .command('delete')
    .aliases(['del', 'rm'])
    .description('delete a dtab')
    .argument('<ns>', 'the namespace')
    .option('--version <version>', 'only delete if the current version (ETag) is this one')
    .addHelpText(
      'after',
      examples('namerctl dtab delete scratch', 'namerctl dtab rm scratch --version AAAAAAAAAAE='),
    )
    .action(async (ns: string, opts: { version?: string }, cmd: Command) => {
      await ctx.connect(cmd).delete(ns, opts.version)
      ctx.io.out(`Deleted ${ns}\n`)
    })

  registerEdit(dtab, ctx)
}

function parseBool(value: string): boolean {
  const v = value.toLowerCase()
  if (v === 'true' || v === 't' || v === '1') return true
  if (v === 'false' || v === 'f' || v === '0') return false
  throw new InvalidArgumentError('expected true or false')
}
