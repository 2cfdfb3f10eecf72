// Hostile input reaching the page, in a real Chromium against a real namerd: markup in a
// rollout's reason (shown in the rollouts list, the rollout's events and the history) and in
// the address (a namespace name, a rollout id) is shown as text and never runs; the page
// neither throws nor logs anything but the refusals namerd answers (400/404).

import { Rollout } from '@switchyard/wire'
import type { Page } from 'playwright-core'
import t from 'tap'
import { dashboardUrl, launchBrowser, shows } from '../support/browser.js'
import { NAMESPACE, startDashboardStack } from '../support/dashboard-stack.js'

/** Sets window.__pwned if it ever runs, whether as markup or as a script. */
const MARKUP = `<img src=x onerror="window.__pwned='img'"><script>window.__pwned='script'</script>`

const pwned = async (page: Page) => String(await page.evaluate('String(window.__pwned)'))

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t, { proxies: 0 })

  t.test('markup in a rollout’s reason is shown as text', async (t) => {
    const started = await stack.namerctl([
      'rollout',
      'start',
      NAMESPACE,
      '/host/world',
      '--to',
      '/srv/world-v2',
      '--steps',
      '10,100',
      '--interval',
      '60s',
      '--reason',
      MARKUP,
      '--json',
    ])
    t.equal(started.code, 0, started.stderr)
    const id = Rollout.parse(JSON.parse(started.stdout)).id
    const { page } = await browser.page(t)
    for (const hash of [
      '#/rollouts',
      `#/rollouts/${NAMESPACE}/${id}`,
      `#/ns/${NAMESPACE}/history`,
    ]) {
      await page.goto(dashboardUrl(stack.base, hash))
      await shows(t, page.getByRole('heading', { level: 1 }), `${hash}: the view`)
      await page.waitForTimeout(500)
      t.equal(await pwned(page), 'undefined', `${hash}: nothing ran`)
      t.equal(await page.locator('main img').count(), 0, `${hash}: no element was made of it`)
    }
    await page.goto(dashboardUrl(stack.base, `#/rollouts/${NAMESPACE}/${id}`))
    await shows(t, page.getByText(MARKUP).first(), 'the reason is shown as the text it is')
  })

  t.test('markup in the address is shown as text and never runs', async (t) => {
    const { page, allowConsole } = await browser.page(t)
    // namerd refuses these names and ids; the page says so, and Chromium logs the refusal.
    allowConsole(/status of (400|404)/)
    const name = `<img src=x onerror="window.__pwned='hash'">`
    for (const hash of [
      `#/ns/${encodeURIComponent(name)}/dtab`,
      `#/ns/${encodeURIComponent(name)}/history`,
      `#/ns/${NAMESPACE}/delegate?path=${encodeURIComponent(name)}&dtab=${encodeURIComponent(name)}`,
      `#/rollouts/${encodeURIComponent(name)}/${encodeURIComponent(name)}`,
      `#/ns/${NAMESPACE}/traffic?path=${encodeURIComponent(name)}`,
      '#/ns/%E0%A4%A/dtab',
      `#/${'x/'.repeat(2000)}`,
    ]) {
      await page.goto(dashboardUrl(stack.base, hash))
      await shows(t, page.getByRole('heading', { level: 1 }), `${hash.slice(0, 40)}: a page`)
      await page.waitForTimeout(300)
      t.equal(await pwned(page), 'undefined', `${hash.slice(0, 40)}: nothing ran`)
    }
    await page.goto(dashboardUrl(stack.base, `#/ns/${encodeURIComponent(name)}/dtab`))
    await shows(t, page.getByRole('heading', { name: `Namespace ${name}`, level: 1 }), 'as text')
  })
}
