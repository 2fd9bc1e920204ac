// Copies NHS.UK frontend and our own small additions into portal/static/.
// Plain Node on purpose: nothing here needs a bundler, and the output is served as is.
//
//   portal/static/nhsuk-frontend.min.css   NHS.UK CSS, without the web-font @font-face rules
//   portal/static/nhsuk-frontend.min.js    NHS.UK JS, one ES module exporting initAll()
//   portal/static/app.css                  our additions (frontend/src/app.css)
//   portal/static/init.js                  our external init module (frontend/src/init.js)
//   portal/static/live.js                  live updates on plan pages (frontend/src/live.js)
//   portal/static/pwa.js                   service worker registration, offline notice, sign-out
//   portal/static/outbox.js                autosave and edits kept while offline
//   portal/static/sw.js                    the service worker (served as /sw.js), with this
//                                          build's version and app-shell list written in
//   portal/static/icons/                   home-screen icons (drawn by scripts/make-icons)
//   portal/static/assets/                  icons, logos, favicons; the CSS asks for /assets/...
//
// Only these paths are written, so other build steps may add files to portal/static/ too.
import { createHash } from 'node:crypto'
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const out = resolve(here, '..', 'portal', 'static')
const require = createRequire(import.meta.url)
const nhsuk = join(dirname(require.resolve('nhsuk-frontend/package.json')), 'dist', 'nhsuk')
const expectedVersion = '10.6.1'

const { version: nhsukVersion } = JSON.parse(await readFile(require.resolve('nhsuk-frontend/package.json'), 'utf8'))
if (nhsukVersion !== expectedVersion) {
  // nhsuk-frontend-jinja 0.10.2 renders markup for 10.6.1; a mismatch breaks components quietly.
  throw new Error(`nhsuk-frontend ${nhsukVersion} installed, ${expectedVersion} expected: run npm ci`)
}

// The maps are not shipped, so a reference to one is only a 404 waiting to happen.
const dropSourceMap = (text) => text.replace(/\n?\/[*/]# sourceMappingURL=\S+(?: \*\/)?\s*$/, '\n')

// The NHS font is served only from assets.nhs.uk, which our CSP and offline use rule out.
// Dropping its @font-face rules leaves the CSS's own stack (Frutiger W01, arial, sans-serif)
// to fall to Arial without a blocked request on every page.
function dropWebFont(css) {
  const fontFace = /@font-face\{font-family:Frutiger W01;[^}]*\}/g
  const found = css.match(fontFace) ?? []
  if (found.length !== 2) {
    throw new Error(`expected 2 Frutiger @font-face rules in the NHS.UK CSS, found ${found.length}`)
  }
  const stripped = css.replace(fontFace, '')
  if (stripped.includes('assets.nhs.uk')) throw new Error('NHS.UK CSS still refers to assets.nhs.uk')
  return stripped
}

async function copyText(from, to, ...transforms) {
  let text = await readFile(from, 'utf8')
  for (const transform of transforms) text = transform(text)
  await writeFile(to, text)
}

await mkdir(out, { recursive: true })
await copyText(join(nhsuk, 'nhsuk-frontend.min.css'), join(out, 'nhsuk-frontend.min.css'), dropWebFont, dropSourceMap)
await copyText(join(nhsuk, 'nhsuk-frontend.min.js'), join(out, 'nhsuk-frontend.min.js'), dropSourceMap)
await copyText(join(here, 'src', 'app.css'), join(out, 'app.css'))
await copyText(join(here, 'src', 'init.js'), join(out, 'init.js'))
for (const name of ['live.js', 'pwa.js', 'outbox.js']) {
  await copyText(join(here, 'src', name), join(out, name))
}
await rm(join(out, 'assets'), { recursive: true, force: true })
await cp(join(nhsuk, 'assets'), join(out, 'assets'), { recursive: true })
await rm(join(out, 'icons'), { recursive: true, force: true })
await cp(join(here, 'src', 'icons'), join(out, 'icons'), { recursive: true })

// The app shell the service worker keeps, and a version that changes whenever any of it does
// (the offline page's template included), so a new build replaces the cache whole.
// The home-screen icons stay out: the browser fetches them itself when installing, and they
// would be 40 kB more on every first visit.
const shellFiles = [
  'nhsuk-frontend.min.css', 'app.css', 'nhsuk-frontend.min.js', 'init.js', 'live.js', 'pwa.js', 'outbox.js',
  'icons/favicon-32.png'
]
const hash = createHash('sha256')
for (const name of shellFiles) hash.update(name).update(await readFile(join(out, name)))
for (const name of (await readdir(join(out, 'icons'))).sort()) hash.update(await readFile(join(out, 'icons', name)))
hash.update(await readFile(join(here, 'src', 'sw.js')))
const offlineTemplate = resolve(here, '..', 'portal', 'templates', 'offline.html')
hash.update(await readFile(offlineTemplate).catch(() => ''))
const shell = ['/offline', '/manifest.webmanifest', ...shellFiles.map((name) => `/static/${name}`)]
const version = hash.digest('hex').slice(0, 12)
await copyText(join(here, 'src', 'sw.js'), join(out, 'sw.js'), (text) => {
  if (!text.includes("'__VERSION__'") || !text.includes('__SHELL__')) throw new Error('sw.js lost its placeholders')
  return text.replace("'__VERSION__'", `'${version}'`).replace('__SHELL__', JSON.stringify(shell))
})

console.log(`NHS.UK frontend ${nhsukVersion} and our assets copied to ${out} (app shell ${version})`)
