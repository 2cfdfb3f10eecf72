import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { tempDir } from './helpers.js'

/** Runs exit-child.ts; resolves with its exit code and output, or rejects if it hangs. */
function runChild(args: string[], ms = 5000): Promise<{ code: number | null; output: string }> {
  const script = fileURLToPath(new URL('./exit-child.ts', import.meta.url))
  const child = spawn(
    process.execPath,
    [`--import=${import.meta.resolve('tsx')}`, '--conditions=@switchyard/source', script, ...args],
    { stdio: 'pipe' },
  )
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
      reject(new Error(`the process did not exit within ${ms} ms after close:\n${output}`))
    }, ms)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, output })
    })
  })
}

for (const mode of ['close', 'iterate-then-close']) {
  t.test(`after close (${mode}) nothing keeps the process alive`, async (t) => {
    const dir = await tempDir(t)
    await writeFile(join(dir, 'world'), '10.0.0.1 80\n')
    const { code, output } = await runChild([dir, mode])
    t.equal(code, 0, output)
    t.match(output, /closed/)
    if (mode === 'iterate-then-close')
      t.match(output, /world bound,bound; localhost (pending,)?bound/)
  })
}

t.test(
  'the check has teeth: without close, the watching namer keeps the process alive',
  async (t) => {
    const dir = await tempDir(t)
    await t.rejects(runChild([dir, 'no-close'], 1500), /did not exit within 1500 ms/)
  },
)
