// How read commands print: `-o text|json|yaml` (and namerctl's `--json`). JSON is one compact
// line, as namerctl wrote it, for scripts and jq; text is for people.
import { Option } from 'commander'
import { stringify as toYaml } from 'yaml'
import type { Io } from './io.js'

export const FORMATS = ['text', 'json', 'yaml'] as const
export type Format = (typeof FORMATS)[number]

export function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(FORMATS)
}

export interface FormatFlags {
  readonly output?: string | undefined
  readonly json?: boolean | undefined
}

/** `-o` wins over `--json`; text otherwise. */
export function formatOf(flags: FormatFlags): Format {
  if (flags.output !== undefined) return flags.output as Format
  return flags.json === true ? 'json' : 'text'
}

/** Prints `value` as JSON or YAML, or as `text()` for the text format. */
export function print(io: Io, format: Format, value: unknown, text: () => string): void {
  switch (format) {
    case 'json':
      io.out(`${JSON.stringify(value)}\n`)
      return
    case 'yaml':
      io.out(toYaml(value))
      return
    case 'text':
      io.out(text())
  }
}

/** Rows padded into columns, two spaces apart; the last column is not padded. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))
    })
  }
  return rows
    .map(
      (row) =>
        `${row
          .map((cell, i) =>
            i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)),
          )
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('')
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: colour codes are what we strip
const SGR = /\x1b\[[0-9;]*m/g

function visibleLength(s: string): number {
  return s.replace(SGR, '').length
}
