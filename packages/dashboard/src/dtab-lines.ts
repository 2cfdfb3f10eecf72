// A dtab as lines of text, one dentry per line (`/svc/world => /srv/world-v1 ;`): what the editor
// starts from and what diffs compare, so a diff shows which dentries changed, not one long line.
import { Dentry, Dtab } from '@switchyard/dtab'

/** One dentry per line; the stored text as it is when it does not parse (it always should). */
export function dtabLines(stored: string): string[] {
  if (stored.trim() === '') return []
  try {
    return Dtab.read(stored).map((d) => `${Dentry.show(d).replace('=>', ' => ')} ;`)
  } catch {
    return stored
      .split(/[;\n]/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
  }
}

/** The editor's text for a stored dtab. */
export function dtabText(stored: string): string {
  const lines = dtabLines(stored)
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}
