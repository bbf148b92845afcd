// The map wall's map, drawn by MapLibre GL JS from one style file (static/wall/style.json):
// boundaries, cases counted per district/street/community at the city view, clusters and
// single cases closer in, hazards, five-colour households, facilities, a heat map and
// choropleths per 1,000 households; and the details of whatever is clicked.
(function () {
  "use strict";
  const { api, el, STATES, KINDS, fmtTime } = window.gisapp;
  const root = document.getElementById("wall");
  const STATE_COLOURS = {
    reported: "#fbbf24", registered: "#fb923c", dispatched: "#38bdf8", in_progress: "#3b82f6",
    escalated: "#c084fc", handled: "#4ade80", verified: "#34d399", closed: "#94a3b8",
    evaluated: "#94a3b8", cancelled: "#64748b",
  };
  const FIVE = ["#ef4444", "#f97316", "#eab308", "#3b82f6", "#22c55e"];
  const FIVE_KEYS = ["red", "orange", "yellow", "blue", "green"];
  const AREA_RAMP = ["#15304f", "#1f5f8b", "#3b8bc2", "#d97706", "#ea580c", "#b91c1c"];
  const PER1000_RAMP = ["#12324f", "#1f5f8b", "#3b8bc2", "#f59e0b", "#ea580c", "#b91c1c"];
  // Layer groups the viewer can switch (style layers carry metadata "gisapp:group").
  const GROUPS = [
    ["case_areas", "案件汇总（区/街道/社区）", true], ["cases", "在办案件", true],
    ["hazards", "安全隐患", false], ["households", "五色户（汇总）", false],
    ["facilities", "服务设施", true], ["heat", "案件热力（近30天）", false],
    ["choro_cases", "每千户案件数（社区）", false], ["choro_visits", "每千户逾期走访（社区）", false],
    ["choro_score", "综合考核得分（社区，本月）", false],
  ];
  // Clickable layers, the topmost first.
  const CLICKABLE = ["case-points", "case-clusters", "hazards", "facilities", "households",
                     "case-areas-label", "case-areas-fill"];
  const SOURCES_OF = { cases: ["cases", "hazards", "case_areas"], choropleth: ["community"] };

  maplibregl.setWorkerUrl(root.dataset.worker);
  maplibregl.prewarm();                  // fetch and start the workers while the style loads

  // MapLibre's workers need absolute tile URLs ({z}/{x}/{y} kept as they are).
  const absolute = (url) => (url.startsWith("/") ? location.origin + url : url);

  // The dark vector base map under the wall's layers: its sources, and its layers after
  // our background. Its place names give way to the case counts (which name the areas)
  // up to z15.
  function underlay(style, base) {
    Object.assign(style.sources, base.sources);
    const layers = base.layers.filter((l) => l.type !== "background").map((l) =>
      (l.id.startsWith("place-") ? { ...l, minzoom: Math.max(l.minzoom || 0, 15) } : l));
    style.layers.splice(1, 0, ...layers);
  }

  // The wall's style and the base map's come in the page (no round trip before the map
  // starts), with the layer switches' first state already applied: a layer switched off
  // at start never has its tiles requested or laid out.
  function loadStyle() {
    const { wall: style, base } = JSON.parse(document.getElementById("wall-styles").textContent);
    if (base) underlay(style, base);
    const off = new Set(GROUPS.filter(([, , on]) => !on).map(([group]) => group));
    style.layers.filter((l) => off.has((l.metadata || {})["gisapp:group"]))
      .forEach((l) => { l.layout = { ...l.layout, visibility: "none" }; });
    Object.values(style.sources).forEach((s) => {
      if (s.tiles) s.tiles = s.tiles.map(absolute);
    });
    const raster = JSON.parse(root.dataset.basemap || "null");
    if (raster) {                  // a configured or offline raster base map, under everything
      style.sources.basemap = { type: "raster", tiles: [raster.url], tileSize: 256,
                                maxzoom: raster.maxNativeZoom || 18, attribution: raster.attribution || "" };
      style.layers.splice(1, 0, { id: "basemap", type: "raster", source: "basemap" });
    }
    return style;
  }

  function firstView() {
    const e = JSON.parse(root.dataset.extent || "null");
    // Room on the right for the layer switches drawn over the map.
    return e ? { bounds: [[e[0], e[1]], [e[2], e[3]]],
                 fitBoundsOptions: { padding: { top: 20, bottom: 20, left: 20, right: 300 } } }
             : { center: [121.62, 38.95], zoom: 11 };
  }

  // Five-colour markers drawn here, so no sprite sheet has to be fetched; "five-0" (grey)
  // marks an aggregate whose colours this viewer may not see (small numbers).
  function addImages(map) {
    ["#94a3b8", ...FIVE].forEach((colour, i) => {
      const size = 28, c = document.createElement("canvas");
      c.width = c.height = size;
      const g = c.getContext("2d");
      g.beginPath(); g.arc(size / 2, size / 2, size / 2 - 3, 0, 2 * Math.PI);
      g.fillStyle = colour; g.globalAlpha = 0.85; g.fill();
      g.globalAlpha = 1; g.lineWidth = 2; g.strokeStyle = "#e2e8f0"; g.stroke();
      map.addImage(`five-${i}`, g.getImageData(0, 0, size, size), { pixelRatio: 2 });
    });
  }

  // --- layer switches ----------------------------------------------------------------------
  const layersOf = (map, group) => map.getStyle().layers
    .filter((l) => (l.metadata || {})["gisapp:group"] === group).map((l) => l.id);

  function setGroup(map, group, on) {
    if (group === "heat") { if (on) loadHeat().catch((err) => console.warn("heat:", err.message)); }
    if (group === "choro_score" && on) loadScores().catch((err) => console.warn("scores:", err.message));
    layersOf(map, group).forEach((id) => map.setLayoutProperty(id, "visibility", on ? "visible" : "none"));
    root.dataset[`group_${group}`] = on ? "1" : "0";
  }

  function switches(map) {
    const box = document.getElementById("wall-layers");
    GROUPS.forEach(([group, label, on]) => {
      const input = el("input", { type: "checkbox", id: `layer-${group}`, "data-group": group });
      input.checked = on;
      input.addEventListener("change", () => setGroup(map, group, input.checked));
      box.append(el("label", { for: `layer-${group}` }, input, label));
      if (!on) setGroup(map, group, false);
    });
  }

  // --- heat map and choropleths ------------------------------------------------------------
  let map = null;

  async function loadHeat() {
    const since = new Date(Date.now() - 30 * 86400e3).toISOString().slice(0, 10);
    const fc = await api(`/api/cases?format=geojson&from=${since}&limit=5000`);
    if (map.getSource("heat")) { map.getSource("heat").setData(fc); return; }
    map.addSource("heat", { type: "geojson", data: fc });
    map.addLayer({ id: "heat", type: "heatmap", source: "heat", maxzoom: 16,
      metadata: { "gisapp:group": "heat" },
      paint: { "heatmap-radius": 22, "heatmap-opacity": 0.7, "heatmap-color": ["interpolate", ["linear"],
        ["heatmap-density"], 0, "rgba(0,0,0,0)", 0.3, "#1e3a8a", 0.5, "#0ea5e9", 0.7, "#fbbf24",
        0.9, "#f97316", 1, "#ef4444"] } }, "district-line");
  }

  async function loadChoropleth() {
    const data = await api("/api/wall/choropleth?level=community&days=30");
    data.areas.forEach((a) => map.setFeatureState({ source: "community", sourceLayer: "community", id: a.code },
      { cases: a.per_1000, visits: a.overdue_visits_per_1000 }));
    root.dataset.choroplethAreas = String(data.areas.length);   // what this viewer may see
    root.dataset.overdueVisits = String(data.areas.reduce((n, a) => n + (Number.isInteger(a.overdue_visits) ? a.overdue_visits : 0), 0));
  }

  // The assessment's community scores of this month (gisapp/assessment), fetched when shown.
  async function loadScores() {
    const data = await api("/api/assessment/choropleth");
    data.areas.forEach((a) => map.setFeatureState({ source: "community", sourceLayer: "community", id: a.code },
      { score: a.score === null ? -1 : a.score }));
    root.dataset.scoreAreas = String(data.areas.length);
  }

  // --- legend ----------------------------------------------------------------------------------
  const swatch = (style, text) => el("li", {}, el("span", { class: "swatch", style }), text);
  const ramp = (colours, text) => el("li", { class: "wide" }, el("span", { class: "swatch square",
    style: `background:linear-gradient(90deg,${colours.join(",")})` }), text);

  function legend() {
    document.getElementById("wall-legend").replaceChildren(
      ramp(AREA_RAMP, "在办案件数（按区/街道/社区，数字为件数）"),
      ...["reported", "registered", "dispatched", "in_progress", "escalated", "handled"].map((s) =>
        swatch(`background:${STATE_COLOURS[s]}`, `案件 · ${STATES[s]}`)),
      swatch("background:#0b1627;border:3px solid #ef4444", "超期案件"),
      swatch("background:#d97706;border:2px solid #fff", "案件聚合"),
      swatch("background:#dc2626;border:2px solid #fff", "聚合含超期"),
      swatch("background:#f97316", "安全隐患"),
      el("li", { class: "wide" }, ...FIVE.map((c) => el("span", { class: "swatch", style: `background:${c}` })),
         "五色户（红橙黄蓝绿，数字为户数）"),
      swatch("background:#2dd4bf", "服务设施"),
      ramp(PER1000_RAMP, "每千户案件数 / 逾期走访（社区，近30天）"),
      ramp(["#b91c1c", "#ea580c", "#f59e0b", "#3b8bc2", "#16a34a"], "综合考核得分（<60 至 ≥90）"));
  }

  // --- details of a clicked feature ------------------------------------------------------------
  function showDetail(title, rows) {
    document.getElementById("detail-title").textContent = title;
    document.getElementById("detail-body").replaceChildren(...rows
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    document.getElementById("wall-detail").hidden = false;
  }

  async function showCase(id) {
    try {
      const c = await api(`/api/cases/${id}`);
      showDetail(`案件 ${c.id} · ${c.category_zh}`, [
        ["状态", STATES[c.state] || c.state], ["类型", KINDS[c.kind]],
        ["区域", c.area_path || `${c.area_name || "未分派"} ${c.area_code || ""}`],
        ["上报时间", fmtTime(c.reported_at)], ["处理人", c.assignee || c.department],
        ["期限", fmtTime(c.deadline_at)], ["超期", c.overdue ? "是" : "否"], ["描述", c.description]]);
    } catch (err) {
      showDetail(`案件 ${id}`, [["提示", err.status === 404 ? "无权查看或不存在" : err.message]]);
    }
  }

  async function showArea(code, extra) {
    const p = (await api(`/api/areas/${code}`)).properties;
    const colours = p.colour_counts || p.colours;
    const five = colours && (Array.isArray(colours) ? colours : FIVE_KEYS.map((k) => colours[k]));
    showDetail(`${p.level_zh || ""} ${p.name}`, [
      ...(extra || []), ["编码", p.code], ["户数", p.households],
      // An empty breakdown: no colours below the community for a screen without a duty.
      ["五色户", colours && !Object.keys(colours).length ? "社区以下不公开分色户数"
        : five ? five.map((n, i) => `${"红橙黄蓝绿"[i]}${n}`).join(" ") : null],
      ["办公室", p.office && p.office.name], ["电话", p.office && p.office.phone],
      ["在岗人员", (p.on_duty || []).map((d) => `${d.role_zh || d.role} ${d.name || ""}`).join("，")]]);
  }

  async function showFacility(id) {
    const { facility: f } = await api(`/api/facilities/${id}`);
    showDetail(`服务设施 · ${f.name}`, [["类型", f.kind_name], ["地址", f.address], ["电话", f.phone],
      ["容量", f.capacity], ["开放时间", f.opening_hours], ["所在区域", f.area_name]]);
  }

  function onFeature(f, at) {
    const p = f.properties, layer = f.layer.id;
    if (p.cluster) { map.easeTo({ center: at, zoom: Math.min(map.getZoom() + 2, 18) }); return; }
    if (layer === "case-points" || layer === "hazards") showCase(p.id);
    else if (layer === "facilities") showFacility(p.id);
    else if (layer.startsWith("case-areas")) showArea(p.code, [["在办案件", p.cases], ["超期", p.overdue]]);
    else if (layer === "households" && p.code) showArea(p.code);
  }

  function onClick(e) {
    const box = [[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]];
    const layers = CLICKABLE.filter((id) => map.getLayer(id));
    const hits = map.queryRenderedFeatures(box, { layers });
    hits.sort((a, b) => CLICKABLE.indexOf(a.layer.id) - CLICKABLE.indexOf(b.layer.id));
    if (hits.length) onFeature(hits[0], e.lngLat);
  }

  // --- invalidation from live events: reload the tiles of the affected sources ---------------
  const pending = new Set();
  let redrawTimer = null, generation = 0;
  function refreshTiles(names, gen) {
    if (!map) return;                     // not drawn yet: it will load the current tiles
    names.flatMap((n) => SOURCES_OF[n] || [n]).forEach((n) => pending.add(n));
    generation = Math.max(generation, gen || 0);
    clearTimeout(redrawTimer);
    redrawTimer = setTimeout(() => {
      pending.forEach((n) => {
        const source = map.getSource(n);
        if (source && source.setTiles) source.setTiles([absolute(`/tiles/${n}/{z}/{x}/{y}.pbf?g=${generation}`)]);
      });
      pending.clear();
    }, 250);
  }

  async function start() {
    const style = loadStyle();
    // fadeDuration 0: labels appear at once; fading them in cost a wall that starts
    // 300 ms of frames drawn in software before the map was idle.
    map = new maplibregl.Map({ container: "wall-canvas", style, ...firstView(), minZoom: 7, maxZoom: 19,
      fadeDuration: 0, attributionControl: false,
      localIdeographFontFamily: "'WenQuanYi Zen Hei', 'Noto Sans CJK SC', sans-serif" });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-right");
    window.gisappWall.map = map;
    root.dispatchEvent(new Event("gisapp:map"));       // markers waiting for a map may join
    addImages(map);
    await new Promise((resolve) => (map.loaded() ? resolve() : map.once("load", resolve)));
    switches(map);
    legend();
    map.on("click", onClick);
    map.on("mousemove", (e) => {
      const layers = CLICKABLE.filter((id) => map.getLayer(id));
      map.getCanvas().style.cursor = map.queryRenderedFeatures(e.point, { layers }).length ? "pointer" : "";
    });
    document.getElementById("detail-close").addEventListener("click", () => {
      document.getElementById("wall-detail").hidden = true;
    });
    loadChoropleth().catch((err) => console.warn("choropleth:", err.message));
    root.dataset.ready = "1";
  }

  window.gisappWall = { map: null, refreshTiles, showCase, showArea, showFacility, STATE_COLOURS,
                        loadHeat, loadChoropleth, setGroup: (g, on) => setGroup(map, g, on) };
  window.gisappWall.ready = start();
})();
