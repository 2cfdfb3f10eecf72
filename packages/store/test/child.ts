// Running a TypeScript test script in a child process, as tap runs the tests (tsx, sources).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export function spawnScript(script: string, args: string[]): ChildProcessWithoutNullStreams {
  const path = fileURLToPath(new URL(script, import.meta.url))
  return spawn(
    process.execPath,
    [`--import=${import.meta.resolve('tsx')}`, '--conditions=@switchyard/source', path, ...args],
    { stdio: 'pipe' },
  )
}

/** Waits for the child to exit; kills it and fails after `ms`. Resolves to code and output. */
export async function finished(
  child: ChildProcessWithoutNullStreams,
  ms = 20_000,
): Promise<{ code: number | null; output: string }> {
  let output = ''
  child.stdout.on('data', (c) => {
    output += c
  })
  child.stderr.on('data', (c) => {
    output += c
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`child did not exit within ${ms} ms:\n${output}`))
    }, ms)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}
