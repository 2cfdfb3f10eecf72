// The io.l5d.k8s namer's failures, logged once per change of state: one warn when its reads of
// a resource in a namespace start failing (or fail for a new kind of reason: unreachable,
// forbidden...), one info when they succeed again. Lines go by resource, namespace and kind,
// not by loop: every watched Service has two loops, and an API server that goes away (or an
// RBAC rule that is missing) fails every loop of a resource in a namespace alike, so a
// control-plane upgrade gives a few lines rather than two per Service. The message within a
// kind may vary as the connection breaks (reset, then refused); that is no new state. The info
// comes once no loop of that resource and namespace fails.
import type { NamerLogger } from '../logger.js'

/** The loop a line is about: the first to fail stands for the rest. */
export interface LoopInfo {
  readonly resource: string
  readonly namespace: string
  readonly selector: string
}

/** Why a loop cannot read: a KubeError's code and message. */
export interface LoopError {
  readonly code: string
  readonly message: string
}

interface Failing {
  /** Resource and namespace. */
  readonly group: string
  /** Resource, namespace and kind. */
  readonly state: string
  readonly message: string
}

export class FailureLog {
  readonly #logger: NamerLogger
  readonly #namer: string
  /** Each failing loop's state (resource, namespace, kind) and last message. */
  readonly #failing = new Map<number, Failing>()
  /** How many loops are in each state, and in each group. */
  readonly #count = new Map<string, number>()

  /** `namer`: the mount point the lines name, e.g. `/#/io.l5d.k8s`. */
  constructor(logger: NamerLogger, namer: string) {
    this.#logger = logger
    this.#namer = namer
  }

  /** `loop` cannot read (list or watch). */
  failed(loop: number, info: LoopInfo, error: LoopError): void {
    const group = `${info.resource} ${info.namespace}`
    const state = `${group} ${error.code}`
    const before = this.#failing.get(loop)
    this.#failing.set(loop, { group, state, message: error.message })
    if (before?.state === state) return
    if (before === undefined) this.#add(group)
    else this.#drop(before.state)
    if (this.#add(state) > 1) return
    this.#logger.warn(
      { namer: this.#namer, ...info, code: error.code, err: error.message },
      `io.l5d.k8s cannot read ${info.resource} in namespace ${info.namespace}: its names keep their last endpoints (or fail, if never read) until it can`,
    )
  }

  /** `loop` reads again (listed and watching). */
  recovered(loop: number, info: LoopInfo): void {
    const before = this.#failing.get(loop)
    if (before === undefined) return
    this.#failing.delete(loop)
    this.#drop(before.state)
    if (this.#drop(before.group) > 0) return
    this.#logger.info(
      {
        namer: this.#namer,
        resource: info.resource,
        namespace: info.namespace,
        was: before.message,
      },
      `io.l5d.k8s reads ${info.resource} in namespace ${info.namespace} again`,
    )
  }

  /** `loop` stopped: it neither fails nor recovers any more (nothing is logged). */
  forget(loop: number): void {
    const before = this.#failing.get(loop)
    if (before === undefined) return
    this.#failing.delete(loop)
    this.#drop(before.state)
    this.#drop(before.group)
  }

  /** One loop more is in `key`; returns how many are. */
  #add(key: string): number {
    const n = (this.#count.get(key) ?? 0) + 1
    this.#count.set(key, n)
    return n
  }

  /** One loop fewer is in `key`; returns how many still are. */
  #drop(key: string): number {
    const n = (this.#count.get(key) ?? 1) - 1
    if (n > 0) this.#count.set(key, n)
    else this.#count.delete(key)
    return n
  }
}
