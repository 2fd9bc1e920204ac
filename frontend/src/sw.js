// The service worker (served as /sw.js, so its scope is the whole site).
//
// - The app shell (our CSS, scripts, icons and the offline page) comes from a cache named
//   after this build, so a new build replaces it whole and an old one is deleted.
// - Plan pages the person signed in here has opened are kept, per person, so they can be read
//   with no connection. Only pages the server marked as made for that person (the
//   X-Portal-User header) are kept; a page made for anyone else is never stored, and the first
//   page made for someone new drops everything kept for anyone before. A page sent with
//   X-Portal-Keep: no (made for someone who may only read it) is not kept at all.
// - Pages are fetched from the network first; on a weak signal the kept copy is shown after a
//   few seconds, marked so the page can say it is offline and how old it is.
// - API answers, the live stream, form posts and downloads always go to the network.
// - Signing out clears all of this: the server's Clear-Site-Data header, and the page script.
//
// The build (frontend/build.mjs) writes VERSION and SHELL.

const VERSION = '__VERSION__'
const SHELL = __SHELL__
const SHELL_CACHE = `portal-shell-${VERSION}`
const PAGES_PREFIX = 'portal-pages-'
const META_CACHE = 'portal-meta'
const USER_KEY = '/__portal/user'
const NETWORK_WAIT_MS = 4000

// The pages worth reading offline: the list of plans, and each plan's reading and section pages.
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
const OFFLINE_PAGES = new RegExp(
  `^/plans(?:/${UUID}(?:/(?:outcomes|money|actions|contacts|sections/[a-z_]+))?)?/?$`
)

function keptOffline (pathname) {
  return OFFLINE_PAGES.test(pathname)
}

async function currentUser () {
  const meta = await caches.open(META_CACHE)
  const found = await meta.match(USER_KEY)
  return found ? found.text() : null
}

async function setCurrentUser (user) {
  const meta = await caches.open(META_CACHE)
  await meta.put(USER_KEY, new Response(user))
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES_PREFIX) && name !== PAGES_PREFIX + user) await caches.delete(name)
  }
}

async function forgetEveryone () {
  for (const name of await caches.keys()) {
    if (name.startsWith(PAGES_PREFIX) || name === META_CACHE) await caches.delete(name)
  }
}

// Keep a page made for the person signed in here; drop a kept copy the server now refuses.
async function remember (url, response) {
  const user = response.headers.get('X-Portal-User')
  if (!user) return
  if (user !== (await currentUser())) await setCurrentUser(user)
  if (!keptOffline(url.pathname)) return
  const pages = await caches.open(PAGES_PREFIX + user)
  // A page this person may only read is not kept on their phone (nor a copy kept before).
  if (response.headers.get('X-Portal-Keep') === 'no') {
    await pages.delete(url.pathname)
    return
  }
  if (response.status === 200 && !response.redirected) {
    await pages.put(url.pathname, response)
  }
}

async function forgetRefused (url, response) {
  if (![401, 403, 404, 410].includes(response.status) && !response.redirected) return
  const user = await currentUser()
  if (user) await (await caches.open(PAGES_PREFIX + user)).delete(url.pathname)
}

// The kept copy, marked as such, or the offline page.
async function keptCopy (url) {
  const user = await currentUser()
  if (user && keptOffline(url.pathname)) {
    const hit = await (await caches.open(PAGES_PREFIX + user)).match(url.pathname)
    if (hit) {
      const html = (await hit.text()).replace(
        '<meta name="portal-source" content="network">',
        '<meta name="portal-source" content="kept">'
      )
      return new Response(html, { status: 200, headers: hit.headers })
    }
  }
  return (await caches.match('/offline', { cacheName: SHELL_CACHE })) || Response.error()
}

async function page (event, url) {
  const fromNetwork = fetch(event.request)
  let waited = null
  const slow = new Promise((resolve) => { waited = setTimeout(resolve, NETWORK_WAIT_MS, 'slow') })
  try {
    const first = await Promise.race([fromNetwork, slow])
    if (first === 'slow') {
      // A weak signal: show the kept copy if there is one, else keep waiting.
      const kept = await keptCopy(url)
      if (kept.status === 200 && kept.headers.get('X-Portal-User')) {
        event.waitUntil(fromNetwork.then((r) => remember(url, r)).catch(() => {}))
        return kept
      }
    }
    const response = await fromNetwork
    event.waitUntil(
      Promise.all([remember(url, response.clone()), forgetRefused(url, response)]).catch(() => {})
    )
    return response
  } catch {
    return keptCopy(url)
  } finally {
    clearTimeout(waited)
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(SHELL_CACHE)
      .then((cache) => cache.addAll(SHELL))
      .then(() => self.skipWaiting())
  )
})

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('portal-shell-') && name !== SHELL_CACHE) await caches.delete(name)
    }
    await self.clients.claim()
  })())
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return
  if (SHELL.includes(url.pathname)) {
    event.respondWith(
      caches.match(url.pathname, { cacheName: SHELL_CACHE }).then((hit) => hit || fetch(request))
    )
    return
  }
  if (request.mode === 'navigate') event.respondWith(page(event, url))
})

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'forget-everyone') {
    event.waitUntil(forgetEveryone())
  }
})
