// A Dockerfile read as BuildKit reads it, as far as the checks need: instructions (continuation
// lines joined, comments dropped), grouped into stages by FROM, with `ARG`s before the first
// FROM substituted into FROM lines. dockerfile-utils checks the syntax; this gives the checks
// the structure (which stage a target is built from, its USER, what it copies from where).

export interface Instruction {
  readonly keyword: string
  /** The arguments as written, continuation lines joined with a space. */
  readonly args: string
  readonly line: number
}

export interface Stage {
  readonly name: string | undefined
  /** The image or stage it starts from, ARGs substituted. */
  readonly from: string
  readonly instructions: readonly Instruction[]
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string>
  readonly stages: readonly Stage[]
}

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!.trim()
    if (first === '' || first.startsWith('#')) continue
    const start = i
    let joined = first
    // A comment line inside a continued instruction is dropped and the instruction goes on.
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      joined = joined.slice(0, -1).trimEnd()
      i++
      let next = lines[i]!.trim()
      while (next.startsWith('#') && i + 1 < lines.length) {
        i++
        next = lines[i]!.trim()
      }
      joined = `${joined} ${next}`
    }
    const m = /^(\S+)\s*(.*)$/s.exec(joined)!
    instructions.push({ keyword: m[1]!.toUpperCase(), args: m[2]!, line: start + 1 })
  }
  const globalArgs = new Map<string, string>()
  const stages: { name: string | undefined; from: string; instructions: Instruction[] }[] = []
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)
      if (m === null) throw new Error(`line ${ins.line}: cannot read FROM ${ins.args}`)
      const from = m[1]!.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, n: string) => {
        const v = globalArgs.get(n)
        if (v === undefined) throw new Error(`line ${ins.line}: ARG ${n} has no default`)
        return v
      })
      stages.push({ name: m[2], from, instructions: [] })
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`)
      const [name, value] = ins.args.split('=', 2)
      globalArgs.set(name!.trim(), (value ?? '').trim())
    } else stages.at(-1)!.instructions.push(ins)
  }
  return { globalArgs, stages }
}

/** The stage named `name`, then the stage it is built from, and so on, to an image. */
export function stageChain(file: Dockerfile, name: string): Stage[] {
  const chain: Stage[] = []
  let current = file.stages.find((s) => s.name === name)
  while (current !== undefined) {
    if (chain.includes(current)) throw new Error(`stage ${name}: FROM loops`)
    chain.push(current)
    const from = current.from
    current = file.stages.find((s) => s.name === from)
  }
  return chain
}

/** The last value of `keyword` in a target's stages (a later stage's wins), or undefined. */
export function effective(file: Dockerfile, target: string, keyword: string): string | undefined {
  for (const stage of stageChain(file, target)) {
    const found = stage.instructions.filter((i) => i.keyword === keyword).at(-1)
    if (found !== undefined) return found.args
  }
  return undefined
}

/** An exec-form (JSON array) instruction's words; throws for the shell form. */
export function execForm(args: string): string[] {
  const value: unknown = JSON.parse(args)
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`not an exec-form array: ${args}`)
  }
  return value
}
