// Reading a dtab to write, as namerctl does (namerd-wire.md §2.2): a file, or `-` for stdin;
// content starting with `{` or `[` is JSON (`{"version","dtab"}`, whose version becomes
// If-Match), anything else dtab text, sent as written. We check it first, so a mistake is
// shown with a caret on the line and nothing is sent.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Dtab, DtabJsonError, DtabParseError, renderParseError } from '@switchyard/dtab'
import { DTAB_TYPE, type DtabBody, JSON_TYPE } from './client.js'
import { CliError, UsageError } from './errors.js'
import type { Io } from './io.js'
import { type DentryJson, DtabJson, VersionedDtab } from './schemas.js'

export interface DtabInput {
  readonly body: DtabBody
  /** The version a JSON input carried, if any. */
  readonly version: string | undefined
  /** The dentries, for diffs. */
  readonly dtab: DentryJson[]
}

export async function readSource(source: string, io: Io): Promise<string> {
  if (source === '') throw new UsageError('empty dtab path')
  if (source === '-') return io.readStdin()
  try {
    return await readFile(resolve(io.cwd, source), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CliError('input', `cannot read ${source}: ${code ?? String(err)}`, [
      'give a file with the dtab, or - to read standard input',
    ])
  }
}

export function parseDtabInput(text: string, source: string): DtabInput {
  const first = text.charAt(0)
  if (first === '{' || first === '[') return parseJsonInput(text, source)
  return { body: { contentType: DTAB_TYPE, text }, version: undefined, dtab: readText(text) }
}

/** Parses dtab text; a syntax error becomes a CliError showing the line and a caret. */
export function readText(text: string, what = 'dtab'): DentryJson[] {
  try {
    return Dtab.toJson(Dtab.read(text))
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new CliError(
        'invalid_dtab',
        renderParseError(headlined(err), what).replace(/^error: /, ''),
        ['nothing was sent. Fix the dtab and run the command again.'],
      )
    }
    throw err
  }
}

/**
 * Finagle's message quotes the whole input (`... found at '/a=>/b;\n/c=[>]...'`): one line for a
 * one-line dtab, but for a file, the whole file inside the first line of the error. The line and
 * the caret that follow show the place, so for multi-line input the quote is left out.
 */
function headlined(err: DtabParseError): DtabParseError {
  if (!err.input.includes('\n')) return err
  const message = err.message.replace(/ found at '[\s\S]*'$/, ' found')
  return new DtabParseError(message, err.offset, err.input, err.expected)
}

function parseJsonInput(text: string, source: string): DtabInput {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new CliError('input', `${source} starts like JSON but is not JSON`, [
      err instanceof Error ? err.message : String(err),
      'JSON input is {"version": "<ETag>", "dtab": [{"prefix": "/svc", "dst": "/host"}]}, as `namerctl dtab get <ns> --json` prints it',
    ])
  }
  // namerctl reads an object; a bare array of dentries is accepted as well (no version).
  const shape = Array.isArray(value) ? DtabJson.safeParse(value) : VersionedDtab.safeParse(value)
  if (!shape.success) {
    throw new CliError('input', `${source} is not a dtab in JSON`, [
      ...shape.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`),
      'expected {"version": "<ETag>", "dtab": [{"prefix": "/svc", "dst": "/host"}]}',
    ])
  }
  const data = Array.isArray(shape.data) ? { dtab: shape.data, version: undefined } : shape.data
  try {
    Dtab.fromJson(data.dtab)
  } catch (err) {
    if (err instanceof DtabJsonError) {
      throw new CliError('invalid_dtab', `${source}: ${err.message}`, [
        'nothing was sent. Fix the dentry and run the command again.',
      ])
    }
    throw err
  }
  return {
    body: { contentType: JSON_TYPE, text: JSON.stringify(data.dtab) },
    version: data.version === '' ? undefined : data.version,
    dtab: data.dtab,
  }
}
