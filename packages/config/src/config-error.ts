/** A configuration that cannot be used; each issue names where, the key and the problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'invalid_config'
  constructor(readonly issues: readonly string[]) {
    super(issues.length === 1 ? issues[0] : `invalid configuration:\n  ${issues.join('\n  ')}`)
  }
}
