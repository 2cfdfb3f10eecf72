// What a command may touch outside itself: its streams, environment and working directory.
// Passed down rather than read from `process`, so every command can be run with other streams.

export interface Io {
  readonly out: (text: string) => void
  readonly err: (text: string) => void
  /** The whole of standard input, as UTF-8. */
  readonly readStdin: () => Promise<string>
  readonly env: Readonly<Record<string, string | undefined>>
  readonly cwd: string
  /** Colour on standard output (a TTY, and neither NO_COLOR nor --no-color). */
  readonly color: boolean
  /** Colour on standard error. */
  readonly colorErr: boolean
}

/** Colour decision as most CLIs make it: FORCE_COLOR forces, NO_COLOR or a non-TTY stops. */
export function wantsColor(
  isTTY: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '' && force !== '0') return true
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  return isTTY === true
}

export function processIo(): Io {
  return {
    out: (text) => {
      process.stdout.write(text)
    },
    err: (text) => {
      process.stderr.write(text)
    },
    readStdin: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) {
        chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer))
      }
      return Buffer.concat(chunks).toString('utf8')
    },
    env: process.env,
    cwd: process.cwd(),
    color: wantsColor(process.stdout.isTTY, process.env),
    colorErr: wantsColor(process.stderr.isTTY, process.env),
  }
}

export interface Style {
  readonly red: (s: string) => string
  readonly green: (s: string) => string
  readonly yellow: (s: string) => string
  readonly cyan: (s: string) => string
  readonly dim: (s: string) => string
  readonly bold: (s: string) => string
}

const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`
const plain = (s: string) => s

export function style(color: boolean): Style {
  if (!color)
    return { red: plain, green: plain, yellow: plain, cyan: plain, dim: plain, bold: plain }
  return {
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
    dim: sgr(2, 22),
    bold: sgr(1, 22),
  }
}
