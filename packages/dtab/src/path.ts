import { isShowable } from './chars.js'
import { parsePath } from './parser.js'
import type { Path as PathT } from './types.js'

const HEX = '0123456789abcdef'

/** Shows one element: as is when every byte is showable, else every byte as `\xhh`. */
export function showElem(elem: string): string {
  for (let i = 0; i < elem.length; i++) {
    if (!isShowable(elem.charCodeAt(i))) {
      let out = ''
      for (let j = 0; j < elem.length; j++) {
        const b = elem.charCodeAt(j)
        out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`
      }
      return out
    }
  }
  return elem
}

/** Encodes text as UTF-8 into a byte-string element. */
export function utf8Elem(text: string): string {
  let out = ''
  for (const ch of text) {
    const c = ch.codePointAt(0)!
    if (c < 0x80) out += ch
    else if (c < 0x800) out += String.fromCharCode(0xc0 | (c >> 6), 0x80 | (c & 63))
    else if (c < 0x10000) {
      // A lone surrogate encodes as U+FFFD, as TextEncoder does.
      const u = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c
      out += String.fromCharCode(0xe0 | (u >> 12), 0x80 | ((u >> 6) & 63), 0x80 | (u & 63))
    } else {
      out += String.fromCharCode(
        0xf0 | (c >> 18),
        0x80 | ((c >> 12) & 63),
        0x80 | ((c >> 6) & 63),
        0x80 | (c & 63),
      )
    }
  }
  return out
}

/** Decodes a byte-string element as UTF-8; a byte that is not valid UTF-8 becomes U+FFFD. */
export function elemText(elem: string): string {
  let out = ''
  for (let i = 0; i < elem.length; ) {
    const b = elem.charCodeAt(i)
    const len =
      b < 0x80
        ? 1
        : b >= 0xc2 && b < 0xe0
          ? 2
          : b >= 0xe0 && b < 0xf0
            ? 3
            : b >= 0xf0 && b < 0xf5
              ? 4
              : 0
    let c = len === 1 ? b : len === 2 ? b & 31 : len === 3 ? b & 15 : b & 7
    let ok = len > 0 && i + len <= elem.length
    for (let k = 1; ok && k < len; k++) {
      const cb = elem.charCodeAt(i + k)
      if ((cb & 0xc0) !== 0x80) ok = false
      else c = (c << 6) | (cb & 63)
    }
    const min = len === 3 ? 0x800 : len === 4 ? 0x10000 : 0
    if (!ok || c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
      out += '\ufffd'
      i += 1
    } else {
      out += String.fromCodePoint(c)
      i += len
    }
  }
  return out
}

/** A path: see types.ts. */
export type Path = PathT
/** Paths: sequences of byte-string elements, read and shown in Finagle's syntax. */
export const Path = {
  empty: Object.freeze([]) as PathT,

  /** Parses `/a/b\x2fc`; throws DtabParseError. */
  read: parsePath,

  /** `/a/b`, and `/` for the empty path. Inverse of read. */
  show(path: PathT): string {
    if (path.length === 0) return '/'
    let out = ''
    for (const e of path) out += `/${showElem(e)}`
    return out
  },

  /** Builds a path from text elements, each encoded as UTF-8. */
  utf8(...elems: string[]): PathT {
    return elems.map(utf8Elem)
  },

  equals(a: PathT, b: PathT): boolean {
    if (a === b) return true
    if (a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  },

  startsWith(path: PathT, prefix: PathT): boolean {
    if (prefix.length > path.length) return false
    for (let i = 0; i < prefix.length; i++) if (path[i] !== prefix[i]) return false
    return true
  },

  take(path: PathT, n: number): PathT {
    return n >= path.length ? path : path.slice(0, Math.max(0, n))
  },

  drop(path: PathT, n: number): PathT {
    return n <= 0 ? path : path.slice(n)
  },

  concat(a: PathT, b: PathT): PathT {
    if (b.length === 0) return a
    if (a.length === 0) return b
    return [...a, ...b]
  },

  /** Scala's debugging form, `Path(a,b)`. */
  toString(path: PathT): string {
    return `Path(${path.map(showElem).join(',')})`
  },
}
