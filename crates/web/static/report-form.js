// The report form on a phone: every report goes into the phone's queue first (queue.js) and
// is sent from there, so nothing is lost without a connection; photos are shrunk here before
// they are kept or sent; reports of the same kind close by are offered as "the same as this";
// one report can hold several events. Without JavaScript the form works as a plain form.
import * as queue from '/static/queue.js';

const form = document.querySelector('form.report');
const queueEl = document.getElementById('queue');
const user = queueEl.dataset.user;
const text = (k) => queueEl.dataset[k] || '';
const liveErrors = document.getElementById('live-errors');
const MAX_SIDE = 2048;

document.querySelectorAll('.js-only').forEach((e) => { e.hidden = false; });
document.getElementById('error-summary')?.focus();
// A key made here, never the one of a page that may come from the cache.
form.elements.report_key.value = queue.newKey();

const field = (ev, name) => ev.querySelector(`[name="${ev.dataset.event === '0' ? '' : `e${ev.dataset.event}-`}${name}"]`);

// ---- Several events in one report.

const blank = form.querySelector('fieldset.event').cloneNode(true);
let events = 1;

function renameWithin(node, k) {
  const p = (v) => `e${k}-${v}`;
  node.querySelectorAll('.error').forEach((e) => e.remove());
  node.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  node.querySelectorAll('[id]').forEach((e) => { e.id = p(e.id); });
  node.querySelectorAll('label[for]').forEach((e) => { e.htmlFor = p(e.htmlFor); });
  node.querySelectorAll('[name]').forEach((e) => { e.name = p(e.name); });
  node.querySelectorAll('[aria-describedby]').forEach((e) => {
    const ids = e.getAttribute('aria-describedby').split(/\s+/).filter((id) => id && !id.endsWith('-error'));
    e.setAttribute('aria-describedby', ids.map(p).join(' '));
  });
}

// Now in Swedish time, as the form's times are read (whatever the phone's own zone is).
function localNow() {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date()).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

function addEvent() {
  const k = events;
  events += 1;
  const ev = blank.cloneNode(true);
  ev.dataset.event = String(k);
  ev.querySelectorAll('input:not([type=hidden]), textarea').forEach((e) => { e.value = ''; });
  ev.querySelectorAll('input[type=hidden]').forEach((e) => { e.value = ''; });
  ev.querySelectorAll('select').forEach((e) => { e.selectedIndex = 0; });
  ev.querySelectorAll('.js-only').forEach((e) => { e.hidden = false; });
  ev.querySelector('.nearby').replaceChildren();
  ev.querySelector('.pick-map').hidden = true;
  ev.querySelector('.skip-map').hidden = true;
  renameWithin(ev, k);
  ev.querySelector('.event-title').textContent = form.dataset.eventTitle.replace('NN', String(k + 1));
  field(ev, 'occurred_from').value = localNow();
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.className = 'remove-event';
  remove.textContent = form.dataset.removeEvent;
  remove.addEventListener('click', () => { ev.remove(); document.getElementById('add-event').focus(); });
  ev.append(remove);
  document.getElementById('more-events').append(ev);
  wire(ev);
  field(ev, 'category').focus();
  return ev;
}
document.getElementById('add-event').addEventListener('click', () => addEvent());

// ---- Position: the phone's, a tap on the map, a named place, or typed text.

function setPoint(ev, lat, lon) {
  field(ev, 'lat').value = lat.toFixed(6);
  field(ev, 'lon').value = lon.toFixed(6);
  field(ev, 'place_id').value = '';
  ev.querySelector('details.coordinates').open = true;
  checkNearby(ev);
}

function wire(ev) {
  const status = ev.querySelector('.position-status');
  ev.querySelector('.use-position').addEventListener('click', () => {
    if (!navigator.geolocation) { status.textContent = form.dataset.positionFailed; return; }
    navigator.geolocation.getCurrentPosition(
      (p) => { setPoint(ev, p.coords.latitude, p.coords.longitude); status.textContent = ''; },
      () => { status.textContent = form.dataset.positionFailed; },
      { enableHighAccuracy: true, timeout: 15000 },
    );
  });
  ev.querySelector('.show-map').addEventListener('click', async (e) => {
    e.target.closest('p').hidden = true;
    const m = await import('/static/pick-map.js');
    await m.show(ev, (lat, lon) => setPoint(ev, lat, lon));
  });
  let timer;
  for (const name of ['category', 'place_id', 'lat', 'lon', 'occurred_from']) {
    field(ev, name).addEventListener('change', () => { clearTimeout(timer); timer = setTimeout(() => checkNearby(ev), 300); });
  }
}

// ---- Duplicate hints: the same kind of event close by in the last two days.

async function checkNearby(ev) {
  const box = ev.querySelector('.nearby');
  const category = field(ev, 'category').value;
  let lat = field(ev, 'lat').value;
  let lon = field(ev, 'lon').value;
  const place = field(ev, 'place_id');
  if ((!lat || !lon) && place.value) {
    const o = place.selectedOptions[0];
    lat = o.dataset.lat;
    lon = o.dataset.lon;
  }
  if (!navigator.onLine || !category || !lat || !lon) { box.replaceChildren(); return; }
  const q = new URLSearchParams({ lat, lon, category, at: field(ev, 'occurred_from').value });
  let items = [];
  try {
    const res = await fetch(`/api/v1/incidents/nearby?${q}`, { credentials: 'same-origin' });
    if (!res.ok) { box.replaceChildren(); return; }
    items = (await res.json()).items;
  } catch (e) { return; }
  const sameAs = field(ev, 'same_as');
  if (!items.length) { box.replaceChildren(); sameAs.value = ''; return; }
  const fs = document.createElement('fieldset');
  fs.className = 'radios dupes';
  const legend = document.createElement('legend');
  legend.textContent = form.dataset.nearbyTitle;
  fs.append(legend);
  const group = `nearby-${ev.dataset.event}`;
  const option = (value, label, href) => {
    const div = document.createElement('div');
    div.className = 'check';
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = group;
    input.id = `${group}-${value || 'new'}`;
    input.value = value;
    input.checked = sameAs.value === value;
    input.addEventListener('change', () => { sameAs.value = value; });
    const l = document.createElement('label');
    l.htmlFor = input.id;
    l.textContent = label;
    div.append(input, l);
    if (href) {
      const a = document.createElement('a');
      a.href = href;
      a.target = '_blank';
      a.textContent = form.dataset.nearbySame.replace('NN', value);
      div.append(' ', a);
    }
    return div;
  };
  fs.append(option('', form.dataset.nearbyNew));
  for (const i of items) {
    const away = form.dataset.nearbyAway.replace('NN', String(i.distance_m));
    fs.append(option(String(i.id), `${i.category_name}, ${i.occurred}, ${away}${i.place ? `, ${i.place}` : ''} (${i.status_name})`, i.url));
  }
  box.replaceChildren(fs);
}

// ---- Photos, shrunk on the phone (longest side at most 2048 px; re-encoding drops the
// camera's metadata here already, and the server strips it again).

async function shrink(file) {
  try {
    const bmp = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
    const w = Math.round(bmp.width * scale);
    const h = Math.round(bmp.height * scale);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    canvas.getContext('2d').drawImage(bmp, 0, 0, w, h);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.85));
    if (!blob) throw new Error('no blob');
    return { blob, name: file.name.replace(/\.[^.]*$/, '') + '.jpg' };
  } catch (e) {
    // Not something the browser can draw: the server says what is wrong with it.
    return { blob: file, name: file.name };
  }
}

// ---- Sending: into the queue, then from the queue.

function summaryOf(fields) {
  const get = (n) => fields.find(([k]) => k === n)?.[1] || '';
  const cat = form.elements.category.querySelector(`option[value="${CSS.escape(get('category'))}"]`)?.textContent?.replace(/^– /, '') || get('category');
  const more = fields.filter(([k]) => /^e\d+-category$/.test(k)).length;
  return `${cat}, ${get('occurred_from').replace('T', ' ')}${more ? ` (+${more})` : ''}`;
}

function clearErrors() {
  form.querySelectorAll('.error.live').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  liveErrors.hidden = true;
  document.getElementById('error-summary')?.remove();
}

function showErrors(errors) {
  clearErrors();
  const ul = liveErrors.querySelector('ul');
  ul.replaceChildren();
  for (const e of errors) {
    let name = e.field;
    if (name === 'place' || name.endsWith('-place')) name = name.replace(/place$/, 'place_id');
    if (name === 'Idempotency-Key') name = 'report_key';
    const input = form.elements[name];
    const target = input instanceof RadioNodeList ? input[0] : input;
    const li = document.createElement('li');
    if (target && target.type !== 'hidden') {
      const p = document.createElement('p');
      p.className = 'error live';
      p.id = `${target.id}-error`;
      p.textContent = e.message;
      target.setAttribute('aria-invalid', 'true');
      const d = target.getAttribute('aria-describedby') || '';
      if (!d.includes(p.id)) target.setAttribute('aria-describedby', `${d} ${p.id}`.trim());
      (target.closest('.field') || target.closest('fieldset')).append(p);
      const a = document.createElement('a');
      a.href = `#${target.id}`;
      a.textContent = e.message;
      li.append(a);
    } else {
      li.textContent = e.message;
    }
    ul.append(li);
  }
  liveErrors.hidden = false;
  liveErrors.focus();
}

function loadIntoForm(record) {
  resetForm(record.key);
  for (const [name, value] of record.fields) {
    const m = /^e(\d+)-/.exec(name);
    if (m) while (events <= Number(m[1])) addEvent();
    const el = form.elements[name];
    if (!el || name === 'csrf' || name === 'report_key') continue;
    if (el instanceof RadioNodeList) {
      for (const r of el) r.checked = r.value === value;
    } else if (el.type === 'checkbox') {
      el.checked = value === 'true' || value === 'on';
    } else if (el.type !== 'file') {
      el.value = value;
    }
  }
  const byField = {};
  for (const p of record.photos || []) (byField[p.field] ??= []).push(p);
  for (const [name, list] of Object.entries(byField)) {
    const input = form.elements[name];
    if (!input || typeof DataTransfer === 'undefined') continue;
    const dt = new DataTransfer();
    for (const p of list) dt.items.add(new File([p.blob], p.name, { type: p.blob.type }));
    input.files = dt.files;
  }
}

function resetForm(key) {
  document.getElementById('more-events').replaceChildren();
  events = 1;
  form.reset();
  clearErrors();
  form.elements.report_key.value = key || queue.newKey();
  form.elements.same_as.value = '';
  form.elements.occurred_from.value = localNow();
  form.querySelector('.nearby').replaceChildren();
}

const stateText = { waiting: 'tWaiting', sending: 'tSending', sent: 'tSent', refused: 'tRefused' };

async function render() {
  const list = await queue.mine(user);
  const ul = document.getElementById('queue-list');
  ul.replaceChildren();
  if (!list.length) { queueEl.hidden = true; return; }
  queueEl.hidden = false;
  const open = list.filter((r) => r.state !== 'sent').length;
  document.getElementById('queue-summary').textContent = text('tCount').replace('NN', String(open));
  for (const r of list) {
    const li = document.createElement('li');
    li.className = `queued ${r.state}`;
    li.dataset.state = r.state;
    const note = r.state === 'waiting' && r.note === 'signin' ? ` – ${text('tSignin')}` : '';
    li.append(`${r.summary}: ${text(stateText[r.state])}${note}`);
    if (r.state === 'sent' && r.result?.incidents?.length) {
      const a = document.createElement('a');
      a.href = r.result.incidents[0].url;
      a.textContent = text('tOpen');
      li.append(' ', a);
      const refused = r.result.photos_refused || [];
      if (refused.length) {
        const p = document.createElement('p');
        p.className = 'error';
        p.textContent = `${text('tPhotosRefused')} ${refused.map((x) => x.message).join(' ')}`;
        li.append(p);
      }
    }
    if (r.state === 'refused') {
      const errs = document.createElement('ul');
      for (const e of r.errors || []) {
        const item = document.createElement('li');
        item.textContent = e.message;
        errs.append(item);
      }
      const fix = document.createElement('button');
      fix.type = 'button';
      fix.textContent = text('tFix');
      fix.addEventListener('click', async () => {
        loadIntoForm(r);
        await queue.remove(r.key);
        await render();
        showErrors(r.errors || []);
      });
      li.append(errs, fix);
    }
    ul.append(li);
  }
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const fields = [];
    const photos = [];
    for (const [name, value] of new FormData(form).entries()) {
      if (value instanceof File) {
        if (!value.size && !value.name) continue;
        photos.push({ field: name, ...(await shrink(value)) });
      } else if (!name.startsWith('nearby-')) {
        fields.push([name, value]);
      }
    }
    const key = form.elements.report_key.value;
    await queue.put({ key, user, created: Date.now(), state: 'waiting', fields, photos, summary: summaryOf(fields), errors: [] });
    resetForm();
    await render();
    if (navigator.onLine) {
      await queue.sendWaiting(user, render);
      const after = (await queue.mine(user)).find((r) => r.key === key);
      if (after?.state === 'sent' && !(after.result.photos_refused || []).length) {
        window.location.assign(`${after.result.incidents[0].url}?saved=1`);
        return;
      }
      if (after?.state === 'refused') {
        loadIntoForm(after);
        await queue.remove(after.key);
        await render();
        showErrors(after.errors || []);
        return;
      }
      if (after?.state === 'sent') return;
    }
    document.getElementById('queue-summary').textContent = `${text('tSavedOffline')} ${document.getElementById('queue-summary').textContent}`;
    document.getElementById('queue-title').focus?.();
  } finally {
    button.disabled = false;
  }
});

wire(form.querySelector('fieldset.event'));
await queue.recover(user);
await render();
queue.sendWaiting(user, render);
window.addEventListener('online', () => queue.sendWaiting(user, render));
setInterval(() => queue.sendWaiting(user, render), 20000);
