// A listen that failed for a reason the operator fixes by choosing another address: said in one
// line (a stack trace tells them nothing), naming the address and the flag that changes it.

import { hostPort } from '@switchyard/wire'
import type { ListenAddress } from './config.js'

const REASONS: Readonly<Record<string, (host: string) => string>> = {
  EADDRINUSE: () => 'address already in use (another namerd?)',
  EACCES: () => 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: (host) => `address not available (${host} is not an address of this host)`,
  ENOTFOUND: (host) => `the host name ${host} does not resolve`,
  EAI_AGAIN: (host) => `the host name ${host} does not resolve`,
}

/**
 * `cannot listen on 127.0.0.1:4180: address already in use (another namerd?); pick another
 * with --listen HOST:PORT`, or null when `err` is not such a failure (then it is a bug or
 * something else, and its stack is worth logging).
 */
export function listenProblem(err: unknown, listen: ListenAddress): string | null {
  const e = (err ?? {}) as { code?: unknown; syscall?: unknown; hostname?: unknown }
  // The store can fail with EACCES too: only the listen itself, or the lookup of its host.
  const ours = e.syscall === 'listen' || (e.syscall === 'getaddrinfo' && e.hostname === listen.host)
  const reason = ours && typeof e.code === 'string' ? REASONS[e.code] : undefined
  if (reason === undefined) return null
  return `cannot listen on ${hostPort(listen.host, listen.port)}: ${reason(listen.host)}; pick another with --listen HOST:PORT`
}
