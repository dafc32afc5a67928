// Lägesbild's service worker: the report form, its scripts and styles, the category list and
// the reporter's places load from the cache when there is no connection. Reports made then
// wait in the page's queue (IndexedDB, see queue.js), not here.
const VERSION = 'lagesbild-2026-12-03';
const SHELL = `${VERSION}-shell`;
const PAGES = 'lagesbild-pages';
const SHELL_FILES = [
  '/static/app.css', '/static/app.js', '/static/report-form.js', '/static/queue.js', '/static/start.js',
  '/static/favicon.svg', '/static/icon-192.png', '/manifest.webmanifest',
];
// Fetched from the network when there is one, from the cache when not. They belong to the
// signed-in user and are dropped when someone signs out or in.
const USER_PAGES = ['/incidents/new', '/categories.css', '/api/v1/categories', '/api/v1/places'];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((c) => c.addAll(SHELL_FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.endsWith('-shell') && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data?.type === 'signed-out') event.waitUntil(caches.delete(PAGES));
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

async function networkFirst(request, path) {
  const cache = await caches.open(PAGES);
  try {
    const res = await withTimeout(fetch(request), 6000);
    if (res.ok && !res.redirected) {
      await cache.put(path, res.clone());
    } else if (res.redirected && new URL(res.url).pathname === '/login') {
      // Signed out: nothing of the last user's is kept.
      await caches.delete(PAGES);
    }
    return res;
  } catch (e) {
    const hit = await cache.match(path);
    if (hit) return hit;
    throw e;
  }
}

// From the cache at once, brought up to date from the network behind it (a new release is
// seen on the next load).
async function cachedThenUpdated(event, request) {
  const cache = await caches.open(SHELL);
  const hit = await cache.match(request);
  const update = fetch(request).then(async (res) => {
    if (res.ok) await cache.put(request, res.clone());
    return res;
  });
  if (hit) {
    event.waitUntil(update.catch(() => {}));
    return hit;
  }
  return update;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname === '/login') {
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (USER_PAGES.includes(url.pathname)) {
    event.respondWith(networkFirst(request, url.pathname));
    return;
  }
  if (url.pathname.startsWith('/static/') || url.pathname === '/manifest.webmanifest') {
    event.respondWith(cachedThenUpdated(event, request));
  }
});
