// IPv4 addresses as 32-bit numbers, for Linkerd's "same /24 subnet" test (its Netmask with
// 255.255.255.0): each Kubernetes node has its own /24 of pod IPs, so the subnet names the node.

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
/** An IPv4-mapped IPv6 address, which Java's InetAddress reads as the IPv4 address it maps. */
const MAPPED = /^(?:0{0,4}:){0,5}:?ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i

/** The address as an unsigned 32-bit number, or undefined when it is not an IPv4 address. */
export function ipv4(text: string): number | undefined {
  const mapped = MAPPED.exec(text)
  const m = QUAD.exec(mapped === null ? text : mapped[1]!)
  if (m === null) return undefined
  let n = 0
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!
    // A leading zero would be read as octal by some parsers: refuse the ambiguity.
    if (part.length > 1 && part.startsWith('0')) return undefined
    const b = Number(part)
    if (b > 255) return undefined
    n = n * 256 + b
  }
  return n
}

/** The /24 network of an IPv4 address (its first three bytes), or undefined for any other text. */
export function subnet24(text: string): number | undefined {
  const n = ipv4(text)
  return n === undefined ? undefined : Math.floor(n / 256)
}

/**
 * True when both are IPv4 addresses in the same /24. Like Linkerd's Netmask, addresses of
 * another family (IPv6) are never on the same subnet as anything.
 */
export function sameSubnet24(a: string, b: string): boolean {
  const x = subnet24(a)
  return x !== undefined && x === subnet24(b)
}
