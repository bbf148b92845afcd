// The wall's consultation layer (议事协商): topics by state and step, from /api/topics as
// GeoJSON; a click shows the topic and its public page. Added after the wall's own map.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const wall = window.gisappWall, root = document.getElementById("wall");
  // Open topics go from light to deep blue as they move through the steps.
  const COLOURS = { collecting: "#93c5fd", deliberating: "#2563eb", reported: "#22c55e",
                    dropped: "#64748b" };
  const LEGEND_TITLE = "浅蓝：征集至公示（1-4步）；蓝：协商议事；绿：已反馈结果；灰：已终止";
  const colour = ["case", ["==", ["get", "state"], "reported"], COLOURS.reported,
    ["==", ["get", "state"], "dropped"], COLOURS.dropped,
    [">=", ["get", "step"], 5], COLOURS.deliberating, COLOURS.collecting];

  async function load(map) {
    const data = await api("/api/topics?format=geojson&limit=2000");
    root.dataset.topics = String(data.features.length);
    if (map.getSource("topics")) { map.getSource("topics").setData(data); return; }
    map.addSource("topics", { type: "geojson", data });
    map.addLayer({ id: "topics", type: "circle", source: "topics",
      metadata: { "gisapp:group": "topics" },
      paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 5, 16, 11],
               "circle-color": colour, "circle-stroke-color": "#fef3c7",
               "circle-stroke-width": 2 } });
  }

  function show(p) {
    document.getElementById("detail-title").textContent = `议事协商 · ${p.title}`;
    const rows = [["层级", p.level_name], ["区域", p.area_name], ["环节", `${p.step}. ${p.step_name}`],
                  ["状态", p.state_name], ["意见", p.opinions], ["未完成任务", p.open_tasks]];
    document.getElementById("detail-body").replaceChildren(...rows.flatMap(([k, v]) =>
      [el("dt", {}, k), el("dd", {}, String(v))]),
      el("dt", {}, "公开页"), el("dd", {}, el("a", { href: p.public_url, target: "_blank",
                                           style: "color:#93c5fd" }, "查看")));
    document.getElementById("wall-detail").hidden = false;
  }

  function onClick(map, e) {
    const canvas = map.getCanvas();
    if (e.target !== canvas) return;
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    const box = [[x - 4, y - 4], [x + 4, y + 4]];
    const hits = map.queryRenderedFeatures(box, { layers: ["topics"] });
    if (!hits.length) return;
    e.stopPropagation();
    show(hits[0].properties);
  }

  function controls(map) {
    const input = el("input", { type: "checkbox", id: "layer-topics", "data-group": "topics" });
    input.checked = true;
    input.addEventListener("change", () =>
      map.setLayoutProperty("topics", "visibility", input.checked ? "visible" : "none"));
    document.getElementById("wall-layers").append(
      el("label", { for: "layer-topics" }, input, "议事协商议题"));
    // One row, as the five colours: the wall's panel has no room to spare at 1080p.
    const swatches = Object.values(COLOURS).map((c) =>
      el("span", { class: "swatch", style: `background:${c}` }));
    document.getElementById("wall-legend").append(el("li", { class: "wide", title: LEGEND_TITLE },
      ...swatches, "议事协商议题（征集→协商→已反馈，灰为终止）"));
  }

  wall.ready.then(async () => {
    const map = wall.map;
    await load(map);
    controls(map);
    // Caught before the map sees the click, so the areas under a topic do not answer too.
    document.getElementById("wall-map").addEventListener("click", (e) => onClick(map, e), true);
    map.on("mouseenter", "topics", () => { map.getCanvas().style.cursor = "pointer"; });
    setInterval(() => load(map).catch((err) => console.warn("topics:", err.message)), 60000);
    root.dataset.topicsReady = "1";
  }).catch((err) => console.warn("topics layer:", err.message));
})();
