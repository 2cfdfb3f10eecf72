// A server of the proxy (a router's or the admin's) that could not bind its address.
/** A server that could not bind, named by its config key so the operator knows what to change. */
export class ListenError extends Error {
  override readonly name = 'ListenError'
  readonly code: string
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    const code = (cause as { code?: string }).code ?? 'listen'
    const hint =
      code === 'EADDRINUSE'
        ? `; stop what uses the port or change ${key}.port`
        : code === 'EADDRNOTAVAIL'
          ? `; ${key}.ip is not an address of this host`
          : code === 'EACCES'
            ? `; ports below 1024 need privileges: change ${key}.port`
            : ''
    super(`${key}: ${(cause as Error).message}${hint}`, { cause })
    this.code = code
  }
}
