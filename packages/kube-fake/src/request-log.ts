// The bounded log of requests tests assert on (method, raw path, first value of each parameter).

export interface RequestRecord {
  readonly method: string
  /** The raw path, without the query. */
  readonly path: string
  /** The query, first value of each parameter. */
  readonly query: Readonly<Record<string, string>>
}

export class RequestLog {
  private readonly entries: RequestRecord[] = []

  constructor(private readonly limit: number) {}

  record(method: string, path: string, query: URLSearchParams): void {
    const q: Record<string, string> = {}
    for (const [k, v] of query) if (!Object.hasOwn(q, k)) q[k] = v
    this.entries.push({ method, path, query: q })
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit)
  }

  all(): RequestRecord[] {
    return [...this.entries]
  }

  clear(): void {
    this.entries.length = 0
  }
}
