// Section edits kept on this phone until the server has them.
//
// On a section's form, what is typed is kept on the phone (IndexedDB) a moment after each
// change and saved to the server a little later (autosave). With no connection it stays on
// the phone, through closing the page, and is sent when a portal page is next open online.
// Every save goes through the same version rules as the form: the version the typing started
// from goes with it, so the server merges it with changes made meanwhile, or answers that it
// truly conflicts. Then the person is handed to the form's own pages (the choose-a-version
// screen, or the form with its error messages): this script never decides for them.
//
// Without JavaScript none of this runs and the form posts as it always did. The server's
// Clear-Site-Data on sign-out, and clearPhone() here, delete everything kept.

import { expectOwnSave, noteTyping } from './live.js'

const DB_NAME = 'portal'
const STORE = 'outbox'
export const KEEP_AFTER_MS = 300
export const SEND_AFTER_MS = 2000
// Each save is a version in the section's history and a notice to everyone else on the plan:
// while someone keeps typing, save at most this often (what is typed is on the phone anyway).
export const SAVE_AT_MOST_EVERY_MS = 15000

// How long to wait before the next autosave: a pause in typing, and not too soon after the last.
export function autosaveDelay (now, lastSavedAt) {
  return Math.max(SEND_AFTER_MS, lastSavedAt + SAVE_AT_MOST_EVERY_MS - now)
}

const SECTION_PATH = /^\/plans\/([0-9a-f-]{36})\/sections\/([a-z_]+)$/
const RESOLVE_PATH = /^\/plans\/([0-9a-f-]{36})\/sections\/([a-z_]+)\/resolve$/

// What the server's answer to a JSON-mode save means for a kept edit.
export function outcomeOf (status, type = 'basic') {
  if (type === 'opaqueredirect' || status === 401) return 'signed-out'
  if (status === 200) return 'saved'
  if (status === 409) return 'conflict'
  if (status === 400 || status === 422) return 'errors'
  if (status === 403 || status === 404 || status === 410) return 'refused'
  return 'later' // busy or failing: try again later, keep it meanwhile
}

// A form marked data-autosave="after-save" belongs to a plan under sign-off or agreed: saving
// makes the submitted version out of date, or starts a new draft, and the page says so above
// the form. Nothing is saved until the person presses Save; what they type is kept on the
// phone meanwhile, marked 'held', and no other page sends a held edit on its own.
export function holdsAutosave (form) {
  return Boolean(form && form.dataset && form.dataset.autosave === 'after-save')
}

export function sendsByItself (entry) {
  return entry.state !== 'held'
}

export function entryId (user, planId, key) {
  return `${user}|${planId}|${key}`
}

export function sectionFormOf (action) {
  const match = SECTION_PATH.exec(action || '')
  return match ? { planId: match[1], key: match[2] } : null
}

// The form's fields as [name, value] pairs, without the CSRF token (a fresh one is used when
// sending) and the version (kept on its own).
export function fieldsOf (form, FormDataImpl = FormData) {
  return [...new FormDataImpl(form).entries()]
    .filter(([name, value]) => typeof value === 'string' && name !== '_csrf_token' && name !== 'version')
}

export function bodyFor (entry, token, extra = []) {
  const body = new URLSearchParams()
  for (const [name, value] of [...entry.fields, ...extra]) body.append(name, value)
  body.set('version', String(entry.version))
  body.set('_csrf_token', token)
  return body
}

// Send one kept edit in JSON mode. Never throws: no connection is an outcome like any other.
export async function send (win, entry, token, extra = []) {
  let response
  try {
    response = await win.fetch(entry.action, {
      method: 'POST',
      body: bodyFor(entry, token, extra),
      headers: { 'X-Portal-Save': 'json' },
      credentials: 'same-origin',
      redirect: 'manual'
    })
  } catch {
    return { kind: 'offline' }
  }
  const kind = outcomeOf(response.status, response.type)
  if (kind !== 'saved') return { kind }
  try {
    const data = await response.json()
    return { kind, version: data.version, next: data.next, savedAt: data.saved_at }
  } catch {
    return { kind: 'later' }
  }
}

// --- IndexedDB, in a few promises --------------------------------------------------------

function openDb (win) {
  return new Promise((resolve, reject) => {
    const request = win.indexedDB.open(DB_NAME, 1)
    request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: 'id' })
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

async function withStore (win, mode, work) {
  const db = await openDb(win)
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode)
      const request = work(tx.objectStore(STORE))
      tx.oncomplete = () => resolve(request ? request.result : undefined)
      tx.onerror = () => reject(tx.error)
      tx.onabort = () => reject(tx.error)
    })
  } finally {
    db.close()
  }
}

export const store = {
  get: (win, id) => withStore(win, 'readonly', (s) => s.get(id)),
  put: (win, entry) => withStore(win, 'readwrite', (s) => s.put(entry)),
  remove: (win, id) => withStore(win, 'readwrite', (s) => s.delete(id)),
  all: (win) => withStore(win, 'readonly', (s) => s.getAll())
}

// Everything this phone keeps for whoever was signed in: the pages kept for reading offline
// and the edits not yet sent. Called as someone signs out.
export async function clearPhone (win = window) {
  const work = []
  if (win.caches) {
    work.push(win.caches.keys().then((names) => Promise.all(
      names.filter((n) => n.startsWith('portal-pages-') || n === 'portal-meta').map((n) => win.caches.delete(n))
    )))
  }
  if (win.indexedDB) {
    work.push(new Promise((resolve) => {
      const request = win.indexedDB.deleteDatabase(DB_NAME)
      request.onsuccess = request.onerror = request.onblocked = () => resolve()
    }))
  }
  const worker = win.navigator.serviceWorker && win.navigator.serviceWorker.controller
  if (worker) worker.postMessage({ type: 'forget-everyone' })
  await Promise.race([Promise.all(work), new Promise((resolve) => win.setTimeout(resolve, 2000))])
}

// --- words and notices -------------------------------------------------------------------

function clock (iso) {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return ''
  const time = new Intl.DateTimeFormat('en-GB', { hour: 'numeric', minute: '2-digit', hour12: true })
    .format(date).replace(' ', '').toLowerCase()
  const day = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric' }).format(date)
  return `${time} on ${day}`
}

export function where (entry) {
  return entry.planTitle ? `${entry.title} in ${entry.planTitle}` : entry.title
}

export function noticeWords (kind, entry) {
  const place = where(entry)
  switch (kind) {
    case 'saved':
      return `Your change to ${place}, made while you were offline, has been saved.`
    case 'conflict':
      return `Your change to ${place} has not been saved yet: someone else changed the same part while you were offline. Choose which version to keep.`
    case 'errors':
      return `Your change to ${place} has not been saved yet: some answers need checking.`
    case 'refused':
      return `Your change to ${place} could not be saved: you can no longer change it (the plan may no longer be shared with you, or this part of it may have gone). What you wrote is below, so you can keep it somewhere else.`
    case 'signed-out':
      return `Sign in to save your change to ${place}. It is kept on this phone until then.`
    default:
      return ''
  }
}

function noticesBox (doc) {
  let box = doc.getElementById('kept-changes')
  if (box) return box
  box = doc.createElement('div')
  box.id = 'kept-changes'
  box.setAttribute('role', 'region')
  box.setAttribute('aria-label', 'Changes kept on this phone')
  const live = doc.createElement('div')
  live.setAttribute('aria-live', 'polite')
  box.append(live)
  const main = doc.getElementById('maincontent')
  if (main) main.prepend(box)
  return box
}

function notice (doc, entry, kind, actions = []) {
  const box = noticesBox(doc).firstElementChild
  const id = `kept-${entry.planId}-${entry.key}`
  doc.getElementById(id)?.remove()
  const card = doc.createElement('div')
  card.id = id
  card.className = kind === 'saved' ? 'nhsuk-inset-text' : 'nhsuk-inset-text app-kept-change'
  card.dataset.outcome = kind
  const p = doc.createElement('p')
  p.textContent = noticeWords(kind, entry)
  card.append(p)
  if (kind === 'refused') {
    const list = doc.createElement('dl')
    list.className = 'app-kept-text'
    for (const [name, value] of entry.fields) {
      if (!value.trim() || /-count$/.test(name)) continue
      const term = doc.createElement('dt')
      term.textContent = (entry.labels && entry.labels[name]) || name
      const text = doc.createElement('dd')
      text.textContent = value
      list.append(term, text)
    }
    card.append(list)
  }
  for (const action of actions) card.append(action)
  box.append(card)
  return card
}

function button (doc, text, secondary, onClick) {
  const b = doc.createElement('button')
  b.type = 'button'
  b.className = secondary ? 'nhsuk-button nhsuk-button--secondary' : 'nhsuk-button'
  b.textContent = text
  b.addEventListener('click', onClick)
  return b
}

// Hand a kept edit to the form's own pages: a real form post, as without JavaScript. The
// server shows the choose-a-version screen (a conflict) or the form with its messages.
function handOver (win, entry, token) {
  const doc = win.document
  const form = doc.createElement('form')
  form.method = 'post'
  form.action = entry.action
  form.hidden = true
  for (const [name, value] of bodyFor(entry, token)) {
    const input = doc.createElement('input')
    input.type = 'hidden'
    input.name = name
    input.value = value
    form.append(input)
  }
  doc.body.append(form)
  return store.put(win, { ...entry, state: 'handed-over' }).catch(() => {}).then(() => form.submit())
}

// --- the page ------------------------------------------------------------------------------

function csrfToken (doc) {
  const input = doc.querySelector('input[name="_csrf_token"]')
  return input ? input.value : ''
}

function labelsOf (form) {
  const labels = {}
  for (const element of form.elements) {
    if (!element.name || labels[element.name]) continue
    const label = element.id ? form.querySelector(`label[for="${element.id}"]`) : null
    const legend = element.closest('fieldset')?.querySelector('legend')
    const text = (label || legend)?.textContent.trim()
    if (text) labels[element.name] = text.replace(/\s+/g, ' ')
  }
  return labels
}

function headingParts (doc) {
  const h1 = doc.querySelector('h1')
  const caption = h1?.querySelector('.nhsuk-caption-l')
  const planTitle = caption ? caption.textContent.replace(/\s*–\s*$/, '').trim() : ''
  const title = h1 ? h1.textContent.replace(caption ? caption.textContent : '', '').trim() : ''
  return { planTitle, title }
}

// Put kept values back in the form; a value with no field (the form changed shape since)
// rides along as a hidden field, so it is still sent.
export function fill (form, fields, doc = form.ownerDocument) {
  const byName = new Map()
  for (const [name, value] of fields) byName.set(name, [...(byName.get(name) || []), value])
  for (const [name, values] of byName) {
    const elements = [...form.elements].filter((e) => e.name === name)
    if (!elements.length) {
      for (const value of values) {
        const input = doc.createElement('input')
        input.type = 'hidden'
        input.name = name
        input.value = value
        form.append(input)
      }
      continue
    }
    for (const element of elements) {
      if (element.type === 'radio' || element.type === 'checkbox') element.checked = values.includes(element.value)
      else if (element.type !== 'submit' && element.type !== 'button') element.value = values[0]
    }
  }
}

function statusLine (doc, form) {
  const line = doc.createElement('p')
  line.className = 'nhsuk-body-s app-save-status'
  line.id = 'save-status'
  line.setAttribute('role', 'status')
  const buttons = form.querySelector('.nhsuk-button-group') || form.lastElementChild
  form.insertBefore(line, buttons)
  return line
}

function wireSectionForm (win, form, user) {
  const doc = win.document
  const where = sectionFormOf(form.getAttribute('action'))
  const id = entryId(user, where.planId, where.key)
  const versionInput = form.querySelector('input[name="version"]')
  const { planTitle, title } = headingParts(doc)
  const labels = labelsOf(form)
  const status = statusLine(doc, form)
  let revision = 0
  let keepTimer = null
  let sendTimer = null
  let kept = Promise.resolve()
  let stopped = false // a conflict or a refusal: wait for the person to press Save
  let held = holdsAutosave(form) // under sign-off or agreed: wait for the person to press Save
  let lastSavedAt = -Infinity

  const say = (text) => { status.textContent = text }

  const keepNow = () => {
    win.clearTimeout(keepTimer)
    keepTimer = null
    revision += 1
    const entry = {
      id,
      user,
      planId: where.planId,
      key: where.key,
      action: form.getAttribute('action'),
      fields: fieldsOf(form, win.FormData),
      labels,
      version: Number(versionInput.value),
      revision,
      state: held ? 'held' : 'waiting',
      title,
      planTitle,
      keptAt: new Date().toISOString()
    }
    kept = kept.then(() => store.put(win, entry)).catch(() => {})
    return kept
  }

  // After a save: forget the kept copy if nothing was typed since, else move it on.
  const settle = async (sentRevision, version) => {
    versionInput.value = String(version)
    const entry = await store.get(win, id).catch(() => null)
    if (!entry) return
    if (entry.revision === sentRevision) await store.remove(win, id)
    else await store.put(win, { ...entry, version })
  }

  const sendNow = async (extra = []) => {
    win.clearTimeout(sendTimer)
    sendTimer = null
    if (keepTimer !== null) keepNow()
    await kept
    const entry = await store.get(win, id).catch(() => null)
    if (!entry) return { kind: 'nothing' }
    if (!win.navigator.onLine) return { kind: 'offline' }
    const done = expectOwnSave(where.key)
    const outcome = await send(win, entry, csrfToken(doc), extra)
    done(outcome.version)
    if (outcome.kind === 'saved') {
      lastSavedAt = Date.now()
      await settle(entry.revision, outcome.version)
    }
    return outcome
  }

  const autosave = async () => {
    if (stopped || held) return
    const outcome = await sendNow()
    switch (outcome.kind) {
      case 'saved':
        say(`Saved at ${clock(outcome.savedAt || new Date().toISOString())}.`)
        break
      case 'offline':
        say('You are offline. Your changes are kept on this phone and will be saved when you are connected again.')
        break
      case 'conflict':
        stopped = true
        say('Someone else has changed this section since you opened it. Press Save to see both versions and choose which to keep.')
        break
      case 'errors':
        stopped = true
        say('Some answers need checking. Press Save to see what to change.')
        break
      case 'refused':
        stopped = true
        say('You can no longer change this section. What you wrote is kept on this phone.')
        break
      case 'signed-out':
        say('You have been signed out. Your changes are kept on this phone: sign in again to save them.')
        break
      default:
        break
    }
  }

  form.addEventListener('input', () => {
    noteTyping()
    win.clearTimeout(keepTimer)
    keepTimer = win.setTimeout(keepNow, KEEP_AFTER_MS)
    win.clearTimeout(sendTimer)
    sendTimer = win.setTimeout(autosave, autosaveDelay(Date.now(), lastSavedAt))
  })
  // Typing not yet kept when the page goes away is kept now.
  const keepIfPending = () => { if (keepTimer !== null) keepNow() }
  win.addEventListener('pagehide', keepIfPending)
  doc.addEventListener('visibilitychange', () => { if (doc.visibilityState === 'hidden') keepIfPending() })
  win.addEventListener('online', () => { if (!stopped && !held) autosave() })

  form.addEventListener('submit', async (event) => {
    if (form.dataset.handOver === 'yes') return
    event.preventDefault()
    const submitter = event.submitter
    const extra = submitter && submitter.name ? [[submitter.name, submitter.value]] : []
    held = false // pressing Save is saving on purpose
    keepNow()
    const outcome = await sendNow(extra)
    if (outcome.kind === 'saved' || outcome.kind === 'nothing') {
      if (outcome.next) win.location.assign(outcome.next)
      else { form.dataset.handOver = 'yes'; form.requestSubmit(submitter || undefined) }
      return
    }
    if (outcome.kind === 'offline' || outcome.kind === 'later') {
      say(outcome.kind === 'offline'
        ? 'You are offline. Your changes are kept on this phone and will be saved when you are connected again.'
        : 'Your changes could not be saved just now. They are kept on this phone and will be saved soon.')
      return
    }
    if (outcome.kind === 'refused') {
      stopped = true
      say('You can no longer change this section. What you wrote is kept on this phone.')
      return
    }
    // A conflict, messages to read, or signed out: the form's own pages take it from here.
    await store.put(win, { ...(await store.get(win, id)), state: 'handed-over' }).catch(() => {})
    form.dataset.handOver = 'yes'
    form.requestSubmit(submitter || undefined)
  })

  return { id, keepNow, autosave, restore: async () => {
    const entry = await store.get(win, id).catch(() => null)
    if (!entry) return false
    fill(form, entry.fields, doc)
    versionInput.value = String(entry.version)
    revision = entry.revision
    say(`Your changes from ${clock(entry.keptAt)}, not yet saved, are filled in below.`)
    return true
  } }
}

// Send every other kept edit of this person, one by one, telling them what became of each.
export async function flush (win, user, skip = new Set()) {
  const doc = win.document
  const token = csrfToken(doc)
  if (!token || !win.navigator.onLine) return []
  const entries = (await store.all(win).catch(() => []))
    .filter((e) => e.user === user && !skip.has(e.id) && sendsByItself(e))
  const outcomes = []
  for (const entry of entries) {
    const done = expectOwnSave(entry.key)
    const outcome = await send(win, entry, token)
    done(outcome.version)
    outcomes.push(outcome.kind)
    if (outcome.kind === 'offline' || outcome.kind === 'signed-out') {
      if (outcome.kind === 'signed-out') notice(doc, entry, 'signed-out')
      break
    }
    if (outcome.kind === 'saved') {
      const now = await store.get(win, entry.id).catch(() => null)
      if (now && now.revision === entry.revision) await store.remove(win, entry.id)
      notice(doc, entry, 'saved')
    } else if (outcome.kind === 'conflict' || outcome.kind === 'errors') {
      await store.put(win, { ...entry, state: outcome.kind })
      notice(doc, entry, outcome.kind, [
        button(doc, outcome.kind === 'conflict' ? 'Choose which version to keep' : 'Check your answers', false,
          () => handOver(win, entry, csrfToken(doc)))
      ])
    } else if (outcome.kind === 'refused') {
      await store.put(win, { ...entry, state: 'refused' })
      const card = notice(doc, entry, 'refused', [
        button(doc, 'Remove it from this phone', true, async () => {
          await store.remove(win, entry.id)
          card.replaceChildren()
          const p = doc.createElement('p')
          p.textContent = `Your change to ${where(entry)} has been removed from this phone.`
          card.append(p)
        })
      ])
    }
  }
  return outcomes
}

export async function startOutbox (win = window) {
  const doc = win.document
  if (!win.indexedDB || typeof win.fetch !== 'function') return null
  const meta = doc.querySelector('meta[name="portal-user"]')
  const user = meta ? meta.content : null
  if (!user) return null
  const skip = new Set()
  // The choose-a-version screen for a kept edit: choosing settles it.
  for (const form of doc.querySelectorAll('form[method="post"]')) {
    const resolving = RESOLVE_PATH.exec(form.getAttribute('action') || '')
    if (resolving) {
      const id = entryId(user, resolving[1], resolving[2])
      skip.add(id)
      form.addEventListener('submit', () => { store.remove(win, id).catch(() => {}) })
    }
  }
  let wired = null
  const form = [...doc.querySelectorAll('form[method="post"]')]
    .find((f) => sectionFormOf(f.getAttribute('action')))
  if (form && form.querySelector('input[name="version"]')) {
    wired = wireSectionForm(win, form, user)
    skip.add(wired.id)
    if (await wired.restore()) wired.autosave()
  }
  const run = () => flush(win, user, skip).catch(() => [])
  win.addEventListener('online', run)
  doc.documentElement.dataset.outbox = 'ready'
  await run()
  return wired
}
