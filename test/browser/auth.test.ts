// The dashboard against a namerd with tokens, in a real Chromium: the page asks for a token and
// keeps it for the tab only (a reload keeps it, a new tab asks again); a read token sees
// everything and changes nothing (each control that writes is disabled and says why); a write
// token saves, and the history names who did.
import t from 'tap'
import { dashboardUrl, launchBrowser, shows } from '../support/browser.js'
import { startTokenNamerd } from '../support/token-namerd.js'

const READ = 'read-token-0123456789abcdef'
const WRITE = 'write-token-0123456789abcdef'
const NS = 'internal'

const browser = await launchBrowser(t)
if (browser !== null) {
  const { base } = await startTokenNamerd(t, {
    name: 'namerd-auth',
    tokens: [
      { name: 'reader', token: READ, scope: 'read' },
      { name: 'writer', token: WRITE, scope: 'write' },
    ],
    dtabs: { [NS]: '/svc => /host ;\n/host/world => /srv/world-v1 ;' },
  })

  /** Opens the page, which asks for a token, and gives it `token`. */
  const signIn = async (t: Parameters<typeof browser.page>[0], token: string) => {
    const dp = await browser.page(t)
    // Until it has a token the page's reads are refused (401), as namerd should.
    dp.allowConsole(/status of 401/)
    await dp.page.goto(dashboardUrl(base))
    await shows(t, dp.page.getByRole('heading', { name: 'namerd token' }), 'the page asks')
    await dp.page.getByLabel(/^Token/).fill(token)
    await dp.page.getByRole('button', { name: 'Use this token' }).click()
    await shows(t, dp.page.getByRole('link', { name: NS, exact: true }), 'it then reads')
    return dp
  }

  t.test('a read token sees everything and changes nothing', async (t) => {
    const { page } = await signIn(t, READ)
    await shows(t, page.getByText('reader: reads only'), 'the page says who and what')
    const create = page.getByRole('button', { name: 'Create', exact: true })
    t.ok(await create.isDisabled(), 'Create is disabled')
    await shows(
      t,
      page.getByText('Creating is off: the token reader is read-only: writes need a write token.'),
      'and says why, naming the token (audit L1)',
    )
    // audit16b L7: a way to a write token beside it, not only Forget then Give.
    await page
      .getByRole('main')
      .getByRole('button', { name: 'Give a write token', exact: true })
      .click()
    await shows(t, page.getByRole('heading', { name: 'namerd token' }), 'it asks for a token')
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()
    // audit16b: and in the header, on every page.
    await page
      .getByRole('banner')
      .getByRole('button', { name: 'Give a write token', exact: true })
      .click()
    await shows(t, page.getByRole('heading', { name: 'namerd token' }), 'the header asks too')
    await page.getByRole('button', { name: 'Cancel', exact: true }).click()

    await page.goto(dashboardUrl(base, `#/ns/${NS}/dtab`))
    const box = page.getByRole('textbox', { name: 'Dtab', exact: true })
    await shows(t, box, 'the dtab is shown')
    await shows(t, page.getByText(/^Read only: the token reader is read-only/), 'says why')
    t.notOk(await box.isEditable(), 'the box is read-only (it can still be selected and copied)')
    t.ok(
      await page.getByRole('button', { name: 'Save', exact: true }).isDisabled(),
      'Save is disabled',
    )

    await page.goto(dashboardUrl(base, `#/ns/${NS}/history`))
    await shows(t, page.getByRole('table', { name: 'History' }), 'the history is shown')
  })

  t.test(
    'a wrong token is said once, and the header says it was refused (audit16b L4)',
    async (t) => {
      const dp = await browser.page(t)
      dp.allowConsole(/status of 401/)
      const { page } = dp
      await page.goto(dashboardUrl(base, `#/ns/${NS}/history`))
      await shows(t, page.getByRole('heading', { name: 'namerd token' }), 'the page asks')
      await page.getByLabel(/^Token/).fill('wrong-token-0123456789abcdef')
      await page.getByRole('button', { name: 'Use this token' }).click()
      await shows(t, page.getByRole('banner').getByText('token refused'), 'the header says refused')
      await shows(t, page.getByRole('heading', { name: 'namerd token' }), 'the form asks again')
      await shows(t, page.getByText('the bearer token is not valid'), 'and says why')
      // Give the views' reads time to fail too: they must not repeat it.
      await page.waitForTimeout(2500)
      t.equal(await page.getByText(/the bearer token is not valid/).count(), 1, 'said once')
      t.equal(await page.getByText(/anonymous: cannot read/).count(), 0, 'not "anonymous"')
    },
  )

  t.test('the token is kept for the tab only: a reload keeps it, a new tab asks', async (t) => {
    const { page } = await signIn(t, READ)
    await page.reload()
    await shows(t, page.getByRole('link', { name: NS, exact: true }), 'after a reload it reads')
    t.equal(await page.getByRole('heading', { name: 'namerd token' }).count(), 0, 'not asked')
    const other = await browser.page(t)
    other.allowConsole(/status of 401/)
    await other.page.goto(dashboardUrl(base))
    await shows(t, other.page.getByRole('heading', { name: 'namerd token' }), 'a new tab asks')
  })

  t.test('a write token saves, and the history names who', async (t) => {
    const { page } = await signIn(t, WRITE)
    await page.goto(dashboardUrl(base, `#/ns/${NS}/dtab`))
    const box = page.getByRole('textbox', { name: 'Dtab', exact: true })
    await shows(t, box, 'the editor')
    await box.fill('/svc => /host ;\n/host/world => /srv/world-v2 ;')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('button', { name: 'Save these changes', exact: true }).click()
    await shows(t, page.getByRole('status').filter({ hasText: 'Saved' }), 'Saved')
    await page.goto(dashboardUrl(base, `#/ns/${NS}/history`))
    const newest = page.getByRole('table', { name: 'History' }).getByRole('row').nth(1)
    await shows(t, newest.getByText('writer'), 'the newest version is by writer')
  })
}
