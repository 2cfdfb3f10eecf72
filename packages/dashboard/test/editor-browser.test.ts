// The dtab editor in a real headless Chromium against a real namerd (memory store) on loopback:
// a typo is marked where the parser stopped and nothing is saved, a save is a compare-and-swap,
// a change behind the editor's back is followed (unedited) or shown as a conflict (edited),
// and a namespace that does not exist says so.
import { Dtab, DtabParseError } from '@switchyard/dtab'
import t from 'tap'
import { dashboardUrl, launchBrowser, screenshot } from '../../../test/support/browser.js'
import { startProcess } from '../../namerd/test/helpers.js'

const browser = await launchBrowser(t)
if (browser !== null) {
  const namerd = await startProcess(t, ['--store', 'memory', '--listen', '127.0.0.1:0'])
  const base = namerd.base
  let n = 0
  const newNamespace = async (dtab: string): Promise<string> => {
    const ns = `editor${++n}`
    const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
      method: 'POST',
      headers: { 'content-type': 'application/dtab' },
      body: dtab,
    })
    if (res.status !== 204) throw new Error(`creating ${ns}: ${res.status}`)
    return ns
  }
  const stored = async (ns: string) => {
    const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
      headers: { accept: 'application/dtab' },
    })
    return { dtab: (await res.text()).trim(), version: res.headers.get('etag') ?? '' }
  }
  const putBehind = async (ns: string, dtab: string) => {
    const res = await fetch(`${base}/api/1/dtabs/${ns}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/dtab' },
      body: dtab,
    })
    if (res.status !== 204) throw new Error(`put ${ns}: ${res.status}`)
  }
  const open = async (tt: Parameters<typeof browser.page>[0], ns: string) => {
    const p = await browser.page(tt)
    await p.page.goto(dashboardUrl(base, `#/ns/${ns}/dtab`))
    const box = p.page.getByRole('textbox', { name: 'Dtab' })
    await box.waitFor()
    return { ...p, box }
  }

  t.test(
    'a typo is marked at its offset, said with line and column, and saves nothing',
    async (t) => {
      const ns = await newNamespace('/svc/world => /srv/world-v1')
      const before = await stored(ns)
      const { page, box } = await open(t, ns)
      t.equal(await box.inputValue(), '/svc/world => /srv/world-v1 ;\n', 'one dentry per line')
      await box.click()
      await page.keyboard.press('Control+End')
      await page.keyboard.type('/svc/x =>> /y ;')
      const text = await box.inputValue()
      let err: DtabParseError | null = null
      try {
        Dtab.read(text)
      } catch (e) {
        if (e instanceof DtabParseError) err = e
      }
      t.ok(err, 'the text does not parse')
      t.equal(await box.getAttribute('aria-invalid'), 'true')
      t.equal(await box.getAttribute('aria-describedby'), 'dtab-error')
      const said = await page.locator('#dtab-error').textContent()
      t.equal(said, `simple expected but '>' found at '/svc/x =>[>] /y ;' (line 2, column 10)`)
      t.equal(err?.offset, text.indexOf('>>') + 1, 'the offset is the second >')
      const mark = page.locator('.dtab-input-mark')
      t.equal(await mark.textContent(), '>', 'the mark is on the character the parser stopped at')
      t.equal(
        await page.locator('.dtab-input-mirror').evaluate((m) => m.textContent),
        `${text}\n `,
        'the mirror holds the text exactly (plus the last line a textarea shows)',
      )
      // The mirror lines up with the textarea only while they share every metric.
      // (A string, as the browser runs it: this file is type-checked without the DOM's types.)
      const metrics = (await page.evaluate(`(() => {
      const keys = ['fontFamily', 'fontSize', 'lineHeight', 'paddingLeft', 'paddingTop',
        'borderLeftWidth', 'borderTopWidth', 'letterSpacing', 'tabSize', 'whiteSpace']
      const of = (sel) => {
        const s = getComputedStyle(document.querySelector(sel))
        return keys.map((k) => s[k]).join('|')
      }
      return { box: of('#dtab'), mirror: of('.dtab-input-mirror') }
    })()`)) as { box: string; mirror: string }
      t.equal(metrics.mirror, metrics.box, 'the mirror has the textarea’s metrics')
      t.ok(
        await page.getByRole('button', { name: 'Save', exact: true }).isDisabled(),
        'Save is off',
      )
      await screenshot(page, 'editor-typo')
      t.same(await stored(ns), before, 'nothing was saved')
    },
  )

  t.test('a save is a compare-and-swap; the review shows what it changes', async (t) => {
    const ns = await newNamespace('/svc/world => /srv/world-v1')
    const { page, box } = await open(t, ns)
    t.ok(
      await page.getByRole('button', { name: 'Save', exact: true }).isDisabled(),
      'nothing to save yet',
    )
    await box.fill('/svc/world => /srv/world-v2 ;\n')
    await page.getByRole('button', { name: 'Review changes' }).click()
    const diff = page.getByRole('figure', { name: 'Changes to save' })
    await diff.waitFor()
    t.match(await diff.textContent(), /removed: - \/svc\/world => \/srv\/world-v1 ;/)
    t.match(await diff.textContent(), /added: \+ \/svc\/world => \/srv\/world-v2 ;/)
    await screenshot(page, 'editor-review')
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('button', { name: 'Save these changes', exact: true }).click()
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor()
    t.equal((await stored(ns)).dtab, '/svc/world=>/srv/world-v2', 'namerd has it')
  })

  t.test('an unedited editor follows the stored dtab', async (t) => {
    const ns = await newNamespace('/svc/world => /srv/world-v1')
    const { page, box } = await open(t, ns)
    await putBehind(ns, '/svc/world => /srv/world-v3')
    await page.getByRole('status').filter({ hasText: 'the editor shows it' }).waitFor()
    t.equal(await box.inputValue(), '/svc/world => /srv/world-v3 ;\n')
  })

  t.test('a change behind an edit: the note, then a conflict that saves nothing', async (t) => {
    const ns = await newNamespace('/svc/world => /srv/world-v1')
    const { page, box, allowConsole } = await open(t, ns)
    allowConsole(/status of 412/)
    const mine = '/svc/world => /srv/mine ;\n'
    await box.fill(mine)
    await putBehind(ns, '/svc/world => /srv/world-v2')
    await page.getByText('The dtab changed since you started editing').first().waitFor()
    t.equal(await box.inputValue(), mine, 'the edit is not replaced')
    // Behind namerd already: Save goes at once (namerd refuses it, writing nothing).
    await page.getByRole('button', { name: 'Save', exact: true }).click()
    await page.getByRole('heading', { name: 'Conflict' }).waitFor()
    t.match(await page.getByRole('region', { name: 'Conflict' }).textContent(), /nothing was saved/)
    const meanwhile = await page.getByRole('figure', { name: 'Changed meanwhile' }).textContent()
    t.match(meanwhile, /removed: - \/svc\/world => \/srv\/world-v1 ;/)
    t.match(meanwhile, /added: \+ \/svc\/world => \/srv\/world-v2 ;/)
    t.equal(await box.inputValue(), mine, 'the edit is still in the box')
    t.equal((await stored(ns)).dtab, '/svc/world=>/srv/world-v2', 'the other write stands')
    t.equal(
      await page.evaluate('document.activeElement?.textContent'),
      'Conflict',
      'the keyboard lands on the conflict',
    )
    await screenshot(page, 'editor-conflict')
    await page.getByRole('button', { name: 'Start again from the current dtab' }).click()
    t.equal(await box.inputValue(), '/svc/world => /srv/world-v2 ;\n', 'nothing of the edit kept')
    t.equal(await page.getByRole('heading', { name: 'Conflict' }).count(), 0)
  })

  t.test('a namespace that does not exist says so and links to the create form', async (t) => {
    const { page, allowConsole } = await browser.page(t)
    allowConsole(/status of 404/)
    await page.goto(dashboardUrl(base, '#/ns/nowhere/dtab'))
    await page.getByText('does not exist').waitFor()
    t.equal(
      await page
        .getByRole('link', { name: 'Create it on the Namespaces page' })
        .getAttribute('href'),
      '#/namespaces',
    )
    await fetch(`${base}/api/1/dtabs/nowhere`, {
      method: 'POST',
      headers: { 'content-type': 'application/dtab' },
      body: '/svc/a => /srv/a',
    })
    const box = page.getByRole('textbox', { name: 'Dtab' })
    await box.waitFor()
    t.equal(await box.inputValue(), '/svc/a => /srv/a ;\n', 'shown once it exists')
  })
}
