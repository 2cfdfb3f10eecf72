// The delegator in a real Chromium against a real namerd (an io.l5d.fs namer listing world-v1
// and -v2 on loopback): a path in, the delegation tree out as a WAI-ARIA tree, each step naming
// its dentry and the leaves their bound addresses; an override dtab changes where it goes; the
// arrows and Home move through the tree. Also the proxies view: each proxy, its version, and
// whether it is current, in words.
import type { Page } from 'playwright-core'
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, focused, launchBrowser, screenshot, shows } from '../support/browser.js'
import { INITIAL_DTAB, NAMESPACE, startDashboardStack } from '../support/dashboard-stack.js'

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t, { proxies: 2 })
  await stack.propagated()

  const delegate = async (page: Page, path: string, override = '') => {
    await page.getByLabel('Path', { exact: true }).fill(path)
    await page.getByLabel('Override dtab (optional)').fill(override)
    await page.getByRole('button', { name: 'Delegate', exact: true }).click()
    const tree = page.getByRole('tree', { name: `Delegation of ${path}` })
    await tree.waitFor({ state: 'visible' })
    return tree
  }

  t.test('a path is delegated: the tree names each dentry and the bound address', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/delegate`))
    const tree = await delegate(page, '/svc/world')
    t.pass('the tree')
    t.match(decodeURIComponent(page.url()), 'path=/svc/world', 'the inputs are kept in the address')
    const items = tree.getByRole('treeitem')
    await shows(t, items.filter({ hasText: '/svc => /host' }), 'the dentry /svc => /host')
    await shows(
      t,
      tree.getByRole('treeitem', { name: new RegExp(`127\\.0\\.0\\.1:${stack.v1.port}`) }),
      `the leaf bound to world-v1 at 127.0.0.1:${stack.v1.port}`,
    )
    t.equal(
      await tree.getByRole('treeitem', { name: new RegExp(`:${stack.v2.port}\\b`) }).count(),
      0,
      'not v2',
    )
    await screenshot(page, 'delegator')

    // The keyboard, as the WAI-ARIA tree pattern: one tab stop, arrows move, Home goes back.
    await items.first().focus()
    const first = await focused(page)
    await page.keyboard.press('ArrowDown')
    const second = await focused(page)
    t.not(second, first, `Down moves to the next item (${second})`)
    t.match(second, /^DIV /, 'a tree item has the focus')
    await page.keyboard.press('Home')
    t.equal(await focused(page), first, 'Home goes back to the first item')
  })

  t.test('an override dtab changes where the path goes', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/delegate`))
    const tree = await delegate(page, '/svc/world', '/host/world => /srv/world-v2')
    await shows(
      t,
      tree.getByRole('treeitem', { name: new RegExp(`127\\.0\\.0\\.1:${stack.v2.port}`) }),
      'the leaf bound to world-v2',
    )
    await shows(
      t,
      tree.getByRole('treeitem').filter({ hasText: '/host/world => /srv/world-v2' }),
      'the override’s dentry named',
    )
  })

  t.test('the answer is scrolled into view, focused, and says where it bound (M6)', async (t) => {
    const { page } = await browser.page(t)
    await page.setViewportSize({ width: 1366, height: 768 })
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/delegate`))
    await delegate(page, '/svc/world')
    const heading = page.getByRole('heading', { name: 'Delegation of /svc/world', exact: true })
    await eventually('the heading has the focus', async () =>
      heading.evaluate(
        (el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement,
      ),
    )
    t.pass('the result heading has the focus')
    const box = await heading.boundingBox()
    t.ok(box !== null && box.y >= 0 && box.y + box.height <= 768, `in view (y=${box?.y})`)
    await shows(
      t,
      page.getByRole('status').filter({
        hasText: new RegExp(`Bound to /\\S+ at 127\\.0\\.0\\.1:${stack.v1.port}\\b`),
      }),
      'the summary names the address it bound to',
    )
  })

  t.test('inputs from the address are checked as typed ones: nothing sent (L2)', async (t) => {
    const { page } = await browser.page(t)
    const asked: string[] = []
    page.on('request', (r) => {
      if (r.url().includes('/api/1/delegate/')) asked.push(r.url())
    })
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/delegate?path=svc/world`))
    await shows(t, page.getByText('A path starts with "/": try /svc/world.'), 'the field says why')
    await shows(t, page.getByText(/^Nothing was delegated/), 'and that nothing was asked')
    const broken = encodeURIComponent('/host/world =>')
    await page.goto(
      dashboardUrl(stack.base, `#/ns/${NAMESPACE}/delegate?path=/svc/world&dtab=${broken}`),
    )
    await shows(t, page.getByText(/^Nothing was delegated.*the override dtab/), 'a bad override')
    t.equal(await page.getByRole('tree').count(), 0, 'no tree for inputs that do not parse')
    t.same(asked, [], 'no delegation was requested')
    await page.goto(dashboardUrl(stack.base, `#/ns/a%20b/delegate?path=/svc/world`))
    await shows(
      t,
      page.getByText(/^"a b" is not a namespace name/),
      'a bad namespace name, decoded',
    )
    t.same(asked, [], 'nor for a namespace name namerd would refuse')
  })

  t.test('the proxies: each one, its version, current in words', async (t) => {
    const { page } = await browser.page(t)
    const { version } = await stack.dtab()
    for (const hash of ['#/proxies', `#/ns/${NAMESPACE}/proxies`]) {
      await page.goto(dashboardUrl(stack.base, hash))
      const table = page.getByRole('table', { name: 'Proxies' })
      await shows(t, table, `${hash}: the table`)
      for (const id of ['proxy-1', 'proxy-2']) {
        const row = table.getByRole('row').filter({ hasText: id })
        await shows(t, row, `${hash}: ${id}`)
        const current = row.first().getByRole('cell').nth(4)
        await eventually(`${hash}: ${id} confirmed`, async () =>
          /^yes confirmed v\d+$/.test((await current.textContent())?.trim() ?? ''),
        )
        t.pass(`${hash}: ${id} is current, in words, confirmed by the proxy itself`)
      }
      for (const column of [
        'Proxy',
        'Namespace',
        'Watches',
        'Version',
        'Current',
        'Last update sent',
        'Connected since',
        'Stream',
        'Admin',
      ]) {
        t.equal(await table.getByRole('columnheader', { name: column, exact: true }).count(), 1)
      }
      t.ok(version.length > 0)
    }
    await screenshot(page, 'proxies')
  })

  t.test('the global page reads every proxy-status in one request (audit16b M1)', async (t) => {
    const { page } = await browser.page(t)
    const asked: string[] = []
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname
      if (path.startsWith('/api/1/')) asked.push(path)
    })
    await page.goto(dashboardUrl(stack.base, '#/proxies'))
    const table = page.getByRole('table', { name: 'Proxies' })
    const current = table.getByRole('row').filter({ hasText: 'proxy-1' }).first().getByRole('cell')
    await eventually('proxy-1 confirmed', async () =>
      /^yes confirmed v\d+$/.test((await current.nth(4).textContent())?.trim() ?? ''),
    )
    t.ok(asked.includes('/api/1/proxy-status'), 'GET /api/1/proxy-status')
    t.same(
      asked.filter((p) => p.startsWith('/api/1/proxy-status/')),
      [],
      'no proxy-status request per namespace',
    )
  })

  t.test('at 200% zoom (683 px wide) the proxies table cuts no column', async (t) => {
    const { page } = await browser.page(t)
    await page.setViewportSize({ width: 683, height: 600 })
    await page.goto(dashboardUrl(stack.base, '#/proxies'))
    const table = page.getByRole('table', { name: 'Proxies' })
    await shows(t, table, 'the table')
    const admin = `127.0.0.1:${stack.proxies[1]!.adminPort}`
    await shows(t, table.getByText(admin, { exact: true }), 'the Admin column')
    // Runs in the page (the DOM); this file is type-checked without the DOM library.
    type Root = { documentElement: { scrollWidth: number; clientWidth: number } }
    const wide = await page.evaluate(() => {
      const root = (globalThis as unknown as { document: Root }).document.documentElement
      return { page: root.scrollWidth, view: root.clientWidth }
    })
    t.ok(wide.page <= wide.view, `the page does not scroll sideways (${wide.page} <= ${wide.view})`)
    // Scrolled into view inside its box, the admin address shows whole.
    const cell = table.getByText(admin, { exact: true })
    await cell.scrollIntoViewIfNeeded()
    const box = await cell.boundingBox()
    t.ok(box !== null && box.x >= 0 && box.x + box.width <= 683, 'the address shows whole')
  })

  t.test('a hung proxy: sent the new version, not confirmed, not current (H1)', async (t) => {
    const { page } = await browser.page(t)
    const hung = stack.proxies[1]!
    // Stopped, not killed: its watch stays open, namerd sends it the change, it runs nothing.
    hung.proc.child.kill('SIGSTOP')
    t.teardown(() => {
      hung.proc.child.kill('SIGCONT')
    })
    await stack.putDtab(`${INITIAL_DTAB}\n/host/world => /srv/world-v2;`)
    await page.goto(dashboardUrl(stack.base, '#/proxies'))
    const table = page.getByRole('table', { name: 'Proxies' })
    const cell = (id: string) =>
      table.getByRole('row').filter({ hasText: id }).first().getByRole('cell').nth(4)
    await eventually(
      'proxy-2 sent, not confirmed',
      async () =>
        /^no sent v\d+, not confirmed: .*no whole answer within 1500 ms/.test(
          (await cell('proxy-2').textContent())?.trim() ?? '',
        ),
      20_000,
    )
    t.pass(`proxy-2: ${await cell('proxy-2').textContent()}`)
    t.match(await cell('proxy-1').textContent(), /^yes confirmed v\d+/, 'proxy-1 confirmed it')
    await shows(
      t,
      page.getByText(/1 not at the current version: 1 sent it but not confirmed by the proxy/),
      'the summary says it',
    )
    await screenshot(page, 'proxies-hung')
    await page.goto(dashboardUrl(stack.base, '#/namespaces'))
    const row = page
      .getByRole('table', { name: 'Namespaces' })
      .getByRole('row')
      .filter({
        has: page.getByRole('link', { name: NAMESPACE, exact: true }),
      })
    await shows(t, row.getByText('1 of 2 current'), 'the namespaces list: 1 of 2 current')
    hung.proc.child.kill('SIGCONT')
    await page.goto(dashboardUrl(stack.base, '#/proxies'))
    await eventually(
      'proxy-2 confirmed once it runs again',
      async () => /^yes confirmed/.test((await cell('proxy-2').textContent())?.trim() ?? ''),
      20_000,
    )
    t.pass('confirmed again once it answers')
  })
}
