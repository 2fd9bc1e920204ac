// Initialises NHS.UK frontend components. Loaded as an external ES module so the
// Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from './nhsuk-frontend.min.js'

// The page template's inline script sets these before first paint; repeat them here so that
// components still start if that script was ever blocked. Only browsers that run modules get here.
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')

initAll()

// Live updates on plan pages (a small module of our own; see live.js).
import('./live.js').then(({ startLive }) => startLive()).catch(() => {})
