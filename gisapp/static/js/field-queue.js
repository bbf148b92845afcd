// The field page's outbox: every visit is first written to localStorage with its own
// client_id, then sent; if the network is down it stays there and is sent when the
// browser is back online (or on the next page load). The server stores a client_id
// once, so a visit sent twice (a retry, two tabs) is still recorded exactly once.
(function () {
  "use strict";
  const KEY = "gisapp.field.outbox.v1";
  const listeners = [];
  let running = null;

  const load = () => {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  };
  const save = (items) => localStorage.setItem(KEY, JSON.stringify(items));
  const notify = (event) => listeners.forEach((fn) => fn(load(), event));

  function newClientId() {
    const rnd = crypto.randomUUID ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
    return "visit-" + rnd;
  }

  // fields: what POST /api/visits takes; photo: an optional data: URL (already shrunk).
  function add(fields, photo) {
    const item = { client_id: fields.client_id || newClientId(), fields: { ...fields }, photo: photo || null,
                   queued_at: new Date().toISOString() };
    item.fields.client_id = item.client_id;
    const items = load();
    items.push(item);
    save(items);           // throws when storage is full: the caller tells the user
    notify({ type: "queued", item });
    return item;
  }

  function dataUrlToBlob(url) {
    const [head, b64] = url.split(",");
    const type = head.slice(5, head.indexOf(";"));
    const bytes = atob(b64);
    const buf = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) buf[i] = bytes.charCodeAt(i);
    return new Blob([buf], { type });
  }

  function request(item) {
    const headers = { "X-CSRF-Token": window.gisapp.csrf() };
    if (!item.photo) {
      headers["Content-Type"] = "application/json";
      return fetch("/api/visits", { method: "POST", credentials: "same-origin", headers,
                                     body: JSON.stringify(item.fields) });
    }
    const form = new FormData();
    Object.entries(item.fields).forEach(([k, v]) => {
      if (v === null || v === undefined) return;
      if (k === "open_case") {
        form.append("open_case_category", v.category);
        if (v.description) form.append("open_case_description", v.description);
      } else form.append(k, v);
    });
    form.append("photo", dataUrlToBlob(item.photo), "visit.jpg");
    return fetch("/api/visits", { method: "POST", credentials: "same-origin", headers, body: form });
  }

  // Retry later: no answer at all, a server or rate-limit error, or a lost login/CSRF
  // (the visit is fine; the person must log in again). Any other answer is final.
  const retryable = (status) => status >= 500 || status === 429 || status === 401 || status === 403;

  async function flushOnce() {
    const results = [];
    for (;;) {
      const item = load()[0];
      if (!item) break;
      let resp;
      try { resp = await request(item); } catch (e) { break; }      // offline: keep it
      if (retryable(resp.status)) break;
      const body = await resp.json().catch(() => null);
      save(load().filter((x) => x.client_id !== item.client_id));
      const result = { item, ok: resp.ok, status: resp.status, body };
      results.push(result);
      notify({ type: resp.ok ? "sent" : "rejected", ...result });
    }
    return results;
  }

  // One flush at a time in this page; callers that arrive meanwhile share its result.
  function flush() {
    if (!running) running = flushOnce().finally(() => { running = null; notify({ type: "idle" }); });
    return running;
  }

  window.addEventListener("online", () => { flush(); });
  setInterval(() => { if (navigator.onLine && load().length) flush(); }, 15000);

  window.fieldQueue = { add, flush, pending: load, onChange: (fn) => listeners.push(fn), newClientId };
})();
