// Tests of the live-updates module's own logic, with Node's test runner (no browser needed;
// the browser tests drive it for real in Chromium).
import { test } from 'node:test'
import assert from 'node:assert/strict'

import { csrfToken, editingNow, noteTyping, planIdOf, presenceWords, sectionOf, startLive, words } from '../src/live.js'

const ID = '3f2a91c0-77de-4b4d-8c9c-0123456789ab'

test('a plan page names its plan; other pages none', () => {
  assert.equal(planIdOf(`/plans/${ID}`), ID)
  assert.equal(planIdOf(`/plans/${ID}/sections/about_me`), ID)
  assert.equal(planIdOf('/plans'), null)
  assert.equal(planIdOf(`/plans/${ID}x`), null)
  assert.equal(planIdOf('/organisations/x'), null)
})

test('a change is told in words, by whom and where', () => {
  const event = { section: 'money', by_user: 'u1', by_name: 'Sam Patel' }
  assert.equal(words(event, 'u2'), 'Sam Patel changed Money.')
  assert.equal(words(event, 'u1'), 'You changed Money in another window.')
  assert.equal(words({ section: 'nope', by_user: 'u1', by_name: '' }, 'u2'), 'Someone changed the plan.')
})

test('no stream is opened off a plan page, or without EventSource', () => {
  assert.equal(startLive({ location: { pathname: '/plans' }, EventSource: function () {} }), null)
  assert.equal(startLive({ location: { pathname: `/plans/${ID}` } }), null)
})

test('on a plan page the stream for that plan is opened', () => {
  const opened = []
  class FakeSource { constructor (url) { opened.push(url) } addEventListener () {} }
  const win = {
    location: { pathname: `/plans/${ID}/money` },
    EventSource: FakeSource,
    document: { querySelector: () => ({ content: 'u1' }), documentElement: { dataset: {} } }
  }
  assert.ok(startLive(win) instanceof FakeSource)
  assert.deepEqual(opened, [`/api/v1/plans/${ID}/events`])
})

test('the section a page is about', () => {
  assert.equal(sectionOf(`/plans/${ID}/sections/about_me`), 'about_me')
  assert.equal(sectionOf(`/plans/${ID}/sections/about_me/history`), 'about_me')
  assert.equal(sectionOf(`/plans/${ID}/sections/nope`), null)
  assert.equal(sectionOf(`/plans/${ID}/money/items/new`), 'money')
  assert.equal(sectionOf(`/plans/${ID}/actions`), 'action_plan')
  assert.equal(sectionOf(`/plans/${ID}`), null)
  assert.equal(sectionOf(`/plans/${ID}/print`), null)
})

test('who else is here, newest first, never me, forgotten after two minutes', () => {
  const now = 1_000_000
  const people = new Map([
    ['u1', { by_user: 'u1', by_name: 'Me', subject: 'the person', section: null, seen: now }],
    ['u2', { by_user: 'u2', by_name: 'Sam Patel', subject: 'co-author', section: 'money', seen: now - 1000 }],
    ['u3', { by_user: 'u3', by_name: 'Casey Jones', subject: 'care coordinator', section: null, seen: now }],
    ['u4', { by_user: 'u4', by_name: 'Gone', subject: '', section: 'money', seen: now - 3 * 60 * 1000 }]
  ])
  assert.deepEqual(presenceWords(people, 'u1', now), [
    'Casey Jones (care coordinator) has the plan open.',
    'Sam Patel (co-author) is on Money.'
  ])
})

test('someone typing in a section is editing it; reading, they are on it', () => {
  const now = 1_000_000
  const people = new Map([
    ['u2', { by_user: 'u2', by_name: 'Sam Patel', subject: 'co-author', section: 'money', editing: true, seen: now }],
    ['u3', { by_user: 'u3', by_name: 'Robin Lee', subject: 'reading', section: 'about_me', editing: false, seen: now - 10 }]
  ])
  assert.deepEqual(presenceWords(people, 'u1', now), [
    'Sam Patel (co-author) is editing Money.',
    'Robin Lee (reading) is on About me.'
  ])
})

test('typing makes this page editing for two minutes, and is said at once when it starts', () => {
  assert.equal(editingNow(5_000), false)
  noteTyping(10_000)
  assert.equal(editingNow(10_000 + 119_000), true)
  assert.equal(editingNow(10_000 + 121_000), false)
})

test('the CSRF token is read from the page, never from a cookie', () => {
  const page = (found) => ({ cookie: 'portal_csrf=from-the-cookie', querySelector: (selector) => found[selector] || null })
  assert.equal(csrfToken(page({ 'meta[name="csrf-token"]': { content: 'from-the-meta' } })), 'from-the-meta')
  assert.equal(csrfToken(page({ 'input[name="_csrf_token"]': { value: 'from-the-form' } })), 'from-the-form')
  assert.equal(csrfToken(page({})), '')
})
