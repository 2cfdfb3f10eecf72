// Editing a dtab in the dashboard, in a real Chromium against a real namerd and proxy: a typo is
// shown at its line and column and nothing can be saved; Save first shows the changes and asks
// (nothing is written until "Save these changes"), the reason is recorded in the history, and
// the proxy routes on the saved dtab; an edit whose dtab changed meanwhile on namerd is refused
// (412), shown as a conflict with what changed, and nothing of it is saved; an unsaved edit
// survives a visit to another tab; a long dtab scrolls inside its box on a laptop's screen; an
// edit of a dentry an active rollout moves says the save stops that rollout.

import { History, Rollout } from '@switchyard/wire'
import type { Locator, Page } from 'playwright-core'
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, focused, launchBrowser, screenshot, shows } from '../support/browser.js'
import { NAMESPACE, startDashboardStack, worldRolloutArgs } from '../support/dashboard-stack.js'

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

  /** The heading of the review, which Save and Review changes bring into sight and focus. */
  const reviewShown = async (t: Parameters<typeof browser.page>[0], page: Page) => {
    const heading = page.getByRole('heading', { name: 'Changes to save', exact: true })
    await shows(t, heading, 'the review')
    t.ok(
      await heading.evaluate((h) => h === h.ownerDocument.activeElement),
      'its heading has the focus',
    )
    const box = await heading.boundingBox()
    const view = page.viewportSize()
    t.ok(
      box !== null && view !== null && box.y >= 0 && box.y + box.height <= view.height,
      `and is in sight (${JSON.stringify(box)} in ${JSON.stringify(view)})`,
    )
  }

  t.test('Save shows the changes and asks; the reason goes to the history', async (t) => {
    const { page, box } = await open(t)
    const before = await stack.dtab()
    await box.fill(withWorld('/srv/world-v2'))
    t.equal(await box.getAttribute('aria-invalid'), null, 'it parses')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await reviewShown(t, page)
    const diff = page.getByRole('figure', { name: 'Changes to save' })
    await shows(t, diff, 'the changes to save')
    t.match(await heard(diff), /removed: \/host\/world => \/srv\/world-v1/)
    t.match(await heard(diff), /added: \/host\/world => \/srv\/world-v2/)
    t.same(await stack.dtab(), before, 'Save alone wrote nothing')
    const reason = 'send world to v2 (browser test, “dtab-edit”)'
    await page.getByLabel('Reason').fill(reason)
    await screenshot(page, 'dtab-review')
    await page.getByRole('button', { name: 'Save these changes', exact: true }).click()
    const saved = page.getByRole('status').filter({ hasText: 'Saved' })
    await shows(t, saved, 'Saved')
    t.match(
      await saved.textContent(),
      /^Saved: the dtab is at version v\d+\.$/,
      'the version named as the history names it',
    )
    t.match(await focused(page), /^P Saved/, 'the keyboard is on the status line, not lost')
    const { text, version } = await stack.dtab()
    t.match(text, /\/host\/world\s*=>\s*\/srv\/world-v2/, 'namerd holds the new dtab')
    const meta = page.locator('.dtab-editor .meta code').first()
    t.match(await meta.textContent(), /^v\d+$/, 'the editor names its version vN')
    t.equal(await meta.getAttribute('title'), version, 'with the ETag on hover')
    const history = History.parse(
      await (await fetch(`${stack.base}/api/1/dtabs/${NAMESPACE}/history`)).json(),
    )
    t.equal(history[0]?.why, reason, 'the history records the reason')
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
      // The review is open, "Save these changes" one click away, when...
      await page.getByRole('button', { name: 'Save', exact: true }).click()
      const confirm = page.getByRole('button', { name: 'Save these changes', exact: true })
      await shows(t, confirm, 'the review asks')
      // ...someone else changes the dtab (namerctl, another page) after this edit started.
      await stack.putDtab(
        withWorld('/srv/world-v1').replace(
          '/svc => /host ;',
          '/svc => /host ;\n/svc/extra => /srv/world-v1 ;',
        ),
      )
      await confirm.click()
      const meanwhile = await stack.dtab()
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

  t.test('an unsaved edit survives a visit to another tab, and goes once saved', async (t) => {
    const { page, box } = await open(t)
    const edit =
      withWorld('/srv/world-v2').replace('/srv/world-v2', '/srv/world-v1 ') +
      '\n/svc/kept => /srv/world-v2 ;'
    await box.fill(edit)
    await page.getByRole('link', { name: 'History', exact: true }).click()
    await shows(t, page.getByRole('table', { name: 'History' }), 'the History tab')
    await page.getByRole('link', { name: 'Dtab', exact: true }).click()
    await boxUntil(box, 'the edit back in the box', (text) => text === edit)
    await shows(
      t,
      page.getByRole('status').filter({ hasText: 'Your unsaved edit is back' }),
      'said',
    )
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('button', { name: 'Save these changes', exact: true }).click()
    await shows(t, page.getByRole('status').filter({ hasText: 'Saved' }), 'Saved')
    await page.getByRole('link', { name: 'History', exact: true }).click()
    await shows(t, page.getByRole('table', { name: 'History' }), 'the History tab')
    await page.getByRole('link', { name: 'Dtab', exact: true }).click()
    await boxUntil(box, 'the stored dtab in the box', (text) => text.includes('/svc/kept'))
    t.equal(
      await page.getByText('Your unsaved edit is back').count(),
      0,
      'once saved there is no draft to bring back',
    )
  })

  t.test(
    'on a laptop’s screen a long dtab scrolls inside its box; Save stays in sight',
    async (t) => {
      const { page, box } = await open(t)
      await page.setViewportSize({ width: 1366, height: 768 })
      const lines = Array.from({ length: 24 }, (_, i) => `/svc/s${i} => /srv/world-v1 ;`)
      await box.fill(`${withWorld('/srv/world-v1')}\n${lines.join('\n')}\n/svc/typo =>> /x ;`)
      const height = (await box.boundingBox())?.height ?? Number.POSITIVE_INFINITY
      t.ok(height <= 768 / 2 + 2, `the box is at most half the window high (${height} px)`)
      t.ok(
        await box.evaluate((el) => el.scrollHeight > el.clientHeight),
        'its text scrolls inside it',
      )
      for (const [what, locator] of [
        ['the parser’s message', page.locator('#dtab-error')],
        ['Save', page.getByRole('button', { name: 'Save', exact: true })],
        ['Review changes', page.getByRole('button', { name: 'Review changes' })],
      ] as const) {
        const b = await locator.boundingBox()
        t.ok(b !== null && b.y + b.height <= 768, `${what} is in sight without scrolling (${b?.y})`)
      }
      await box.fill(`${withWorld('/srv/world-v1')}\n${lines.join('\n')}`)
      await page.getByRole('button', { name: 'Review changes' }).click()
      await reviewShown(t, page)
      t.match(await focused(page), /Changes to save/, 'the focus is on the review')
    },
  )

  t.test('an edit of a dentry an active rollout moves says the save stops it', async (t) => {
    const started = await stack.namerctl(
      worldRolloutArgs('--gate-before', '10', '--reason', 'dtab-edit browser test', '--json'),
    )
    t.equal(started.code, 0, `the rollout starts (${started.stderr})`)
    const id = Rollout.parse(JSON.parse(started.stdout)).id
    t.teardown(async () => {
      await stack.namerctl(['rollout', 'abort', NAMESPACE, id, '--reason', 'test over'])
    })
    const { page, box } = await open(t)
    await box.fill(`${withWorld('/srv/world-v1')}\n/svc/unrelated => /srv/world-v2 ;`)
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await reviewShown(t, page)
    t.equal(
      await page.getByRole('note', { name: 'Active rollouts this save stops' }).count(),
      0,
      'an edit of another dentry stops no rollout',
    )
    await box.fill(withWorld('0.5 * /srv/world-v2 & 0.5 * /srv/world-v1'))
    const note = page.getByRole('note', { name: 'Active rollouts this save stops' })
    await shows(t, note, 'the warning')
    t.match(await note.textContent(), /This save stops an active rollout/)
    t.match(await note.textContent(), /conflict/, 'says how: a conflict')
    const link = note.getByRole('link', { name: `Rollout ${id}` })
    await shows(t, link, 'a link to the rollout')
    t.match(await link.getAttribute('href'), `#/rollouts/${NAMESPACE}/${id}`)
    await screenshot(page, 'dtab-review-rollout')
  })

  t.test('a review behind namerd offers no write it knows will fail (audit16b L1)', async (t) => {
    const { page, box } = await open(t)
    const puts: string[] = []
    page.on('request', (r) => {
      if (r.method() === 'PUT') puts.push(r.url())
    })
    await box.fill(`${withWorld('/srv/world-v1')}\n/svc/mine => /srv/world-v1 ;`)
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await shows(
      t,
      page.getByRole('button', { name: 'Save these changes', exact: true }),
      'the review asks',
    )
    await stack.putDtab(`${withWorld('/srv/world-v1')}\n/svc/other => /srv/world-v1 ;`)
    const review = page.getByRole('region', { name: 'Changes to save' })
    await shows(t, review.getByText(/a save would be refused and save nothing/), 'says so')
    t.equal(
      await page.getByRole('button', { name: 'Save these changes', exact: true }).count(),
      0,
      'no "Save these changes"',
    )
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await shows(t, page.getByRole('heading', { name: 'Conflict', level: 2 }), 'Save: the conflict')
    t.same(puts, [], 'nothing was sent')
    await page
      .getByRole('button', { name: 'Keep my edit and compare it with the current dtab' })
      .click()
    t.match(await box.inputValue(), '/svc/mine', 'the edit is kept')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('button', { name: 'Save these changes', exact: true }).click()
    await shows(t, page.getByRole('status').filter({ hasText: 'Saved' }), 'then it saves')
    t.equal(puts.length, 1, 'one write, against the current version')
    await stack.putDtab(withWorld('/srv/world-v1'))
  })
}
