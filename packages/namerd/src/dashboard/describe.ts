// The dashboard's line in `namerd --check` and in the start log: where it is, or why it is not
// served (turned off, and by what; or its files not built), so an operator who opens namerd's
// address in a browser and sees no page learns why from namerd itself.
import type { DashboardAssets } from './assets.js'

export interface DashboardSetting {
  /** Null: off. */
  readonly dashboard: { readonly path: string } | null
  readonly dashboardOffBy?: string
}

/**
 * One line: `off (--no-dashboard)`, `<url> (files from <dir>)`, or `not served at <path>: <why>`.
 * `base` is the server's own URL (`http://127.0.0.1:4180`); without it (--check, before any
 * listen) the path alone is named.
 */
export function describeDashboard(
  setting: DashboardSetting,
  assets: DashboardAssets | null,
  base?: string,
): string {
  if ((setting.dashboard ?? null) === null) return `off (${setting.dashboardOffBy ?? 'turned off'})`
  const where = `${base ?? ''}${setting.dashboard?.path ?? '/'}`
  if (assets === null) return `${where} (files not checked)`
  if (!assets.ok) return `not served at ${where}: ${assets.problem}`
  return `${where} (files from ${assets.dir})`
}
