// The field page's outbox. Every visit is first written to IndexedDB under its own
// client_id (its photo as a Blob), then sent. Only a success removes an entry:
// - no answer, a server error, 429, or a lost login/CSRF: it waits and is sent again
//   later (when the browser is back online, every 15 s, or on the next page load);
// - any other refusal (4xx): it stays, marked "refused" with the reason in Chinese,
//   until the worker edits and resends it or discards it by hand.
// The server stores a client_id once, so a visit sent twice (a retry, two tabs, a
// phone that died before clearing its outbox) is still recorded exactly once.
(function () {
  "use strict";
  const store = window.fieldStore;
  const listeners = [];
  let items = [];            // a mirror of the outbox, oldest first, for synchronous readers
  let running = null;
  // Entries are sent only in their author's session (a phone may change hands).
  const user = (document.getElementById("field-page") || { dataset: {} }).dataset.user || "";

  const byAge = (a, b) => (a.queued_at < b.queued_at ? -1 : a.queued_at > b.queued_at ? 1 : 0);
  async function reload() { items = (await store.all("outbox")).sort(byAge); return items; }
  const notify = (event) => listeners.forEach((fn) => fn(items, event));

  function newClientId(prefix) {
    const rnd = crypto.randomUUID ? crypto.randomUUID()
      : Date.now().toString(36) + Math.random().toString(36).slice(2, 12);
    return (prefix || "visit") + "-" + rnd;
  }

  // fields: what POST /api/visits takes; photo: an optional Blob (already shrunk);
  // label: how the outbox names the household to the worker.
  async function add(fields, photo, label) {
    const item = { client_id: fields.client_id || newClientId(), fields: { ...fields }, photo: photo || null,
                   label: label || "", user, queued_at: new Date().toISOString(), status: "waiting", reason: "" };
    item.fields.client_id = item.client_id;
    await store.put("outbox", item);       // throws when storage is full: the caller tells the user
    await reload();
    notify({ type: "queued", item });
    return item;
  }

  // Edit a refused entry and send it again (same client id: the server never stored it).
  async function resend(clientId, fields, photo) {
    const item = items.find((x) => x.client_id === clientId);
    if (!item) return null;
    const next = { ...item, fields: { ...item.fields, ...fields, client_id: clientId },
                   photo: photo === undefined ? item.photo : photo, status: "waiting", reason: "" };
    await store.put("outbox", next);
    await reload();
    notify({ type: "queued", item: next });
    return flush();
  }

  async function discard(clientId) {
    await store.del("outbox", clientId);
    await reload();
    notify({ type: "discarded", client_id: clientId });
  }

  function request(item, token) {
    const headers = { "X-CSRF-Token": token };
    if (!item.photo) {
      headers["Content-Type"] = "application/json";
      return fetch("/api/visits", { method: "POST", credentials: "same-origin", headers,
                                     body: JSON.stringify(item.fields) });
    }
    // A form cannot nest: location travels as JSON text, the case offer as two fields.
    const form = new FormData();
    Object.entries(item.fields).forEach(([k, v]) => {
      if (v === null || v === undefined) return;
      if (k === "open_case") {
        form.append("open_case_category", v.category);
        if (v.description) form.append("open_case_description", v.description);
      } else if (k === "demand") {
        form.append("demand_category", v.category);
        if (v.body) form.append("demand_body", v.body);
      } else if (k === "location") form.append(k, JSON.stringify(v));
      else form.append(k, v);
    });
    form.append("photo", item.photo, "visit.jpg");
    return fetch("/api/visits", { method: "POST", credentials: "same-origin", headers, body: form });
  }

  // Wait and retry: a server error, the rate limit, or a lost login/CSRF token (the
  // visit is fine; the worker must log in again). Any other 4xx is a refusal.
  const retryable = (status, body) => status >= 500 || status === 429 || status === 401 ||
    (status === 403 && /CSRF/.test((body && body.message) || ""));

  const FIELD_REASONS = {
    household_id: "住户编号无效", outcome: "走访结果无效，请重新选择", note: "情况记录过长（最多 4000 字）",
    location: "位置数据无效，请重新定位后再发送", crs: "位置数据无效，请重新定位后再发送",
    lng: "位置数据无效，请重新定位后再发送", lat: "位置数据无效，请重新定位后再发送",
    accuracy: "定位精度数据无效，请重新定位后再发送",
    visited_at: "走访时间超出可补录的 7 天，无法发送", photo: "照片必须是一张 JPEG、PNG 或 WebP 图片",
    photos: "照片必须是一张 JPEG、PNG 或 WebP 图片", open_case: "案件类别无效，请重新选择",
    client_id: "本机记录编号无效", demand: "民意诉求的类别或内容无效，请修改后重发",
  };
  const STATUS_REASONS = { 403: "您没有记录该走访的权限", 404: "该住户不存在或不在您的职责范围内",
                           409: "该记录编号已被他人使用，请删除后重新记录", 413: "照片太大，请换一张较小的照片" };

  // The reason a refusal gives, always in Chinese: the server's Chinese part if it has one.
  function reasonFor(status, body) {
    if (status === 413 || status === 409) return STATUS_REASONS[status];
    if (body && FIELD_REASONS[body.field]) return FIELD_REASONS[body.field];
    if (STATUS_REASONS[status]) return STATUS_REASONS[status];
    const chinese = ((body && body.message) || "").split(" (")[0];
    if (/[\u4e00-\u9fff]/.test(chinese)) return chinese;
    return `服务器拒绝了这条记录（错误 ${status}）`;
  }

  async function freshToken() {
    // The page may have been opened from the offline copy; ask for the session's token.
    const resp = await fetch("/api/csrf", { credentials: "same-origin" });
    return (await resp.json()).csrf_token;
  }

  async function sendOne(item, token) {
    const resp = await request(item, token);
    const body = await resp.json().catch(() => null);
    if (resp.ok) {
      await store.del("outbox", item.client_id);
      await reload();
      notify({ type: "sent", item, status: resp.status, body });
      return "sent";
    }
    if (retryable(resp.status, body)) {
      notify({ type: "waiting", item, status: resp.status, body });
      return "stop";
    }
    const refused = { ...item, status: "refused", reason: reasonFor(resp.status, body), refused_status: resp.status };
    await store.put("outbox", refused);
    await reload();
    notify({ type: "rejected", item: refused, status: resp.status, body });
    return "refused";
  }

  async function flushOnce() {
    await reload();
    const waiting = items.filter((x) => x.status !== "refused" && (x.user || user) === user);
    const results = [];
    if (!waiting.length) return results;
    let token;
    try { token = await freshToken(); } catch (e) { return results; }      // offline: keep them
    for (const item of waiting) {
      let outcome;
      try { outcome = await sendOne(item, token); } catch (e) { break; }   // cut off: keep the rest
      if (outcome === "stop") break;
      results.push({ item, outcome });
    }
    return results;
  }

  // One flush at a time in this page; callers that arrive meanwhile share its result.
  function flush() {
    if (!running) running = flushOnce().finally(() => { running = null; notify({ type: "idle" }); });
    return running;
  }

  window.addEventListener("online", () => { flush(); });
  setInterval(() => { if (navigator.onLine && items.some((x) => x.status !== "refused")) flush(); }, 15000);

  window.fieldQueue = { add, resend, discard, flush, reload, pending: () => items,
                        onChange: (fn) => listeners.push(fn), newClientId, reasonFor };
})();
