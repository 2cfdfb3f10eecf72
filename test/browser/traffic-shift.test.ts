// The traffic view in a real Chromium against a real namerd, two proxies and world-v1/v2 under
// steady load: the split of /svc/world as the proxies measured it beside what the dtab asks,
// and the split moving after `namerctl shift` (expected at once, measured as traffic moves);
// the services found with no path typed, the counts' span, a refused path said, 200% zoom.
import type { Locator, Page } from 'playwright-core'
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, launchBrowser, screenshot, shows } from '../support/browser.js'
import { NAMESPACE, startDashboardStack } from '../support/dashboard-stack.js'

const SERVICE = '/svc/world'

/** A share as the view writes it (`12.5%`, `100%`, `<0.1%`, `–`), as a fraction; null for none. */
function share(text: string | null): number | null {
  const s = (text ?? '').trim()
  if (s.startsWith('<')) return 0.0005
  if (s.startsWith('>')) return 0.9995
  const m = /^(\d+(?:\.\d+)?)%/.exec(s)
  return m === null ? null : Number(m[1]) / 100
}

/** The row of the destination whose id ends with `name` (e.g. world-v2). */
const rowOf = (table: Locator, page: Page, name: string) =>
  table.getByRole('row').filter({ has: page.getByRole('cell').first().filter({ hasText: name }) })

/** Measured and expected shares of `name` in the table, as the page shows them now. */
async function shares(table: Locator, page: Page, name: string) {
  const row = rowOf(table, page, name)
  if ((await row.count()) === 0) return { measured: null, expected: null }
  const cells = row.first().getByRole('cell')
  return {
    measured: share(await cells.nth(1).textContent()),
    expected: share(await cells.nth(2).textContent()),
  }
}

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t, { proxies: 2 })
  await stack.propagated()
  const load = stack.steadyLoad({ ratePerSec: 100 })
  t.teardown(() => load.stop())

  t.test('a service path is shown: all of world on v1, measured and expected', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/traffic`))
    await page.getByLabel('Service path').fill(SERVICE)
    await page.getByRole('button', { name: 'Show', exact: true }).click()
    t.match(decodeURIComponent(page.url()), `path=${SERVICE}`, 'the path is kept in the address')
    await shows(t, page.getByRole('heading', { name: SERVICE, level: 2 }), 'its heading')
    const table = page.getByRole('table', { name: `Traffic for ${SERVICE}` })
    await shows(t, table, 'its table')
    for (const column of ['Measured', 'Expected', 'Requests/s', 'Success', 'p99']) {
      t.equal(
        await table.getByRole('columnheader', { name: column, exact: true }).count(),
        1,
        column,
      )
    }
    await eventually(
      'v1 measured at 100%',
      async () => (await shares(table, page, 'world-v1')).measured === 1,
      15_000,
    )
    t.same(await shares(table, page, 'world-v1'), { measured: 1, expected: 1 }, 'v1 takes all')
    const success = await rowOf(table, page, 'world-v1').getByRole('cell').nth(4).textContent()
    t.equal(share(success), 1, 'at 100% success')
    await screenshot(page, 'traffic')
  })

  t.test(
    "with no path given, the dtab's services are found: /svc/world through /svc => /host (audit H2)",
    async (t) => {
      const { page } = await browser.page(t)
      await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/traffic`))
      await shows(t, page.getByRole('heading', { name: SERVICE, level: 2 }), 'its heading')
      const table = page.getByRole('table', { name: `Traffic for ${SERVICE}` })
      await shows(t, table, 'its table, without typing the path')
      t.equal(await page.getByText('No service found').count(), 0)
      await eventually(
        'v1 measured at 100%',
        async () => (await shares(table, page, 'world-v1')).measured === 1,
        15_000,
      )
      // Count, span and rate agree (audit M1: "482 requests in the last 10 s, 60 per second").
      const said = page.getByText(/^[\d,]+ requests in the last [\d.]+ s, [\d.,]+ per second\.$/)
      let text = ''
      await eventually(
        'the sentence of /svc/world with a whole window read',
        async () => {
          text =
            (await said
              .first()
              .textContent()
              .catch(() => null)) ?? ''
          return text !== ''
        },
        15_000,
      )
      const m = /^([\d,]+) requests in the last ([\d.]+) s, ([\d.,]+) per second/.exec(text)!
      const [count, seconds, rate] = [m[1], m[2], m[3]].map((x) => Number(x!.replace(/,/g, '')))
      t.ok(
        Math.abs(count! / seconds! - rate!) <= rate! * 0.15,
        `"${text}": ${count} / ${seconds} s is about ${rate} per second`,
      )
    },
  )

  t.test('a wildcard path in the address is said, not dropped silently', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(
      dashboardUrl(stack.base, `#/ns/${NAMESPACE}/traffic?path=${encodeURIComponent('/svc/*')}`),
    )
    await shows(
      t,
      page.getByRole('status').filter({ hasText: '/svc/* has a wildcard' }),
      'the refusal, in words',
    )
    await shows(t, page.getByRole('table', { name: `Traffic for ${SERVICE}` }), 'the defaults')
  })

  t.test('at 200% zoom (683 px) the headers do not run together, nothing is cut', async (t) => {
    const { page } = await browser.page(t)
    await page.setViewportSize({ width: 683, height: 600 })
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/traffic?path=${SERVICE}`))
    const table = page.getByRole('table', { name: `Traffic for ${SERVICE}` })
    await shows(t, table, 'the table')
    const headers = (await page.evaluate(`(() => {
      const t = document.querySelector('table.traffic-table')
      // A word drawn on two lines has two client rects.
      const split = (th) => {
        const out = []
        const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT)
        for (let n = walk.nextNode(); n !== null; n = walk.nextNode()) {
          for (const m of n.textContent.matchAll(/\\S+/g)) {
            const r = document.createRange()
            r.setStart(n, m.index)
            r.setEnd(n, m.index + m[0].length)
            if (r.getClientRects().length > 1) out.push(m[0])
          }
        }
        return out
      }
      return [...t.querySelectorAll('th')].map((th) => ({
        text: th.textContent,
        fits: th.scrollWidth <= th.clientWidth + 1,
        split: split(th),
      }))
    })()`)) as { text: string; fits: boolean; split: string[] }[]
    t.same(
      headers.filter((h) => !h.fits).map((h) => h.text),
      [],
      'every header fits its cell',
    )
    t.same(
      headers.flatMap((h) => h.split),
      [],
      'no header word is broken across lines ("Measure/d")',
    )
    const pageScroll = (await page.evaluate(
      'document.documentElement.scrollWidth - document.documentElement.clientWidth',
    )) as number
    t.ok(pageScroll <= 0, `the page does not scroll sideways (${pageScroll} px)`)
    await screenshot(page, 'traffic-narrow')
  })

  t.test(
    'after namerctl shift 90/10 the split moves: expected at once, then measured',
    async (t) => {
      const { page } = await browser.page(t)
      await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/traffic?path=${SERVICE}`))
      const table = page.getByRole('table', { name: `Traffic for ${SERVICE}` })
      await shows(t, table, 'the table, from the path in the address')
      const shifted = await stack.namerctl([
        'shift',
        NAMESPACE,
        '/host/world',
        '/srv/world-v2=10',
        '/srv/world-v1=90',
      ])
      t.equal(shifted.code, 0, `namerctl shift: ${shifted.stderr}`)
      await stack.propagated()
      await eventually(
        'v2 expected at 10%',
        async () => (await shares(table, page, 'world-v2')).expected === 0.1,
        8000,
      )
      t.equal((await shares(table, page, 'world-v1')).expected, 0.9, 'v1 expected at 90%')
      let last = { measured: null as number | null, expected: null as number | null }
      await eventually(
        'v2 measured near 10% (the window is 10 s)',
        async () => {
          last = await shares(table, page, 'world-v2')
          return last.measured !== null && last.measured >= 0.06 && last.measured <= 0.16
        },
        25_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}; v2 last shown as ${JSON.stringify(last)}`)
      })
      t.pass(`v2 measured at ${last.measured} (expected 0.1)`)
      await shows(t, page.getByRole('img', { name: /^measured .*, expected 10%$/ }), 'v2’s bars')
      await screenshot(page, 'traffic-shift')
    },
  )

  t.test('a proxy that cannot be read is named, with why', async (t) => {
    const hung = stack.proxies[1]
    if (hung === undefined) throw new Error('the stack has one proxy')
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/traffic?path=${SERVICE}`))
    await shows(t, page.getByRole('table', { name: `Traffic for ${SERVICE}` }), 'the table')
    // Stopped, not killed: its watch stays open, so namerd still lists it, but it answers nothing.
    hung.proc.child.kill('SIGSTOP')
    t.teardown(() => {
      hung.proc.child.kill('SIGCONT')
    })
    const problem = page
      .locator('.traffic-problems li')
      .filter({ hasText: new RegExp(`proxy-2|:${hung.adminPort}\\b`) })
    await problem.first().waitFor({ state: 'visible', timeout: 20_000 })
    t.pass(`named: ${await problem.first().textContent()}`)
    await screenshot(page, 'traffic-problem')
    hung.proc.child.kill('SIGCONT')
    await problem.first().waitFor({ state: 'detached', timeout: 20_000 })
    t.pass('gone once it answers again')
  })
}
