// The kept-edits module's own logic (the browser tests drive it in Chromium with IndexedDB).
import { test } from 'node:test'
import assert from 'node:assert/strict'

import { autosaveDelay, bodyFor, entryId, fieldsOf, holdsAutosave, noticeWords, outcomeOf, sectionFormOf, send, sendsByItself } from '../src/outbox.js'
import { expectOwnSave, isOwnSave } from '../src/live.js'

const PLAN = '3f2a91c0-77de-4b4d-8c9c-0123456789ab'
const entry = {
  id: entryId('u1', PLAN, 'about_me'),
  action: `/plans/${PLAN}/sections/about_me`,
  fields: [['who_i_am', 'I like gardens & "tea"'], ['risks-count', '1']],
  version: 4,
  title: 'About me',
  planTitle: 'My plan'
}

test('each answer of the server is an outcome for the kept edit', () => {
  assert.equal(outcomeOf(200), 'saved')
  assert.equal(outcomeOf(409), 'conflict')
  assert.equal(outcomeOf(422), 'errors')
  assert.equal(outcomeOf(400), 'errors')
  assert.equal(outcomeOf(404), 'refused')
  assert.equal(outcomeOf(403), 'refused')
  assert.equal(outcomeOf(0, 'opaqueredirect'), 'signed-out')
  assert.equal(outcomeOf(401), 'signed-out')
  assert.equal(outcomeOf(503), 'later')
  assert.equal(outcomeOf(429), 'later')
})

test('only section forms are kept', () => {
  assert.deepEqual(sectionFormOf(`/plans/${PLAN}/sections/money`), { planId: PLAN, key: 'money' })
  assert.equal(sectionFormOf(`/plans/${PLAN}/sections/money/resolve`), null)
  assert.equal(sectionFormOf(`/plans/${PLAN}/sharing`), null)
  assert.equal(sectionFormOf(null), null)
})

test('the fields kept leave out the CSRF token and the version', () => {
  class Fake { constructor (pairs) { this.pairs = pairs } entries () { return this.pairs[Symbol.iterator]() } }
  const pairs = [['_csrf_token', 'secret'], ['version', '3'], ['who_i_am', 'me'], ['file', {}]]
  assert.deepEqual(fieldsOf(pairs, Fake), [['who_i_am', 'me']])
})

test('the body sent carries the version typed from and a fresh token', () => {
  const body = bodyFor(entry, 'fresh', [['then', 'add-risk']])
  assert.equal(body.get('version'), '4')
  assert.equal(body.get('_csrf_token'), 'fresh')
  assert.equal(body.get('who_i_am'), 'I like gardens & "tea"')
  assert.equal(body.get('then'), 'add-risk')
})

test('sending asks for the JSON answer and reads the new version', async () => {
  const seen = []
  const win = {
    fetch: async (url, init) => {
      seen.push({ url, init })
      return new Response(JSON.stringify({ version: 5, next: `/plans/${PLAN}?saved=about_me`, saved_at: '2026-12-02T10:00:00Z' }), { status: 200 })
    }
  }
  const outcome = await send(win, entry, 'tok')
  assert.deepEqual(outcome, { kind: 'saved', version: 5, next: `/plans/${PLAN}?saved=about_me`, savedAt: '2026-12-02T10:00:00Z' })
  assert.equal(seen[0].url, entry.action)
  assert.equal(seen[0].init.headers['X-Portal-Save'], 'json')
  assert.equal(seen[0].init.redirect, 'manual')
})

test('no connection, a conflict, and a garbled answer are outcomes, never errors', async () => {
  assert.deepEqual(await send({ fetch: async () => { throw new TypeError('offline') } }, entry, 't'), { kind: 'offline' })
  assert.deepEqual(await send({ fetch: async () => new Response('{}', { status: 409 }) }, entry, 't'), { kind: 'conflict' })
  assert.deepEqual(await send({ fetch: async () => new Response('<html>', { status: 200 }) }, entry, 't'), { kind: 'later' })
})

test('the words say where the change was and what became of it', () => {
  assert.match(noticeWords('saved', entry), /About me in My plan, made while you were offline, has been saved/)
  assert.match(noticeWords('conflict', entry), /Choose which version to keep/)
  assert.match(noticeWords('refused', entry), /can no longer change it/)
  assert.equal(noticeWords('later', entry), '')
})

test('a save made by this page is not told back to it as news', () => {
  const done = expectOwnSave('about_me')
  assert.ok(isOwnSave({ by_user: 'u1', section: 'about_me', version: 9 }, 'u1'))
  done(9)
  assert.ok(isOwnSave({ by_user: 'u1', section: 'about_me', version: 9 }, 'u1'))
  assert.ok(!isOwnSave({ by_user: 'u1', section: 'about_me', version: 10 }, 'u1'))
  assert.ok(!isOwnSave({ by_user: 'u2', section: 'about_me', version: 9 }, 'u1'))
})

test('autosave waits for a pause in typing, and saves at most every 15 seconds', () => {
  assert.equal(autosaveDelay(100_000, -Infinity), 2000)
  assert.equal(autosaveDelay(100_000, 99_000), 14_000)
  assert.equal(autosaveDelay(100_000, 80_000), 2000)
})

test('a form of a plan under sign-off or agreed waits for Save, and its kept typing is never sent by another page', () => {
  assert.equal(holdsAutosave({ dataset: { autosave: 'after-save' } }), true)
  assert.equal(holdsAutosave({ dataset: {} }), false)
  assert.equal(holdsAutosave(null), false)
  assert.equal(sendsByItself({ ...entry, state: 'held' }), false)
  assert.equal(sendsByItself({ ...entry, state: 'waiting' }), true)
  assert.equal(sendsByItself({ ...entry, state: 'conflict' }), true)
})
