// On every page: the service worker that lets the report form work without a connection,
// and, when someone signs out, the pages it kept for them are forgotten (the reports waiting
// on this phone stay, and only their author's session ever sends them).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('service worker', e));
  document.querySelectorAll('form.logout').forEach((f) => f.addEventListener('submit', () => {
    navigator.serviceWorker.controller?.postMessage({ type: 'signed-out' });
  }));
}
