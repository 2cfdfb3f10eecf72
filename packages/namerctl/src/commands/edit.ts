// `namerctl dtab edit <ns>`: kubectl edit for a dtab. Read it with its version, open $EDITOR,
// check what comes back, show the diff, and write it with If-Match. If someone else wrote in
// the meantime, nothing is overwritten: we show what they changed and keep the edit in a file.
// A destination the edit adds that does not resolve is refused too (--force writes it), with
// the edit kept in its file.
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { type Context, examples } from '../context.js'
import {
  CHECK_HELP,
  forcedWarning,
  isRefused,
  refusal,
  renderResolution,
} from '../destination-guard.js'
import { diffDtabs, hasChanges, renderDiff } from '../diff.js'
import { CliError, HttpError } from '../errors.js'
import { readText } from '../input.js'
import { prettyDtab } from '../pretty.js'
import { checkChange } from '../resolution.js'
import { shortVersion, showVersion } from '../short-version.js'
import { whyOption } from '../why.js'

export function registerEdit(dtab: Command, ctx: Context): void {
  dtab
    .command('edit')
    .description('edit a dtab in $EDITOR and write it back safely (compare-and-swap)')
    .argument('<ns>', 'the namespace')
    .option('--dry-run', 'show the diff of the edit and check it, but write nothing')
    .addOption(whyOption())
    .option('--force', 'write even if a destination does not resolve')
    .addHelpText(
      'after',
      [
        '',
        'The editor is $VISUAL, else $EDITOR, else vi. Lines starting with # are comments.',
        'Saving an unchanged file cancels; an empty one cancels with exit 1. If the dtab changed',
        'while you were editing, nothing is written: namerctl shows what changed and where your',
        'edit was saved.',
        '',
        ...CHECK_HELP,
        examples(
          'namerctl dtab edit internal',
          'EDITOR="code --wait" namerctl dtab edit internal',
          'namerctl dtab edit internal --force   # write names that do not resolve yet',
        ),
      ].join('\n'),
    )
    .action(async (ns: string, opts: { dryRun?: boolean; force?: boolean }, cmd: Command) => {
      const client = ctx.connect(cmd)
      const base = await client.get(ns)
      const dir = await mkdtemp(join(tmpdir(), 'namerctl-edit-'))
      const file = join(dir, `${ns}.dtab`)
      const original = [
        `# Editing the dtab of namespace ${ns} at version ${showVersion(base.version)} (${client.baseUrl}).`,
        '# Lines starting with # are ignored. Save and quit to apply; an empty file cancels.',
        '#',
        prettyDtab(base.dtab),
      ].join('\n')
      await writeFile(file, original)
      await runEditor(ctx.io.env, file)
      const edited = await readFile(file, 'utf8')
      if (edited === original) {
        ctx.io.out('Edit cancelled, no changes made.\n')
        return
      }
      if (stripComments(edited).trim() === '') {
        // As git aborts on an empty commit message: a cancellation, so not a success (exit 1).
        throw new CliError('input', 'no dentries left; nothing written', [
          `${ns} is still at version ${showVersion(base.version)}.`,
          `To empty the dtab on purpose: namerctl dtab update ${ns} - --allow-empty </dev/null`,
        ])
      }
      let next: ReturnType<typeof readText>
      try {
        next = readText(edited)
      } catch (err) {
        if (err instanceof CliError) {
          throw new CliError(err.code, err.message, [
            `nothing was written; your edit is kept in ${file}.`,
            `Fix it and apply it with: namerctl dtab update ${ns} ${file} --version ${typed(base.version)}`,
          ])
        }
        throw err
      }
      const ops = diffDtabs(base.dtab, next)
      if (!hasChanges(ops)) {
        ctx.io.out('Edit cancelled, no changes made.\n')
        return
      }
      ctx.io.out(
        renderDiff(
          ops,
          { before: `${ns} ${showVersion(base.version)}`, after: `${ns} (edited)` },
          ctx.out,
        ),
      )
      const resolution = await checkChange(client, base.dtab, next)
      if (isRefused(resolution)) {
        if (opts.force !== true) {
          const err = refusal(ns, resolution, ctx.err, { dryRun: opts.dryRun === true })
          throw new CliError(err.code, err.message, [
            ...err.details,
            `Your edit is kept in ${file}; to write it as it is:`,
            `namerctl dtab update ${ns} ${file} --version ${typed(base.version)} --force`,
          ])
        }
        ctx.io.err(forcedWarning(ns, resolution, ctx.err))
      }
      ctx.io.out(renderResolution(resolution))
      if (opts.dryRun === true) {
        ctx.io.out('Dry run: nothing written.\n')
        return
      }
      try {
        const version = await client.update(
          ns,
          { contentType: 'application/json', text: JSON.stringify(next) },
          base.version,
        )
        ctx.io.out(`Updated ${ns}${version ? ` (version ${showVersion(version)})` : ''}\n`)
      } catch (err) {
        if (!(err instanceof HttpError) || err.status !== 412) throw err
        const now = await client.get(ns)
        throw new CliError(
          'conflict',
          `${ns} changed while you were editing (you started from ${showVersion(base.version)}, it is now at ${showVersion(now.version)}); nothing was written`,
          [
            'What changed meanwhile:',
            renderDiff(
              diffDtabs(base.dtab, now.dtab),
              {
                before: `${ns} ${showVersion(base.version)}`,
                after: `${ns} ${showVersion(now.version)}`,
              },
              ctx.err,
            ).trimEnd(),
            `Your edit is kept in ${file}. Run \`namerctl dtab edit ${ns}\` again, or, to put your`,
            `version over theirs: namerctl dtab update ${ns} ${file} --version ${typed(now.version)}`,
          ],
        )
      }
    })
}

/** A version as a person types it into `--version`: v6, or the ETag when it has no short form. */
function typed(etag: string): string {
  return shortVersion(etag) ?? etag
}

function stripComments(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .join('\n')
}

/** Runs the editor through the shell, so EDITOR may hold arguments ("code --wait"). */
async function runEditor(
  env: Readonly<Record<string, string | undefined>>,
  file: string,
): Promise<void> {
  const editor = env.VISUAL || env.EDITOR || 'vi'
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', `${editor} "$1"`, 'namerctl-editor', file], {
      stdio: 'inherit',
      env: { ...env },
    })
    child.once('error', reject)
    child.once('exit', (c) => resolve(c))
  })
  if (code === 127) {
    // The shell's status for a command it cannot find; its own line is already on stderr.
    const command = editor.trim().split(/\s+/)[0] ?? editor
    throw new CliError(
      'editor',
      `the editor command ${JSON.stringify(command)} was not found; nothing was written`,
      [
        `set VISUAL or EDITOR to an editor installed on this machine, e.g. EDITOR=vi or EDITOR="code --wait"`,
      ],
    )
  }
  if (code !== 0) {
    throw new CliError(
      'editor',
      `the editor (${editor}) exited with status ${code}; nothing was written`,
      [`set EDITOR to an editor that waits until the file is closed, e.g. EDITOR="code --wait"`],
    )
  }
}
