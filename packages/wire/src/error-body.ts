// The JSON body of namerd's errors where Linkerd's namerd answered with an empty body. namerd
// writes it (packages/namerd/src/errors.ts), namerctl reads it.
import { z } from 'zod'

export const ErrorBody = z.object({
  /** A stable machine-readable code, e.g. `version_mismatch`. */
  error: z.string(),
  message: z.string(),
  /** For a dtab that does not parse: where the parser stopped (UTF-16 code units). */
  offset: z.int().nonnegative().optional(),
})
export type ErrorBody = z.infer<typeof ErrorBody>
