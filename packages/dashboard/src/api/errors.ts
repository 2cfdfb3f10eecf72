// What a call to namerd can end in besides its answer: namerd's own error (its JSON body's code,
// message and, for a dtab that does not parse, the offset), an answer that is not what the
// page expected, or no answer at all. Views show `message`; they branch on `code` and `status`.
import { ErrorBody } from '@switchyard/wire'

export type ApiErrorKind = 'namerd' | 'unexpected' | 'network'

export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly kind: ApiErrorKind,
    /** The HTTP status; 0 when namerd could not be reached. */
    readonly status: number,
    /** namerd's error code (`version_mismatch`, `dtab_parse`, ...), or ours: `unreachable`, `bad_answer`. */
    readonly code: string,
    message: string,
    /** Where a dtab stopped parsing (UTF-16 code units), when namerd said. */
    readonly offset?: number,
  ) {
    super(message)
  }
}

/** The error an answer that is not 2xx stands for, from its body when namerd wrote one. */
export async function errorOf(res: Response, what: string): Promise<ApiError> {
  const text = await res.text().catch(() => '')
  let json: unknown = null
  try {
    json = JSON.parse(text)
  } catch {
    // namerd's Linkerd-compatible answers (404 for a missing namespace) have an empty or text body.
  }
  const body = ErrorBody.safeParse(json)
  if (body.success) {
    return new ApiError('namerd', res.status, body.data.error, body.data.message, body.data.offset)
  }
  const detail = text.trim().slice(0, 300)
  return new ApiError(
    'namerd',
    res.status,
    `http_${res.status}`,
    `${what}: namerd answered ${res.status} ${res.statusText}${detail === '' ? '' : `: ${detail}`}`,
  )
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
