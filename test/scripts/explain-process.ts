// `pnpm explain` (scripts/explain.ts) run as a user runs it, in a child process from the
// repository's root, for the tests that check what it prints.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Runs `pnpm explain <args>` with `stdin`; its exit code and standard output (stderr shows). */
export function runExplain(
  args: readonly string[],
  stdin: string,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      '--conditions=@switchyard/source',
      'scripts/explain.ts',
      ...args,
    ],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, NO_COLOR: '1' } },
  )
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stdin.end(stdin)
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, out })))
}
