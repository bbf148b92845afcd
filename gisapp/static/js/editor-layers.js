// The boundary editor's map: the parent's outline, its children (editable), its
// neighbours, and the overlays an edit shows (preview, problems, conflicts, history).
// Neighbours and the parent's outline are not editable but are snapped to; overlays
// are neither. editor.js drives this through window.gisappEditorMap.
(function () {
  "use strict";
  const COLOURS = ["#2563eb", "#0891b2", "#7c3aed", "#db2777", "#059669", "#ca8a04", "#4f46e5", "#0d9488"];
  const ACTION_COLOURS = { create: "#f97316", version: "#2563eb", resurrect: "#16a34a", keep: "#64748b" };
  const FIXED = { pmIgnore: true, snapIgnore: false };      // snapped to, never edited
  const OVERLAY = { pmIgnore: true, snapIgnore: true, interactive: false };

  function create(root) {
    const map = L.map("editor-map", { zoomSnap: 0.25, doubleClickZoom: false, maxZoom: 20 });
    map.setView([38.91, 121.6], 12);
    basemap(map, root);
    map.pm.setLang("zh");
    map.pm.setGlobalOptions({ snappable: true, snapDistance: 18, allowSelfIntersection: true,
                              templineStyle: { color: "#dc2626" }, hintlineStyle: { color: "#dc2626", dashArray: "5 5" } });
    const groups = {
      // Added in drawing order: the parent's outline lies over its children.
      neighbours: L.featureGroup().addTo(map), children: L.featureGroup().addTo(map),
      parent: L.featureGroup().addTo(map), preview: L.featureGroup().addTo(map),
      history: L.featureGroup().addTo(map), problem: L.featureGroup().addTo(map),
    };
    return { map, groups, childLayers: {} };
  }

  function basemap(map, root) {
    const cfg = JSON.parse(root.dataset.basemap || "null");
    if (!cfg) return;
    L.tileLayer(cfg.url, { attribution: cfg.attribution || "", maxNativeZoom: cfg.maxNativeZoom || 18,
                           maxZoom: 20, pmIgnore: true, snapIgnore: true }).addTo(map);
  }

  // Every polygon of a GeoJSON geometry as its own L.Polygon with the given options.
  function polygonsOf(geometry, options) {
    return L.geoJSON(geometry, { style: () => options, ...options }).getLayers();
  }

  function tag(layer, cls, code) {
    const node = layer.getElement && layer.getElement();
    if (!node) return;
    cls.split(/\s+/).filter(Boolean).forEach((c) => node.classList.add(c));
    if (code) node.dataset.code = code;
  }

  // Names are user text: built as DOM text, never as HTML.
  function label(layer, lines, cls) {
    const node = window.gisapp.el("span", {}, ...lines.flatMap((t, i) => (i ? [document.createElement("br"), t] : [t])));
    layer.bindTooltip(node, { permanent: true, direction: "center", className: "ed-label " + (cls || "") });
  }

  function drawArea(ed, view) {
    Object.values(ed.groups).forEach((g) => g.clearLayers());
    ed.childLayers = {};
    view.neighbours.forEach((n) => polygonsOf(n.geometry, { ...FIXED, color: "#94a3b8", weight: 1.5,
        fillColor: "#cbd5e1", fillOpacity: 0.25 }).forEach((layer) => {
      layer.addTo(ed.groups.neighbours); tag(layer, "editor-neighbour", n.code);
      label(layer, [n.name], "neighbour"); layer.feature = { type: "Feature", properties: n };
    }));
    polygonsOf(view.parent.geometry, { ...FIXED, color: "#111827", weight: 3, fill: false, dashArray: "8 4",
                                       interactive: false }).forEach((layer) => {
      layer.addTo(ed.groups.parent); tag(layer, "editor-parent", view.parent.code);
    });
    view.children.forEach((c, i) => {
      // One layer per child (a MultiPolygon stays one layer, so it is edited as one).
      const layer = L.geoJSON(c.geometry).getLayers()[0];
      const colour = COLOURS[i % COLOURS.length];
      layer.setStyle({ color: colour, weight: 2, fillColor: colour, fillOpacity: 0.18 });
      layer.feature = { type: "Feature", properties: c };
      layer.addTo(ed.groups.children);
      tag(layer, "editor-child", c.code);
      label(layer, [c.name, c.code]);
      ed.childLayers[c.code] = layer;
    });
    const bounds = ed.groups.parent.getBounds();
    if (bounds.isValid()) ed.map.fitBounds(bounds, { padding: [30, 30] });
  }

  function select(ed, code) {
    Object.entries(ed.childLayers).forEach(([c, layer]) => {
      const on = c === code;
      layer.setStyle({ weight: on ? 4 : 2, fillOpacity: on ? 0.35 : 0.18 });
      const node = layer.getElement();
      if (node) node.classList.toggle("selected", on);
      if (on) layer.bringToFront();
    });
  }

  // What a dry run (or a save) leaves: the parent's children coloured by what happens to them.
  function drawPreview(ed, children) {
    ed.groups.preview.clearLayers();
    ed.groups.children.eachLayer((l) => l.setStyle({ opacity: 0.25, fillOpacity: 0.04 }));
    children.forEach((c) => {
      const colour = ACTION_COLOURS[c.action] || ACTION_COLOURS.keep;
      polygonsOf(c.geometry, { ...OVERLAY, color: colour, weight: c.action === "keep" ? 1.5 : 3,
                               fillColor: colour, fillOpacity: c.action === "keep" ? 0.05 : 0.25,
                               dashArray: c.action === "create" ? "6 4" : null }).forEach((layer) => {
        layer.addTo(ed.groups.preview); tag(layer, "editor-preview action-" + c.action, c.code);
      });
    });
  }

  function clearPreview(ed) {
    ed.groups.preview.clearLayers();
    ed.groups.children.eachLayer((l) => l.setStyle({ opacity: 1, fillOpacity: 0.18 }));
  }

  // A rejected edit's offending geometry (and the exact spot, when the server names it).
  function drawProblem(ed, geometry, location, message, cls) {
    ed.groups.problem.clearLayers();
    if (geometry) {
      L.geoJSON(geometry, {
        ...OVERLAY, interactive: true,
        style: () => ({ color: cls === "conflict" ? "#9333ea" : "#dc2626", weight: 4, fillOpacity: 0.35,
                        fillColor: cls === "conflict" ? "#c084fc" : "#f87171", dashArray: "2 6" }),
        pointToLayer: (_, latlng) => L.circleMarker(latlng, { ...OVERLAY, radius: 9 }),
      }).eachLayer((layer) => {
        layer.addTo(ed.groups.problem); tag(layer, "editor-problem " + (cls || ""));
        if (message) layer.bindTooltip(message, { sticky: true, className: "ed-problem-tip" });
      });
    }
    if (location) {
      const [lng, lat] = location.coordinates;
      const spot = L.circleMarker([lat, lng], { ...OVERLAY, radius: 10, color: "#dc2626", weight: 3,
                                                fillColor: "#fff", fillOpacity: 0.9 });
      spot.addTo(ed.groups.problem); tag(spot, "editor-problem spot");
    }
    const bounds = ed.groups.problem.getBounds();
    if (bounds.isValid()) ed.map.fitBounds(bounds.pad(0.6), { maxZoom: 17 });
  }

  // A version of an area next to the one before it.
  function drawHistory(ed, after, before) {
    ed.groups.history.clearLayers();
    if (before) polygonsOf(before.geometry, { ...OVERLAY, color: "#dc2626", weight: 3, dashArray: "6 5",
                                              fillColor: "#fca5a5", fillOpacity: 0.15 })
      .forEach((l) => { l.addTo(ed.groups.history); tag(l, "editor-history before"); });
    polygonsOf(after.geometry, { ...OVERLAY, color: "#16a34a", weight: 3, fillColor: "#86efac", fillOpacity: 0.25 })
      .forEach((l) => { l.addTo(ed.groups.history); tag(l, "editor-history after"); });
    const bounds = ed.groups.history.getBounds();
    if (bounds.isValid()) ed.map.fitBounds(bounds.pad(0.3));
  }

  window.gisappEditorMap = { create, drawArea, select, drawPreview, clearPreview, drawProblem, drawHistory };
})();
