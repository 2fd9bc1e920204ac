// The service worker's rules, run in a Node VM with an in-memory Cache Storage and a fetch
// the test controls (the browser tests run it for real in Chromium).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import vm from 'node:vm'

const ORIGIN = 'https://portal.example'
const PLAN = '3f2a91c0-77de-4b4d-8c9c-0123456789ab'
const SHELL = ['/offline', '/static/app.css']
const source = (await readFile(new URL('../src/sw.js', import.meta.url), 'utf8'))
  .replace("'__VERSION__'", "'test1'")
  .replace('__SHELL__', JSON.stringify(SHELL))

const keyOf = (key) => new URL(typeof key === 'string' ? key : key.url, ORIGIN).pathname

class MemoryCache {
  constructor (fetcher) { this.entries = new Map(); this.fetcher = fetcher }
  async put (key, response) { this.entries.set(keyOf(key), response) }
  async match (key) { const hit = this.entries.get(keyOf(key)); return hit ? hit.clone() : undefined }
  async delete (key) { return this.entries.delete(keyOf(key)) }
  async addAll (urls) {
    for (const url of urls) this.entries.set(keyOf(url), await this.fetcher({ url: ORIGIN + url, method: 'GET' }))
  }
}

function page (body, headers = {}, status = 200) {
  return new Response(
    `<html><head><meta name="portal-source" content="network"></head><body>${body}</body></html>`,
    { status, headers: { 'Content-Type': 'text/html; charset=utf-8', ...headers } }
  )
}

function worker () {
  const network = { online: true, answer: () => page('page'), calls: [] }
  const fetcher = async (request) => {
    network.calls.push(keyOf(request))
    if (!network.online) throw new TypeError('Failed to fetch')
    return network.answer(keyOf(request))
  }
  const stores = new Map()
  const caches = {
    async open (name) { if (!stores.has(name)) stores.set(name, new MemoryCache(fetcher)); return stores.get(name) },
    async keys () { return [...stores.keys()] },
    async delete (name) { return stores.delete(name) },
    async match (key, options = {}) {
      const names = options.cacheName ? [options.cacheName] : [...stores.keys()]
      for (const name of names) { const hit = await stores.get(name)?.match(key); if (hit) return hit }
      return undefined
    }
  }
  const handlers = {}
  const self = {
    location: new URL(ORIGIN + '/sw.js'),
    addEventListener: (type, handler) => { handlers[type] = handler },
    skipWaiting: async () => {},
    clients: { claim: async () => {} }
  }
  const context = vm.createContext({
    self, caches, fetch: fetcher, Response, URL, Promise, setTimeout: (fn, ms, ...args) => setTimeout(fn, ms / 100, ...args), clearTimeout
  })
  vm.runInContext(source, context)
  async function lifecycle (type, data) {
    const waits = []
    handlers[type]({ data, waitUntil: (p) => waits.push(p) })
    await Promise.all(waits)
  }
  async function visit (path, { mode = 'navigate', method = 'GET' } = {}) {
    const waits = []
    let answer = null
    handlers.fetch({
      request: { url: ORIGIN + path, method, mode },
      respondWith: (p) => { answer = p },
      waitUntil: (p) => waits.push(p)
    })
    const response = answer ? await answer : null
    await Promise.all(waits)
    return response
  }
  return { network, stores, lifecycle, visit }
}

async function installed () {
  const sw = worker()
  sw.network.answer = (path) => path === '/offline' ? page('You are offline') : new Response('css')
  await sw.lifecycle('install')
  await sw.lifecycle('activate')
  sw.network.answer = () => page('Plan for Maggie', { 'X-Portal-User': 'u1' })
  return sw
}

test('installing keeps the app shell under this build\'s version', async () => {
  const sw = await installed()
  assert.deepEqual([...sw.stores.keys()], ['portal-shell-test1'])
  assert.deepEqual([...sw.stores.get('portal-shell-test1').entries.keys()], SHELL)
})

test('a new build deletes the old shell', async () => {
  const sw = await installed()
  await (await sw.stores.get('portal-shell-test1'))
  sw.stores.set('portal-shell-old', sw.stores.get('portal-shell-test1'))
  await sw.lifecycle('activate')
  assert.ok(!sw.stores.has('portal-shell-old'))
  assert.ok(sw.stores.has('portal-shell-test1'))
})

test('a plan page made for the person here is kept, and shown offline marked as kept', async () => {
  const sw = await installed()
  const online = await sw.visit(`/plans/${PLAN}/sections/about_me`)
  assert.match(await online.text(), /content="network"/)
  assert.ok(sw.stores.get('portal-pages-u1').entries.has(`/plans/${PLAN}/sections/about_me`))
  sw.network.online = false
  const offline = await sw.visit(`/plans/${PLAN}/sections/about_me`)
  const html = await offline.text()
  assert.match(html, /Plan for Maggie/)
  assert.match(html, /<meta name="portal-source" content="kept">/)
})

test('offline, a page never opened here gives the offline page', async () => {
  const sw = await installed()
  sw.network.online = false
  const response = await sw.visit(`/plans/${PLAN}/money`)
  assert.match(await response.text(), /You are offline/)
})

test('pages made for nobody, or outside the plan pages, are never kept', async () => {
  const sw = await installed()
  sw.network.answer = () => page('Sign in')
  await sw.visit(`/plans/${PLAN}`)
  sw.network.answer = () => page('Your organisations', { 'X-Portal-User': 'u1' })
  await sw.visit('/organisations')
  await sw.visit(`/plans/${PLAN}/print`)
  const kept = sw.stores.get('portal-pages-u1')
  assert.equal(kept ? kept.entries.size : 0, 0)
})

test('a page made for someone else drops everything kept for the person before', async () => {
  const sw = await installed()
  await sw.visit(`/plans/${PLAN}`)
  assert.equal(sw.stores.get('portal-pages-u1').entries.size, 1)
  sw.network.answer = () => page('Sam\'s plans', { 'X-Portal-User': 'u2' })
  await sw.visit('/plans')
  assert.ok(!sw.stores.has('portal-pages-u1'))
  sw.network.online = false
  const response = await sw.visit(`/plans/${PLAN}`)
  assert.match(await response.text(), /You are offline/)
})

test('a kept page the server now refuses is dropped', async () => {
  const sw = await installed()
  await sw.visit(`/plans/${PLAN}`)
  sw.network.answer = () => page('Page not found', { 'X-Portal-User': 'u1' }, 404)
  const refused = await sw.visit(`/plans/${PLAN}`)
  assert.equal(refused.status, 404)
  assert.equal(sw.stores.get('portal-pages-u1').entries.size, 0)
})

test('API answers, form posts and other requests are left to the network', async () => {
  const sw = await installed()
  assert.equal(await sw.visit(`/api/v1/plans/${PLAN}`, { mode: 'cors' }), null)
  assert.equal(await sw.visit(`/plans/${PLAN}/sections/about_me`, { method: 'POST' }), null)
  assert.equal(await sw.visit(`/plans/${PLAN}/pdf`, { mode: 'no-cors' }), null)
})

test('the shell is served from its cache without the network', async () => {
  const sw = await installed()
  sw.network.online = false
  const css = await sw.visit('/static/app.css', { mode: 'no-cors' })
  assert.equal(await css.text(), 'css')
})

test('on a weak signal the kept copy is shown rather than waiting', async () => {
  const sw = await installed()
  await sw.visit(`/plans/${PLAN}`)
  sw.network.answer = () => new Promise((resolve) => setTimeout(() => resolve(page('late', { 'X-Portal-User': 'u1' })), 200))
  const response = await sw.visit(`/plans/${PLAN}`)
  assert.match(await response.text(), /content="kept"/)
})

test('signing out (the page tells the worker) forgets every kept page', async () => {
  const sw = await installed()
  await sw.visit(`/plans/${PLAN}`)
  await sw.lifecycle('message', { type: 'forget-everyone' })
  assert.deepEqual([...sw.stores.keys()], ['portal-shell-test1'])
})

test('a page made for someone who may only read it is not kept, and a copy kept before goes', async () => {
  const sw = await installed()
  await sw.visit(`/plans/${PLAN}/sections/about_me`)
  assert.equal(sw.stores.get('portal-pages-u1').entries.size, 1)
  sw.network.answer = () => page('About me, to read', { 'X-Portal-User': 'u1', 'X-Portal-Keep': 'no' })
  const online = await sw.visit(`/plans/${PLAN}/sections/about_me`)
  assert.match(await online.text(), /About me, to read/)
  await sw.visit(`/plans/${PLAN}/outcomes`)
  assert.equal(sw.stores.get('portal-pages-u1').entries.size, 0)
  sw.network.online = false
  const offline = await sw.visit(`/plans/${PLAN}/sections/about_me`)
  assert.match(await offline.text(), /You are offline/)
})
