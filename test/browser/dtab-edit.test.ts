// Editing a dtab in the dashboard, in a real Chromium against a real namerd and proxy: a typo is
// shown at its line and column and nothing can be saved; a fixed edit is reviewed as a diff and
// saved, and the proxy routes on it; an edit whose dtab changed meanwhile on namerd is refused
// (412), shown as a conflict with what changed, and nothing of it is saved.

import type { Locator } from 'playwright-core'
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, launchBrowser, screenshot, shows } from '../support/browser.js'
import { NAMESPACE, startDashboardStack } from '../support/dashboard-stack.js'

/** A diff's lines as a screen reader reads them: the +/- signs are aria-hidden, the words not. */
const heard = async (diff: Locator) =>
  ((await diff.textContent()) ?? '').replace(/(removed|added): [-+] /g, '$1: ')

/** Until the editor's box holds text that `ok` accepts (the page polls namerd every 2 s). */
const boxUntil = (box: Locator, what: string, ok: (text: string) => boolean) =>
  eventually(what, async () => ok(await box.inputValue()), 8000)

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t)
  await stack.propagated()

  /** The dtab of `internal` with world sent to `dst`, one dentry per line as the editor shows. */
  const withWorld = (dst: string) =>
    [
      '/srv => /#/io.l5d.fs ;',
      '/host => /srv ;',
      '/svc => /host ;',
      `/host/world => ${dst} ;`,
    ].join('\n')

  const open = async (t: Parameters<typeof browser.page>[0]) => {
    const dp = await browser.page(t)
    await dp.page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/dtab`))
    const box = dp.page.getByRole('textbox', { name: 'Dtab', exact: true })
    await shows(t, box, 'the editor')
    // Loaded once the stored dtab is in the box.
    await boxUntil(box, 'the stored dtab in the box', (text) => text.includes('/host/world'))
    return { ...dp, box }
  }

  t.test('a typo is shown at its line and column, and nothing can be saved', async (t) => {
    const { page, box } = await open(t)
    const before = await stack.dtab()
    await box.fill(withWorld('/srv/world-v2').replace('/host/world =>', '/host/world =>>'))
    t.equal(await box.getAttribute('aria-invalid'), 'true', 'the box says it does not parse')
    t.equal(await box.getAttribute('aria-describedby'), 'dtab-error', 'and points at why')
    const error = page.locator('#dtab-error')
    await shows(t, error, 'the parser’s message')
    t.match(await error.textContent(), /\(line 4, column \d+\)/, 'at line 4, with its column')
    await shows(t, page.locator('mark.dtab-input-mark'), 'the error is marked in the text')
    const save = page.getByRole('button', { name: 'Save', exact: true })
    t.ok(await save.isDisabled(), 'Save is disabled while the dtab does not parse')
    await screenshot(page, 'dtab-typo')
    t.same(await stack.dtab(), before, 'namerd’s dtab is unchanged')
  })

  t.test('a fixed edit is reviewed as a diff, saved, and the proxy routes on it', async (t) => {
    const { page, box } = await open(t)
    await box.fill(withWorld('/srv/world-v2'))
    t.equal(await box.getAttribute('aria-invalid'), null, 'it parses')
    await page.getByRole('button', { name: 'Review changes' }).click()
    const diff = page.getByRole('figure', { name: 'Changes to save' })
    await shows(t, diff, 'the changes to save')
    t.match(await heard(diff), /removed: \/host\/world => \/srv\/world-v1/)
    t.match(await heard(diff), /added: \/host\/world => \/srv\/world-v2/)
    await screenshot(page, 'dtab-review')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await shows(t, page.getByRole('status').filter({ hasText: 'Saved' }), 'Saved')
    const { text } = await stack.dtab()
    t.match(text, /\/host\/world\s*=>\s*\/srv\/world-v2/, 'namerd holds the new dtab')
    await stack.propagated()
    const load = await stack.load(40)
    t.equal(load.versions.get('v2'), 40, `every request reaches v2 (${[...load.versions]})`)
  })

  t.test(
    'a conflict: the dtab changed meanwhile, nothing is saved, what changed is shown',
    async (t) => {
      const { page, box, allowConsole } = await open(t)
      // The 412 namerd answers is the point of this test; Chromium logs it.
      allowConsole(/status of 412/)
      await box.fill(withWorld('/srv/world-v3'))
      // Someone else changes the dtab (namerctl, another page) after this edit started.
      await stack.putDtab(
        withWorld('/srv/world-v1').replace(
          '/svc => /host ;',
          '/svc => /host ;\n/svc/extra => /srv/world-v1 ;',
        ),
      )
      const meanwhile = await stack.dtab()
      await page.getByRole('button', { name: 'Save', exact: true }).click()
      await shows(t, page.getByRole('heading', { name: 'Conflict', level: 2 }), 'the Conflict')
      await shows(
        t,
        page.getByText(/changed .* since you started editing/),
        'says it changed meanwhile',
      )
      await shows(t, page.getByText('nothing was saved'), 'says nothing was saved')
      const diff = page.getByRole('figure', { name: 'Changed meanwhile' })
      await shows(t, diff, 'what changed meanwhile')
      t.match(await heard(diff), /added: \/svc\/extra => \/srv\/world-v1/)
      t.match(await box.inputValue(), '/srv/world-v3', 'their edit is still in the box')
      t.same(await stack.dtab(), meanwhile, 'namerd holds the other change, not this edit')
      await screenshot(page, 'dtab-conflict')

      await page.getByRole('button', { name: 'Start again from the current dtab' }).click()
      await boxUntil(box, 'the current dtab in the box', (text) => !text.includes('world-v3'))
      const now = await box.inputValue()
      t.match(now, '/svc/extra => /srv/world-v1', 'the box holds the current dtab')
      t.notMatch(now, 'world-v3', 'nothing of the edit is kept')
      t.equal(
        await page.getByRole('heading', { name: 'Conflict' }).count(),
        0,
        'the conflict is gone',
      )
    },
  )

  t.test('an unedited editor follows the stored dtab; an edited one says it changed', async (t) => {
    const { page, box } = await open(t)
    await stack.putDtab(
      withWorld('/srv/world-v1').replace(
        '/svc => /host ;',
        '/svc => /host ;\n/svc/live => /srv/world-v2 ;',
      ),
    )
    await boxUntil(box, 'the new stored dtab in the box', (text) => text.includes('/svc/live'))
    t.pass('the unedited box reloaded the new dtab')
    await box.fill(`${await box.inputValue()}\n/svc/mine => /srv/world-v2 ;`)
    await stack.putDtab(withWorld('/srv/world-v2'))
    await shows(t, page.getByText('The dtab changed since you started editing'), 'the live note')
    t.match(await box.inputValue(), '/svc/mine', 'the edit is kept')
  })
}
