// The map wall's live side: the event stream (/api/events), a live overlay of changed
// cases, tile refreshes, the counters panel, the ticker, the clock and kiosk mode.
(function () {
  "use strict";
  const { api, el, STATES, KINDS } = window.gisapp;
  const wall = window.gisappWall;
  const root = document.getElementById("wall");
  const FINAL = ["closed", "evaluated", "cancelled"];
  const live = L.layerGroup().addTo(wall.map);
  const markers = new Map();
  wall.overlays["实时案件"] = live;

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
  function caseIcon(c) {
    const colour = wall.STATE_COLOURS[c.state] || "#fbbf24";
    const dot = el("span", { class: "dot", style: `background:${colour}` });
    const node = el("div", { "data-case-id": c.id, "data-state": c.state, title: `${c.category_zh} · ${STATES[c.state]}` }, dot);
    return L.divIcon({ className: "live-case", html: node, iconSize: null });
  }

  function showOnMap(c) {
    if (c.lat === null || c.lng === null) return;
    let marker = markers.get(c.id);
    if (FINAL.includes(c.state)) {           // finished: the tiles no longer show it either
      if (marker) { live.removeLayer(marker); markers.delete(c.id); }
      return;
    }
    if (!marker) {
      marker = L.marker([c.lat, c.lng], { icon: caseIcon(c), keyboard: false, zIndexOffset: 1000 });
      marker.on("click", () => wall.showCase(c.id));
      markers.set(c.id, marker);
      live.addLayer(marker);
    } else {
      marker.setIcon(caseIcon(c));
    }
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
      wall.refreshTiles(["district", "street", "community", "grid", "microgrid", "households", "choropleth"], tiles);
      tick("区域边界已更新", true);
    });
    source.addEventListener("resync", () => {
      // Events were missed (reconnected to another server process): reload what we show.
      wall.refreshTiles(Object.keys(wall.tileLayers), 0);
      soonCounters();
    });
  }

  // --- clock and kiosk ---------------------------------------------------------------------
  function clock() {
    const now = new Date();
    document.getElementById("wall-clock").textContent = now.toLocaleString("zh-CN", { hour12: false });
  }

  async function kiosk() {
    const seconds = Number(root.dataset.interval) || 30;
    const page = await api("/api/areas?level=district&limit=100&zoom=10");
    const districts = page.features.filter((f) => f.geometry);
    if (!districts.length) return;
    let i = 0;
    const show = () => {
      const f = districts[i % districts.length];
      wall.map.flyToBounds(L.geoJSON(f).getBounds(), { duration: 1.5, padding: [30, 30] });
      document.getElementById("wall-focus").textContent = `轮播：${f.properties.name}`;
      root.dataset.kioskIndex = String(i % districts.length);
      i += 1;
    };
    show();
    setInterval(show, seconds * 1000);
  }

  wall.ready.then(() => {
    L.control.layers(null, wall.overlays, { collapsed: false, position: "topright" }).addTo(wall.map);
    connect();
    refreshCounters().catch((err) => console.warn("counters:", err.message));
    setInterval(() => refreshCounters().catch(() => {}), 30000);
    setInterval(() => wall.loadHeat().catch(() => {}), 300000);
    setInterval(() => wall.loadChoropleth().catch(() => {}), 300000);
    clock();
    setInterval(clock, 1000);
    if (root.dataset.kiosk === "1") kiosk().catch((err) => console.warn("kiosk:", err.message));
  });
})();
