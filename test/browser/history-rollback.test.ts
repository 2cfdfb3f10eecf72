// A namespace's history in the dashboard, in a real Chromium against a real namerd and proxy:
// every version newest first; two versions compared; a rollback asks first (a dialog with the
// diff), Cancel changes nothing, Roll back writes the old dtab as a new version, and the
// proxy's traffic goes back with it. The dialog opens on Cancel, names an active rollout the
// rollback would stop, and the rollback is recorded with why `rollback to vN (dashboard)` and
// the reason given; each row says what its version changed.
import type { Locator } from 'playwright-core'
import t from 'tap'
import { eventually } from '../e2e/processes.js'
import { dashboardUrl, focusedText, launchBrowser, screenshot, shows } from '../support/browser.js'
import {
  INITIAL_DTAB,
  NAMESPACE,
  startDashboardStack,
  worldRolloutArgs,
} from '../support/dashboard-stack.js'

/** A diff's lines as a screen reader reads them: the +/- signs are aria-hidden, the words not. */
const heard = async (diff: Locator) =>
  ((await diff.textContent()) ?? '').replace(/(removed|added): [-+] /g, '$1: ')

const browser = await launchBrowser(t)
if (browser !== null) {
  const stack = await startDashboardStack(t)
  // The history: the first dtab (world on v1), then world moved to v2 with namerctl.
  const shifted = await stack.namerctl(['shift', NAMESPACE, '/host/world', '/srv/world-v2=100'])
  if (shifted.code !== 0) throw new Error(`namerctl shift failed: ${shifted.stderr}`)
  await stack.propagated()

  const historyLength = async () => {
    const res = await fetch(`${stack.base}/api/1/dtabs/${NAMESPACE}/history`)
    return ((await res.json()) as unknown[]).length
  }

  t.test('every version is listed newest first, and two versions compare', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/history`))
    const table = page.getByRole('table', { name: 'History' })
    await shows(t, table, 'the history table')
    await shows(t, table.getByRole('row').nth(2), 'two versions')
    t.equal(await table.getByRole('row').count(), 3, 'a header and one row per version')
    for (const column of ['Version', 'When', 'Who', 'Why', 'Change']) {
      t.equal(
        await table.getByRole('columnheader', { name: column, exact: true }).count(),
        1,
        column,
      )
    }
    // Each row says what its version changed (audit M8).
    t.match(
      (await table.getByRole('row').nth(1).textContent()) ?? '',
      /changed \/host\/world: \/srv\/world-v1 → \/srv\/world-v2/,
      'the newest row names the dentry it changed',
    )
    t.match((await table.getByRole('row').nth(2).textContent()) ?? '', /created with 4 dentries/)
    const buttons = table.getByRole('button', { name: /^Roll back to / })
    t.equal(await buttons.count(), 1, 'a rollback button on every version but the current one')

    const from = page.getByLabel('From version')
    const to = page.getByLabel('To version')
    await shows(t, from, 'the compare form')
    const options = await from.locator('option').allTextContents()
    t.ok(options.length >= 2, `the versions to choose from (${options.join(', ')})`)
    await from.selectOption({ index: options.length - 1 })
    await to.selectOption({ index: 0 })
    const diff = page.getByRole('figure', { name: 'Differences' })
    await shows(t, diff, 'the differences')
    t.match(await heard(diff), /removed: \/host\/world => \/srv\/world-v1/)
    t.match(await heard(diff), /added: \/host\/world => \/srv\/world-v2/)
    await screenshot(page, 'history')
  })

  t.test('a rollback asks first; Cancel changes nothing', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/history`))
    const before = await stack.dtab()
    await page.getByRole('button', { name: /^Roll back to / }).focus()
    await page.keyboard.press('Enter')
    const dialog = page.getByRole('dialog', { name: /^Roll back to version .+\?$/ })
    await shows(t, dialog, 'the confirmation')
    // A double Enter must not roll back: the focus starts on Cancel (audit M5).
    await eventually('the focus on Cancel', async () => (await focusedText(page)) === 'Cancel')
    t.pass('the dialog opens with the focus on Cancel')
    const diff = dialog.getByRole('figure', { name: 'Rollback changes' })
    t.match(await heard(diff), /removed: \/host\/world => \/srv\/world-v2/)
    t.match(await heard(diff), /added: \/host\/world => \/srv\/world-v1/)
    await screenshot(page, 'history-rollback')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
    await dialog.waitFor({ state: 'hidden' })
    t.same(await stack.dtab(), before, 'nothing was written')

    await page.getByRole('button', { name: /^Roll back to / }).click()
    await shows(t, dialog, 'the confirmation again')
    await page.keyboard.press('Escape')
    await dialog.waitFor({ state: 'hidden' })
    t.pass('Escape closes it')
    t.same(await stack.dtab(), before, 'nothing was written')
  })

  t.test('Roll back writes the old dtab as a new version; traffic goes back', async (t) => {
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/history`))
    const versions = await historyLength()
    await page.getByRole('button', { name: /^Roll back to / }).click()
    const dialog = page.getByRole('dialog', { name: /^Roll back to version .+\?$/ })
    await dialog.getByLabel('Reason (optional, kept in the history)').fill('v2 answers 503')
    await dialog.getByRole('button', { name: 'Roll back', exact: true }).click()
    await shows(t, page.getByRole('status').filter({ hasText: 'Rolled back' }), 'Rolled back')
    // Recorded as a rollback, with the reason (audit M8), and shown in the Why column.
    const newest = await (await fetch(`${stack.base}/api/1/dtabs/${NAMESPACE}/history`)).json()
    t.match(
      (newest as { why?: string }[])[0]?.why,
      /^rollback to v\d+ \(dashboard\): v2 answers 503$/,
    )
    await eventually('the why in the table', async () =>
      /rollback to v\d+ \(dashboard\): v2 answers 503/.test(
        (await page
          .getByRole('table', { name: 'History' })
          .getByRole('row')
          .nth(1)
          .textContent()) ?? '',
      ),
    )
    t.pass('the newest row says it was a rollback, and why')
    const { text } = await stack.dtab()
    t.match(text, /\/host\/world\s*=>\s*\/srv\/world-v1/, 'namerd holds the old dtab again')
    t.equal(await historyLength(), versions + 1, 'as a new version in the history')
    await eventually('the new version in the table', async () => {
      const rows = await page.getByRole('table', { name: 'History' }).getByRole('row').count()
      return rows === versions + 2
    })
    t.pass('the table shows it')
    await stack.propagated()
    const load = await stack.load(40)
    t.equal(load.versions.get('v1'), 40, `every request reaches v1 again (${[...load.versions]})`)
    t.match(INITIAL_DTAB, '/host/world => /srv/world-v1')
  })

  t.test('the rollback dialog names an active rollout it would stop', async (t) => {
    // world is on v1 again: a gated rollout to v2 waits at its gate before 10%, writing nothing.
    const started = await stack.namerctl(
      worldRolloutArgs('--interval', '60s', '--gate-before', '10', '--json'),
    )
    if (started.code !== 0) throw new Error(`namerctl rollout start: ${started.stderr}`)
    const id = (JSON.parse(started.stdout) as { id: string }).id
    t.teardown(async () => {
      await stack.namerctl(['rollout', 'abort', NAMESPACE, id])
    })
    // The history holds v2 (world on v2); the current one (the rollback above) has it on v1:
    // rolling back to v2 changes /host/world, the rollout's dentry.
    const { page } = await browser.page(t)
    await page.goto(dashboardUrl(stack.base, `#/ns/${NAMESPACE}/history`))
    await page
      .getByRole('button', { name: /^Roll back to / })
      .first()
      .click()
    const dialog = page.getByRole('dialog', { name: /^Roll back to version .+\?$/ })
    await shows(t, dialog, 'the confirmation')
    const note = dialog.getByRole('note', { name: 'Active rollouts this stops' })
    await shows(t, note, 'the warning')
    await shows(t, note.getByRole('link', { name: id, exact: true }), 'a link to the rollout')
    t.match(
      ((await note.textContent()) ?? '').replace(/\s+/g, ' '),
      /stops the rollout with a conflict.*abort it on its page instead/,
      'what happens, and the alternative',
    )
    await screenshot(page, 'history-rollback-rollout')
    await dialog.getByRole('button', { name: 'Cancel' }).click()
  })
}
