// A walkthrough in a Markdown file, as a test reads it: the ```console walkthrough blocks, in
// order, each a transcript of `$ command` lines followed by what the command prints. A command
// runs on until the end of its heredoc (`<<'EOF'` ... `EOF`) or of a line ending in `\`; one
// whose first line ends in a comment ending `exit N` (`# exit 1`; a shell comment, so it still pastes) must exit N, any
// other 0. Expected output is compared line by line, whitespace runs counted as one space: a
// line `...` stands for any number of lines, `...` inside a line for any text, and `~N` for a
// whole number within half of N either way (a count from a random split).
//
// A page with several walkthroughs names them: ```console walkthrough <name>. Steps a reader
// needs no example of (making the files an example reads) can sit in an HTML comment, which
// the page does not show: `<!-- console walkthrough [<name>]` ... `-->`, read the same way.
// A config file the page shows that its program must load is a ```yaml check <program> block
// (namerd or switchyard-proxy; see configBlocks).

export interface Step {
  /** The command as bash reads it (several lines for a heredoc). */
  readonly command: string
  /** The lines it should print. */
  readonly expected: readonly string[]
  /** The exit status it must have: the `# exit N` of its first line, else 0. */
  readonly status: number
}

/** The name a block's opening line gives it ('' for none) and its indent (a block in a list
 * item is indented, its lines too), or null if it opens no walkthrough. */
function opens(line: string): { name: string; indent: number } | null {
  const m = /^( *)(?:```console walkthrough|<!-- console walkthrough)(?:\s+([\w.-]+))?\s*$/.exec(
    line,
  )
  return m === null ? null : { name: m[2] ?? '', indent: m[1]!.length }
}

/** Every step of every walkthrough block of `markdown` named `name` ('' for the unnamed ones),
 * in order. */
export function walkthroughSteps(markdown: string, name = ''): Step[] {
  const lines = markdown.split('\n')
  const steps: { command: string; expected: string[]; status: number }[] = []
  let inBlock = false
  let indent = 0
  // Lines of a block before its first command are the block's own words (a hidden block's
  // note), never more output of the previous block's last command.
  let commandSeen = false
  for (let i = 0; i < lines.length; i++) {
    if (!inBlock) {
      const open = opens(lines[i]!)
      inBlock = open?.name === name
      indent = open?.indent ?? 0
      commandSeen = false
      continue
    }
    const line = lines[i]!.slice(Math.min(indent, /^ */.exec(lines[i]!)![0].length))
    if (line.startsWith('```') || line.trim() === '-->') {
      inBlock = false
      continue
    }
    if (line.startsWith('$ ')) {
      const command = [line.slice(2)]
      const heredoc = /<<-?'?"?(\w+)'?"?/.exec(line)?.[1]
      while (heredoc !== undefined && i + 1 < lines.length && lines[i]!.slice(indent) !== heredoc) {
        command.push(lines[++i]!.slice(indent))
      }
      while (command.at(-1)!.endsWith('\\') && i + 1 < lines.length) {
        command.push(lines[++i]!.slice(indent))
      }
      const status = /#.*\bexit (\d+)\s*$/.exec(line)?.[1]
      steps.push({ command: command.join('\n'), expected: [], status: Number(status ?? 0) })
      commandSeen = true
    } else if (commandSeen) {
      steps.at(-1)!.expected.push(line)
    }
  }
  // A blank line between one command's output and the next command is the page's spacing.
  for (const step of steps) {
    while (step.expected.length > 0 && step.expected.at(-1)!.trim() === '') step.expected.pop()
  }
  return steps
}

/** A config file a page shows, to be loaded by `program` (```yaml check <program>). */
export interface ConfigBlock {
  readonly program: string
  readonly text: string
  /** The line of the page the block starts on (1-based), to name it in a failure. */
  readonly line: number
}

/** Every ```yaml check <program> block of `markdown`, in order. */
export function configBlocks(markdown: string): ConfigBlock[] {
  const lines = markdown.split('\n')
  const blocks: ConfigBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    // A block in a list item is indented, its lines too: the indent is taken off.
    const m = /^( *)```yaml check ([\w-]+)\s*$/.exec(lines[i]!)
    if (m === null) continue
    const indent = m[1]!
    const program = m[2]!
    const start = i
    const body: string[] = []
    while (++i < lines.length && !lines[i]!.trimStart().startsWith('```')) {
      const line = lines[i]!
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line)
    }
    blocks.push({ program, text: `${body.join('\n')}\n`, line: start + 1 })
  }
  return blocks
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
