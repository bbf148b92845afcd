// What the field page keeps on the phone, and when it forgets it.
// - The due list is cached (IndexedDB) with only what a visit needs: no head of
//   household, phone, room, tags or exact position. It expires after a day, or when the
//   session ends if that is sooner, and is dropped when another user logs in.
// - At logout everything is removed: IndexedDB, localStorage, the service worker's
//   caches (the server also sends Clear-Site-Data with the logout answer).
// - The service worker (/field-sw.js) keeps the app shell so /field opens offline.
(function () {
  "use strict";
  const store = window.fieldStore;
  const DAY_MS = 24 * 3600 * 1000;
  const page = document.getElementById("field-page");
  const user = page.dataset.user;
  const sessionEnds = Date.parse(page.dataset.sessionExpires || "") || Date.now() + DAY_MS;
  const KEEP = ["id", "colour_key", "colour_zh", "building", "unit", "due_on", "overdue_days"];

  async function saveDue(visits) {
    const slim = visits.map((h) => Object.fromEntries(KEEP.map((k) => [k, h[k] ?? null])));
    const expires = Math.min(Date.now() + DAY_MS, sessionEnds);
    await store.put("due", { key: "due", user, saved_at: Date.now(), expires_at: expires, visits: slim });
  }

  // The cached list, or null when there is none, it has expired, or it is someone else's.
  async function loadDue() {
    const rec = await store.get("due", "due");
    if (!rec) return null;
    if (rec.user !== user || rec.expires_at <= Date.now()) { await forgetDue(); return null; }
    return rec.visits.map((h) => ({ ...h, tags: [], distance_m: null, offline: true }));
  }

  const forgetDue = () => store.del("due", "due");

  async function forgetAll() {
    try { localStorage.clear(); sessionStorage.clear(); } catch (e) { /* storage disabled */ }
    await store.forget();
    if (window.caches) await Promise.all((await caches.keys()).map((k) => caches.delete(k)));
    if (navigator.serviceWorker) {
      const regs = await navigator.serviceWorker.getRegistrations();
      await Promise.all(regs.map((r) => r.unregister()));
    }
  }

  // Logout: unsent visits would be lost, so ask first; then forget, then log out.
  function guardLogout(form) {
    let confirmed = false;
    form.addEventListener("submit", async (ev) => {
      if (confirmed) return;
      ev.preventDefault();
      const unsent = window.fieldQueue.pending().length;
      if (unsent && !window.confirm(`还有 ${unsent} 条走访未发送，退出后将从本机删除。确定退出吗？`)) return;
      await forgetAll().catch(() => null);
      confirmed = true;
      form.submit();
    });
  }

  function registerWorker() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(null);
    return navigator.serviceWorker.register("/field-sw.js", { scope: "/field" })
      .then(() => navigator.serviceWorker.ready).then(keepWhatThisPageLoaded).catch(() => null);
  }

  // Base map tiles drawn on this page (basemap-layer.js), kept for offline use. They are
  // fetched by MapLibre's web worker, which the service worker does not see when it arrived
  // after the page opened; cache.add goes through it (HTTP-cached, so cheap) and keeps them.
  const tilesSeen = new Set();
  window.gisappKeepBaseTiles = true;
  document.addEventListener("gisapp:basetile", (e) => {
    if (!navigator.onLine || !window.caches || tilesSeen.has(e.detail)) return;
    tilesSeen.add(e.detail);
    caches.open("gisapp-field-shell-v1")
      .then((cache) => cache.match(e.detail).then((hit) => hit || cache.add(e.detail))).catch(() => null);
  });

  // The worker precaches a fixed shell; what else this page loaded before the worker
  // controlled it (the base map's scripts, its web worker, style and first tiles) is kept
  // here, so that the page opens offline, with its base map, whatever the templates include.
  async function keepWhatThisPageLoaded() {
    const kept = /^\/(static|vendor|styles|tiles\/base)\//;
    const urls = performance.getEntriesByType("resource").map((e) => new URL(e.name))
      .filter((u) => u.origin === location.origin && kept.test(u.pathname)).map((u) => u.pathname + u.search);
    const base = document.getElementById("gisapp-basemap");
    if (base) urls.push(JSON.parse(base.textContent).worker);
    const cache = await caches.open("gisapp-field-shell-v1");
    await Promise.all([...new Set(urls)].map((u) => cache.match(u).then((hit) => hit || cache.add(u)).catch(() => null)));
  }

  // Stale data from an earlier login never outlives the day or the session.
  loadDue().catch(() => null);
  const logout = document.querySelector("form[action='/logout']");
  if (logout) guardLogout(logout);
  window.fieldPrivacy = { saveDue, loadDue, forgetDue, forgetAll, registerWorker };
})();
