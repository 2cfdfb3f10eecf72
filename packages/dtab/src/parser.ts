// A port of Finagle's NameTreeParsers: a hand-written recursive-descent parser over UTF-16
// code units. Messages, offsets and quirks match Finagle's (dtab-semantics.md §1-§6).
import { isDigit, isHex, isShowable, isWhitespace } from './chars.js'
import { DtabParseError } from './errors.js'
import { MAX_NESTING } from './limits.js'
import {
  AnyElem,
  type Dentry,
  type Dtab,
  type NameTree,
  type Path,
  type Prefix,
  type PrefixElem,
  type Weighted,
} from './types.js'

// Java's Char.MaxValue stands for end of input in Finagle; a literal U+FFFF reads the same.
const EOI = 0xffff
const SLASH = 0x2f
const BACKSLASH = 0x5c
const STAR = 0x2a

export const NEG: NameTree<never> = Object.freeze({ type: 'neg' })
export const FAIL: NameTree<never> = Object.freeze({ type: 'fail' })
export const EMPTY: NameTree<never> = Object.freeze({ type: 'empty' })

class Parser {
  private idx = 0
  /** Parentheses open at idx; bounded so the recursion cannot overflow the stack. */
  private nesting = 0
  constructor(private readonly str: string) {}

  private get atEnd(): boolean {
    return this.idx >= this.str.length
  }

  private peek(): number {
    return this.atEnd ? EOI : this.str.charCodeAt(this.idx)
  }

  private static describe(c: number): string {
    return c === EOI ? 'end of input' : `'${String.fromCharCode(c)}'`
  }

  /** The input with the character at `at` marked, as Finagle's messages show it. */
  private display(at: number): string {
    const { str } = this
    return at >= str.length
      ? `${str}[]`
      : `${str.slice(0, at)}[${str.charAt(at)}]${str.slice(at + 1)}`
  }

  illegal(expected: string, found: number): never {
    const { str, idx } = this
    throw new DtabParseError(
      `${expected} expected but ${Parser.describe(found)} found at '${this.display(idx)}'`,
      Math.min(idx, str.length),
      str,
      expected,
    )
  }

  /** Refuses what Finagle accepts but we do not (see limits.ts), in the same message form. */
  private refuse(what: string, expected: string, at: number): never {
    throw new DtabParseError(`${what} at '${this.display(at)}'`, at, this.str, expected)
  }

  private maybeEat(c: number): boolean {
    if (this.peek() !== c) return false
    this.idx++
    return true
  }

  private eat(c: number): void {
    if (!this.maybeEat(c)) this.illegal(Parser.describe(c), this.peek())
  }

  /** Skips whitespace and `#` comments (to end of line, the newline included). */
  eatWhitespace(): void {
    const { str } = this
    while (this.idx < str.length) {
      const c = str.charCodeAt(this.idx)
      if (c === 0x23) {
        while (this.idx < str.length && str.charCodeAt(this.idx) !== 0x0a) this.idx++
      } else if (isWhitespace(c)) {
        this.idx++
      } else {
        return
      }
    }
  }

  private isLabelChar(c: number): boolean {
    return isShowable(c) || c === BACKSLASH
  }

  private parseHexChar(): number {
    const c = this.peek()
    if (!isHex(c)) this.illegal('hex char', c)
    this.idx++
    return Number.parseInt(String.fromCharCode(c), 16)
  }

  private parseLabel(): string {
    let label = ''
    do {
      const c = this.peek()
      if (isShowable(c)) {
        this.idx++
        label += String.fromCharCode(c)
      } else if (c === BACKSLASH) {
        this.idx++
        this.eat(0x78) // 'x': only a lower-case x introduces an escape
        const hi = this.parseHexChar()
        const lo = this.parseHexChar()
        label += String.fromCharCode((hi << 4) | lo)
      } else {
        this.illegal('label char', c)
      }
    } while (this.isLabelChar(this.peek()))
    return label
  }

  parsePath(): Path {
    this.eatWhitespace()
    this.eat(SLASH)
    if (!this.isLabelChar(this.peek())) return []
    const elems: string[] = []
    do elems.push(this.parseLabel())
    while (this.maybeEat(SLASH))
    return elems
  }

  parsePrefix(): Prefix {
    this.eatWhitespace()
    this.eat(SLASH)
    if (!this.isLabelChar(this.peek()) && this.peek() !== STAR) return []
    const elems: PrefixElem[] = []
    do elems.push(this.maybeEat(STAR) ? AnyElem : this.parseLabel())
    while (this.maybeEat(SLASH))
    return elems
  }

  parseTree(): NameTree<Path> {
    const trees: NameTree<Path>[] = []
    do {
      trees.push(this.parseTree1())
      this.eatWhitespace()
    } while (this.maybeEat(0x7c)) // '|'
    return trees.length === 1 ? trees[0]! : { type: 'alt', trees }
  }

  private parseTree1(): NameTree<Path> {
    const branches: Weighted<Path>[] = []
    do {
      branches.push(this.parseWeighted())
      this.eatWhitespace()
    } while (this.maybeEat(0x26)) // '&'
    // A lone weighted tree loses its weight, as in Finagle: `2 * /a` is `/a`.
    return branches.length === 1 ? branches[0]!.tree : { type: 'union', branches }
  }

  private parseWeighted(): Weighted<Path> {
    this.eatWhitespace()
    const c = this.peek()
    let weight = 1
    if (isDigit(c) || c === 0x2e) {
      weight = this.parseNumber()
      this.eatWhitespace()
      this.eat(STAR)
    }
    return { weight, tree: this.parseSimple() }
  }

  private parseNumber(): number {
    const start = this.idx
    let text = ''
    let seenDot = false
    for (let c = this.peek(); isDigit(c) || c === 0x2e; c = this.peek()) {
      if (c === 0x2e) {
        if (seenDot) this.illegal('number char', c)
        seenDot = true
      }
      text += String.fromCharCode(c)
      this.idx++
    }
    if (text === '.') this.illegal('weight', 0x2e)
    // Java's Double.parseDouble accepts only ASCII digits although Character.isDigit lets
    // other scripts' digits through; Finagle then fails with a NumberFormatException.
    if (!/^[0-9]*\.?[0-9]*$/.test(text)) {
      throw new DtabParseError(`For input string: "${text}"`, start, this.str, 'weight')
    }
    const weight = Number(text)
    // Finagle reads 309 digits or more as Infinity, which prints as `Infinity*` and never
    // parses again (a stored dtab that cannot be read) and takes every pick of its union.
    // Zero stays legal, as in Finagle: the member is never picked unless all weights are 0.
    if (!Number.isFinite(weight)) {
      this.refuse(`weight too large: ${text} is not a finite number`, 'finite weight', start)
    }
    return weight
  }

  private parseSimple(): NameTree<Path> {
    this.eatWhitespace()
    const c = this.peek()
    switch (c) {
      case 0x28: {
        // '('
        if (this.nesting === MAX_NESTING) {
          this.refuse(
            `nesting too deep: more than ${MAX_NESTING} levels of '('`,
            `at most ${MAX_NESTING} nested '('`,
            this.idx,
          )
        }
        this.idx++
        this.nesting++
        const tree = this.parseTree()
        this.eatWhitespace()
        this.eat(0x29)
        this.nesting--
        return tree
      }
      case SLASH:
        return { type: 'leaf', value: this.parsePath() }
      case 0x21: // '!'
        this.idx++
        return FAIL
      case 0x7e: // '~'
        this.idx++
        return NEG
      case 0x24: // '$'
        this.idx++
        return EMPTY
      default:
        return this.illegal('simple', c)
    }
  }

  parseDentry(): Dentry {
    const prefix = this.parsePrefix()
    this.eatWhitespace()
    this.eat(0x3d) // '='
    this.eat(0x3e) // '>': `= >` is an error, `=>` is one token
    return { prefix, dst: this.parseTree() }
  }

  parseDtab(): Dtab {
    const dentries: Dentry[] = []
    do {
      this.eatWhitespace()
      if (!this.atEnd) {
        dentries.push(this.parseDentry())
        this.eatWhitespace()
      }
    } while (this.maybeEat(0x3b)) // ';'
    return dentries
  }

  ensureEnd(): void {
    this.eatWhitespace()
    if (!this.atEnd) this.illegal('end of input', this.peek())
  }
}

function parseAll<T>(text: string, parse: (p: Parser) => T): T {
  const p = new Parser(text)
  const result = parse(p)
  p.ensureEnd()
  return result
}

export const parsePath = (text: string): Path => parseAll(text, (p) => p.parsePath())
export const parsePrefix = (text: string): Prefix => parseAll(text, (p) => p.parsePrefix())
export const parseNameTree = (text: string): NameTree<Path> => parseAll(text, (p) => p.parseTree())
export const parseDentry = (text: string): Dentry => parseAll(text, (p) => p.parseDentry())
export const parseDtab = (text: string): Dtab => parseAll(text, (p) => p.parseDtab())
