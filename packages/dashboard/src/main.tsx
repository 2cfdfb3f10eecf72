// The page's entry: mounts the app on #app.
import { render } from 'preact'
import { App } from './app.js'

const root = document.getElementById('app')
if (root !== null) {
  root.textContent = ''
  render(<App />, root)
}
