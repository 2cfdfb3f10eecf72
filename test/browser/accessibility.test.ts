// Every view of the dashboard, in a real Chromium against a real namerd, a proxy and world-v1/v2
// under load (so the traffic, proxies and rollout views have content), checked in the light and
// the dark colour scheme:
// - axe-core (WCAG 2.0 and 2.1, levels A and AA: names, roles, contrast, headings, ARIA) finds
//   no violation; each one found fails the test naming the rule, its impact, where and why;
// - text fields' borders have 3:1 contrast against what is behind them (WCAG 1.4.11, which
//   axe leaves out);
// - the keyboard: every control a pointer can use is reached with Tab, and shows where the
//   focus is (its look changes when focused: an outline, a shadow, a colour);
// - at 800 px wide nothing scrolls sideways, at 320 px (400% zoom) only a wide table does;
// - the page asks nothing of another origin: every request it makes goes to namerd.
// The token form is checked against a second namerd that has tokens; the conflict view on a
// namespace of its own, so the rollout running on `internal` is left alone.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { Rollout } from '@switchyard/wire'
import type { Page } from 'playwright-core'
import t from 'tap'
import {
  type BrowserTest,
  dashboardUrl,
  focused,
  launchBrowser,
  shows,
  tabTo,
} from '../support/browser.js'
import { NAMESPACE, startDashboardStack, worldRolloutArgs } from '../support/dashboard-stack.js'
import { startTokenNamerd } from '../support/token-namerd.js'

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const SCHEMES = ['light', 'dark'] as const

/** One rule axe found broken, with each element it was broken on. */
interface Violation {
  readonly id: string
  readonly impact: string | null
  readonly help: string
  readonly nodes: readonly { readonly target: string; readonly summary: string }[]
}

/**
 * axe on the page as it is now (WCAG 2.0/2.1 A and AA). Run through the DevTools protocol, as
 * namerd's CSP (script-src 'self') rightly refuses the inline script addScriptTag would add.
 */
async function axe(page: Page): Promise<Violation[]> {
  if ((await page.evaluate('typeof window.axe')) !== 'object') await page.evaluate(AXE)
  const got = await page.evaluate(`axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }).then((r) => r.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? null,
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(' '),
      summary: (n.failureSummary ?? '').replace(/\\s+/g, ' ').trim(),
    })),
  })))`)
  return got as Violation[]
}

/** Fails `t` once per element axe found a rule broken on, else passes once. */
async function noViolations(t: BrowserTest, page: Page, where: string): Promise<void> {
  const found = await axe(page)
  for (const v of found) {
    for (const n of v.nodes) {
      t.fail(
        `${where}: ${v.id} (${v.impact ?? 'no impact'}): ${v.help}; at ${n.target}: ${n.summary}`,
      )
    }
  }
  if (found.length === 0) t.pass(`${where}: axe finds no WCAG A/AA violation`)
}

// In the page: marks every element a keyboard user must be able to reach (shown, enabled, in the
// tab order, outside inert content; only the open modal dialog when there is one) with
// data-a11y, and records how each looks unfocused (the styles a focus indicator changes, on it,
// its parent and its first children), so the Tab walk can tell whether focus shows.
const MARK = `(() => {
  const look = (el) => {
    const parts = [el, el.parentElement, ...Array.from(el.children).slice(0, 3)].filter(Boolean)
    return parts.map((e) => {
      const s = getComputedStyle(e)
      return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
        s.borderTopColor, s.borderBottomColor, s.textDecorationLine, s.color].join('|')
    }).join('/')
  }
  window.__a11yLook = look
  if (document.activeElement instanceof HTMLElement) document.activeElement.blur()
  const modal = document.querySelector('dialog[open]:modal')
  const all = document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], [contenteditable]')
  const out = []
  let i = 0
  for (const el of all) {
    el.removeAttribute('data-a11y')
    if (!(el instanceof HTMLElement)) continue
    if (el.tabIndex < 0 || el.matches(':disabled') || el.closest('[inert]')) continue
    if (modal !== null && !modal.contains(el)) continue
    if (!el.checkVisibility({ visibilityProperty: true })) continue
    const name = (el.getAttribute('aria-label') ?? el.textContent ?? '').trim().replace(/\\s+/g, ' ')
    el.setAttribute('data-a11y', String(i))
    out.push({ i, what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' "' + name.slice(0, 40) + '"', look: look(el) })
    i++
  }
  return out
})()`

const FOCUSED = `(() => {
  const el = document.activeElement
  if (!(el instanceof HTMLElement) || !el.hasAttribute('data-a11y')) return null
  return { i: Number(el.getAttribute('data-a11y')), look: window.__a11yLook(el),
    visible: el.matches(':focus-visible') }
})()`

/**
 * Walks the page with Tab (a full cycle): every marked element is reached, and each looks
 * different focused than unfocused.
 */
async function keyboard(t: BrowserTest, page: Page, where: string): Promise<void> {
  const targets = (await page.evaluate(MARK)) as { i: number; what: string; look: string }[]
  const reached = new Set<number>()
  const unseen: string[] = []
  let first: number | null = null
  for (let press = 0; press < targets.length * 2 + 10; press++) {
    await page.keyboard.press('Tab')
    const at = (await page.evaluate(FOCUSED)) as {
      i: number
      look: string
      visible: boolean
    } | null
    if (at === null) continue
    if (at.i === first) break
    first ??= at.i
    if (reached.has(at.i)) continue
    reached.add(at.i)
    const target = targets[at.i]
    if (target !== undefined && (target.look === at.look || !at.visible)) unseen.push(target.what)
  }
  // A control the view re-rendered meanwhile (a poll answered) lost its mark: not a miss.
  const present = new Set(
    (await page.evaluate(
      `Array.from(document.querySelectorAll('[data-a11y]'), (e) => Number(e.getAttribute('data-a11y')))`,
    )) as number[],
  )
  const missed = targets.filter((x) => !reached.has(x.i) && present.has(x.i)).map((x) => x.what)
  t.same(missed, [], `${where}: Tab reaches all ${targets.length} controls`)
  t.same(unseen, [], `${where}: each shows a focus indicator when Tab reaches it`)
}

// In the page: each text field (input, textarea, select) shown, with its border's contrast
// against what is behind the field: WCAG 1.4.11 asks 3:1 of what shows where a control is (a
// field is found by its border), which axe does not check.
const FIELD_BORDERS = `(() => {
  const rgba = (c) => {
    const m = c.match(/rgba?\\(([\\d.]+),? ([\\d.]+),? ([\\d.]+)(?:,? \\/? ?([\\d.]+))?\\)/)
    return m === null ? null : [Number(m[1]), Number(m[2]), Number(m[3]), m[4] === undefined ? 1 : Number(m[4])]
  }
  const over = (top, under) => top.slice(0, 3).map((v, i) => v * top[3] + under[i] * (1 - top[3])).concat(1)
  const behind = (el) => {
    const layers = []
    for (let e = el; e !== null; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor)
      if (c !== null && c[3] > 0) layers.push(c)
      if (c !== null && c[3] === 1) break
    }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1])
  }
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4 }
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b)
  }
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05) }
  const out = []
  for (const el of document.querySelectorAll('input:not([type=hidden]), textarea, select')) {
    if (!el.checkVisibility({ visibilityProperty: true })) continue
    const s = getComputedStyle(el)
    const back = behind(el.parentElement)
    const border = rgba(s.borderTopColor)
    const width = parseFloat(s.borderTopWidth)
    const c = border === null || width === 0 || s.borderTopStyle === 'none' ? 1 : ratio(over(border, back), back)
    const what = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
    out.push({ what, contrast: Math.round(c * 100) / 100, border: s.borderTopColor })
  }
  return out
})()`

/** Fails `t` for each text field whose border is under 3:1 against what is behind it. */
async function fieldBorders(t: BrowserTest, page: Page, where: string): Promise<void> {
  const fields = (await page.evaluate(FIELD_BORDERS)) as {
    what: string
    contrast: number
    border: string
  }[]
  const faint = fields.filter((f) => f.contrast < 3)
  t.same(
    faint.map((f) => `${f.what}: border ${f.border} at ${f.contrast}:1`),
    [],
    `${where}: the ${fields.length} text fields’ borders have 3:1 contrast (WCAG 1.4.11)`,
  )
}

/**
 * Every request `page` makes, checked at the end of `t` to go to `origin` only (data: URLs are
 * the page's own bytes).
 */
function sameOrigin(t: BrowserTest, page: Page, origin: string) {
  const foreign: string[] = []
  let count = 0
  page.on('request', (req) => {
    const url = req.url()
    if (url.startsWith('data:')) return
    count++
    if (new URL(url).origin !== origin) foreign.push(`${req.method()} ${url}`)
  })
  return () => {
    t.same(foreign, [], `all ${count} requests went to namerd (${origin})`)
  }
}

/** What has the focus once the dialog is gone and gave it back (within 2 s of the key). */
async function settled(page: Page): Promise<string> {
  await page.locator('dialog[open]').waitFor({ state: 'detached' })
  await page
    .waitForFunction('document.activeElement !== document.body', undefined, { timeout: 2000 })
    .catch(() => {})
  return focused(page)
}

/**
 * At 800 px wide, the narrowest window the dashboard is laid out for, nothing scrolls sideways:
 * not the page, not the content (a wide table would make the reader scroll to read each row).
 */
async function fitsAt800(t: BrowserTest, page: Page, where: string): Promise<void> {
  const size = page.viewportSize()
  await page.setViewportSize({ width: 800, height: 700 })
  const [page_, main] = (await page.evaluate(`(() => {
    const m = document.querySelector('main')
    return [document.documentElement.scrollWidth - document.documentElement.clientWidth,
      m === null ? 0 : m.scrollWidth - m.clientWidth]
  })()`)) as [number, number]
  t.same(
    { page: page_, content: main },
    { page: 0, content: 0 },
    `${where}: at 800 px nothing scrolls sideways (pixels over)`,
  )
  // At 320 px (1280 at 400% zoom, WCAG 1.4.10) the page still does not: text wraps, and only a
  // table wider than that scrolls, inside the content.
  await page.setViewportSize({ width: 320, height: 700 })
  const over = (await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  )) as number
  t.equal(over, 0, `${where}: at 320 px the page does not scroll sideways (pixels over)`)
  if (size !== null) await page.setViewportSize(size)
}

/** axe and the keyboard in both colour schemes, on the page as it is now. */
async function check(t: BrowserTest, page: Page, where: string, keys = true): Promise<void> {
  await fitsAt800(t, page, where)
  for (const scheme of SCHEMES) {
    await page.emulateMedia({ colorScheme: scheme })
    await noViolations(t, page, `${where} (${scheme})`)
    await fieldBorders(t, page, `${where} (${scheme})`)
    if (keys) await keyboard(t, page, `${where} (${scheme})`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t)
  await stack.propagated()
  const load = stack.steadyLoad({ ratePerSec: 80 })
  t.teardown(() => load.stop())
  // Another namespace for the conflict, so the rollout on `internal` is not disturbed.
  const OTHER = 'other'
  const otherDtab = (dst: string) => `/svc => /host ;\n/host/world => ${dst} ;`
  await stack.putDtab(otherDtab('/srv/world-v1'), OTHER)

  // A rollout with long steps: active, with history behind it, for the whole test.
  const started = await stack.namerctl(
    worldRolloutArgs(
      '--interval',
      '5m',
      '--min-requests',
      '20',
      '--reason',
      'accessibility test',
      '--json',
    ),
  )
  if (started.code !== 0) throw new Error(`namerctl rollout start: ${started.stderr}`)
  const id = Rollout.parse(JSON.parse(started.stdout)).id

  const open = async (t: Parameters<typeof browser.page>[0], hash: string) => {
    const dp = await browser.page(t)
    const done = sameOrigin(t, dp.page, stack.base)
    await dp.page.goto(dashboardUrl(stack.base, hash))
    return { ...dp, done }
  }

  /** A view: its address and what shows once it has its content. */
  const views: [string, string, (page: Page) => ReturnType<Page['getByRole']>][] = [
    ['the namespaces', '#/namespaces', (p) => p.getByText('1 of 1 current')],
    [
      'the dtab',
      `#/ns/${NAMESPACE}/dtab`,
      (p) => p.getByRole('button', { name: 'Review changes' }),
    ],
    [
      'the delegator with a delegation',
      `#/ns/${NAMESPACE}/delegate?path=${encodeURIComponent('/svc/world')}`,
      (p) => p.getByRole('tree', { name: 'Delegation of /svc/world' }),
    ],
    [
      'the traffic',
      `#/ns/${NAMESPACE}/traffic?path=${encodeURIComponent('/svc/world')}`,
      (p) => p.getByRole('table', { name: 'Traffic for /svc/world' }).getByRole('row').nth(1),
    ],
    [
      'the history',
      `#/ns/${NAMESPACE}/history`,
      (p) => p.getByRole('button', { name: /^Roll back to/ }),
    ],
    [
      'the namespace’s rollouts',
      `#/ns/${NAMESPACE}/rollouts`,
      (p) => p.getByRole('link', { name: id, exact: true }),
    ],
    [
      'the namespace’s proxies',
      `#/ns/${NAMESPACE}/proxies`,
      (p) => p.getByRole('table', { name: 'Proxies' }).getByRole('row').nth(1),
    ],
    ['all rollouts', '#/rollouts', (p) => p.getByRole('link', { name: id, exact: true })],
    [
      'all proxies',
      '#/proxies',
      (p) => p.getByRole('table', { name: 'Proxies' }).getByRole('row').nth(1),
    ],
    [
      'a rollout',
      `#/rollouts/${NAMESPACE}/${id}`,
      (p) => p.getByRole('table', { name: 'Steps' }).locator('[aria-current="step"]'),
    ],
    ['no such page', '#/no/such/page', (p) => p.getByRole('heading', { name: 'Not a page' })],
  ]

  for (const [name, hash, ready] of views) {
    t.test(name, async (t) => {
      const { page, done } = await open(t, hash)
      // Up to 30 s: the traffic view waits for namerd to read the proxies, slower on a busy box.
      await ready(page)
        .first()
        .waitFor({ timeout: 30_000 })
        .catch(() => {})
      if (!(await shows(t, ready(page), `${name} has its content`))) {
        const text = (await page.locator('body').textContent()) ?? ''
        t.comment(`the page shows: ${text.slice(0, 2000)}`)
        return
      }
      await check(t, page, name)
      done()
    })
  }

  t.test('the skip link moves the focus to the content and keeps the view', async (t) => {
    const hash = `#/ns/${NAMESPACE}/history`
    const { page, done } = await open(t, hash)
    await shows(t, page.getByRole('table', { name: 'History' }), 'the history')
    t.ok(await tabTo(page, 'a', 'Skip to the content', 3), 'the first Tab reaches the skip link')
    await page.keyboard.press('Enter')
    t.equal(await page.evaluate('document.activeElement?.id'), 'main', 'the focus is on main')
    t.match(page.url(), hash, 'the address still names the view')
    await shows(t, page.getByRole('table', { name: 'History' }), 'the view is still shown')
    t.ok(await tabTo(page, 'a', 'Dtab', 1), 'the next Tab is in the content: the first tab')
    done()
  })

  t.test('the dtab editor with a parse error', async (t) => {
    const { page, done } = await open(t, `#/ns/${NAMESPACE}/dtab`)
    const box = page.getByRole('textbox', { name: 'Dtab', exact: true })
    await shows(t, page.getByRole('button', { name: 'Review changes' }), 'the editor')
    await box.fill('/svc => /host ;\n/host/world =>> /srv/world-v1 ;')
    await shows(t, page.locator('#dtab-error'), 'the parser’s message')
    await check(t, page, 'the dtab editor with a parse error')
    done()
  })

  t.test('the dtab editor’s review and conflict', async (t) => {
    const { page, done, allowConsole } = await open(t, `#/ns/${OTHER}/dtab`)
    allowConsole(/status of 412/)
    const box = page.getByRole('textbox', { name: 'Dtab', exact: true })
    await shows(t, page.getByRole('button', { name: 'Review changes' }), 'the editor')
    await box.fill(otherDtab('/srv/world-v2'))
    await page.getByRole('button', { name: 'Review changes' }).click()
    await shows(t, page.getByRole('figure', { name: 'Changes to save' }), 'the review')
    await check(t, page, 'the review')
    await stack.putDtab(`/svc/extra => /srv/world-v1 ;\n${otherDtab('/srv/world-v1')}`, OTHER)
    await shows(t, page.getByText('The dtab changed since you started editing'), 'the live note')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await shows(t, page.getByRole('heading', { name: 'Conflict', level: 2 }), 'the conflict')
    await check(t, page, 'the conflict')
    done()
  })

  t.test('the rollback dialog', async (t) => {
    const { page, done } = await open(t, `#/ns/${NAMESPACE}/history`)
    const button = page.getByRole('button', { name: /^Roll back to/ })
    await shows(t, button, 'the history')
    await button.first().focus()
    const opener = await focused(page)
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: /^Roll back to version/ })
    await shows(t, dialog.getByRole('figure', { name: 'Rollback changes' }), 'the dialog')
    await check(t, page, 'the rollback dialog')
    await dialog.getByRole('button', { name: 'Cancel' }).press('Enter')
    t.equal(await settled(page), opener, 'Cancel gives the focus back to the button that opened it')
    done()
  })

  t.test('the abort dialog', async (t) => {
    const { page, done } = await open(t, `#/rollouts/${NAMESPACE}/${id}`)
    const abort = page.getByRole('button', { name: 'Abort', exact: true })
    await shows(t, page.getByRole('table', { name: 'Steps' }), 'the rollout')
    await abort.focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: `Abort rollout ${id}?` })
    await shows(t, dialog, 'the dialog')
    await check(t, page, 'the abort dialog')
    await page.keyboard.press('Escape')
    t.equal(await settled(page), 'BUTTON Abort', 'Escape gives the focus back to Abort')
    done()
  })

  t.test('the token form, and a read-only session', async (t) => {
    const read = 'read-token-0123456789abcdef'
    const { base } = await startTokenNamerd(t, {
      name: 'namerd-tokens',
      tokens: [
        { name: 'viewer', scope: 'read', token: read },
        { name: 'ops', scope: 'write', token: 'write-token-0123456789abcdef' },
      ],
    })
    const { page } = await browser.page(t, { allowConsole: [/status of 401/] })
    const done = sameOrigin(t, page, base)
    await page.goto(dashboardUrl(base))
    const token = page.getByLabel(/^Token/)
    if (!(await shows(t, token, 'the token form'))) return
    await check(t, page, 'the token form')
    await token.fill(read)
    await page.getByRole('button', { name: 'Use this token' }).click()
    await shows(t, page.getByText('viewer: reads only'), 'a read-only session')
    await shows(t, page.getByRole('heading', { name: 'Create a namespace' }), 'the create form')
    await check(t, page, 'the namespaces, read-only')
    done()
  })
}
