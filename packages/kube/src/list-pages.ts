// A whole list, page by page (limit/continue), as one snapshot: the first page's
// resourceVersion is the snapshot's. A continue token that expires between pages (410) starts
// the list again, once.
import { z } from 'zod'
import { KubeError } from './errors.js'
import type { Kube, ListQuery } from './kube.js'
import type { KubeRequest } from './resource.js'

const ListPage = z.looseObject({
  metadata: z.looseObject({
    resourceVersion: z.string().min(1),
    continue: z.string().optional(),
  }),
  items: z.array(z.unknown()).nullable(),
})

export interface ListPagesOptions {
  readonly kube: Kube
  /** The list being made, for messages (verb `list`). */
  readonly request: KubeRequest
  readonly list: (namespace: string | undefined, query: ListQuery) => Promise<unknown>
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly pageSize: number
  /** Stops asking for more pages once aborted. */
  readonly signal: AbortSignal
}

export async function listPages(
  o: ListPagesOptions,
): Promise<{ items: unknown[]; resourceVersion: string }> {
  const server = o.kube.server
  for (let attempt = 0; ; attempt++) {
    const items: unknown[] = []
    let resourceVersion: string | null = null
    let cont: string | undefined
    try {
      do {
        const raw = await o.list(o.request.namespace, {
          labelSelector: o.labelSelector,
          fieldSelector: o.fieldSelector,
          limit: o.pageSize,
          continue: cont,
        })
        const page = ListPage.safeParse(raw)
        if (!page.success) {
          throw new KubeError(
            'unexpected',
            `the Kubernetes API at ${server} answered a list of ` +
              `${o.request.resource.plural} with something that is not a list: ${z.prettifyError(page.error)}`,
            { server, request: o.request },
          )
        }
        resourceVersion ??= page.data.metadata.resourceVersion
        if (page.data.items) items.push(...page.data.items)
        cont = page.data.metadata.continue || undefined
      } while (cont !== undefined && !o.signal.aborted)
      return { items, resourceVersion }
    } catch (err) {
      if (attempt === 0 && cont !== undefined && err instanceof KubeError && err.code === 'expired')
        continue
      throw err
    }
  }
}
