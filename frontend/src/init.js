// Initialises NHS.UK frontend components. Loaded as an external ES module so the
// Content-Security-Policy needs no 'unsafe-inline'.
import { initAll } from './nhsuk-frontend.min.js'

// The page template's inline script sets these before first paint; repeat them here so that
// components still start if that script was ever blocked. Only browsers that run modules get here.
document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')

initAll()

// Our own small modules, each optional: the installable app and offline notice (pwa.js),
// autosave and edits kept offline (outbox.js), live updates on plan pages (live.js).
import('./pwa.js').then(({ startPwa }) => startPwa()).catch(() => {})
import('./outbox.js').then(({ startOutbox }) => startOutbox()).catch(() => {})
import('./live.js').then(({ startLive }) => startLive()).catch(() => {})
