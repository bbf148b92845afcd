// Five-colour visit supervision: completion per colour, overdue per group, the map of
// overdue households and the latest visits (the last two only for those who may see homes).
(function () {
  "use strict";
  const { api, el, pct, fmtTime } = window.gisapp;
  const COLOURS = { red: "#d92d20", orange: "#f79009", yellow: "#eaaa08", blue: "#1570ef", green: "#12b76a" };
  const NAMES = { red: "红", orange: "橙", yellow: "黄", blue: "蓝", green: "绿" };
  const box = document.getElementById("v-filters");
  const mayHomes = box.dataset.maySeeHomes === "true";
  // Drilling down: a row of one level opens the next one below it (community -> grids).
  const NEXT = { district: "street", street: "community", community: "grid" };
  const LENGTH = { district: 6, street: 9, community: 12, grid: 15 };
  const GROUP_OF_LENGTH = { 0: "district", 6: "street", 9: "community", 12: "grid", 15: "grid" };
  const $ = (id) => document.getElementById(id);
  const iso = (d) => d.toISOString().slice(0, 10);
  $("v-from").value = iso(new Date(Date.now() - 29 * 86400000));
  $("v-to").value = iso(new Date());
  let colourChart = null, overdueChart = null, map = null, layer = null;

  function params() {
    const p = new URLSearchParams({ group: $("v-group").value, from: $("v-from").value, to: $("v-to").value });
    const area = $("v-area").value.trim();
    if (area) p.set("area", area);
    return p;
  }
  const draw = (old, id, config) => { if (old) old.destroy(); return new Chart($(id), config); };

  async function loadStats() {
    const r = await api("/api/visits/stats?" + params());
    $("v-csv").href = "/api/visits/stats?format=csv&" + params();
    $("v-status").textContent = `${r.from} 至 ${r.to}，共 ${r.days} 天；应访按走访周期计整次（每个周期应访 1 次，季度户一个月应访 1 次）`;
    const colours = Object.keys(COLOURS).filter((c) => r.by_colour[c]);
    colourChart = draw(colourChart, "colour-chart", { type: "bar",
      data: { labels: colours.map((c) => NAMES[c] + "色"), datasets: [{ label: "完成率 %",
        data: colours.map((c) => ((r.by_colour[c].completion_rate || 0) * 100).toFixed(1)),
        backgroundColor: colours.map((c) => COLOURS[c]) }] },
      options: { animation: false, scales: { y: { max: 100, beginAtZero: true } } } });
    const groups = [...new Set(r.rows.map((x) => x.key))];
    const label = (k) => { const row = r.rows.find((x) => x.key === k); return (row && row.name) || k || "合计"; };
    overdueChart = draw(overdueChart, "overdue-chart", { type: "bar",
      data: { labels: groups.map(label), datasets: colours.map((c) => ({ label: NAMES[c] + "色", backgroundColor: COLOURS[c],
        data: groups.map((g) => (r.rows.find((x) => x.key === g && x.colour === c) || { overdue: 0 }).overdue) })) },
      options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
    $("v-table").querySelector("tbody").replaceChildren(...r.rows.map((x) => el("tr", { "data-key": x.key, "data-colour": x.colour },
      el("td", {}, groupCell(r.group, x.key, label(x.key))), el("td", {}, NAMES[x.colour] + "色"), el("td", {}, x.households), el("td", {}, x.expected),
      el("td", {}, x.done), el("td", {}, pct(x.completion_rate)), el("td", {}, x.overdue), el("td", {}, x.visits),
      el("td", {}, x.flagged))));
  }

  function groupCell(group, key, text) {
    if (!NEXT[group] || !key) return text;
    const b = el("button", { type: "button", class: "link", "data-drill": key }, text);
    b.addEventListener("click", () => drill(key, NEXT[group]));
    return b;
  }

  function drill(area, group) {
    $("v-area").value = area;
    $("v-group").value = group;
    load();
  }

  $("v-up").addEventListener("click", () => {
    const area = $("v-area").value.trim();
    const up = area.length > 6 ? area.slice(0, area.length - 3) : "";
    drill(up, GROUP_OF_LENGTH[up.length] || "community");
  });

  async function loadHomes() {
    if (!mayHomes) return;
    const area = $("v-area").value.trim();
    const q = area ? "?area=" + area : "";
    const [fc, recent] = await Promise.all([api("/api/visits/overdue" + q),
      area ? api(`/api/visits?area=${area}&limit=50`) : Promise.resolve({ visits: [] })]);
    if (!map) {
      map = L.map("overdue-map").setView([38.95, 121.55], 12);
      const basemap = JSON.parse($("overdue-map").dataset.basemap || "null");
      if (basemap) L.tileLayer(basemap.url, { attribution: basemap.attribution || "",
                                              maxNativeZoom: basemap.maxNativeZoom || 18 }).addTo(map);
      layer = L.layerGroup().addTo(map);
    }
    layer.clearLayers();
    const g = L.geoJSON(fc, { pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 6, color: "#fff", weight: 1,
      fillColor: COLOURS[f.properties.colour], fillOpacity: 0.9 })
      .bindPopup(`${NAMES[f.properties.colour]}色 · 住户 ${f.properties.id}<br>逾期 ${f.properties.overdue_days} 天`) }).addTo(layer);
    if (fc.features.length) map.fitBounds(g.getBounds().pad(0.2), { maxZoom: 16 });
    $("recent-visits").querySelector("tbody").replaceChildren(...recent.visits.map((v) => el("tr", { "data-visit-id": v.id },
      el("td", {}, fmtTime(v.visited_at)), el("td", {}, "住户 " + v.household_id), el("td", {}, v.colour ? NAMES[v.colour] + "色" : "—"),
      el("td", {}, v.person || v.username || "—"), el("td", {}, v.outcome_zh),
      el("td", { class: v.flagged_far ? "badge overdue" : "" }, v.distance_m === null ? "无定位" : Math.round(v.distance_m) + " 米"),
      el("td", { class: "desc" }, v.note),
      el("td", {}, v.photo_url ? el("a", { href: v.photo_url, class: "visit-photo",
        onclick: (ev) => { ev.preventDefault(); showPhoto(v); } }, "查看照片") : "—"))));
  }

  // The photo a worker took on a visit, shown under the list (it is personal data: it
  // opens only here, for those who may see the household).
  function showPhoto(v) {
    const view = $("photo-view");
    const caption = `住户 ${v.household_id} · ${fmtTime(v.visited_at)} · ${v.person || v.username || ""}`;
    view.querySelector("img").alt = "走访照片：" + caption;
    view.querySelector("img").src = v.photo_url;
    view.querySelector("figcaption span").textContent = caption;
    view.hidden = false;
    view.scrollIntoView({ block: "nearest" });
  }
  if ($("photo-close")) $("photo-close").addEventListener("click", () => { $("photo-view").hidden = true; });

  const load = () => Promise.all([loadStats(), loadHomes()]).catch((err) => { $("v-status").textContent = "加载失败：" + err.message; });
  $("v-go").addEventListener("click", load);
  load();
})();
