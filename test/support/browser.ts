// A real headless Chromium for the dashboard's browser tests: Debian's `chromium` driven through
// playwright-core (no browser download), in a fresh temporary profile, closed with the test.
// Every page fails its test on an uncaught exception or a console error the test did not say
// it expects, so a view that throws or logs an error cannot pass by looking right.
// `screenshot(page, name)` writes docs/images/dashboard/<name>.png for docs/dashboard.md, only
// when SWITCHYARD_SCREENSHOTS=1 (`pnpm screenshots`).
//
// Without chromium: locally the test file is skipped with a message saying how to install it;
// in CI (CI=true) that is a failure, as .ci/run installs it.
import { existsSync, mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type BrowserContext,
  type ConsoleMessage,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core'
import type { Test } from 'tap'

/** The part of a tap test these helpers (and the browser tests' own) need. */
export type BrowserTest = Pick<
  Test,
  | 'teardown'
  | 'fail'
  | 'pass'
  | 'ok'
  | 'notOk'
  | 'equal'
  | 'same'
  | 'match'
  | 'notMatch'
  | 'comment'
  | 'plan'
>

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
/** Where the screenshots for docs/dashboard.md go. */
export const SCREENSHOTS = join(ROOT, 'docs/images/dashboard')

/** Debian's chromium, or the one SWITCHYARD_CHROMIUM names. */
export const CHROMIUM = process.env.SWITCHYARD_CHROMIUM ?? '/usr/bin/chromium'

/** Flags for a quiet headless browser in a container: no sandbox (root, no user namespaces),
 * no GPU, and nothing that phones home or updates itself during a test (or a benchmark:
 * test/bench/dashboard.ts launches it with them too). */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-default-apps',
]

/** A laptop screen, so every screenshot is the same size and the layout is the one people see. */
export const VIEWPORT = { width: 1280, height: 800 } as const

export interface Browser {
  readonly context: BrowserContext
  /** A new page that fails `t` on a page error or an unexpected console error. */
  page(t: BrowserTest, options?: PageOptions): Promise<DashboardPage>
}

export interface PageOptions {
  /** Console errors this test expects (e.g. the 412 of a conflict the page then explains). */
  readonly allowConsole?: readonly RegExp[]
}

export interface DashboardPage {
  readonly page: Page
  /** Console errors matching `pattern` are expected from now on. */
  allowConsole(pattern: RegExp): void
  /** Every console message so far (all types), for a failure message. */
  readonly console: () => readonly string[]
}

/**
 * Launches chromium for this test file, closed (and its profile removed) when `t` ends.
 * Returns null, having planned the test as skipped, when chromium is missing outside CI.
 */
export async function launchBrowser(t: BrowserTest): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    const why = `chromium is not installed at ${CHROMIUM}: apt-get install chromium (or set SWITCHYARD_CHROMIUM to a Chromium binary)`
    if (process.env.CI === 'true') {
      throw new Error(`${why}; CI must run the browser tests (.ci/run installs chromium)`)
    }
    t.plan(0, why)
    return null
  }
  const profile = await mkdtemp(join(tmpdir(), 'switchyard-chromium-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: VIEWPORT,
      // Screenshots the same whatever the machine's locale, zone and colour scheme.
      locale: 'en-GB',
      timezoneId: 'UTC',
      colorScheme: 'light',
      reducedMotion: 'reduce',
    })
  } catch (err) {
    await rm(profile, { recursive: true, force: true })
    throw err
  }
  // Each locator waits at most this long: a view that never shows what is asked fails the test
  // with Playwright's message naming the locator, well within tap's timeout.
  context.setDefaultTimeout(10_000)
  t.teardown(async () => {
    await context.close().catch(() => {})
    await rm(profile, { recursive: true, force: true })
  })
  return {
    context,
    async page(t, options = {}) {
      const page = await context.newPage()
      const allowed = [...(options.allowConsole ?? [])]
      const seen: string[] = []
      let open = true
      t.teardown(async () => {
        open = false
        await page.close().catch(() => {})
      })
      page.on('pageerror', (err) => {
        if (open) t.fail(`the page threw: ${err.stack ?? err.message}`)
      })
      page.on('console', (msg: ConsoleMessage) => {
        const text = `${msg.type()}: ${msg.text()}`
        seen.push(text)
        if (!open || msg.type() !== 'error') return
        if (allowed.some((re) => re.test(msg.text()))) return
        const at = msg.location()
        t.fail(`console error on the page: ${msg.text()} (at ${at.url}:${at.lineNumber})`)
      })
      return {
        page,
        allowConsole: (pattern) => allowed.push(pattern),
        console: () => seen,
      }
    },
  }
}

/** Takes `docs/images/dashboard/<name>.png` of the page as it is, when SWITCHYARD_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SWITCHYARD_SCREENSHOTS !== '1') return
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name))
    throw new Error(`screenshot name ${name}: use a-z, 0-9, -`)
  mkdirSync(SCREENSHOTS, { recursive: true })
  // Wait for fonts and layout, then hide the caret so two runs give the same image.
  await page.evaluate('document.fonts.ready.then(() => true)')
  await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: true,
    caret: 'hide',
    animations: 'disabled',
  })
}

/** The dashboard at `base` (namerd's address) on the view `hash` (e.g. `#/ns/x/dtab`). */
export function dashboardUrl(base: string, hash = '#/namespaces'): string {
  return `${base.replace(/\/$/, '')}/${hash}`
}

/**
 * Passes when `locator` becomes visible within the default timeout (10 s), else fails with
 * Playwright's reason; says which. Tests read `await shows(t, page.getByRole(...), 'what')`.
 */
export async function shows(t: BrowserTest, locator: Locator, what: string): Promise<boolean> {
  try {
    await locator.first().waitFor({ state: 'visible' })
    t.pass(what)
    return true
  } catch (err) {
    t.fail(`${what}: ${(err as Error).message.split('\n', 1)[0]}`)
    return false
  }
}

/** What has the keyboard focus: its role-ish tag and its text, e.g. `A Rollouts`. */
export async function focused(page: Page): Promise<string> {
  const got = await page.evaluate(`(() => {
    const e = document.activeElement
    if (e === null) return ''
    const name = (e.getAttribute('aria-label') ?? e.textContent ?? '').trim().replace(/\\s+/g, ' ')
    return e.tagName + ' ' + name
  })()`)
  return String(got)
}

/**
 * Presses Tab (at most `max` times) until the focused element is `tag` with text `name`, as a
 * keyboard user would; false when it never gets there.
 */
export async function tabTo(page: Page, tag: string, name: string, max = 40): Promise<boolean> {
  const want = `${tag.toUpperCase()} ${name}`
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    if ((await focused(page)) === want) return true
  }
  return false
}

/** The text of what has the keyboard focus, trimmed ('' when nothing does), e.g. `Cancel`. */
export async function focusedText(page: Page): Promise<string> {
  return (
    (await page
      .locator(':focus')
      .textContent()
      .catch(() => '')) ?? ''
  ).trim()
}
