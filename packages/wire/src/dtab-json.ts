// Dtabs and namespaces in namerd's JSON (`application/json` on /api/1/dtabs).
import { z } from 'zod'

/** `GET /api/1/dtabs`: the namespaces' names. */
export const NamespaceList = z.array(z.string())

/** One dentry, as `Dtab.toJson` in @switchyard/dtab writes it. */
export const DentryJson = z.object({ prefix: z.string(), dst: z.string() })
export type DentryJson = z.infer<typeof DentryJson>

export const DtabJson = z.array(DentryJson)
