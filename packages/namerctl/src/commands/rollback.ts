// `namerctl rollback <ns> [--to <version>]`: bring back an earlier dtab through namerd's restore,
// a compare-and-swap on the version we saw, so a rollback never undoes a change it did not show.
// No automatic retry: after a conflict, "the version before the current one" means something
// else, and the operator should look again.
import type { Command } from 'commander'
import { type Context, examples } from '../context.js'
import { diffDtabs, hasChanges, renderDiff } from '../diff.js'
import { CliError, HttpError } from '../errors.js'
import { readText } from '../input.js'

export function registerRollback(program: Command, ctx: Context): void {
  program
    .command('rollback')
    .description('restore an earlier version of a dtab (by default, the one before the current)')
    .argument('<ns>', 'the namespace')
    .option('--to <version>', 'the version (ETag) to restore, from `namerctl history`')
    .option('--dry-run', 'show the diff, but write nothing')
    .addHelpText(
      'after',
      [
        '',
        'The restored dtab is written as a new version, so a rollback shows in history and can',
        'itself be rolled back.',
        examples(
          'namerctl rollback internal                      # undo the last change',
          'namerctl history internal                       # pick a version, then:',
          'namerctl rollback internal --to AAAAAAAAAAE=',
          'namerctl rollback internal --dry-run',
        ),
      ].join('\n'),
    )
    .action(async (ns: string, opts: { to?: string; dryRun?: boolean }, cmd: Command) => {
      const client = ctx.connect(cmd)
      const current = await client.get(ns)
      const history = await client.history(ns)
      let target = opts.to
      if (target === undefined) {
        const entry = history.find((e) => e.version === current.version)
        if (entry === undefined) {
          throw new CliError(
            'not_found',
            `the current version ${current.version} of ${ns} is not in its history`,
            ['pick a version from `namerctl history` and pass it with --to'],
          )
        }
        if (entry.previous === null) {
          throw new CliError(
            'not_found',
            `${ns} has no earlier version: version ${current.version} created it`,
          )
        }
        target = entry.previous
      }
      const wanted = history.find((e) => e.version === target)
      if (wanted === undefined) {
        throw new CliError('not_found', `${ns} has no version ${target} in its history`, [
          `see the versions with: namerctl history ${ns}`,
        ])
      }
      if (wanted.dtab === null) {
        throw new CliError(
          'not_found',
          `version ${target} of ${ns} is a deletion; there is no dtab to restore`,
          [`pick another version from: namerctl history ${ns}`],
        )
      }
      const ops = diffDtabs(current.dtab, readText(wanted.dtab))
      ctx.io.out(
        renderDiff(ops, { before: `${ns} ${current.version}`, after: `${ns} ${target}` }, ctx.out),
      )
      if (!hasChanges(ops)) ctx.io.out(`Version ${target} has the same dtab as the current one.\n`)
      if (opts.dryRun === true) {
        ctx.io.out('Dry run: nothing written.\n')
        return
      }
      try {
        const version = await client.restore(ns, target, current.version)
        ctx.io.out(`Rolled back ${ns} to ${target}${version ? ` (now version ${version})` : ''}\n`)
      } catch (err) {
        if (err instanceof HttpError && err.status === 412) {
          throw new HttpError(err.status, err.statusText, err.apiCode, err.apiMessage, [
            ...err.details.filter((d) => d.startsWith('namerd:')),
            `someone changed ${ns} after we read version ${current.version}; nothing was rolled back.`,
            `Look at \`namerctl history ${ns}\` and run the rollback again.`,
          ])
        }
        throw err
      }
    })
}
