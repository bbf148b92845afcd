// The field page (外勤): where am I, today's visits (list + map), log a visit (kept in
// the outbox until sent, see field-queue.js), report a case from where I stand.
// Positions come from the browser's Geolocation API, which gives WGS-84 (W3C), so the
// page sends crs=wgs84 as /report does; GCJ-02 comes only from Chinese map SDKs.
(function () {
  "use strict";
  const { api, el, KINDS } = window.gisapp;
  const queue = window.fieldQueue;
  const COLOURS = { red: "#d92d20", orange: "#f79009", yellow: "#eaaa08", blue: "#1570ef", green: "#12b76a" };
  const LEVELS = { microgrid: "微网格", grid: "网格", community: "社区" };
  const privacy = window.fieldPrivacy;
  const $ = (id) => document.getElementById(id);

  const state = { pos: null, me: null, due: [], outcomes: [], categories: [], target: null };
  // The last view seen online: the page reopened offline starts there, where the service
  // worker kept the base map's tiles (localStorage goes with everything else at logout).
  const VIEW_KEY = "gisapp-field-view";
  const lastView = (() => { try { return JSON.parse(localStorage.getItem(VIEW_KEY)); } catch (e) { return null; } })();
  const start = !navigator.onLine && lastView ? lastView : { lat: 38.95, lng: 121.55, zoom: 13 };
  const map = L.map("field-map", { zoomControl: true }).setView([start.lat, start.lng], start.zoom);
  map.on("moveend", () => {
    if (!navigator.onLine) return;
    const c = map.getCenter();
    try { localStorage.setItem(VIEW_KEY, JSON.stringify({ lat: c.lat, lng: c.lng, zoom: map.getZoom() })); } catch (e) { /* storage off */ }
  });
  const basemap = JSON.parse($("field-map").dataset.basemap || "null");
  if (basemap) L.tileLayer(basemap.url, { attribution: basemap.attribution || "",
                                          maxNativeZoom: basemap.maxNativeZoom || 18 }).addTo(map);
  const areaLayer = L.layerGroup().addTo(map);
  const homesLayer = L.layerGroup().addTo(map);
  const routeLayer = L.layerGroup().addTo(map);
  const markers = {};
  let meMarker = null;

  const crs = () => "wgs84";
  const metres = (m) => (m === null || m === undefined ? "" : m < 1000 ? `${Math.round(m)} 米` : `${(m / 1000).toFixed(1)} 公里`);
  const posQuery = () => new URLSearchParams(state.pos ? {
    lng: state.pos.lng, lat: state.pos.lat, crs: crs(), accuracy: Math.min(state.pos.accuracy || 0, 5000) } : {});

  // --- where am I ---------------------------------------------------------------------
  function locate() {
    state.routing = false;
    $("where-status").textContent = "正在获取位置…";
    if (!navigator.geolocation) { $("where-status").textContent = "浏览器不支持定位"; loadDue(); return; }
    navigator.geolocation.getCurrentPosition((p) => {
      state.pos = { lng: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy };
      refresh();
    }, (err) => {
      $("where-status").textContent = "无法获取位置（" + GEO_ERRORS[err.code] + "），走访列表按到期时间排序";
      loadDue();
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 });
  }

  const GEO_ERRORS = { 1: "未允许本页使用定位", 2: "暂时无法确定位置", 3: "定位超时" };
  // A failed request in words a worker reads: never the server's English.
  const failure = (err) => (err.status ? `服务器错误 ${err.status}` : "网络不可用");

  function refresh() {
    return Promise.all([whereAmI(), loadDue(), nearby()]);
  }

  async function whereAmI() {
    if (!state.pos) return;
    try {
      const r = await api("/api/locate?" + posQuery());
      const [lng, lat] = r.query.wgs84;
      placeMe([lat, lng]);
      fit();
      Object.entries(LEVELS).forEach(([key]) => {
        const a = r.areas[key];
        $("w-" + key).textContent = a ? `${a.name}（${a.code}）` : "—";
      });
      $("where-areas").hidden = false;
      $("where-status").textContent = `定位精度约 ${Math.round(state.pos.accuracy || 0)} 米` +
        (r.ambiguous ? "，位于网格边界附近" : "");
      showPeople(r.areas);
      drawArea(r.areas.grid || r.areas.microgrid);
    } catch (err) {
      $("where-status").textContent = err.status === 404 ? "当前位置不在任何网格内" : "定位查询失败（" + failure(err) + "）";
      $("where-areas").hidden = true;
      if (!err.status) {                // no network: the position is still known here
        placeMe([state.pos.lat, state.pos.lng]);
        fit();
      }
    }
  }

  function placeMe(latlng) {
    state.me = latlng;
    if (meMarker) meMarker.setLatLng(latlng);
    else meMarker = L.circleMarker(latlng, { radius: 8, color: "#fff", weight: 3, fillColor: "#1f6feb", fillOpacity: 1 })
      .bindTooltip("我的位置").addTo(map);
  }

  function showPeople(areas) {
    const rows = [];
    ["microgrid", "grid", "community"].forEach((key) => {
      const a = areas[key];
      if (!a) return;
      (a.on_duty || []).forEach((p) => rows.push(el("li", {}, `${LEVELS[key]} · ${p.role_zh || p.role}：${p.name} `,
        p.phone ? el("a", { href: "tel:" + p.phone }, p.phone) : "")));
      if (a.office) rows.push(el("li", { class: "muted" }, `${a.name}办公电话 `, el("a", { href: "tel:" + a.office.phone }, a.office.phone)));
    });
    const grid = areas.grid || areas.microgrid || {};
    const workers = (grid.on_duty || []).map((p) => `${p.role_zh || p.role} ${p.name}`).join("、");
    $("where-people").replaceChildren(el("details", {}, el("summary", {}, "负责人：" + (workers || "未登记")),
      el("ul", { class: "plain", id: "people" }, rows)));
  }

  async function drawArea(area) {
    if (!area) return;
    try {
      const f = await api(`/api/areas/${area.code}`);
      areaLayer.clearLayers();
      state.areaBounds = L.geoJSON(f, { style: { color: "#16324f", weight: 2, fillOpacity: 0.04, dashArray: "4 4" } })
        .addTo(areaLayer).getBounds();
      fit();
    } catch (e) { /* the boundary is a nicety; the list still works */ }
  }

  async function nearby() {
    if (!state.pos) return;
    try {
      const r = await api("/api/field/nearby?" + posQuery());
      $("nearby-count").textContent = `（${r.facilities.length}）`;
      $("nearby").replaceChildren(...(r.facilities.length ? r.facilities.map((f) => el("li", {},
        el("strong", {}, f.name), ` ${f.kind_zh} · ${metres(f.distance_m)}`,
        f.opening_hours ? el("span", { class: "muted" }, ` · ${f.opening_hours}`) : "")) : [el("li", { class: "muted" }, "附近没有登记的服务设施")]));
    } catch (e) { $("nearby").replaceChildren(el("li", { class: "muted" }, "暂时无法查询附近设施")); }
  }

  // --- today's visits ---------------------------------------------------------------
  async function loadDue() {
    try {
      const r = await api("/api/visits/due?" + posQuery());
      state.due = r.visits;
      state.dueFresh = true;         // renderDue counts what is left, as the list shows it
      await privacy.saveDue(r.visits).catch(() => null);
    } catch (err) {
      state.dueFresh = false;
      if (err.status === 401 || err.status === 403) {      // the session has ended: forget the list
        await privacy.forgetDue().catch(() => null);
        state.due = [];
        $("due-status").textContent = "登录已失效，请重新登录";
      } else if (err.status) {
        $("due-status").textContent = "名单加载失败（" + failure(err) + "）";
      } else {
        const cached = await privacy.loadDue().catch(() => null);
        state.due = cached || [];
        $("due-status").textContent = cached ? "网络不可用，显示上次加载的名单（离线名单只含楼栋和单元）"
          : "网络不可用，本机没有可用的名单";
      }
    }
    renderDue();
  }

  function label(h) {
    const where = [h.building, h.unit ? h.unit + "单元" : "", h.room ? h.room + "室" : ""].filter(Boolean).join(" ");
    return h.offline ? `${where} 住户编号 ${h.id}`.trim() : where || `住户 ${h.id}`;
  }

  function dueText(h) {
    if (h.overdue_days > 0) return el("span", { class: "badge overdue" }, `逾期 ${h.overdue_days} 天`);
    return el("span", { class: "badge" }, "今日到期");
  }

  // The summary of the list as it stands: visits logged since the load are no longer due.
  function dueSummary(list) {
    if (!state.due.length) return "今天没有需要走访的住户";
    if (!list.length) return "今日走访已全部完成";
    const overdue = list.filter((h) => h.overdue_days > 0).length;
    return `共 ${list.length} 户，其中逾期 ${overdue} 户；距离为直线距离`;
  }

  function renderDue() {
    const pending = new Set(queue.pending().map((q) => q.fields.household_id));
    const list = state.due.filter((h) => !pending.has(h.id) && !h.done);
    $("due-count").textContent = list.length;
    if (state.dueFresh) $("due-status").textContent = dueSummary(list);
    homesLayer.clearLayers();
    $("due-list").replaceChildren(...list.map((h) => {
      const colour = COLOURS[h.colour_key] || "#777";
      if (h.lat !== undefined) markers[h.id] = L.circleMarker([h.lat, h.lng], { radius: 9, color: "#fff", weight: 2, fillColor: colour, fillOpacity: 0.95 })
        .bindPopup(() => el("div", { class: "popup" }, el("strong", {}, label(h)), el("br"), h.head_name || "",
          el("br"), el("button", { type: "button", onclick: () => openVisit(h) }, "记录走访"),
          el("button", { type: "button", onclick: () => navigate(h) }, "导航")))
        .addTo(homesLayer);
      return el("li", { class: "due-item", "data-household-id": h.id, "data-colour": h.colour_key },
        el("span", { class: "stripe c-" + (h.colour_key || "none") }),
        el("div", { class: "due-body" },
          el("div", { class: "due-title" }, el("span", { class: "colour-name" }, h.colour_zh + "色"), " ", label(h)),
          el("div", { class: "muted" }, (h.head_name || "") + (h.tags.length ? " · " + h.tags.join("、") : "")),
          el("div", {}, dueText(h), " ", h.distance_m !== null ? el("span", { class: "distance" }, "约 " + metres(h.distance_m)) : ""),
          el("div", { class: "due-actions" },
            el("button", { type: "button", class: "primary", onclick: () => openVisit(h) }, "记录走访"),
            h.offline ? "" : el("button", { type: "button", onclick: () => navigate(h) }, "导航"),
            h.offline ? "" : el("button", { type: "button", onclick: () => showOnMap(h) }, "地图"))));
    }));
    state.visible = list;
    fit();
  }

  // Frame what matters: me and today's households; the grid only when there is neither.
  function fit() {
    if (state.routing) return;
    if (!navigator.onLine) {            // stay where the kept base map tiles are
      if (state.me && !map.getBounds().contains(state.me)) map.panTo(state.me, { animate: false });
      return;
    }
    const pts = (state.visible || []).filter((h) => h.lat !== undefined).map((h) => [h.lat, h.lng]).concat(state.me ? [state.me] : []);
    if (pts.length) map.fitBounds(L.latLngBounds(pts).pad(0.2), { maxZoom: 17, animate: false });
    else if (state.areaBounds) map.fitBounds(state.areaBounds, { animate: false });
  }

  function showOnMap(h) {
    state.routing = true;
    map.setView([h.lat, h.lng], 17);
    markers[h.id] && markers[h.id].openPopup();
    $("field-map").scrollIntoView({ behavior: "smooth", block: "center" });
  }

  // No walking network is available offline: show the straight line, its length and
  // direction on our map, and offer the phone's map app for the walking route.
  function navigate(h) {
    state.routing = true;             // keep the route framed while the list refreshes
    routeLayer.clearLayers();
    const dest = [h.lat, h.lng];
    if (state.me) {
      L.polyline([state.me, dest], { color: "#1f6feb", weight: 3, dashArray: "6 6" }).addTo(routeLayer);
      map.fitBounds(L.latLngBounds([state.me, dest]).pad(0.3));
    } else map.setView(dest, 17);
    const dist = state.me ? map.distance(state.me, dest) : null;
    const link = el("a", { href: `https://uri.amap.com/navigation?to=${h.gcj02[0]},${h.gcj02[1]},${encodeURIComponent(label(h))}&mode=walk&callnative=1`,
                           target: "_blank", rel: "noopener noreferrer" }, "用高德地图步行导航");
    L.popup().setLatLng(dest).setContent(el("div", {}, el("strong", {}, label(h)), el("br"),
      dist !== null ? `直线 ${metres(dist)}，方向${bearing(state.me, dest)}` : "未获取到我的位置", el("br"), link)).openOn(map);
    $("field-map").scrollIntoView({ behavior: "smooth", block: "center" });
  }

  function bearing(a, b) {
    const dy = b[0] - a[0], dx = (b[1] - a[1]) * Math.cos(a[0] * Math.PI / 180);
    const names = ["东", "东北", "北", "西北", "西", "西南", "南", "东南"];
    return names[Math.round(((Math.atan2(dy, dx) * 180 / Math.PI) + 360) % 360 / 45) % 8];
  }

  // --- logging a visit --------------------------------------------------------------
  function openVisit(h) {
    state.target = h;
    state.editing = null;
    const form = $("visit-form");
    form.reset();
    form.household_id.value = h.id;
    $("visit-target").textContent = `${h.colour_zh}色 · ${label(h)} ${h.head_name || ""}`;
    $("visit-result").textContent = "";
    $("visit-distance").className = "muted";
    $("visit-distance").textContent = h.distance_m !== null ? `您距离该户约 ${metres(h.distance_m)}（超过 100 米将提交复核）` : "未获取到位置，提交后将提交复核";
    updateCaseOffer();
    showVisitBox("提交走访");
  }

  // A refused entry from the outbox, back in the form: fix it and send it again.
  function editQueued(item) {
    state.editing = item;
    const form = $("visit-form");
    form.reset();
    form.household_id.value = item.fields.household_id;
    form.outcome.value = item.fields.outcome;
    form.note.value = item.fields.note || "";
    form.open_case.checked = !!item.fields.open_case;
    if (item.fields.open_case) form.case_category.value = item.fields.open_case.category;
    window.fieldDemand.restore(form, item.fields.demand);
    $("visit-target").textContent = item.label;
    $("visit-result").textContent = "";
    $("visit-distance").className = "refused";
    $("visit-distance").textContent = "未被接受的原因：" + item.reason + (item.photo ? "（不选新照片则保留原照片）" : "");
    updateCaseOffer();
    showVisitBox("重新发送");
  }

  function showPhotoName() {
    const file = $("visit-form").photo.files[0];
    $("photo-name").textContent = file ? `已选择：${file.name}` : (state.editing && state.editing.photo ? "保留原照片" : "未选择照片");
  }

  function showVisitBox(submitText) {
    showPhotoName();
    $("visit-submit").textContent = submitText;
    $("visit-box").hidden = false;
    $("visit-box").scrollIntoView({ behavior: "smooth" });
  }

  function updateCaseOffer() {
    const o = state.outcomes.find((x) => x.key === $("visit-form").outcome.value);
    $("case-offer").hidden = !(o && o.suggests_case);
    if (!o || !o.suggests_case) $("visit-form").open_case.checked = false;
    $("visit-form").case_category.disabled = !$("visit-form").open_case.checked;
    window.fieldDemand.update(o);
  }

  async function shrinkPhoto(file) {
    // A phone photo is several MB; 1280 px JPEG keeps it small enough to wait offline.
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1280 / Math.max(bitmap.width, bitmap.height));
    const canvas = el("canvas", { width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
  }

  function visitFields(form) {
    const editing = state.editing;
    const fields = { household_id: Number(form.household_id.value), outcome: form.outcome.value,
                     note: form.note.value.trim(),
                     visited_at: editing ? editing.fields.visited_at : new Date().toISOString() };
    if (state.pos) fields.location = { lng: state.pos.lng, lat: state.pos.lat, crs: crs(),
                                       accuracy: Math.min(state.pos.accuracy || 0, 5000) };
    else if (editing && editing.fields.location) fields.location = editing.fields.location;
    fields.open_case = form.open_case.checked ? { category: form.case_category.value, description: fields.note || null } : null;
    fields.demand = window.fieldDemand.fields(form);
    fields.satisfaction = form.satisfaction.value ? Number(form.satisfaction.value) : null;
    return fields;
  }

  async function submitVisit(ev) {
    ev.preventDefault();
    const form = ev.target;
    const fields = visitFields(form);
    const h = state.target;
    const problem = form.outcome.value ? window.fieldDemand.problem(form) : "请选择走访结果";
    if (problem) { $("visit-result").textContent = problem; return; }
    try {
      const photo = form.photo.files[0] ? await shrinkPhoto(form.photo.files[0]) : undefined;
      if (state.editing) {
        $("visit-box").hidden = true;
        flash("正在重新发送…");
        await queue.resend(state.editing.client_id, fields, photo);
        state.editing = null;
        return;
      }
      await queue.add(fields, photo || null, `${h.colour_zh}色 · ${label(h)}`);
    } catch (err) {
      $("visit-result").textContent = "无法保存走访记录：" + (err.name === "QuotaExceededError" ? "手机存储已满" : "本机存储不可用");
      return;
    }
    $("visit-box").hidden = true;
    renderDue();
    flash(navigator.onLine ? "正在提交走访…" : "网络不可用：走访已保存在本机，联网后自动发送");
    queue.flush();
  }

  function flash(text, ...more) {
    $("visit-result").textContent = text;
    const box = $("net-status");
    box.replaceChildren(text, ...more); box.hidden = false;
  }

  // A login that has ended (the server forgot the session): 401, or a CSRF refusal, since
  // without its session the page's token matches nothing. Logging in again keeps the outbox.
  const loginEnded = (status, body) => status === 401 ||
    (status === 403 && /CSRF/.test((body && body.message) || ""));
  const reloginLink = () => el("a", { href: "/login?next=/field" }, "重新登录");

  queue.onChange((items, event) => {
    window.fieldOutbox.render(items, editQueued);
    if (event.type === "sent") {
      const v = event.body.visit;
      flash(`走访已记录（编号 ${v.id}）` + (v.flagged_far ? `，距离该户 ${metres(v.distance_m)}，已提交复核` : "") +
            (v.case_id ? `，已上报案件 ${v.case_id}` : "") + window.fieldDemand.told(v));
      const h = state.due.find((x) => x.id === v.household_id);
      if (h && v.completes) h.done = true;
      renderDue();
    } else if (event.type === "rejected") {
      flash("走访未被接受：" + event.item.reason + "。记录仍保存在“待发送”中，可修改后重发");
      renderDue();
    } else if (event.type === "waiting" && loginEnded(event.status, event.body)) {
      flash("登录已失效：请", reloginLink(), "，待发送的走访会在登录后发送");
    } else if (event.type === "discarded") renderDue();
  });

  // --- report from where I stand ------------------------------------------------------
  let reportClientId = queue.newClientId("case");
  // Without a fix (indoors, or refused) a report is placed by a tap on the map. Only the
  // report: a visit's distance check needs the phone's own position.
  let reportMarker = null;
  map.on("click", (e) => {
    if (state.pos) return;
    state.reportAt = { lng: e.latlng.lng, lat: e.latlng.lat };
    if (reportMarker) reportMarker.setLatLng(e.latlng);
    else reportMarker = L.marker(e.latlng, { title: "上报位置", alt: "上报位置" }).addTo(map);
    $("report-result").textContent = `已在地图上选定上报位置（经度 ${e.latlng.lng.toFixed(6)}，纬度 ${e.latlng.lat.toFixed(6)}）`;
  });
  // A report as a multipart form: the position flat, the photos shrunk as a visit's are.
  async function reportData(form, cat, files) {
    const at = state.pos || state.reportAt;
    const data = new FormData();
    Object.entries({ kind: cat.kind, category: cat.key, description: form.description.value.trim(),
                     client_id: reportClientId, lng: at.lng, lat: at.lat, crs: crs() }).forEach(([k, v]) => data.set(k, v));
    if (state.pos) data.set("accuracy", Math.min(state.pos.accuracy || 0, 5000));
    for (const file of files) data.append("photos", await shrinkPhoto(file), "photo.jpg");
    return data;
  }
  async function submitReport(ev) {
    ev.preventDefault();
    const form = ev.target;
    if (!state.pos && !state.reportAt) {
      $("report-result").textContent = "尚未获取到位置：请点“重新定位”，或在上方地图上点选上报位置";
      return;
    }
    if (!form.description.value.trim()) { $("report-result").textContent = "请填写情况描述"; return; }
    const cat = state.categories.find((c) => c.key === form.category.value);
    const files = Array.from(form.photos.files);
    $("report-result").textContent = "正在上报…";
    try {
      const r = await api("/api/cases", { method: "POST", body: await reportData(form, cat, files) });
      $("report-result").replaceChildren(el("strong", {}, `已上报，案件编号 ${r.case.id}`),
        files.length ? `，含 ${files.length} 张照片` : "",
        r.case.area_path || r.case.area_name ? `，由 ${r.case.area_path || r.case.area_name} 负责` : "");
      reportClientId = queue.newClientId("case");
      form.reset();
      state.reportAt = null;                // the next report is placed afresh
      if (reportMarker) { reportMarker.remove(); reportMarker = null; }
    } catch (err) {
      $("report-result").replaceChildren(...(loginEnded(err.status, err.body)
        ? ["上报失败：登录已失效，请", reloginLink(), "后再上报"]
        : ["上报失败：" + (err.status ? window.gisapp.reason(err) : "网络异常，可直接重试，不会重复上报")]));
    }
  }

  function online() {
    const box = $("net-status");
    box.hidden = navigator.onLine;
    box.textContent = navigator.onLine ? "" : "网络已断开：走访记录会保存在本机，联网后自动发送";
    if (navigator.onLine) queue.flush().then((sent) => { if (sent.length) loadDue(); });
  }

  async function init() {
    const [outs, cats] = await Promise.all([api("/api/visits/outcomes"), api("/api/case-categories")]);
    state.outcomes = outs.outcomes;
    state.categories = cats.categories;
    // No outcome until the worker picks one: a default would record a hurried visit wrongly.
    $("visit-form").outcome.replaceChildren(el("option", { value: "" }, "请选择走访结果"),
      ...state.outcomes.map((o) => el("option", { value: o.key }, o.name_zh)));
    const options = () => state.categories.map((c) => el("option", { value: c.key }, `${c.name_zh}（${KINDS[c.kind]}）`));
    $("visit-form").case_category.replaceChildren(...options());
    $("report-here").category.replaceChildren(...options());
    await window.fieldDemand.init();
  }

  $("visit-form").outcome.addEventListener("change", updateCaseOffer);
  $("visit-form").addEventListener("submit", submitVisit);
  $("visit-cancel").addEventListener("click", () => { $("visit-box").hidden = true; });
  $("report-here").addEventListener("submit", submitReport);
  $("relocate").addEventListener("click", locate);
  window.addEventListener("online", online);
  window.addEventListener("offline", online);
  $("visit-form").open_case.addEventListener("change", updateCaseOffer);
  $("visit-form").record_demand.addEventListener("change", updateCaseOffer);
  $("visit-form").photo.addEventListener("change", showPhotoName);
  $("visit-form").addEventListener("reset", () => setTimeout(showPhotoName));
  privacy.registerWorker();
  queue.reload().then((items) => { window.fieldOutbox.render(items, editQueued); renderDue(); }).catch(() => null);
  init().catch((err) => { $("due-status").textContent = "加载失败（" + failure(err) + "）"; })
    .finally(() => { locate(); online(); });
})();
