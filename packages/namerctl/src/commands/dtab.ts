// `namerctl dtab list|get|create|update|delete`: namerctl's commands, aliases, flags and texts
// (namerd-wire.md §2.2), so a script written for namerctl runs unchanged; plus `-o`,
// `--dry-run` and `--version` on delete. Two safeties namerctl lacked: create and update check
// that the destinations they add resolve (--force writes anyway), and delete asks on a
// terminal (--yes skips it; a script, with no terminal, is not asked, as with namerctl).
import type { RolloutSummary } from '@switchyard/wire'
import { type Command, InvalidArgumentError } from 'commander'
import type { NamerdClient } from '../client.js'
import { confirm, type Prompt, processPrompt } from '../confirm.js'
import { type Context, examples } from '../context.js'
import {
  CHECK_HELP,
  forcedWarning,
  isRefused,
  refusal,
  renderResolution,
} from '../destination-guard.js'
import { diffDtabs, hasChanges, renderDiff } from '../diff.js'
import { ALLOW_EMPTY_HELP, refuseEmpty } from '../empty-dtab.js'
import { CliError, HttpError, UsageError } from '../errors.js'
import { parseDtabInput, readSource } from '../input.js'
import { formatOf, outputOption, print } from '../output.js'
import { compactDtab, prettyDtab } from '../pretty.js'
import { checkChange } from '../resolution.js'
import type { DentryJson } from '../schemas.js'
import { bareEtag, showVersion } from '../short-version.js'
import {
  checkVersionForm,
  dryRunRefusal,
  resolveVersionFlag,
  staleVersion,
} from '../version-flag.js'
import { whyOption } from '../why.js'
import { registerEdit } from './edit.js'
import { RolloutApi, RolloutApiError } from './rollout/api.js'

interface DtabFlags {
  readonly json?: boolean
  readonly output?: string
}

export function registerDtab(
  program: Command,
  ctx: Context,
  prompt: () => Prompt = processPrompt,
): void {
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
    .option('--dry-run', 'check the dtab and its destinations and show it, but create nothing')
    .addOption(whyOption())
    .option('--force', 'create it even if a destination does not resolve')
    .option('--allow-empty', ALLOW_EMPTY_HELP)
    .addHelpText(
      'after',
      [
        '',
        ...CHECK_HELP,
        'For a create, every dentry is new, and namerd delegates through the dtab being created.',
        examples(
          'namerctl dtab create internal internal.dtab',
          'echo "/svc => /#/io.l5d.k8s/default/http;" | namerctl dtab create internal -',
          'namerctl dtab create internal internal.dtab --dry-run',
          'namerctl dtab create internal internal.dtab --force   # before the services exist',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        file: string,
        opts: { dryRun?: boolean; force?: boolean; allowEmpty?: boolean },
        cmd: Command,
      ) => {
        const input = parseDtabInput(await readSource(file, ctx.io), file)
        refuseEmpty(ns, file, input.dtab, null, opts.allowEmpty)
        const client = ctx.connect(cmd)
        const report = await checkWrite(ctx, client, ns, null, input.dtab, opts)
        if (opts.dryRun === true) {
          ctx.io.out(
            renderDiff(
              diffDtabs([], input.dtab),
              { before: `${ns} (absent)`, after: `${ns} (created)` },
              ctx.out,
            ),
          )
          ctx.io.err(report)
          ctx.io.out(`Dry run: ${ns} not created.\n`)
          return
        }
        await client.create(ns, input.body)
        ctx.io.err(report)
        ctx.io.out(`Created ${ns}\n`)
      },
    )

  dtab
    .command('update')
    .alias('up')
    .description('replace a dtab with a file, or - for standard input')
    .argument('<ns>', 'the namespace')
    .argument('<file>', 'dtab text, or JSON as `get --json` prints it; - reads standard input')
    .option('--version <version>', 'only update if the current version is this one: v6 or its ETag')
    .option('--dry-run', 'show what would change and check it, but write nothing')
    .addOption(whyOption())
    .option('--force', 'write even if a destination does not resolve')
    .option('--allow-empty', ALLOW_EMPTY_HELP)
    .addHelpText(
      'after',
      [
        '',
        'JSON input carries the version it was read at ({"version","dtab"}); it is sent as',
        'If-Match, so the update fails with 412 if the dtab changed since. Text input replaces',
        'the dtab unless --version is given.',
        '',
        ...CHECK_HELP,
        examples(
          'namerctl dtab get internal --json > internal.json',
          'namerctl dtab update internal internal.json',
          'namerctl dtab update internal internal.dtab --version v1   # or AAAAAAAAAAE=',
          'namerctl dtab update internal internal.dtab --dry-run   # show the diff only',
          'namerctl dtab update internal internal.dtab --force     # unresolved names too',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        file: string,
        opts: { version?: string; dryRun?: boolean; force?: boolean; allowEmpty?: boolean },
        cmd: Command,
      ) => {
        if (opts.version !== undefined) checkVersionForm(opts.version)
        const input = parseDtabInput(await readSource(file, ctx.io), file)
        const client = ctx.connect(cmd)
        const own = input.version === undefined ? undefined : bareEtag(input.version)
        const flagged =
          opts.version === undefined
            ? undefined
            : await resolveVersionFlag(client, ns, opts.version)
        // namerctl let a JSON file's version override --version silently; two versions that
        // disagree are a mistake in the command line, and neither is guessed.
        if (own !== undefined && flagged !== undefined && own !== flagged) {
          throw new UsageError(
            `--version ${opts.version} and the version in ${file}, ${showVersion(own)}, differ`,
            [
              `the file was read at ${showVersion(own)}; --version says ${showVersion(flagged)}. Nothing was written.`,
              'drop --version to update from the version the file carries, or write the file as text (not JSON) to use --version',
            ],
          )
        }
        const version = own ?? flagged
        // What the update changes is judged against the dtab now; the write itself is as
        // namerctl's (If-Match only with a version), so this read adds no precondition.
        const current = await client.get(ns)
        refuseEmpty(ns, file, input.dtab, current.dtab, opts.allowEmpty)
        const report = await checkWrite(ctx, client, ns, current.dtab, input.dtab, opts)
        if (opts.dryRun === true) {
          const ops = diffDtabs(current.dtab, input.dtab)
          ctx.io.out(
            renderDiff(
              ops,
              { before: `${ns} ${showVersion(current.version)}`, after: `${ns} (updated)` },
              ctx.out,
            ),
          )
          if (!hasChanges(ops)) ctx.io.out('No changes.\n')
          ctx.io.err(report)
          // A dry run answers "would this write go through?": a refused one exits 1, as the
          // real write would, judged the same way.
          if (version !== undefined && version !== current.version) {
            throw await dryRunRefusal(client, ns, version, current.version)
          }
          ctx.io.out('Dry run: nothing written.\n')
          return
        }
        try {
          await client.update(ns, input.body, version)
        } catch (err) {
          // A JSON file's own version keeps namerctl's 412 (the docs' read-modify-write).
          if (
            err instanceof HttpError &&
            err.status === 412 &&
            own === undefined &&
            flagged !== undefined
          ) {
            throw await staleVersion(err, client, ns, flagged)
          }
          throw err
        }
        ctx.io.err(report)
        ctx.io.out(`Updated ${ns}\n`)
      },
    )

  dtab
    .command('delete')
    .aliases(['del', 'rm'])
    .description('delete a dtab')
    .argument('<ns>', 'the namespace')
    .option('--version <version>', 'only delete if the current version is this one: v6 or its ETag')
    .option('-y, --yes', 'do not ask for confirmation on a terminal')
    .addOption(whyOption())
    .option('--force', 'delete even while a rollout is active in the namespace (it then stops)')
    .addHelpText(
      'after',
      [
        '',
        'On a terminal (standard input and output both TTYs) it shows the dtab and asks first;',
        'anything but y or yes deletes nothing (exit 1). --yes skips the question. Without a',
        'terminal (a script, a pipeline, CI) nobody is asked and it deletes, as namerctl did.',
        'A namespace with an active rollout (namerctl rollout list) is refused (exit 1), with or',
        'without --yes: abort the rollout first, or pass --force (the rollout then stops).',
        examples(
          'namerctl dtab delete scratch',
          'namerctl dtab rm scratch --version v1   # or its ETag, AAAAAAAAAAE=',
          'namerctl dtab delete scratch --yes   # no question, even on a terminal',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        opts: { version?: string; yes?: boolean; force?: boolean },
        cmd: Command,
      ) => {
        if (opts.version !== undefined) checkVersionForm(opts.version)
        const client = ctx.connect(cmd)
        if (opts.force !== true) await refuseActiveRollouts(client, ns)
        const version =
          opts.version === undefined
            ? undefined
            : await resolveVersionFlag(client, ns, opts.version)
        const terminal = prompt()
        if (opts.yes !== true && terminal.interactive) {
          const current = await client.get(ns)
          ctx.io.out(
            `# ${ns} at version ${showVersion(current.version)}\n${prettyDtab(current.dtab)}`,
          )
          const question = `Delete the dtab of ${ns}? Routers that watch it lose these routes.`
          if (!(await confirm(terminal, question))) {
            throw new CliError('declined', `not confirmed; nothing deleted`, [
              `${ns} is still at version ${showVersion(current.version)}. Answer y to delete, or pass --yes.`,
            ])
          }
        }
        try {
          await client.delete(ns, version)
        } catch (err) {
          if (err instanceof HttpError && err.status === 412 && version !== undefined) {
            throw await staleVersion(err, client, ns, version)
          }
          throw err
        }
        ctx.io.out(`Deleted ${ns}\n`)
      },
    )

  registerEdit(dtab, ctx)
}

/**
 * The destination check of a create (`before` null) or an update: returns what to print once
 * written, or throws the refusal. With --force, the refusal is printed as a warning instead.
 * The report goes to standard error: standard output stays namerctl's (`Created <ns>`), which
 * scripts written for namerctl compare.
 */
async function checkWrite(
  ctx: Context,
  client: NamerdClient,
  ns: string,
  before: readonly DentryJson[] | null,
  after: readonly DentryJson[],
  opts: { readonly dryRun?: boolean; readonly force?: boolean },
): Promise<string> {
  const resolution = await checkChange(client, before, after)
  if (isRefused(resolution)) {
    if (opts.force !== true) throw refusal(ns, resolution, ctx.err, { dryRun: opts.dryRun })
    ctx.io.err(forcedWarning(ns, resolution, ctx.err))
  }
  return renderResolution(resolution)
}

function parseBool(value: string): boolean {
  const v = value.toLowerCase()
  if (v === 'true' || v === 't' || v === '1') return true
  if (v === 'false' || v === 'f' || v === '0') return false
  throw new InvalidArgumentError('expected true or false')
}

/**
 * A delete under an active rollout would stop it with the namespace gone: refused, naming each
 * and how to abort it. A namerd without rollouts (404 or 503 on the route, an old release) or a
 * namespace that does not exist has none; the delete then answers for itself.
 */
async function refuseActiveRollouts(client: NamerdClient, ns: string): Promise<void> {
  let active: RolloutSummary[]
  try {
    active = await new RolloutApi(client).list({ namespace: ns, active: true })
  } catch (err) {
    if (err instanceof RolloutApiError && (err.status === 404 || err.status === 503)) return
    if (err instanceof HttpError && (err.status === 404 || err.status === 503)) return
    if (err instanceof CliError && err.code === 'not_found') return
    throw err
  }
  if (active.length === 0) return
  throw new CliError(
    'conflict',
    `${active.length === 1 ? 'a rollout is' : `${active.length} rollouts are`} active in ${ns}; deleting its dtab would stop ${active.length === 1 ? 'it' : 'them'} with nothing to restore`,
    [
      ...active.map(
        (r) =>
          `${r.id} (${r.prefix}, ${r.phase}): abort it with namerctl rollout abort ${ns} ${r.id}`,
      ),
      'or delete anyway (the rollouts then stop): add --force',
    ],
  )
}
