// The installable app: the service worker (sw.js), a notice when a page is read offline, and
// signing out clearing what this phone keeps. Progressive enhancement: without JavaScript or
// without service workers every page works online as before.

import { clearPhone } from './outbox.js'

export function registerWorker (win = window) {
  const container = win.navigator.serviceWorker
  if (!container) return Promise.resolve(null)
  return container.register('/sw.js', { scope: '/' }).catch(() => null)
}

function metaContent (doc, name) {
  const meta = doc.querySelector(`meta[name="${name}"]`)
  return meta ? meta.content : ''
}

export function offlineWords (rendered) {
  const when = rendered ? ` Last updated ${rendered}.` : ''
  return {
    heading: 'You are offline',
    text: `You are seeing the copy kept on this phone.${when} Changes you make are kept on this phone and saved when you are connected again.`
  }
}

function showOffline (doc) {
  let box = doc.getElementById('offline-notice')
  if (!box) {
    box = doc.createElement('div')
    box.id = 'offline-notice'
    box.className = 'nhsuk-warning-callout app-offline-notice'
    box.setAttribute('role', 'status')
    const main = doc.getElementById('maincontent')
    if (!main) return null
    main.prepend(box)
  }
  const words = offlineWords(metaContent(doc, 'portal-rendered'))
  const heading = doc.createElement('h2')
  heading.className = 'nhsuk-warning-callout__label'
  const label = doc.createElement('span')
  label.setAttribute('role', 'text')
  label.innerHTML = '<span class="nhsuk-u-visually-hidden">Important: </span>'
  label.append(words.heading)
  heading.append(label)
  const p = doc.createElement('p')
  p.textContent = words.text
  box.replaceChildren(heading, p)
  box.hidden = false
  return box
}

function showBackOnline (doc, win) {
  const box = doc.getElementById('offline-notice')
  if (!box) return
  const p = doc.createElement('p')
  p.textContent = 'You are back online. '
  const a = doc.createElement('a')
  a.href = win.location.pathname + win.location.search
  a.textContent = 'See the latest version of this page'
  p.append(a)
  box.className = 'nhsuk-inset-text app-offline-notice'
  box.replaceChildren(p)
}

export function startPwa (win = window) {
  const doc = win.document
  registerWorker(win)
  const kept = metaContent(doc, 'portal-source') === 'kept'
  if (kept || win.navigator.onLine === false) showOffline(doc)
  win.addEventListener('offline', () => showOffline(doc))
  win.addEventListener('online', () => showBackOnline(doc, win))
  // Signing out: clear this phone first, then send the form as it would have gone.
  doc.addEventListener('submit', (event) => {
    const form = event.target
    if (!(form instanceof win.HTMLFormElement)) return
    if (new URL(form.action, win.location.href).pathname !== '/sign-out') return
    if (form.dataset.cleared === 'yes') return
    event.preventDefault()
    clearPhone(win).finally(() => {
      form.dataset.cleared = 'yes'
      form.submit()
    })
  })
  doc.documentElement.dataset.pwa = 'ready'
}
