// Bounds that keep hostile dtabs from stopping a daemon: how deep a dtab may nest, and how much
// work one bind or delegation may do. Finagle bounds only the rewrite depth (100), which a union
// defeats: `/s => /s/a & /s/b` doubles the work at each of those 100 levels.
import { DtabError } from './errors.js'

/**
 * Parentheses a name tree may nest. Each level costs the parser (and every recursive function
 * over the tree) a few stack frames, and thousands of levels overflow the stack. A real dtab
 * nests two or three levels (`1 * (/a | /b) & 9 * /c`); 100 leaves room for generated ones.
 */
export const MAX_NESTING = 100

/**
 * Steps one bind or delegation may take. A step is one cheap operation: a dentry examined, a
 * path element compared or copied. A tree node visited or built costs NODE_STEPS, which also
 * bounds the result to MAX_BIND_WORK / NODE_STEPS = 100,000 nodes.
 *
 * Why this value: a bind costs about 3 steps per dentry per lookup plus 10 per node, so a
 * 50-dentry dtab binds a name in about 2,000 steps; the large end of real dtabs (1,000 dentries
 * and a 30-rewrite chain, or 500 dentries and a 20-way union) takes about 100,000, and
 * Finagle's longest chain (99 rewrites) through 1,000 dentries 320,000. The hostile cases
 * (unions of self-references, a 5,000-member dst looked up at every level) reach the limit in
 * 10 to 100 ms, and those are the most any one bind can cost.
 */
export const MAX_BIND_WORK = 1_000_000

/**
 * The steps of one tree node visited or built. It allocates, and measured ten to twenty times
 * the cost of a comparison, so nodes, not the dtab's size, exhaust the work of a hostile union.
 */
export const NODE_STEPS = 10

/**
 * Levels of recursion one bind or delegation may reach: rewrites plus the union and alt levels
 * of every tree they pass through. It bounds the depth of the result, so no recursive function
 * over a bound or delegation tree (simplify, show, JSON, a proxy's compiled picker) can
 * overflow the stack. A real bind reaches tens; Finagle's 100 rewrites of dsts nesting 3 levels
 * reach 400.
 */
export const MAX_BIND_NESTING = 1000

/** Work spent so far by one bind or delegation, in the steps of MAX_BIND_WORK. */
export interface Work {
  spent: number
}

/**
 * A bind or delegation that reached MAX_BIND_WORK or MAX_BIND_NESTING. Unlike the depth
 * limit, it ends the whole bind: a union does not drop the member that reached it (every later
 * member would reach it too), so the answer does not depend on which member came first.
 */
export class BindWorkLimitError extends DtabError {
  readonly code = 'bind_work_limit'
  override readonly name = 'BindWorkLimitError'
  constructor(
    /** What was being bound: a path, or a name tree, as shown. */
    readonly subject: string,
    readonly limit: 'work' | 'nesting',
    readonly max: number,
  ) {
    super(
      limit === 'work'
        ? `Bind work limit reached: binding ${subject} needs more than ${max} steps (a dentry whose union refers to its own prefix doubles the work at each level)`
        : `Bind work limit reached: binding ${subject} nests deeper than ${max} levels`,
    )
  }
}

export interface WorkLimits {
  /** Default MAX_BIND_WORK. */
  readonly maxWork?: number
  /** Default MAX_BIND_NESTING. */
  readonly maxNesting?: number
  /** A meter to spend from (and read afterwards); a fresh one by default. */
  readonly work?: Work
}

/**
 * The limits of one bind or delegation, defaults filled in, checked at each tree node it
 * visits. `subject` names what is bound in the error; it is shown only when a limit is reached.
 */
export class WorkMeter {
  /** The work spent: the caller's meter (WorkLimits.work) or a fresh one. */
  readonly work: Work
  readonly #maxWork: number
  readonly #maxNesting: number
  readonly #subject: () => string

  constructor(options: WorkLimits, subject: () => string) {
    this.work = options.work ?? { spent: 0 }
    this.#maxWork = options.maxWork ?? MAX_BIND_WORK
    this.#maxNesting = options.maxNesting ?? MAX_BIND_NESTING
    this.#subject = subject
  }

  /**
   * One node visited at recursion depth `level`: NODE_STEPS spent. The normal path's whole
   * cost: an addition and two comparisons. Once spent, the work stays where it is, so an Alt's
   * fallbacks may still be tried and dropped.
   */
  node(level: number): void {
    if (this.work.spent >= this.#maxWork) {
      throw new BindWorkLimitError(this.#subject(), 'work', this.#maxWork)
    }
    this.work.spent += NODE_STEPS
    if (level > this.#maxNesting) {
      throw new BindWorkLimitError(this.#subject(), 'nesting', this.#maxNesting)
    }
  }
}
