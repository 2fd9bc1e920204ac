// Live updates on a plan's pages: when someone else saves a part of the plan open here, say so
// in a polite live region, with a link to see it. Progressive enhancement only: without
// JavaScript, or without EventSource, every page works as before and shows the latest on reload.
//
// The stream (GET /api/v1/plans/{id}/events) sends ids, section keys and names, never content;
// the server checks every event against what this reader may see.

const TITLES = {
  starting_point: 'My starting point',
  about_me: 'About me',
  working_not_working: 'What is working and not working',
  important_to_for: 'What is important to me and for me',
  staying_safe: 'Staying safe',
  outcomes: 'My outcomes',
  money: 'Money',
  action_plan: 'Action plan',
  review: 'Review',
  contacts: 'Who to contact'
}

const PLAN_PAGE = /^\/plans\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(\/|$)/

const LIST_PAGES = { outcomes: 'outcomes', money: 'money', actions: 'action_plan', contacts: 'contacts' }
const PRESENCE_EVERY_MS = 60 * 1000
const PRESENCE_FORGET_MS = 2 * 60 * 1000

// The section a plan page is about (its key), or null for the plan as a whole.
export function sectionOf (path) {
  const rest = path.replace(PLAN_PAGE, '/')
  const section = /^\/sections\/([a-z_]+)/.exec(rest)
  if (section) return TITLES[section[1]] ? section[1] : null
  const list = /^\/([a-z]+)/.exec(rest)
  return list && LIST_PAGES[list[1]] ? LIST_PAGES[list[1]] : null
}

// "Sam Patel (co-author) is on About me." for each other person here, newest first.
export function presenceWords (people, me, now) {
  return [...people.values()]
    .filter((p) => p.by_user !== me && now - p.seen < PRESENCE_FORGET_MS)
    .sort((a, b) => b.seen - a.seen)
    .map((p) => {
      const who = p.subject ? `${p.by_name} (${p.subject})` : p.by_name
      if (!p.section) return `${who} has the plan open.`
      return `${who} is ${p.editing ? 'editing' : 'on'} ${TITLES[p.section] || 'the plan'}.`
    })
}

// Saves made by this page's own scripts (autosave): their change events are not news here.
const ownSaves = { pending: new Map(), versions: new Set() }

export function expectOwnSave (section) {
  ownSaves.pending.set(section, (ownSaves.pending.get(section) || 0) + 1)
  return (version) => {
    ownSaves.pending.set(section, ownSaves.pending.get(section) - 1)
    if (version) ownSaves.versions.add(`${section}@${version}`)
  }
}

export function isOwnSave (event, me) {
  if (!me || event.by_user !== me) return false
  return (ownSaves.pending.get(event.section) || 0) > 0 || ownSaves.versions.has(`${event.section}@${event.version}`)
}

export function planIdOf (path) {
  const match = PLAN_PAGE.exec(path)
  return match ? match[1] : null
}

export function words (event, me) {
  const title = TITLES[event.section] || 'the plan'
  const who = event.by_user === me ? 'You' : (event.by_name || 'Someone')
  const where = event.by_user === me ? ' in another window' : ''
  return `${who} changed ${title}${where}.`
}

function region () {
  let box = document.getElementById('live-updates')
  if (box) return box
  box = document.createElement('div')
  box.id = 'live-updates'
  box.className = 'nhsuk-inset-text app-live-updates'
  box.setAttribute('role', 'status')
  box.setAttribute('aria-live', 'polite')
  box.hidden = true
  const main = document.getElementById('maincontent')
  if (main) main.prepend(box)
  return box
}

function say (text, linkText) {
  const box = region()
  box.replaceChildren()
  const p = document.createElement('p')
  p.textContent = text + ' '
  if (linkText) {
    const a = document.createElement('a')
    a.href = window.location.pathname
    a.textContent = linkText
    p.append(a)
  }
  box.append(p)
  box.hidden = false
}

function showPresence (lines) {
  let box = document.getElementById('live-presence')
  if (!box) {
    box = document.createElement('div')
    box.id = 'live-presence'
    box.className = 'app-live-presence nhsuk-body-s'
    box.setAttribute('aria-live', 'polite')
    const main = document.getElementById('maincontent')
    if (main) main.prepend(box)
  }
  box.replaceChildren()
  if (!lines.length) { box.hidden = true; return }
  const heading = document.createElement('h2')
  heading.className = 'nhsuk-heading-xs nhsuk-u-margin-bottom-1'
  heading.textContent = 'Also here'
  const list = document.createElement('ul')
  list.className = 'nhsuk-list nhsuk-u-margin-bottom-2'
  for (const line of lines) {
    const item = document.createElement('li')
    item.textContent = line
    list.append(item)
  }
  box.append(heading, list)
  box.hidden = false
}

// The page's CSRF token (bound to this session by the server): from its <meta>, or else from
// a form's hidden field. The cookie is HttpOnly, so scripts cannot read it, by design.
export function csrfToken (doc) {
  const meta = doc.querySelector('meta[name="csrf-token"]')
  if (meta && meta.content) return meta.content
  const input = doc.querySelector('input[name="_csrf_token"]')
  return input ? input.value : ''
}

// Typing in this page's section form (outbox.js tells us): "… is editing About me" for the
// next two minutes, said at once when typing starts and then with the usual renewals.
const EDITING_FOR_MS = 2 * 60 * 1000
const typing = { last: 0, said: 0, say: null }

export function editingNow (now = Date.now()) {
  return typing.last > 0 && now - typing.last < EDITING_FOR_MS
}

export function noteTyping (now = Date.now()) {
  const wasEditing = editingNow(now)
  typing.last = now
  if (!wasEditing && typing.say) typing.say()
}

function sayPresence (win, planId, section) {
  const editing = section !== null && editingNow()
  return win.fetch(`/api/v1/plans/${planId}/presence`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken(win.document) },
    body: JSON.stringify(editing ? { section, editing } : { section }),
    credentials: 'same-origin'
  }).catch(() => {})
}

export function startLive (win = window) {
  const planId = planIdOf(win.location.pathname)
  if (!planId || typeof win.EventSource !== 'function') return null
  const meta = win.document.querySelector('meta[name="portal-user"]')
  const me = meta ? meta.content : null
  const source = new win.EventSource(`/api/v1/plans/${planId}/events`)
  // Marks the page as listening, for anyone (tests included) who needs to know.
  const section = sectionOf(win.location.pathname)
  const people = new Map()
  let beat = null
  source.addEventListener('ready', () => {
    win.document.documentElement.dataset.live = 'ready'
    if (beat === null && typeof win.fetch === 'function') {
      typing.say = () => sayPresence(win, planId, section)
      sayPresence(win, planId, section)
      beat = win.setInterval(() => {
        sayPresence(win, planId, section)
        showPresence(presenceWords(people, me, Date.now()))
      }, PRESENCE_EVERY_MS)
    }
  })
  source.addEventListener('presence', (message) => {
    let event
    try { event = JSON.parse(message.data) } catch { return }
    if (event.by_user === me) return
    const known = people.has(event.by_user)
    people.set(event.by_user, { ...event, seen: Date.now() })
    showPresence(presenceWords(people, me, Date.now()))
    // Answer a newcomer once, so they see who was here before them.
    if (!known && typeof win.fetch === 'function') sayPresence(win, planId, section)
  })
  source.addEventListener('change', (message) => {
    let event
    try { event = JSON.parse(message.data) } catch { return }
    if (isOwnSave(event, me)) return
    say(words(event, me), 'See the latest version')
  })
  source.addEventListener('end', (message) => {
    let reason = ''
    try { reason = JSON.parse(message.data).reason } catch {}
    source.close()
    if (beat !== null) win.clearInterval(beat)
    if (reason === 'access') {
      say('You can no longer see this plan, or some of it.', null)
    } else {
      // The stream reached its time limit: open a new one.
      win.setTimeout(() => startLive(win), 1000)
    }
  })
  return source
}
