// A walkthrough in a Markdown file, as a test reads it: the ```console walkthrough blocks, in
// order, each a transcript of `$ command` lines followed by what the command prints. A command
// runs on until the end of its heredoc (`<<'EOF'` ... `EOF`) or of a line ending in `\`.
// Expected output is compared line by line, whitespace runs counted as one space: a line `...`
// stands for any number of lines, `...` inside a line for any text, and `~N` for a whole number
// within half of N either way (a count from a random split).

export interface Step {
  /** The command as bash reads it (several lines for a heredoc). */
  readonly command: string
  /** The lines it should print. */
  readonly expected: readonly string[]
}

const FENCE = /^```console walkthrough\s*$/

/** Every step of every walkthrough block of `markdown`, in order. */
export function walkthroughSteps(markdown: string): Step[] {
  const lines = markdown.split('\n')
  const steps: { command: string; expected: string[] }[] = []
  let inBlock = false
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (!inBlock) {
      inBlock = FENCE.test(line)
      continue
    }
    if (line.startsWith('```')) {
      inBlock = false
      continue
    }
    if (line.startsWith('$ ')) {
      const command = [line.slice(2)]
      const heredoc = /<<-?'?"?(\w+)'?"?/.exec(line)?.[1]
      while (heredoc !== undefined && i + 1 < lines.length && lines[i] !== heredoc) {
        command.push(lines[++i]!)
      }
      while (command.at(-1)!.endsWith('\\') && i + 1 < lines.length) command.push(lines[++i]!)
      steps.push({ command: command.join('\n'), expected: [] })
    } else if (steps.length > 0) {
      steps.at(-1)!.expected.push(line)
    }
  }
  return steps
}

const squash = (s: string) => s.trim().replace(/\s+/g, ' ')

/** Whether one printed line is what one expected line shows. */
function lineMatches(expected: string, actual: string): boolean {
  const bounds: [number, number][] = []
  const source = squash(expected)
    .split(/(\.\.\.|~\d+)/)
    .map((part) => {
      if (part === '...') return '.*'
      const about = /^~(\d+)$/.exec(part)
      if (about !== null) {
        const n = Number(about[1])
        bounds.push([Math.floor(n / 2), Math.ceil((3 * n) / 2)])
        return '(\\d+)'
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    })
    .join('')
  const m = new RegExp(`^${source}$`).exec(squash(actual))
  if (m === null) return false
  return bounds.every(([lo, hi], k) => {
    const n = Number(m[k + 1])
    return n >= lo && n <= hi
  })
}

/** Whether `actual` (the printed lines) is what `expected` shows, `...` lines included. */
export function outputMatches(expected: readonly string[], actual: readonly string[]): boolean {
  const go = (e: number, a: number): boolean => {
    if (e === expected.length) return a === actual.length
    if (expected[e]!.trim() === '...') {
      for (let k = a; k <= actual.length; k++) if (go(e + 1, k)) return true
      return false
    }
    return a < actual.length && lineMatches(expected[e]!, actual[a]!) && go(e + 1, a + 1)
  }
  return go(0, 0)
}
