// What the namers log through: the two levels they use, as pino's Logger has them, so namerd
// and the proxy pass theirs (or a child of it) down. No logger, no lines.

export interface NamerLogger {
  warn(fields: Record<string, unknown>, message: string): void
  info(fields: Record<string, unknown>, message: string): void
}
