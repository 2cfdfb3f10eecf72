// `namerctl rollback <ns> [--to <version>]`: bring back an earlier dtab through namerd's restore,
// a compare-and-swap on the version we saw, so a rollback never undoes a change it did not show.
// Plain `rollback` undoes the last write: it restores the version that write replaced, which is
// not necessarily the first one. A deleted namespace is brought back the same way: namerd's
// restore without If-Match creates it (and refuses, 428, if someone created it meanwhile).
// No automatic retry: after a conflict, "the version before the current one" means something
// else, and the operator should look again.
import type { Command } from 'commander'
import type { Versioned } from '../client.js'
import { type Context, examples } from '../context.js'
import { diffDtabs, hasChanges, renderDiff } from '../diff.js'
import { ALLOW_EMPTY_HELP, refuseEmpty } from '../empty-dtab.js'
import { CliError, HttpError } from '../errors.js'
import { readText } from '../input.js'
import type { HistoryEntry } from '../schemas.js'
import { parseVersionArg, showVersion } from '../short-version.js'
import { checkVersionForm } from '../version-flag.js'
import { whyOption } from '../why.js'

export function registerRollback(program: Command, ctx: Context): void {
  program
    .command('rollback')
    .description(
      'undo the last write to a dtab (restore the version it replaced), or restore --to a version; brings back a deleted namespace',
    )
    .argument('<ns>', 'the namespace')
    .option('--to <version>', 'the version to restore: v12 or its ETag, from `namerctl history`')
    .option('--dry-run', 'show the diff, but write nothing')
    .addOption(whyOption())
    .option('--allow-empty', ALLOW_EMPTY_HELP)
    .addHelpText(
      'after',
      [
        '',
        'The restored dtab is written as a new version, so a rollback shows in history and can',
        'itself be rolled back. Plain rollback undoes one write; run `namerctl history` to see',
        'which version that brings back. For a deleted namespace, it restores the dtab the',
        'namespace had when it was deleted.',
        examples(
          'namerctl rollback internal                      # undo the last write',
          'namerctl history internal                       # pick a version, then:',
          'namerctl rollback internal --to v1',
          'namerctl rollback internal --to AAAAAAAAAAE=    # the same, by ETag',
          'namerctl rollback internal --dry-run',
        ),
      ].join('\n'),
    )
    .action(
      async (
        ns: string,
        opts: { to?: string; dryRun?: boolean; allowEmpty?: boolean },
        cmd: Command,
      ) => {
        // --to is read as --version is: v<N> or an ETag (quotes and spaces dropped), else exit 2.
        if (opts.to !== undefined) checkVersionForm(opts.to, '--to')
        const client = ctx.connect(cmd)
        const current = await currentOrDeleted(client.get(ns))
        const history = await client.history(ns)
        if (current === null && history.length === 0) {
          throw new CliError(
            'not_found',
            `namespace ${JSON.stringify(ns)} does not exist and has no history`,
            ['see the namespaces with: namerctl dtab list'],
          )
        }
        const target =
          opts.to !== undefined
            ? parseVersionArg(opts.to, history)
            : current === null
              ? beforeDeletion(ns, history)
              : beforeCurrent(ns, current, history)
        const wanted = history.find((e) => e.version === target)
        if (wanted === undefined) {
          throw new CliError(
            'not_found',
            `${ns} has no version ${showVersion(target)} in its history`,
            [`see the versions with: namerctl history ${ns}`],
          )
        }
        if (wanted.dtab === null) {
          throw new CliError(
            'not_found',
            `version ${showVersion(target)} of ${ns} is a deletion; there is no dtab to restore`,
            [`pick another version from: namerctl history ${ns}`],
          )
        }
        const restored = readText(wanted.dtab)
        // Rolling back to an empty version removes every route, as an empty update would.
        refuseEmpty(
          ns,
          `version ${showVersion(target)}`,
          restored,
          current?.dtab ?? null,
          opts.allowEmpty,
        )
        const before =
          current === null ? `${ns} (deleted)` : `${ns} ${showVersion(current.version)}`
        const ops = diffDtabs(current?.dtab ?? [], restored)
        ctx.io.out(renderDiff(ops, { before, after: `${ns} ${showVersion(target)}` }, ctx.out))
        if (current !== null && !hasChanges(ops)) {
          ctx.io.out(`Version ${showVersion(target)} has the same dtab as the current one.\n`)
        }
        if (opts.dryRun === true) {
          ctx.io.out('Dry run: nothing written.\n')
          return
        }
        try {
          // No If-Match for a deleted namespace: namerd then only creates, never overwrites.
          const version = await client.restore(ns, target, current?.version)
          const now = version ? ` (now version ${showVersion(version)})` : ''
          ctx.io.out(
            current === null
              ? `Restored deleted namespace ${ns} from ${showVersion(target)}${now}\n`
              : `Rolled back ${ns} to ${showVersion(target)}${now}\n`,
          )
        } catch (err) {
          if (err instanceof HttpError && (err.status === 412 || err.status === 428)) {
            const seen =
              current === null ? 'saw it deleted' : `read version ${showVersion(current.version)}`
            throw new HttpError(err.status, err.statusText, err.apiCode, err.apiMessage, [
              ...err.details.filter((d) => d.startsWith('namerd:')),
              `someone changed ${ns} after we ${seen}; nothing was rolled back.`,
              `Look at \`namerctl history ${ns}\` and run the rollback again.`,
            ])
          }
          throw err
        }
      },
    )
}

/** The current dtab, or null when namerd has no such namespace (deleted, or never made). */
async function currentOrDeleted(read: Promise<Versioned>): Promise<Versioned | null> {
  try {
    return await read
  } catch (err) {
    if (err instanceof HttpError && err.status === 404) return null
    throw err
  }
}

/** Plain rollback of a live namespace: the version its last write replaced. */
function beforeCurrent(ns: string, current: Versioned, history: readonly HistoryEntry[]): string {
  const entry = history.find((e) => e.version === current.version)
  if (entry === undefined) {
    throw new CliError(
      'not_found',
      `the current version ${showVersion(current.version)} of ${ns} is not in its history`,
      ['pick a version from `namerctl history` and pass it with --to'],
    )
  }
  if (entry.previous === null) {
    throw new CliError(
      'not_found',
      `${ns} has no earlier version: version ${showVersion(current.version)} created it`,
    )
  }
  return entry.previous
}

/** Plain rollback of a deleted namespace: the version the deletion removed. */
function beforeDeletion(ns: string, history: readonly HistoryEntry[]): string {
  const deletion = history.find((e) => e.op === 'delete')
  const previous = deletion?.previous ?? null
  if (deletion === undefined || deletion !== history[0] || previous === null) {
    throw new CliError(
      'not_found',
      `namespace ${JSON.stringify(ns)} does not exist, and its history does not end with its deletion`,
      [`pick a version from \`namerctl history ${ns}\` and pass it with --to`],
    )
  }
  return previous
}
