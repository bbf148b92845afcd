// The map wall's demands (民意诉求): open demands as points (red when past their deadline)
// with a switch in the layer box, and counters in a box on the map. Its own script, so the
// wall's map and panel code stay as they are (other layers join the wall the same way).
(function () {
  "use strict";
  const { api, el, fmtTime } = window.gisapp;
  const wall = window.gisappWall;
  const REFRESH_MS = 60000;
  const OPEN = "/api/demands?format=geojson&state=open&limit=5000";

  // The counters sit in a box of their own on the map (bottom left), so the panel keeps
  // fitting a 1080p screen; the box also names the layer's colours.
  const BOX = "position:absolute;left:.8rem;bottom:.8rem;z-index:2;padding:.4rem .8rem;" +
    "background:rgba(10,19,34,.92);border:1px solid #1e3a5f;border-radius:.4rem;color:#e2e8f0";
  const ROW = "display:flex;gap:1.1rem;align-items:baseline;margin:.2rem 0 0";

  function counters() {
    const counter = (id, label, colour) => el("span", {}, label + " ",
      el("strong", { id, style: `font-size:1.7rem;color:${colour}` }, "—"));
    return el("section", { id: "demand-counters", style: BOX, "aria-label": "民意诉求" },
      el("div", { style: "color:#93c5fd" }, "民意诉求 ",
        el("span", { style: "color:#a78bfa" }, "● 办理中"), " ",
        el("span", { style: "color:#fb7185" }, "● 超期")),
      el("div", { style: ROW }, counter("d-open", "办理中", "#f8fafc"),
        counter("d-overdue", "超期", "#fb7185"), counter("d-month", "近30天登记", "#f8fafc"),
        counter("d-month-closed", "其中办结", "#f8fafc")));
  }

  async function refreshCounters() {
    const since = new Date(Date.now() - 30 * 86400e3).toISOString().slice(0, 10);
    const [all, month] = await Promise.all([api("/api/demands/counts"),
                                            api("/api/demands/counts?from=" + since)]);
    const set = (id, n) => { document.getElementById(id).textContent = String(n); };
    set("d-open", all.total.open);
    set("d-overdue", all.total.overdue);
    set("d-month", month.total.total);
    set("d-month-closed", month.total.total - month.total.open);
  }

  function addLayer(map, fc) {
    map.addSource("demands", { type: "geojson", data: fc });
    map.addLayer({ id: "demand-points", type: "circle", source: "demands",
      metadata: { "gisapp:group": "demands" },
      paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 9, 3, 15, 7],
               "circle-color": ["case", ["get", "overdue"], "#fb7185", "#a78bfa"],
               "circle-stroke-color": "#0b1628", "circle-stroke-width": 1 } },
      map.getLayer("case-clusters") ? "case-clusters" : undefined);
  }

  function addSwitch(map) {
    const input = el("input", { type: "checkbox", id: "layer-demands", "data-group": "demands" });
    input.checked = true;
    input.addEventListener("change", () => {
      map.setLayoutProperty("demand-points", "visibility", input.checked ? "visible" : "none");
    });
    document.getElementById("wall-layers").append(
      el("label", { for: "layer-demands" }, input, "民意诉求（办理中）"));
  }

  // A click on a demand shows it (no reporter: the layer never carries one).
  function show(p) {
    document.getElementById("detail-title").textContent = `民意诉求 · ${p.category_zh}`;
    const rows = [["状态", p.overdue ? `${p.state_zh}（超期）` : p.state_zh], ["来源", p.source_zh],
                  ["区域", p.area_path], ["登记时间", fmtTime(p.created_at)],
                  ["办理期限", fmtTime(p.deadline_at)], ["内容", p.body]];
    document.getElementById("detail-body").replaceChildren(...rows.filter(([, v]) => v)
      .flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
    document.getElementById("wall-detail").hidden = false;
  }

  // Caught before the map sees the click, so the area under the point does not answer.
  function onClick(map, e) {
    const canvas = map.getCanvas();
    if (e.target !== canvas || !map.getLayer("demand-points")) return;
    const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
    const hits = map.queryRenderedFeatures([[x - 4, y - 4], [x + 4, y + 4]],
                                           { layers: ["demand-points"] });
    if (!hits.length) return;
    e.stopPropagation();
    show(hits[0].properties);
  }

  async function start() {
    await wall.ready;
    const map = wall.map;
    document.getElementById("wall-map").append(counters());
    addLayer(map, await api(OPEN));
    addSwitch(map);
    document.getElementById("wall-map").addEventListener("click", (e) => onClick(map, e), true);
    map.on("mouseenter", "demand-points", () => { map.getCanvas().style.cursor = "pointer"; });
    await refreshCounters();
    document.getElementById("wall").dataset.demandsReady = "1";
    setInterval(() => {
      api(OPEN).then((fc) => map.getSource("demands").setData(fc)).catch(() => null);
      refreshCounters().catch(() => null);
    }, REFRESH_MS);
  }

  start().catch((err) => console.warn("demands:", err.message));
})();
