// Coverage page: the gaps per area as a choropleth, the facilities of the kind, and the ranking.
(function () {
  "use strict";
  const { api, el, pct } = window.gisapp;
  const form = document.getElementById("cov-form");
  const summary = document.getElementById("cov-summary");
  // The map shades the share of households beyond the distance (comparable across area
  // sizes); the table ranks the areas by the number of households.
  const BREAKS = [0.0001, 0.1, 0.25, 0.5, 0.75];
  const COLOURS = ["#e8f1e4", "#fde3b5", "#fbb870", "#f2844a", "#d9472b", "#9e1c1c"];
  const LEVEL_NAMES = { street: "街道", community: "社区", grid: "网格" };

  const map = L.map("cov-map", { zoomSnap: 0.5 }).setView([38.95, 121.6], 11);
  const basemap = JSON.parse(form.dataset.basemap || "null");
  if (basemap) L.tileLayer(basemap.url, { attribution: basemap.attribution || "",
                                          maxNativeZoom: basemap.maxNativeZoom || 18 }).addTo(map);
  let areas = null, sites = null, homes = null, fitted = false, loads = 0;
  const FIVE = { red: "#ef4444", orange: "#f97316", yellow: "#eab308", blue: "#3b82f6", green: "#22c55e" };

  const colourFor = (share) => (share === null ? "#f1f5f9" : COLOURS[BREAKS.filter((b) => share >= b).length]);
  // A count hidden for privacy is null (below the community) or "<5" (small_counts).
  const count = (n) => (n === null || n === undefined ? "不公开" : n);
  const pctLabel = (x) => Math.round(x * 100) + "%";

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => el("div", { class: "legend" }, el("strong", {}, "超出距离住户占比"), el("br"),
    ...COLOURS.map((c, i) => el("div", {}, el("i", { style: `background:${c}` }),
      i === 0 ? "0" : i === BREAKS.length ? `≥ ${pctLabel(BREAKS[i - 1])}`
        : `${i === 1 ? "> 0" : pctLabel(BREAKS[i - 1])}–${pctLabel(BREAKS[i])}`)),
    el("div", {}, el("i", { style: "background:#1f6feb;border-radius:50%" }), "设施"));
  legend.addTo(map);

  function params(format) {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form).entries()) {
      if (k !== "points" && String(v).trim()) p.set(k, String(v).trim());
    }
    if (format) p.set("format", format);
    return p;
  }

  function drawAreas(fc) {
    if (areas) areas.remove();
    areas = L.geoJSON(fc, {
      style: (f) => ({ color: "#4b5563", weight: 1, fillOpacity: 0.7, fillColor: colourFor(f.properties.gap_share) }),
      onEachFeature: (f, layer) => {
        const p = f.properties;
        layer.bindTooltip(`${p.name}（${p.code}）<br>住户 ${count(p.households)}，超出距离 ${count(p.gaps)}（${pct(p.gap_share)}）`);
      },
    }).addTo(map);
    if (!fitted && fc.features.length) { map.fitBounds(areas.getBounds()); fitted = true; }
  }

  async function drawSites(kind) {
    const body = await api("/api/facilities?limit=5000&kind=" + encodeURIComponent(kind));
    if (sites) sites.remove();
    sites = L.layerGroup(body.facilities.map((f) => L.circleMarker([f.lat, f.lng], {
      radius: 5, color: "#fff", weight: 1.5, fillColor: "#1f6feb", fillOpacity: 1,
    }).bindTooltip(`${f.name}${f.capacity ? `（${f.capacity} 人）` : ""}`))).addTo(map);
  }

  // Households in person: only for those with a duty toward them, inside their duties.
  async function drawHomes() {
    if (homes) { homes.remove(); homes = null; }
    if (!form.points || !form.points.checked) return;
    const p = params(); p.delete("level");
    const fc = await api("/api/coverage/households?" + p);
    homes = L.geoJSON(fc, {
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 4, weight: 1, color: "#111827",
        fillColor: FIVE[f.properties.colour] || "#9ca3af", fillOpacity: 0.9 }),
      onEachFeature: (f, layer) => layer.bindTooltip(
        `${f.properties.area_name}：最近设施 ${f.properties.nearest_m === null ? "无" : Math.round(f.properties.nearest_m) + " 米"}`),
    }).addTo(map);
  }

  function drawTable(fc) {
    const rows = fc.features.map((f) => f.properties).filter((r) => r.households !== 0);
    document.querySelector("#cov-table tbody").replaceChildren(...rows.slice(0, 200).map((r, i) =>
      el("tr", { "data-code": r.code }, el("td", {}, i + 1), el("td", {}, r.name, el("small", { class: "code" }, r.code)),
         el("td", { class: "num" }, count(r.households)), el("td", { class: "num" }, count(r.gaps)),
         el("td", { class: "num" }, pct(r.gap_share)))));
  }

  async function load() {
    summary.textContent = "正在分析…";
    const started = performance.now();
    const fc = await api("/api/coverage?" + params("geojson"));
    document.getElementById("cov-csv").href = "/api/coverage?" + params("csv");
    drawAreas(fc);
    drawTable(fc);
    await drawSites(fc.kind);
    await drawHomes();
    const t = fc.totals, secs = ((performance.now() - started) / 1000).toFixed(1);
    summary.replaceChildren(`${fc.kind_name}：${fc.distance_m} 米范围外的住户 `, el("strong", {}, count(t.gaps)),
      ` 户，占 ${count(t.households)} 户的 ${pct(t.gap_share)}；按${LEVEL_NAMES[fc.level]}统计 ${fc.features.length} 个区域（${secs} 秒）。`);
    document.body.dataset.coverageReady = String(++loads);   // for tests: which load finished
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    load().catch((err) => { summary.textContent = "分析失败：" + err.message; });
  });
  load().catch((err) => { summary.textContent = "分析失败：" + err.message; });
})();
