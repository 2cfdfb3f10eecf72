// Where the keyboard lands after the page changes under it (audit M4): a new view puts the focus
// on its heading, as a page load would, while a new query of the same view (the delegator's path
// in the hash) leaves it where the user is; giving a token puts it back on the control that
// asked for one. A real Chromium against a real namerd (memory store, with tokens).
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, focused, launchBrowser, shows, tabTo } from '../support/browser.js'
import { startTokenNamerd } from '../support/token-namerd.js'

const READ = 'focus-read-token-0123456789'
const WRITE = 'focus-write-token-0123456789'
const NS = 'internal'

const browser = await launchBrowser(t)
if (browser !== null) {
  const { base } = await startTokenNamerd(t, {
    name: 'namerd-focus',
    tokens: [
      { name: 'reader', token: READ, scope: 'read' },
      { name: 'writer', token: WRITE, scope: 'write' },
    ],
    anonymousReads: true,
    dtabs: { [NS]: '/svc => /host ;\n/host/world => /$/inet/127.0.0.1/1 ;' },
  })

  t.test('following a link to another view puts the focus on its heading', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(base))
    await shows(t, page.getByRole('link', { name: NS, exact: true }), 'the namespaces list')
    t.ok(await tabTo(page, 'a', NS), 'Tab reaches the namespace')
    await page.keyboard.press('Enter')
    await shows(t, page.getByRole('heading', { name: `Namespace ${NS}`, level: 1 }), 'its page')
    await eventually('the focus to reach the heading', async () =>
      (await focused(page)).startsWith('H1 '),
    )
    t.equal(await focused(page), `H1 Namespace ${NS}`, 'the keyboard is on the new heading')

    // The next Tab goes on from the heading, into the view (not back to the top of the page).
    await page.keyboard.press('Tab')
    t.match(await focused(page), /^A Dtab$/, 'Tab from the heading reaches the first tab')
  })

  t.test('a new query of the same view leaves the focus where the user is', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(base, `#/ns/${NS}/delegate`))
    const path = page.getByRole('textbox', { name: 'Path', exact: true })
    await shows(t, path, 'the delegator')
    await path.fill('/svc/world')
    await page.getByRole('button', { name: 'Delegate', exact: true }).click()
    await shows(t, page.getByRole('tree'), 'the delegation')
    t.notMatch(await focused(page), /^H1 /, 'the focus is not sent back to the page heading')
  })

  t.test('giving a token puts the focus back on the control that asked for it', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(base))
    const give = page.getByRole('button', { name: 'Give a token', exact: true })
    await shows(t, give, 'an anonymous session is offered a token')
    await give.focus()
    await page.keyboard.press('Enter')
    await shows(t, page.getByRole('heading', { name: 'namerd token' }), 'the token form')
    // The form moves the focus once it has rendered (an effect): wait for it, as a person would.
    await eventually('the token field to take the focus', async () =>
      (await focused(page)).startsWith('INPUT'),
    )
    t.match(await focused(page), /^INPUT/, 'the form takes the focus')
    await page.keyboard.type(WRITE)
    await page.keyboard.press('Enter')
    await shows(t, page.getByText('writer: reads and writes'), 'the page uses the token')
    await eventually(
      'the focus to come back',
      async () => !(await focused(page)).startsWith('BODY'),
    )
    t.equal(await focused(page), 'BUTTON Forget the token', 'the focus is back in the header')
  })
}
