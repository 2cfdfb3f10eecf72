// How every program writes an endpoint or a listening address: `ip:port`, and `[ip]:port` for
// an IPv6 address (RFC 3986's authority form), so the port can be told from the address.

/** `10.0.0.5:8080`, `[::1]:4180`. A host name is written as it is: `localhost:4180`. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`
}
