// Reads of the DTab objects: direct (a consistent read from the API server each time), checked
// at the boundary (an answer that is not a DTab, or a list that is not a list, is an error),
// and falling back to the watch loop's last known state while the API server is away.
import { isKubeError, type ObjectClient, type Reflector } from '@switchyard/kube'
import { z } from 'zod'
import { live } from './k8s-deleting.js'
import { K8S_NAMESPACE_RULE } from './k8s-names.js'
import { DTabObject } from './k8s-objects.js'
import { StoreUnavailableError } from './store.js'

/** A page of a list, as far as names() needs it. */
const ListPage = z.looseObject({
  metadata: z.looseObject({ continue: z.string().optional() }),
  items: z.array(z.unknown()).nullable(),
})

export class DTabReader {
  constructor(
    private readonly dtabs: ObjectClient,
    private readonly k8sNamespace: string,
    private readonly server: string,
  ) {}

  /** The DTab, or null if there is none. */
  async get(namespace: string): Promise<DTabObject | null> {
    try {
      return parseObject(await this.dtabs.get(this.k8sNamespace, namespace))
    } catch (err) {
      if (isKubeError(err) && err.code === 'not_found') return null
      throw err
    }
  }

  /**
   * Every DTab name, from the API server, page by page. An answer that is not a list is an
   * error, not an empty store. (An item that is no DTab is left out, as the watch loop does;
   * so is one being deleted, k8s-deleting.ts.)
   */
  async names(): Promise<string[]> {
    const names: string[] = []
    let cont: string | undefined
    do {
      const raw = await this.dtabs.list(this.k8sNamespace, { limit: 500, continue: cont })
      const page = ListPage.safeParse(raw)
      if (!page.success) {
        throw new StoreUnavailableError(
          `the Kubernetes API at ${this.server} answered a list of dtabs.l5d.io with something ` +
            `that is not a list: ${z.prettifyError(page.error).slice(0, 300)}`,
        )
      }
      for (const item of page.data.items ?? []) {
        const parsed = DTabObject.safeParse(item)
        if (
          parsed.success &&
          K8S_NAMESPACE_RULE.test(parsed.data.metadata.name) &&
          live(parsed.data)
        )
          names.push(parsed.data.metadata.name)
      }
      cont = page.data.metadata.continue || undefined
    } while (cont !== undefined)
    return names
  }
}

/** An object the API server answered a DTab call with. */
export function parseObject(raw: unknown): DTabObject {
  const parsed = DTabObject.safeParse(raw)
  if (!parsed.success) {
    throw new StoreUnavailableError(
      'the Kubernetes API answered with a DTab that has no metadata.name or resourceVersion',
    )
  }
  return parsed.data
}

export interface LastKnownOptions<T> {
  /** The watch loop, whose cache is the last known state. */
  readonly reflector: Pick<Reflector<DTabObject>, 'health' | 'hasSynced'>
  /** While stale, how long the API server gets before the last known state answers. */
  readonly staleReadMs: number
  readonly direct: () => Promise<T>
  readonly cached: () => T
}

/**
 * A read from the API server, or from the last known state when the API server is away (and
 * the loop has ever synced). While already stale, the API server gets staleReadMs to answer
 * before the cache does. Other failures are thrown as they are.
 */
export async function readOrLastKnown<T>(o: LastKnownOptions<T>): Promise<T> {
  const fallback = (err: unknown): boolean =>
    isKubeError(err) && err.code === 'unavailable' && o.reflector.hasSynced
  if (o.reflector.health.state !== 'stale') {
    try {
      return await o.direct()
    } catch (err) {
      if (fallback(err)) return o.cached()
      throw err
    }
  }
  let timer: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    o.direct().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<{ late: true }>((resolve) => {
      timer = setTimeout(() => resolve({ late: true }), o.staleReadMs)
    }),
  ])
  clearTimeout(timer)
  if ('value' in outcome) return outcome.value
  if ('late' in outcome || fallback(outcome.error)) return o.cached()
  throw outcome.error
}
