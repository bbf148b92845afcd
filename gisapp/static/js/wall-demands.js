// The map wall's demands (民意诉求): open demands as points (red when past their deadline)
// with a switch in the layer box, and counters in the panel. Its own script, so the
// wall's map and panel code stay as they are (other layers join the wall the same way).
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const wall = window.gisappWall;
  const REFRESH_MS = 60000;
  const OPEN = "/api/demands?format=geojson&state=open&limit=5000";

  function counters() {
    const counter = (id, label, alert) => el("div", { class: "counter" + (alert ? " alert" : "") },
      el("span", { class: "label" }, label), el("strong", { id }, "—"));
    return el("section", { id: "demand-counters" }, el("h2", {}, "民意诉求"),
      el("div", { class: "counters" },
        counter("d-open", "办理中诉求"), counter("d-overdue", "超期诉求", true),
        counter("d-month", "近30天登记"), counter("d-month-closed", "近30天办结")));
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
               "circle-color": ["case", ["get", "overdue"], "#f43f5e", "#a78bfa"],
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
    document.getElementById("wall-legend").append(el("li", { class: "wide" },
      el("span", { class: "swatch", style: "background:#a78bfa" }), "民意诉求（红色为超期）"));
  }

  async function start() {
    await wall.ready;
    const map = wall.map;
    document.querySelector("#wall-panel .counters").after(counters());   // next to the cases' ones
    addLayer(map, await api(OPEN));
    addSwitch(map);
    await refreshCounters();
    document.getElementById("wall").dataset.demandsReady = "1";
    setInterval(() => {
      api(OPEN).then((fc) => map.getSource("demands").setData(fc)).catch(() => null);
      refreshCounters().catch(() => null);
    }, REFRESH_MS);
  }

  start().catch((err) => console.warn("demands:", err.message));
})();
