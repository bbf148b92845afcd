// The map wall's live side: the event stream (/api/events), a live overlay of changed
// cases, tile refreshes, the counters panel, the ticker, the clock and kiosk mode.
(function () {
  "use strict";
  const { api, el, STATES, KINDS } = window.gisapp;
  const wall = window.gisappWall;
  const root = document.getElementById("wall");
  const FINAL = ["closed", "evaluated", "cancelled"];
  const markers = new Map();
  let liveOn = true;

  // --- counters ------------------------------------------------------------------------
  const setText = (id, v) => { document.getElementById(id).textContent = v ?? "—"; };

  async function refreshCounters() {
    const s = await api("/api/wall/summary");
    setText("c-active", s.active);
    setText("c-overdue", s.overdue);
    setText("c-reported", s.reported_today);
    setText("c-closed", s.closed_today);
    setText("c-red-due", s.red_visits.due);
    setText("c-red-done", s.red_visits.done ?? "—");
    setText("c-red-note", s.red_visits.note || "");
    const order = ["reported", "registered", "dispatched", "in_progress", "escalated", "handled", "verified"];
    document.getElementById("c-states").replaceChildren(...order.map((st) =>
      el("li", {}, el("span", { class: "swatch", style: `background:${wall.STATE_COLOURS[st]}` }),
         STATES[st], el("span", { class: "n" }, s.active_by_state[st] || 0))));
  }
  let counterTimer = null;
  const soonCounters = () => { clearTimeout(counterTimer); counterTimer = setTimeout(() => refreshCounters().catch(() => {}), 400); };

  // --- the live overlay: one DOM marker per changed case, coloured by state --------------
  function caseNode(c) {
    const colour = wall.STATE_COLOURS[c.state] || "#fbbf24";
    return el("button", { type: "button", class: "live-case", "data-case-id": c.id, "data-state": c.state,
                          "aria-label": `案件 ${c.id} ${c.category_zh} · ${STATES[c.state]}` },
              el("span", { class: "dot", style: `background:${colour}` }));
  }

  function showOnMap(c) {
    if (c.lat === null || c.lng === null) return;
    const old = markers.get(c.id);
    if (old) { old.remove(); markers.delete(c.id); }
    if (FINAL.includes(c.state)) return;        // finished: the tiles no longer show it either
    const node = caseNode(c);
    node.addEventListener("click", (e) => { e.stopPropagation(); wall.showCase(c.id); });
    const marker = new maplibregl.Marker({ element: node }).setLngLat([c.lng, c.lat]);
    if (liveOn && wall.map) marker.addTo(wall.map);
    markers.set(c.id, marker);
  }

  function toggleLive(on) {
    liveOn = on;
    markers.forEach((m) => (on && wall.map ? m.addTo(wall.map) : m.remove()));
  }

  // --- the ticker ----------------------------------------------------------------------
  function tick(text, fresh) {
    const list = document.getElementById("ticker-list");
    list.querySelectorAll(".quiet").forEach((n) => n.remove());
    list.querySelectorAll(".fresh").forEach((n) => n.classList.remove("fresh"));
    const time = new Date().toLocaleTimeString("zh-CN", { hour12: false });
    list.prepend(el("li", { class: fresh ? "fresh" : "" }, `${time} ${text}`));
    while (list.children.length > 12) list.lastChild.remove();
  }

  // --- the stream ------------------------------------------------------------------------
  function connect() {
    const badge = document.getElementById("wall-live");
    const source = new EventSource("/api/events");
    source.onopen = () => {
      badge.textContent = "实时"; badge.className = "live live-on";
      root.dataset.live = "1";
    };
    source.onerror = () => { badge.textContent = "重连中…"; badge.className = "live live-off"; };
    source.addEventListener("case", (e) => {
      const { case: c, tiles } = JSON.parse(e.data);
      showOnMap(c);
      wall.refreshTiles(c.kind === "hazard" ? ["cases", "hazards"] : ["cases"], tiles);
      tick(`【${KINDS[c.kind] || ""}】${c.category_zh} · ${STATES[c.state] || c.state} · ${c.area_name || "未分派区域"}`, true);
      soonCounters();
    });
    source.addEventListener("boundaries", (e) => {
      const { tiles } = JSON.parse(e.data);
      // The counts per area too: a retired area must not keep its outline and number.
      wall.refreshTiles(["district", "street", "community", "grid", "microgrid", "households",
                         "choropleth", "case_areas"], tiles);
      wall.loadChoropleth().catch(() => {});            // new areas' feature state
      tick("区域边界已更新", true);
    });
    // A bulk load (one event for many rows), or events this page can no longer replay:
    // reload what we show.
    const reload = (e) => {
      const { tiles } = e.data ? JSON.parse(e.data) : {};
      wall.refreshTiles(["cases", "households", "facilities"], tiles || 0);
      soonCounters();
    };
    source.addEventListener("bulk", reload);
    source.addEventListener("resync", reload);
  }

  // --- clock and kiosk ---------------------------------------------------------------------
  // Formatted by hand: the first toLocaleString("zh-CN") loads the locale's data, ~0.2 s
  // of the main thread while the map starts (profiled in docs/wall.md, "Cold start").
  const pad = (n) => String(n).padStart(2, "0");
  function clock() {
    const d = new Date();
    document.getElementById("wall-clock").textContent = `${d.getFullYear()}/${d.getMonth() + 1}/` +
      `${d.getDate()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  async function kiosk() {
    const seconds = Number(root.dataset.interval) || 30;
    const page = await api("/api/areas?level=district&limit=100&zoom=10");
    const districts = page.features.filter((f) => f.geometry);
    if (!districts.length) return;
    let i = 0;
    const show = () => {
      const f = districts[i % districts.length];
      wall.map.fitBounds(bounds(f.geometry), { duration: 1500, padding: 30 });
      document.getElementById("wall-focus").textContent = `轮播：${f.properties.name}`;
      root.dataset.kioskIndex = String(i % districts.length);
      i += 1;
    };
    show();
    setInterval(show, seconds * 1000);
  }

  function bounds(geometry) {
    const b = new maplibregl.LngLatBounds();
    const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    polys.forEach((poly) => poly[0].forEach((pt) => b.extend(pt)));
    return b;
  }

  function liveSwitch() {
    const input = el("input", { type: "checkbox", id: "layer-live" });
    input.checked = true;
    input.addEventListener("change", () => toggleLive(input.checked));
    document.getElementById("wall-layers").append(el("label", { for: "layer-live" }, input, "实时案件"));
  }

  // The stream and the clock start at once, the counters once the map is drawn (their
  // query would compete with the first tiles for the server and a browser connection);
  // the map joins the stream once it is drawn.
  liveSwitch();
  connect();
  wall.ready.finally(() => refreshCounters().catch((err) => console.warn("counters:", err.message)));
  setInterval(() => refreshCounters().catch(() => {}), 30000);
  clock();
  setInterval(clock, 1000);
  root.addEventListener("gisapp:map", () => {              // cases that came before the map
    if (liveOn) markers.forEach((m) => m.addTo(wall.map));
  });
  wall.ready.then(() => {
    setInterval(() => { if (root.dataset.group_heat === "1") wall.loadHeat().catch(() => {}); }, 300000);
    setInterval(() => wall.loadChoropleth().catch(() => {}), 300000);
    if (root.dataset.kiosk === "1") kiosk().catch((err) => console.warn("kiosk:", err.message));
  });
})();
