// A reporter's start page: the reports waiting on this phone (see queue.js), and sending them
// when there is a connection.
import * as queue from '/static/queue.js';

const el = document.getElementById('queue');
const user = el.dataset.user;
const text = (k) => el.dataset[k] || '';
const stateText = { waiting: 'tWaiting', sending: 'tSending', sent: 'tSent', refused: 'tRefused' };

async function render() {
  const list = (await queue.mine(user)).filter((r) => r.state !== 'sent');
  const ul = document.getElementById('queue-list');
  ul.replaceChildren();
  el.hidden = list.length === 0;
  document.getElementById('queue-summary').textContent = text('tCount').replace('NN', String(list.length));
  for (const r of list) {
    const li = document.createElement('li');
    li.dataset.state = r.state;
    li.textContent = `${r.summary}: ${text(stateText[r.state])}`;
    ul.append(li);
  }
}

await queue.recover(user);
await render();
queue.sendWaiting(user, render);
window.addEventListener('online', () => queue.sendWaiting(user, render));
