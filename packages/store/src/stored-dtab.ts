// Stores keep dtabs as `Dtab.show` text, as namerd does. Reading one back is where a bad entry is
// found; it fails that namespace with CorruptEntryError and nothing else.
import { Dtab, DtabParseError } from '@switchyard/dtab'
import { CorruptEntryError, type DtabEvent } from './store.js'

export function showDtab(dtab: Dtab): string {
  return Dtab.show(dtab)
}

export function readStoredDtab(
  namespace: string,
  text: string,
  location: string,
  version: Uint8Array | null,
): Dtab {
  try {
    return Dtab.read(text)
  } catch (err) {
    if (err instanceof DtabParseError) {
      throw new CorruptEntryError(namespace, location, `not a dtab: ${err.message}`, version, err)
    }
    throw err
  }
}

/** The watch event for a stored dtab: `dtab`, or `corrupt` if the text does not parse. */
export function storedEvent(
  namespace: string,
  text: string,
  location: string,
  version: Uint8Array,
): DtabEvent {
  try {
    return {
      type: 'dtab',
      namespace,
      version,
      dtab: readStoredDtab(namespace, text, location, version),
    }
  } catch (err) {
    if (err instanceof CorruptEntryError) return { type: 'corrupt', namespace, error: err }
    throw err
  }
}
