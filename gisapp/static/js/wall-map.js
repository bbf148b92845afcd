// The map wall's map: vector tile layers from /tiles (boundaries of every level, cases,
// hazards, households, facilities), area labels by zoom, the case heat map, the
// choropleth of cases per 1,000 households, and details of whatever is clicked.
(function () {
  "use strict";
  const { api, el, STATES, KINDS, fmtTime } = window.gisapp;
  const root = document.getElementById("wall");
  const CITY = [[38.85, 121.45], [39.05, 121.80]];
  const STATE_COLOURS = {
    reported: "#fbbf24", registered: "#fb923c", dispatched: "#38bdf8", in_progress: "#3b82f6",
    escalated: "#c084fc", handled: "#4ade80", verified: "#34d399", closed: "#94a3b8",
    evaluated: "#94a3b8", cancelled: "#64748b",
  };
  const FIVE = ["#ef4444", "#f97316", "#eab308", "#3b82f6", "#22c55e"];
  const FIVE_NAMES = ["red", "orange", "yellow", "blue", "green"];
  const AREA_STYLE = {
    district: { color: "#7dd3fc", weight: 3.5 }, street: { color: "#a5b4fc", weight: 2.2 },
    community: { color: "#94a3b8", weight: 1.5 }, grid: { color: "#64748b", weight: 1 },
    microgrid: { color: "#475569", weight: 0.8, dashArray: "3 3" },
  };
  const LAYER_NAMES = {
    district: "区界", street: "街道", community: "社区", grid: "网格", microgrid: "微网格",
    cases: "在办案件", hazards: "安全隐患", households: "五色户（汇总）", facilities: "服务设施",
  };
  const ON_BY_DEFAULT = ["district", "street", "community", "grid", "cases"];
  // Which level's names to show at each zoom.
  const LABEL_LEVEL = (z) => (z <= 10 ? "district" : z <= 12 ? "street" : z <= 14 ? "community" : z <= 16 ? "grid" : "microgrid");
  const CHORO_BREAKS = [1, 3, 6, 10, 20];
  const CHORO_COLOURS = ["#12324f", "#1f5f8b", "#3b8bc2", "#f59e0b", "#ea580c", "#b91c1c"];

  const map = L.map("wall-map", { zoomControl: true, minZoom: 8, maxZoom: 19, zoomSnap: 0.5 });
  map.fitBounds(CITY);
  const tileLayers = {};
  const overlays = {};

  function basemap() {
    const cfg = JSON.parse(root.dataset.basemap || "null");
    if (!cfg) return;
    L.tileLayer(cfg.url, { attribution: cfg.attribution || "", maxNativeZoom: cfg.maxNativeZoom || 18,
                           className: "basemap" }).addTo(map);
  }

  function areaStyle(name) {
    const s = AREA_STYLE[name];
    return () => ({ color: s.color, weight: s.weight, dashArray: s.dashArray, opacity: 0.9,
                    fill: true, fillColor: s.color, fillOpacity: 0.02 });
  }

  function caseStyle(p) {
    if (p.cluster) {
      const r = Math.min(10 + Math.sqrt(p.count) * 3, 34);
      return { radius: r, fill: true, fillColor: p.overdue_count ? "#ef4444" : "#f59e0b",
               fillOpacity: 0.75, color: "#fff", weight: 2 };
    }
    return { radius: 8, fill: true, fillColor: STATE_COLOURS[p.state] || "#fbbf24", fillOpacity: 0.95,
             color: p.overdue ? "#ef4444" : "#0b1627", weight: p.overdue ? 4 : 2 };
  }

  function hazardStyle(p) {
    if (p.hazards !== undefined) {            // the public's counts per area
      return { radius: 8 + Math.sqrt(p.hazards) * 3, fill: true, fillColor: "#f97316", fillOpacity: 0.8, color: "#fff", weight: 1 };
    }
    const s = caseStyle(p);
    return Object.assign(s, { fillColor: p.cluster ? "#f97316" : "#fb923c", color: p.overdue ? "#ef4444" : "#fde68a" });
  }

  function householdStyle(p) {
    if (p.colour) {                              // an individual household (duty viewers only)
      return { radius: 5, fill: true, fillColor: FIVE[p.colour - 1], fillOpacity: 1, color: "#000", weight: 1 };
    }
    const worst = FIVE_NAMES.findIndex((k) => p[k] > 0);
    return { radius: Math.min(4 + Math.sqrt(p.households || 0) / 2, 26), fill: true,
             fillColor: worst >= 0 ? FIVE[worst] : "#64748b", fillOpacity: 0.55, color: "#e2e8f0", weight: 1 };
  }

  function facilityStyle(p) {
    return { radius: p.cluster ? 9 : 6, fill: true, fillColor: "#2dd4bf", fillOpacity: 0.9, color: "#042f2e", weight: 2 };
  }

  const STYLES = { cases: caseStyle, hazards: hazardStyle, households: householdStyle, facilities: facilityStyle };

  function makeLayer(info) {
    const style = info.kind === "area" ? areaStyle(info.name) : STYLES[info.name];
    const layer = L.vectorGrid.protobuf(`/tiles/${info.name}/{z}/{x}/{y}.pbf?g={g}`, {
      g: 0, rendererFactory: L.canvas.tile, interactive: true, minZoom: info.minzoom,
      maxNativeZoom: info.maxzoom, maxZoom: 19, vectorTileLayerStyles: { [info.name]: style },
      fetchOptions: { credentials: "same-origin" }, attribution: "",
    });
    layer.on("click", (e) => onFeatureClick(info, e.layer.properties || {}, e.latlng));
    return layer;
  }

  async function loadTileLayers() {
    const { layers } = await api("/tiles/layers.json");
    layers.forEach((info) => {
      const layer = makeLayer(info);
      tileLayers[info.name] = layer;
      overlays[LAYER_NAMES[info.name] || info.name] = layer;
      if (ON_BY_DEFAULT.includes(info.name)) layer.addTo(map);
    });
  }

  // --- labels: names of the areas of the level suited to the zoom, fetched for the view ---
  const labels = L.layerGroup().addTo(map);
  let labelRequest = null;

  function labelPoint(geometry) {
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity, best = null, bestArea = -1;
    const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    polys.forEach((poly) => {
      let a = 0, x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
      poly[0].forEach(([x, y]) => { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); });
      a = (x1 - x0) * (y1 - y0);
      if (a > bestArea) { bestArea = a; best = [(y0 + y1) / 2, (x0 + x1) / 2]; }
      minX = Math.min(minX, x0); maxX = Math.max(maxX, x1); minY = Math.min(minY, y0); maxY = Math.max(maxY, y1);
    });
    return best;
  }

  async function refreshLabels() {
    const z = Math.round(map.getZoom());
    const level = LABEL_LEVEL(z);
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    if (labelRequest) labelRequest.abort();
    labelRequest = new AbortController();
    try {
      const page = await api(`/api/areas?level=${level}&bbox=${bbox}&zoom=${Math.max(z - 3, 0)}&limit=400`,
                             { signal: labelRequest.signal });
      labels.clearLayers();
      page.features.forEach((f) => {
        const at = f.geometry && labelPoint(f.geometry);
        if (!at) return;
        const icon = L.divIcon({ className: `area-label level-${levelNumber(level)}`, html: el("span", {}, f.properties.name), iconSize: null });
        L.marker(at, { icon, interactive: false, keyboard: false }).addTo(labels);
      });
    } catch (err) {
      if (err.name !== "AbortError") console.warn("labels:", err.message);
    }
  }
  const levelNumber = (key) => ["district", "street", "community", "grid", "microgrid"].indexOf(key) + 1;

  // --- heat map of recent cases --------------------------------------------------------
  const heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 15, minOpacity: 0.35,
    gradient: { 0.3: "#1e3a8a", 0.5: "#0ea5e9", 0.7: "#fbbf24", 0.9: "#f97316", 1: "#ef4444" } });

  async function loadHeat() {
    const since = new Date(Date.now() - 30 * 86400e3).toISOString().slice(0, 10);
    const fc = await api(`/api/cases?format=geojson&from=${since}&limit=5000`);
    heat.setLatLngs(fc.features.map((f) => [f.geometry.coordinates[1], f.geometry.coordinates[0], 0.6]));
  }

  // --- choropleths per community: cases, and overdue five-colour visits, per 1,000 homes ---
  const choroClass = (v) => (v === null || v === undefined ? -1 : CHORO_BREAKS.findIndex((b) => v < b) === -1 ? CHORO_BREAKS.length : CHORO_BREAKS.findIndex((b) => v < b));
  function choroplethLayer(values) {
    const layer = L.vectorGrid.protobuf("/tiles/community/{z}/{x}/{y}.pbf?g={g}", {
      g: 0, rendererFactory: L.canvas.tile, interactive: true, minZoom: 10, maxNativeZoom: 18, maxZoom: 19,
      fetchOptions: { credentials: "same-origin" },
      vectorTileLayerStyles: { community: (p) => {
        const k = choroClass(values[p.code]);
        return { fill: true, fillColor: k < 0 ? "#1e293b" : CHORO_COLOURS[k], fillOpacity: 0.6, color: "#0b1627", weight: 1 };
      } },
    });
    layer.on("click", (e) => onFeatureClick({ name: "community", kind: "area" }, e.layer.properties || {}, e.latlng));
    return layer;
  }
  const casesPer1000 = {};
  const overduePer1000 = {};
  const choropleth = choroplethLayer(casesPer1000);
  const overdueChoropleth = choroplethLayer(overduePer1000);

  async function loadChoropleth() {
    const data = await api("/api/wall/choropleth?level=community&days=30");
    data.areas.forEach((a) => {
      casesPer1000[a.code] = a.per_1000;
      overduePer1000[a.code] = a.overdue_visits_per_1000;
    });
    root.dataset.choroplethAreas = String(data.areas.length);   // what this viewer may see
    root.dataset.overdueVisits = String(data.areas.reduce((n, a) => n + (Number.isInteger(a.overdue_visits) ? a.overdue_visits : 0), 0));
    choropleth.redraw();
    overdueChoropleth.redraw();
  }

  // --- legend -----------------------------------------------------------------------------
  function legend() {
    const items = [
      ...["reported", "dispatched", "in_progress", "escalated", "handled"].map((s) =>
        el("li", {}, el("span", { class: "swatch", style: `background:${STATE_COLOURS[s]}` }), `案件 · ${STATES[s]}`)),
      el("li", {}, el("span", { class: "swatch", style: "background:#0b1627;border:3px solid #ef4444" }), "超期案件"),
      el("li", {}, el("span", { class: "swatch", style: "background:#f59e0b;border:2px solid #fff" }), "案件聚合（数字为件数）"),
      el("li", {}, el("span", { class: "swatch", style: "background:#f97316" }), "安全隐患"),
      ...FIVE.map((c, i) => el("li", {}, el("span", { class: "swatch", style: `background:${c}` }), `${"红橙黄蓝绿"[i]}色户`)),
      el("li", {}, el("span", { class: "swatch", style: "background:#2dd4bf" }), "服务设施"),
      el("li", {}, el("span", { class: "swatch square", style: `background:linear-gradient(90deg,${CHORO_COLOURS.join(",")})` }),
         `每千户案件数（近30天）：<${CHORO_BREAKS[0]} … ≥${CHORO_BREAKS[CHORO_BREAKS.length - 1]}`),
      el("li", { class: "note" }, "每千户超期走访：走访记录上线后提供"),
    ];
    document.getElementById("wall-legend").replaceChildren(...items);
  }

  // --- details of a clicked feature --------------------------------------------------------
  function showDetail(title, rows) {
    document.getElementById("detail-title").textContent = title;
    document.getElementById("detail-body").replaceChildren(
      ...rows.filter(([, v]) => v !== null && v !== undefined && v !== "").flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    document.getElementById("wall-detail").hidden = false;
  }

  async function showCase(id) {
    try {
      const c = await api(`/api/cases/${id}`);
      showDetail(`案件 ${c.id} · ${c.category_zh}`, [
        ["状态", STATES[c.state] || c.state], ["类型", KINDS[c.kind]], ["区域", `${c.area_name || "未分派"} ${c.area_code || ""}`],
        ["上报时间", fmtTime(c.reported_at)], ["处理人", c.assignee || c.department], ["期限", fmtTime(c.deadline_at)],
        ["超期", c.overdue ? "是" : "否"], ["描述", c.description]]);
    } catch (err) {
      showDetail(`案件 ${id}`, [["提示", err.status === 404 ? "无权查看或不存在" : err.message]]);
    }
  }

  async function showArea(code) {
    const f = await api(`/api/areas/${code}`);
    const p = f.properties;
    const colours = p.colour_counts || p.colours;
    showDetail(`${p.level_zh || ""} ${p.name}`, [
      ["编码", p.code], ["户数", p.households],
      ["五色户", colours && !Object.keys(colours).length ? "社区以下不公开分色户数" : colours ? (Array.isArray(colours) ? colours : FIVE_NAMES.map((k) => colours[k])).map((n, i) => `${"红橙黄蓝绿"[i]}${n}`).join(" ") : null],
      ["办公室", p.office && p.office.name], ["电话", p.office && p.office.phone],
      ["在岗人员", (p.on_duty || []).map((d) => `${d.role_zh || d.role} ${d.name || ""}`).join("，")]]);
  }

  function onFeatureClick(info, p, latlng) {
    if (p.cluster) { map.setView(latlng, Math.min(map.getZoom() + 2, 18)); return; }
    if ((info.name === "cases" || info.name === "hazards") && p.id) showCase(p.id);
    else if (p.code) showArea(p.code);
    else if (info.name === "facilities" && p.name) showDetail(p.name, [["类型", p.kind_zh]]);
  }

  // --- invalidation from live events: reload the tiles of the affected layers --------------
  const pending = new Set();
  let redrawTimer = null;
  function refreshTiles(names, generation) {
    names.forEach((n) => pending.add(n));
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(() => {
      pending.forEach((n) => {
        const layer = n === "choropleth" ? choropleth : n === "overdue" ? overdueChoropleth : tileLayers[n];
        if (!layer) return;
        layer.options.g = Math.max(layer.options.g || 0, generation || 0);
        if (map.hasLayer(layer)) layer.redraw();
      });
      pending.clear();
    }, 250);
  }

  // Frame the districts we have (the demo may hold one district, the city ten).
  async function frameDistricts() {
    const page = await api("/api/areas?level=district&limit=100&zoom=8");
    const shapes = L.geoJSON(page.features.filter((f) => f.geometry));
    if (shapes.getLayers().length) map.fitBounds(shapes.getBounds(), { padding: [20, 20] });
  }

  async function start() {
    basemap();
    await frameDistricts().catch((err) => console.warn("districts:", err.message));
    legend();
    await loadTileLayers();
    overlays["案件热力（近30天）"] = heat;
    overlays["每千户案件数（社区）"] = choropleth;
    overlays["每千户逾期走访（社区）"] = overdueChoropleth;
    map.on("moveend", refreshLabels);
    refreshLabels();
    loadHeat().catch((err) => console.warn("heat:", err.message));
    loadChoropleth().catch((err) => console.warn("choropleth:", err.message));
    root.dataset.ready = "1";
  }

  window.gisappWall = { map, tileLayers, overlays, refreshTiles, showCase, showArea, STATE_COLOURS,
                        loadHeat, loadChoropleth, ready: start() };
})();
