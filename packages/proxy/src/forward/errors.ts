// How an error reads in a result's message and in l5d-err.

export function errorMessage(err: Error): string {
  const code = (err as { code?: unknown }).code
  return typeof code === 'string' && !err.message.includes(code)
    ? `${err.message} (${code})`
    : err.message
}
