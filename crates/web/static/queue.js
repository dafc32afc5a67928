// The phone's queue of reports: every report made on the form is kept here (IndexedDB) until
// the server has it, so that nothing is lost without a connection or when the browser is
// closed. Each report has a key made on the phone; the server stores a report once per key
// (Idempotency-Key), so sending it again after a lost answer is harmless. Reports belong to
// the user who made them: only that user's pages list or send them.

const DB = 'lagesbild';
const STORE = 'reports';
// Sent reports are listed this long, then forgotten.
const KEEP_SENT_MS = 3 * 24 * 3600 * 1000;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

let dbPromise;
function db() {
  dbPromise ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB, 1);
    open.onupgradeneeded = () => {
      const s = open.result.createObjectStore(STORE, { keyPath: 'key' });
      s.createIndex('user', 'user');
    };
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  return dbPromise;
}

async function tx(mode, fn) {
  const d = await db();
  const t = d.transaction(STORE, mode);
  const result = await fn(t.objectStore(STORE));
  await new Promise((resolve, reject) => {
    t.oncomplete = resolve;
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
  return result;
}

/** A new key for a report: random, unguessable, the same on every sending. */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function put(record) {
  await tx('readwrite', (s) => request(s.put(record)));
}

export async function remove(key) {
  await tx('readwrite', (s) => request(s.delete(key)));
}

/** The user's reports, oldest first; sent ones older than a few days are forgotten. */
export async function mine(user) {
  const all = await tx('readonly', (s) => request(s.index('user').getAll(user)));
  const now = Date.now();
  const old = all.filter((r) => r.state === 'sent' && now - (r.sentAt || 0) > KEEP_SENT_MS);
  for (const r of old) await remove(r.key);
  return all.filter((r) => !old.includes(r)).sort((a, b) => a.created - b.created);
}

async function session() {
  const res = await fetch('/api/v1/session', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!res.ok) return null;
  return res.json();
}

/** Sends one report; its state afterwards. */
async function sendOne(record, csrf) {
  const body = new FormData();
  for (const [name, value] of record.fields) {
    body.append(name, name === 'csrf' ? csrf : value);
  }
  for (const p of record.photos || []) body.append(p.field, p.blob, p.name);
  let res;
  try {
    res = await fetch('/incidents', {
      method: 'POST',
      body,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'Idempotency-Key': record.key },
    });
  } catch (e) {
    return { ...record, state: 'waiting', note: '' };
  }
  if (res.status === 201) {
    const r = await res.json();
    // The photos are on the server now; keep only what the list shows.
    return { ...record, state: 'sent', sentAt: Date.now(), photos: [], result: r, errors: [] };
  }
  if (res.status === 422) {
    return { ...record, state: 'refused', errors: await res.json() };
  }
  if (res.status === 401 || res.status === 403) return { ...record, state: 'waiting', note: 'signin' };
  return { ...record, state: 'waiting', note: '' };
}

let running = null;

/**
 * Sends the user's waiting reports, one at a time, when there is a connection and the user's
 * own session. `onChange` is called after each. One run at a time per page (several pages
 * sending the same report at once is harmless: the server stores it once).
 */
export function sendWaiting(user, onChange) {
  // Assigned before it is reset: a run that ends at once must not leave itself behind.
  if (!running) running = run(user, onChange).finally(() => { running = null; });
  return running;
}

async function run(user, onChange) {
  if (!navigator.onLine) return;
  let s;
  try { s = await session(); } catch (e) { return; }
  if (!s || s.user !== user) {
    // Signed out, or someone else is signed in: this user's reports wait.
    for (const r of await mine(user)) {
      if (r.state === 'waiting' && r.note !== 'signin') await put({ ...r, note: 'signin' });
    }
    onChange?.();
    return;
  }
  for (const r of await mine(user)) {
    if (r.state !== 'waiting') continue;
    await put({ ...r, state: 'sending' });
    onChange?.();
    const after = await sendOne(r, s.csrf);
    await put(after);
    onChange?.(after);
  }
}

/** Reports left "sending" by a page that closed midway are waiting again. */
export async function recover(user) {
  for (const r of await mine(user)) {
    if (r.state === 'sending') await put({ ...r, state: 'waiting' });
  }
}
