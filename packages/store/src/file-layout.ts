// The file store's directory, and how one change is written to it.
//
//   <root>/dtabs/<namespace>/00000000000000000007.json   one immutable record per change
//   <root>/tmp/<pid>-<uuid>.json                          records being written
//   <root>/rollouts/..., <root>/rollouts-active/..., <root>/leases/...   see rollouts-file.ts
//
// A namespace's state is its highest-numbered record (a delete is a tombstone record); the
// number is its version, an 8-byte counter as in namerd's inMemory store. Older records are the
// history, pruned to the store's limit.
//
// Compare-and-swap across processes is link(2): a record is written to a temp file, fsynced,
// then hard-linked to its final name, which fails with EEXIST if another writer took that
// number first. The link is atomic and never replaces a file, so of two writers that read
// version 6 exactly one creates record 7; the other re-reads and retries or reports a version
// mismatch. There is no lock to go stale when a writer is killed, and a reader sees either the
// old record set or the new complete record, never part of a file.
//
// Pruning old records frees their names, which a writer that read a long-gone head could then
// link into. So pruning first makes a `floor-<n>` marker durable (every number below n is
// burned) and only then deletes records below n; a writer checks the floor after linking and
// takes its record back if it landed below. The floor only rises (it is the highest marker).
// The one ambiguity left: if more than the history limit of writes by other processes land
// between a writer's link and its floor check (microseconds), that writer reports a conflict
// although its record was briefly current.
import { randomUUID } from 'node:crypto'
import { link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { isValidNamespace } from './namespace.js'

export const RECORD_FORMAT = 'switchyard.dtab/v1'

export const FileRecord = z
  .strictObject({
    format: z.literal(RECORD_FORMAT),
    namespace: z.string(),
    seq: z.number().int().min(1),
    op: z.enum(['create', 'put', 'update', 'delete']),
    previous: z.number().int().min(1).nullable(),
    time: z.iso.datetime(),
    who: z.string().nullable(),
    /** Why the write was made (WriteOptions.why); absent in records from before it existed. */
    why: z.string().nullable().optional(),
    /** `Dtab.show` text; null in a delete's tombstone. */
    dtab: z.string().nullable(),
  })
  .refine((r) => (r.op === 'delete') === (r.dtab === null), {
    message: 'a delete record has "dtab": null and every other record has the dtab text',
  })
export type FileRecord = z.infer<typeof FileRecord>

const RECORD_NAME = /^(\d{20})\.json$/
const FLOOR_NAME = /^floor-(\d{20})$/

function pad(n: number): string {
  return String(n).padStart(20, '0')
}

export class Layout {
  readonly dtabs: string
  readonly tmp: string
  constructor(readonly root: string) {
    this.dtabs = join(root, 'dtabs')
    this.tmp = join(root, 'tmp')
  }
  namespaceDir(namespace: string): string {
    return join(this.dtabs, namespace)
  }
  recordPath(namespace: string, seq: number): string {
    return join(this.dtabs, namespace, `${pad(seq)}.json`)
  }
  floorPath(namespace: string, floor: number): string {
    return join(this.dtabs, namespace, `floor-${pad(floor)}`)
  }
}

export function errno(err: unknown): string | undefined {
  return err instanceof Error && 'code' in err && typeof err.code === 'string'
    ? err.code
    : undefined
}

/** Namespaces with a directory, valid names only (anything else in there is not ours). */
export async function namespaceDirs(layout: Layout): Promise<string[]> {
  const entries = await readdir(layout.dtabs, { withFileTypes: true })
  return entries.filter((e) => e.isDirectory() && isValidNamespace(e.name)).map((e) => e.name)
}

export interface NamespaceFiles {
  /** Record numbers, ascending. */
  readonly seqs: number[]
  /** Numbers below this are burned: never (again) a record. */
  readonly floor: number
  /** The floor markers present. */
  readonly floors: number[]
}

/** What a namespace's directory holds; nothing if it has no directory. */
export async function namespaceFiles(layout: Layout, namespace: string): Promise<NamespaceFiles> {
  return seqFiles(layout.namespaceDir(namespace))
}

/**
 * The numbered records (`<20 digits>.json`) and floor markers of any directory written with
 * linkFile; nothing if it does not exist. The dtab namespaces use it, and so do rollouts and
 * leases (rollouts-file.ts).
 */
export async function seqFiles(dir: string): Promise<NamespaceFiles> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR')
      return { seqs: [], floor: 0, floors: [] }
    throw err
  }
  const seqs: number[] = []
  const floors: number[] = []
  for (const name of names) {
    const record = RECORD_NAME.exec(name)
    if (record) seqs.push(Number(record[1]))
    const floor = FLOOR_NAME.exec(name)
    if (floor) floors.push(Number(floor[1]))
  }
  return { seqs: seqs.sort((a, b) => a - b), floor: Math.max(0, ...floors), floors }
}

export function seqPath(dir: string, seq: number): string {
  return join(dir, `${pad(seq)}.json`)
}

/** The record numbers of a namespace, ascending; [] if it has no directory. */
export async function recordSeqs(layout: Layout, namespace: string): Promise<number[]> {
  return (await namespaceFiles(layout, namespace)).seqs
}

export type ReadRecord =
  | { readonly type: 'ok'; readonly record: FileRecord }
  | { readonly type: 'bad'; readonly detail: string; readonly cause?: unknown }
  | { readonly type: 'missing' }

export async function readRecord(
  layout: Layout,
  namespace: string,
  seq: number,
): Promise<ReadRecord> {
  let text: string
  try {
    text = await readFile(layout.recordPath(namespace, seq), 'utf8')
  } catch (err) {
    if (errno(err) === 'ENOENT') return { type: 'missing' }
    throw err
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    return { type: 'bad', detail: `not JSON (${(err as Error).message})`, cause: err }
  }
  const parsed = FileRecord.safeParse(json)
  if (!parsed.success) {
    return {
      type: 'bad',
      detail: z.prettifyError(parsed.error).replace(/\n\s*/g, ' '),
      cause: parsed.error,
    }
  }
  const record = parsed.data
  if (record.namespace !== namespace || record.seq !== seq) {
    return {
      type: 'bad',
      detail: `the record says namespace ${JSON.stringify(record.namespace)} version ${record.seq}`,
    }
  }
  return { type: 'ok', record }
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch (err) {
    if (errno(err) === 'ENOENT') return false
    throw err
  }
}

export async function ensureLayout(layout: Layout): Promise<void> {
  await mkdir(layout.dtabs, { recursive: true })
  await mkdir(layout.tmp, { recursive: true })
}

/**
 * Writes `record` as its namespace's record number `record.seq`, durably: temp file, fsync,
 * link, fsync the directory. Returns false, having changed nothing, if that number is taken.
 */
export async function linkRecord(layout: Layout, record: FileRecord): Promise<boolean> {
  return linkFile(
    layout.tmp,
    layout.namespaceDir(record.namespace),
    record.seq,
    `${JSON.stringify(record)}\n`,
  )
}

/**
 * The compare-and-swap of every file-backed record: writes `text` as record number `seq` of
 * `dir` (created with its parents if needed), durably, through a temp file in `tmpDir` and
 * link(2). Returns false, having changed nothing, if that number is taken or was pruned.
 */
export async function linkFile(
  tmpDir: string,
  dir: string,
  seq: number,
  text: string,
): Promise<boolean> {
  const target = seqPath(dir, seq)
  if (await exists(target)) return false // cheap early answer; the link below decides

  if (!(await exists(dir))) {
    const made = await mkdir(dir, { recursive: true })
    if (made) {
      // Every new directory's entry must survive a crash too: fsync each parent made, and the
      // one above the first.
      for (let d = dir; d.length >= made.length; d = dirname(d)) await fsyncDir(dirname(d))
    }
  }

  const tmp = join(tmpDir, `${process.pid}-${randomUUID()}.json`)
  const handle = await open(tmp, 'wx', 0o644)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await link(tmp, target)
  } catch (err) {
    if (errno(err) === 'EEXIST') return false
    throw err
  } finally {
    await unlink(tmp).catch(() => {})
  }
  if (seq < (await seqFiles(dir)).floor) {
    // Linked into a pruned slot: our head was long gone. Take the record back; try again.
    await unlink(target).catch(() => {})
    return false
  }
  await fsyncDir(dir)
  return true
}

/** Removes records older than the newest `keep` (best effort: a failure only delays it). */
export async function pruneRecords(
  layout: Layout,
  namespace: string,
  newest: number,
  keep: number,
): Promise<void> {
  await pruneSeqDir(layout.namespaceDir(namespace), newest, keep)
}

/** pruneRecords for any directory written with linkFile. */
export async function pruneSeqDir(dir: string, newest: number, keep: number): Promise<void> {
  const floor = newest - keep + 1
  const files = await seqFiles(dir)
  const old = files.seqs.filter((seq) => seq < floor)
  if (old.length === 0) return
  if (files.floor < floor) {
    // The marker must be on disk before any record below it is gone (see the top of the file).
    try {
      await (await open(join(dir, `floor-${pad(floor)}`), 'wx')).close()
    } catch (err) {
      if (errno(err) !== 'EEXIST') throw err
    }
    await fsyncDir(dir)
  }
  await Promise.all([
    ...old.map((seq) => unlink(seqPath(dir, seq)).catch(() => {})),
    ...files.floors
      .filter((f) => f < floor)
      .map((f) => unlink(join(dir, `floor-${pad(f)}`)).catch(() => {})),
  ])
}

/** Deletes temp files left by writers that died (their pid is gone) or are an hour old. */
export async function cleanTemp(layout: Layout): Promise<void> {
  const names = await readdir(layout.tmp).catch(() => [] as string[])
  const hourAgo = Date.now() - 3_600_000
  await Promise.all(
    names.map(async (name) => {
      const path = join(layout.tmp, name)
      const pid = Number(/^(\d+)-/.exec(name)?.[1])
      const dead = !(pid > 0) || !alive(pid)
      const old =
        dead ||
        (await stat(path).then(
          (s) => s.mtimeMs < hourAgo,
          () => false,
        ))
      if (dead || old) await unlink(path).catch(() => {})
    }),
  )
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return errno(err) === 'EPERM'
  }
}
