/** A key path as a reader writes it: `routers[0].servers[1].port`. */
export function keyPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const k of path)
    out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`
  return out || '(top level)'
}
