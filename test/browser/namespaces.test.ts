// The namespaces list and creating a namespace in the dashboard, in a real Chromium against a
// real namerd and two proxies: each namespace with its version and how many proxies hold it; a
// new namespace whose dtab has a typo is not created (the error shown where it is); fixed, it is
// created, listed and opened; a name that exists is refused (409) with a link to it.
import type { Page } from 'playwright-core'
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, focusedText, launchBrowser, screenshot, shows } from '../support/browser.js'
import { NAMESPACE, startDashboardStack } from '../support/dashboard-stack.js'

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t, { proxies: 2 })
  await stack.propagated()

  /** The create form: the contract names its heading, not the form. */
  const createForm = (page: Page) =>
    page.locator('form').filter({ has: page.getByRole('heading', { name: 'Create a namespace' }) })

  const exists = async (ns: string) =>
    (await fetch(`${stack.base}/api/1/dtabs/${ns}`)).status === 200

  t.test(
    'the list: each namespace links to its dtab and says how many proxies hold it',
    async (t) => {
      const { page } = await browser.page(t)
      await page.goto(dashboardUrl(stack.base))
      const table = page.getByRole('table', { name: 'Namespaces' })
      await shows(t, table, 'the namespaces table')
      const row = table
        .getByRole('row')
        .filter({ has: page.getByRole('link', { name: NAMESPACE }) })
      await shows(t, row.getByText('2 of 2 current'), 'both proxies hold the current version')
      for (const column of ['Version', 'Last change', 'Proxies', 'Rollouts']) {
        t.equal(
          await table.getByRole('columnheader', { name: column, exact: true }).count(),
          1,
          column,
        )
      }
      await screenshot(page, 'namespaces-list')
    },
  )

  t.test(
    'a new namespace: a typo is shown and nothing created; fixed, it is created',
    async (t) => {
      const { page } = await browser.page(t)
      await page.goto(dashboardUrl(stack.base))
      const form = createForm(page)
      await shows(t, form, 'the create form')
      await form.getByRole('textbox', { name: 'Name' }).fill('blue')
      const dtab = form.getByRole('textbox', { name: 'Dtab' })
      await dtab.fill('/svc => /host ;\n/host/world => /srv/world-v1 &')
      t.equal(await dtab.getAttribute('aria-invalid'), 'true', 'the dtab does not parse')
      await shows(t, page.locator('#new-dtab-error'), 'the parser’s message')
      t.match(await page.locator('#new-dtab-error').textContent(), /\(line 2, column \d+\)/)
      await form.getByRole('button', { name: 'Create' }).click()
      await shows(t, form.getByText('The dtab does not parse'), 'says why nothing was created')
      t.notOk(await exists('blue'), 'namerd has no namespace blue')
      await screenshot(page, 'namespaces-create-typo')

      await dtab.fill('/svc => /host ;\n/host/world => /srv/world-v2 ;')
      await form.getByRole('button', { name: 'Create' }).click()
      await shows(
        t,
        page.getByRole('status').filter({ hasText: 'Created namespace blue' }),
        'Created',
      )
      // audit16b L3: the focus is on what happened, not on <body>.
      await eventually('the focus on the status line', async () =>
        (await focusedText(page)).startsWith('Created namespace blue'),
      )
      t.pass('the focus is on "Created namespace blue"')
      t.ok(await exists('blue'), 'namerd has the namespace blue')
      const link = page
        .getByRole('table', { name: 'Namespaces' })
        .getByRole('link', { name: 'blue', exact: true })
      await shows(t, link, 'the new namespace is listed')
      await link.click()
      await shows(t, page.getByRole('heading', { name: 'Namespace blue', level: 1 }), 'and opens')
      const box = page.getByRole('textbox', { name: 'Dtab', exact: true })
      await shows(t, box, 'its editor')
      await eventually('the dtab given in the editor', async () =>
        (await box.inputValue()).includes('/host/world => /srv/world-v2'),
      )
      t.pass('its editor holds the dtab given')
    },
  )

  t.test('a name that exists is refused, with a link to it', async (t) => {
    const { page, allowConsole } = await browser.page(t)
    allowConsole(/status of 409/)
    await page.goto(dashboardUrl(stack.base))
    const form = createForm(page)
    const before = await stack.dtab()
    await form.getByRole('textbox', { name: 'Name' }).fill(NAMESPACE)
    await form.getByRole('textbox', { name: 'Dtab' }).fill('/svc => /nowhere ;')
    await form.getByRole('button', { name: 'Create' }).click()
    await shows(t, form.getByRole('alert'), 'the refusal')
    await shows(t, form.getByRole('link', { name: `Open the namespace ${NAMESPACE}` }), 'a link')
    t.same(await stack.dtab(), before, 'the existing dtab is untouched')
  })

  t.test('many namespaces: a filter, a way to the form, nobody watching said (L4)', async (t) => {
    const { page } = await browser.page(t)
    for (const ns of ['team-a', 'team-b', 'other']) await stack.putDtab('/svc => /host ;', ns)
    await page.goto(dashboardUrl(stack.base))
    const table = page.getByRole('table', { name: 'Namespaces' })
    const row = (ns: string) =>
      table.getByRole('row').filter({ has: page.getByRole('link', { name: ns, exact: true }) })
    await shows(t, row('team-a').getByText('nobody watches'), 'no watcher, in words')
    await page.getByRole('searchbox', { name: 'Filter namespaces' }).fill('TEAM')
    await eventually('only team-a and team-b listed', async () => {
      const links = await table.getByRole('row').count()
      return links === 3 // the header and two rows
    })
    t.pass('the filter keeps team-a and team-b')
    await shows(
      t,
      page.getByRole('status').filter({ hasText: /^2 of \d+ namespaces match/ }),
      'says so',
    )
    await page.getByRole('button', { name: 'Go to Create a namespace', exact: true }).click()
    const name = page.getByRole('textbox', { name: 'Name', exact: true })
    await eventually('the Name field has the focus', async () =>
      name.evaluate((el) => el === (el.ownerDocument as { activeElement: unknown }).activeElement),
    )
    t.pass('the button goes to the create form')
  })

  t.test('while namerd does not answer, the proxies are marked not live (L7)', async (t) => {
    const { page, allowConsole } = await browser.page(t)
    allowConsole(/ERR_FAILED|Failed to load/)
    await page.goto(dashboardUrl(stack.base, '#/proxies'))
    const table = page.getByRole('table', { name: 'Proxies' })
    await shows(t, table, 'the table')
    await shows(t, page.getByText(/all at the current version/), 'live: all current')
    await page.route('**/api/1/**', (route) => route.abort())
    await shows(t, page.getByText(/^Not live: these are the proxies as of/), 'marked as of a time')
    t.equal(await page.locator('.table-scroll.stale').count(), 1, 'the table is greyed')
    await shows(t, page.getByText('(as of the last answer, not live)'), 'the summary says so')
    await page.unroute('**/api/1/**')
    await page.getByText(/^Not live/).waitFor({ state: 'detached', timeout: 10_000 })
    t.pass('live again once namerd answers')
  })
}
