// The bearer token the page sends: kept for this browser tab's session only (sessionStorage),
// never in a cookie, so closing the tab forgets it and no other site can make the browser use it.
const KEY = 'switchyard.token'

export function savedToken(): string | null {
  try {
    return window.sessionStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function saveToken(token: string | null): void {
  try {
    if (token === null) window.sessionStorage.removeItem(KEY)
    else window.sessionStorage.setItem(KEY, token)
  } catch {
    // Storage off (a private window's policy): the token lives as long as the page.
  }
}
