// The dashboard in a real headless Chromium against a real namerd and proxy on loopback: the
// page loads at `/` with no console error and no exception, the sections and a namespace's
// tabs are reached with the keyboard alone (Tab, Enter), and every view shows its heading.
import t from 'tap'
import {
  dashboardUrl,
  focused,
  launchBrowser,
  screenshot,
  shows,
  tabTo,
} from '../support/browser.js'
import { NAMESPACE, startDashboardStack } from '../support/dashboard-stack.js'

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t)
  await stack.propagated()

  t.test('the page loads at / with its own files and no console error', async (t) => {
    const { page } = await browser.page(t)
    const res = await page.goto(`${stack.base}/`)
    t.equal(res?.status(), 200)
    t.match(res?.headers()['content-security-policy'], /script-src 'self'/)
    t.equal(await page.title(), 'Switchyard')
    await shows(t, page.getByRole('heading', { name: 'Namespaces', level: 1 }), 'the namespaces')
    await shows(t, page.getByRole('navigation', { name: 'Sections' }), 'the sections')
    await shows(t, page.getByRole('link', { name: NAMESPACE, exact: true }), 'the namespace')
    await screenshot(page, 'namespaces')
  })

  t.test('the sections are reached by keyboard: Tab to a link, Enter follows it', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base))
    await shows(t, page.getByRole('heading', { name: 'Namespaces', level: 1 }), 'loaded')

    t.ok(await tabTo(page, 'a', 'Skip to the content', 3), 'the first Tab reaches the skip link')
    for (const section of ['Rollouts', 'Proxies', 'Namespaces']) {
      t.ok(await tabTo(page, 'a', section), `Tab reaches ${section} (at ${await focused(page)})`)
      await page.keyboard.press('Enter')
      await shows(
        t,
        page.getByRole('main').getByRole('heading', { name: section, level: 1 }),
        `Enter opens ${section}, which shows its heading`,
      )
      t.equal(
        await page.getByRole('link', { name: section, exact: true }).getAttribute('aria-current'),
        'page',
        `${section} is marked as the current section (not by colour alone)`,
      )
    }
  })

  t.test('a namespace’s tabs are reached by keyboard and each shows its view', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base))
    await shows(t, page.getByRole('link', { name: NAMESPACE, exact: true }), 'the namespace link')
    t.ok(await tabTo(page, 'a', NAMESPACE), 'Tab reaches the namespace')
    await page.keyboard.press('Enter')
    await shows(
      t,
      page.getByRole('heading', { name: `Namespace ${NAMESPACE}`, level: 1 }),
      'the namespace page',
    )
    t.match(page.url(), `#/ns/${NAMESPACE}/dtab`, 'its first tab is the dtab')
    const tabs = page.getByRole('navigation', { name: `Namespace ${NAMESPACE}` })
    for (const tab of ['Delegator', 'Traffic', 'History', 'Rollouts', 'Proxies', 'Dtab']) {
      t.ok(await tabTo(page, 'a', tab), `Tab reaches the tab ${tab} (at ${await focused(page)})`)
      await page.keyboard.press('Enter')
      await shows(t, page.getByRole('region', { name: tab }), `Enter opens ${tab}`)
      t.equal(
        await tabs.getByRole('link', { name: tab, exact: true }).getAttribute('aria-current'),
        'page',
        `${tab} is the current tab`,
      )
      t.equal(
        await page.getByRole('heading', { level: 1 }).count(),
        1,
        `${tab}: one h1 (the namespace), views use h2`,
      )
    }
  })

  t.test('every view renders its heading', async (t) => {
    const { page } = await browser.page(t)
    const views: [string, string, 1 | 2][] = [
      ['#/namespaces', 'Namespaces', 1],
      ['#/rollouts', 'Rollouts', 1],
      ['#/proxies', 'Proxies', 1],
      [`#/ns/${NAMESPACE}/dtab`, `Namespace ${NAMESPACE}`, 1],
      [`#/ns/${NAMESPACE}/history`, 'History', 2],
      ['#/no/such/page', 'Not a page', 1],
    ]
    for (const [hash, heading, level] of views) {
      await page.goto(dashboardUrl(stack.base, hash))
      await shows(t, page.getByRole('heading', { name: heading, level }), `${hash}: ${heading}`)
    }
  })
}
