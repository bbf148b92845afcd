// The field page's service worker (scope /field): keeps the app shell so that /field
// opens without a network. Pages, static files, the base map's style and tiles are
// fetched from the network first and kept as they arrive; without a network the kept
// copy answers. API answers are never kept here, except the lists that hold no
// personal data (visit outcomes, case and demand categories); the due list is the page's
// business (field-privacy.js), and no tile layer but the public base map is kept.
// Logout deletes these caches (field-privacy.js, and Clear-Site-Data from the server).
"use strict";
const SHELL = "gisapp-field-shell-v1";
const PRECACHE = ["/field", "/static/css/app.css", "/static/css/field.css", "/static/js/common.js",
  "/static/js/field-store.js", "/static/js/field-queue.js", "/static/js/field-privacy.js",
  "/static/js/field-outbox.js", "/static/js/field-demand.js", "/static/js/field.js", "/vendor/leaflet/dist/leaflet.css",
  "/vendor/leaflet/dist/leaflet.js", "/api/visits/outcomes", "/api/case-categories",
  "/api/demand-categories"];
const KEPT_API = new Set(["/api/visits/outcomes", "/api/case-categories", "/api/demand-categories"]);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== SHELL).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

function kept(request) {
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return false;
  if (request.mode === "navigate") return url.pathname === "/field";
  return ["/static/", "/vendor/", "/styles/", "/tiles/base/"].some((p) => url.pathname.startsWith(p)) ||
    KEPT_API.has(url.pathname);
}

async function networkFirst(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    // A redirect (to /login) or an error is never kept as the shell.
    if (response.ok && !response.redirected) await cache.put(request, response.clone());
    return response;
  } catch (err) {
    const copy = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
    if (copy) return copy;
    throw err;
  }
}

self.addEventListener("fetch", (event) => {
  if (kept(event.request)) event.respondWith(networkFirst(event.request));
});
