// Topological vertex editing for the boundary editor: the children of one parent are
// edited as one set of shared nodes and edges, so the line between two siblings is one
// line. Dragging a node moves it in every child that has it; dragging the middle of an
// edge inserts a node there in every child that has that edge. A node on the parent's
// outline slides along the outline and never leaves it; any other node is kept inside
// the parent. Nodes snap to the vertices and edges of siblings, neighbours and the parent.
// Every change can be undone step by step until the edit is saved. editor.js starts a
// session with window.gisappEditorTopology.start(...).
(function () {
  "use strict";
  const SNAP_PX = 12;
  const ON_LINE = 5e-7;           // degrees (~5 cm): a vertex this close lies on a line
  const UNDO_DEPTH = 100;
  const key = (p) => `${p[0].toFixed(7)},${p[1].toFixed(7)}`;
  const same = (a, b) => key(a) === key(b);

  // --- geometry in degrees, longitude scaled by cos(latitude) so distances are even ----

  function scaler(lat) {
    const k = Math.cos(lat * Math.PI / 180);
    return { to: (p) => [p[0] * k, p[1]], from: (q) => [q[0] / k, q[1]] };
  }

  // The point of segment a-b nearest to p (all scaled), and its parameter t along it.
  function nearestOnSegment(p, a, b) {
    const dx = b[0] - a[0], dy = b[1] - a[1];
    const len2 = dx * dx + dy * dy;
    const t = len2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2)) : 0;
    return { q: [a[0] + t * dx, a[1] + t * dy], t };
  }

  const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

  function insideRings(p, rings) {
    let inside = false;
    rings.forEach((ring) => {
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i], [xj, yj] = ring[j];
        if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
      }
    });
    return inside;
  }

  // --- GeoJSON <-> open rings ------------------------------------------------------------

  function openRing(ring) {
    const r = ring.map((p) => [p[0], p[1]]);
    if (r.length > 1 && same(r[0], r[r.length - 1])) r.pop();
    return r;
  }

  function shapeOf(geometry) {
    const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return { multi: geometry.type !== "Polygon", polys: polys.map((rings) => rings.map(openRing)) };
  }

  function geometryOf(shape) {
    const polys = shape.polys.map((rings) => rings.map((r) => [...r.map((p) => [p[0], p[1]]), [r[0][0], r[0][1]]]));
    return shape.multi ? { type: "MultiPolygon", coordinates: polys } : { type: "Polygon", coordinates: polys[0] };
  }

  function latLngsOf(shape) {
    const polys = shape.polys.map((rings) => rings.map((r) => r.map((p) => L.latLng(p[1], p[0]))));
    return shape.multi ? polys : polys[0];
  }

  const ringsOfGeometry = (g) => (g.type === "Polygon" ? [g.coordinates] : g.coordinates).flat().map(openRing);

  function eachRing(shapes, fn) {
    Object.entries(shapes).forEach(([code, s]) => s.polys.forEach((rings, p) => rings.forEach((ring, r) => fn(ring, { code, p, r }))));
  }

  // --- the index: nodes (distinct positions) and edges (pairs of nodes) ------------------

  function buildIndex(shapes) {
    const nodes = new Map(), edges = new Map();
    eachRing(shapes, (ring, at) => ring.forEach((pt, i) => {
      const k = key(pt);
      if (!nodes.has(k)) nodes.set(k, { key: k, pt, refs: [] });
      nodes.get(k).refs.push({ ...at, i });
      const k2 = key(ring[(i + 1) % ring.length]);
      const ek = k < k2 ? `${k}|${k2}` : `${k2}|${k}`;
      if (!edges.has(ek)) edges.set(ek, { key: ek, a: pt, b: ring[(i + 1) % ring.length], refs: [] });
      edges.get(ek).refs.push({ ...at, i });
    }));
    return { nodes, edges };
  }

  const codesOf = (refs) => [...new Set(refs.map((r) => r.code))];

  // Vertices a few centimetres apart are one node: give them the same coordinates (the
  // server snaps within half a metre anyway), so that the index sees them as shared.
  function mergeNearVertices(shapes, s) {
    const cells = new Map();
    const cell = (q, dx, dy) => `${Math.round(q[0] / ON_LINE) + dx},${Math.round(q[1] / ON_LINE) + dy}`;
    eachRing(shapes, (ring) => ring.forEach((pt, i) => {
      const q = s.to(pt);
      for (const [dx, dy] of [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1], [-1, -1], [-1, 1], [1, -1], [1, 1]]) {
        const found = (cells.get(cell(q, dx, dy)) || []).find((c) => dist(c.q, q) < ON_LINE);
        if (found) { ring[i] = [found.pt[0], found.pt[1]]; return; }
      }
      const k = cell(q, 0, 0);
      cells.set(k, [...(cells.get(k) || []), { q, pt }]);
    }));
  }

  // Put a vertex wherever another child's vertex lies on this child's edge (a T-junction),
  // so that moving that vertex moves both sides of the line. Collinear vertices change no area.
  function closeJunctions(shapes, s) {
    const points = [...buildIndex(shapes).nodes.values()].map((n) => ({ pt: n.pt, k: n.key, q: s.to(n.pt) }));
    eachRing(shapes, (ring, at) => {
      const out = [];
      ring.forEach((a, i) => {
        const b = ring[(i + 1) % ring.length], qa = s.to(a), qb = s.to(b);
        const x0 = Math.min(qa[0], qb[0]) - ON_LINE, x1 = Math.max(qa[0], qb[0]) + ON_LINE;
        const y0 = Math.min(qa[1], qb[1]) - ON_LINE, y1 = Math.max(qa[1], qb[1]) + ON_LINE;
        out.push(a);
        const ka = key(a), kb = key(b);
        points.filter(({ q, k }) => x0 <= q[0] && q[0] <= x1 && y0 <= q[1] && q[1] <= y1 && k !== ka && k !== kb)
          .map(({ pt, q }) => ({ pt, ...nearestOnSegment(q, qa, qb), q0: q }))
          .filter((c) => c.t > 0 && c.t < 1 && dist(c.q, c.q0) < ON_LINE)
          .sort((x, y) => x.t - y.t)
          .forEach((c) => out.push([c.pt[0], c.pt[1]]));
      });
      shapes[at.code].polys[at.p][at.r] = out;
    });
  }

  // --- a session ---------------------------------------------------------------------------

  // `options.moveEdges`: whether dragging an edge's middle moves the whole edge (read at
  // each drag, so the page can switch it while editing).
  function start(ed, view, codes, onChange, options) {
    const map = ed.map;
    // Handles sit in a pane above the area labels (Leaflet's tooltip pane is 650), so the
    // labels keep their full contrast while the handles under them stay reachable.
    if (!map.getPane("edHandles")) map.createPane("edHandles").style.zIndex = 660;
    const lat0 = map.getCenter().lat;
    const s = scaler(lat0);
    const shapes = {};
    view.children.forEach((c) => { shapes[c.code] = shapeOf(c.geometry); });
    mergeNearVertices(shapes, s);
    closeJunctions(shapes, s);
    const parentRings = ringsOfGeometry(view.parent.geometry).map((r) => r.map(s.to));
    const neighbourRings = view.neighbours.flatMap((n) => ringsOfGeometry(n.geometry)).map((r) => r.map(s.to));
    const handles = L.layerGroup().addTo(map);
    const lines = L.layerGroup().addTo(map);
    const active = new Set(codes);
    const edited = new Set();
    const undoStack = [];
    let index = buildIndex(shapes);

    function onOutline(q) {
      return parentRings.some((ring) => ring.some((a, i) => dist(nearestOnSegment(q, a, ring[(i + 1) % ring.length]).q, q) < ON_LINE));
    }

    // --- drawing the handles ---

    function redrawLayers(changed) {
      changed.forEach((code) => ed.childLayers[code].setLatLngs(latLngsOf(shapes[code])));
    }

    function render() {
      handles.clearLayers();
      lines.clearLayers();
      index = buildIndex(shapes);
      index.edges.forEach((e) => {
        const owners = codesOf(e.refs);
        if (!owners.some((c) => active.has(c))) return;
        if (owners.length > 1) {
          const line = L.polyline([[e.a[1], e.a[0]], [e.b[1], e.b[0]]], { pmIgnore: true, snapIgnore: true, interactive: false,
            color: "#ea580c", weight: 4, opacity: 0.9, className: "ed-shared-line" });
          line.addTo(lines);
        }
        midHandle(e, owners).addTo(handles);
      });
      index.nodes.forEach((n) => {
        const owners = codesOf(n.refs);
        if (owners.some((c) => active.has(c))) nodeHandle(n, owners).addTo(handles);
      });
    }

    function icon(cls) {
      return L.divIcon({ className: cls, iconSize: cls.includes("ed-mid") ? [10, 10] : [14, 14] });
    }

    function nodeHandle(n, owners) {
      const outer = onOutline(s.to(n.pt));
      const cls = "ed-node" + (owners.length > 1 ? " shared" : "") + (outer ? " outer" : "");
      const m = L.marker([n.pt[1], n.pt[0]], { icon: icon(cls), draggable: true, keyboard: false,
        pane: "edHandles", pmIgnore: true, snapIgnore: true, zIndexOffset: 1000,
        title: `顶点（${owners.length > 1 ? `${owners.length} 个区域共用` : "1 个区域"}${outer ? "，在上级边界上" : ""}）；拖动修改，右键删除` });
      m.on("add", () => tagHandle(m, n.pt, owners));
      m.on("dragstart", () => { markMoving(m); snapshot(); beginDrag([{ refs: n.refs, pt: n.pt, outer }], n.pt); });
      m.on("drag", (e) => dragTo(m, e.latlng));
      m.on("dragend", endDrag);
      m.on("contextmenu", () => removeNode(n, outer));
      return m;
    }

    // The middle of an edge: a drag adds a vertex there, or, with "move whole edges" on,
    // moves the whole edge (both ends, in every child that has them). Not with Shift held:
    // Leaflet's dragging ignores a mouse press with Shift (that is its box zoom).
    function midHandle(e, owners) {
      const mid = [(e.a[0] + e.b[0]) / 2, (e.a[1] + e.b[1]) / 2];
      const m = L.marker([mid[1], mid[0]], { icon: icon("ed-mid" + (owners.length > 1 ? " shared" : "")), draggable: true,
        keyboard: false, pane: "edHandles", pmIgnore: true, snapIgnore: true,
        title: "拖动在此边上加点，或平移整条边（共用此边的区域一起修改）" });
      m.on("add", () => tagHandle(m, mid, owners));
      const outer = onOutline(s.to(e.a)) && onOutline(s.to(e.b)) && onOutline(s.to(mid));
      m.on("dragstart", () => {
        markMoving(m);
        snapshot();
        if (options.moveEdges) beginDrag([endOf(e.a), endOf(e.b)], mid);
        else beginDrag([{ refs: insertOnEdge(e, mid), pt: mid, outer }], mid);
      });
      m.on("drag", (ev) => dragTo(m, ev.latlng));
      m.on("dragend", endDrag);
      return m;
    }

    function endOf(pt) {
      return { refs: index.nodes.get(key(pt)).refs, pt, outer: onOutline(s.to(pt)) };
    }

    const markMoving = (m) => m.getElement().classList.add("ed-moving");

    function tagHandle(m, pt, owners) {
      const node = m.getElement();
      node.dataset.lng = pt[0];
      node.dataset.lat = pt[1];
      node.dataset.codes = owners.join(" ");
    }

    // --- editing ---

    function snapshot() {
      undoStack.push({ shapes: JSON.stringify(shapes), edited: [...edited] });
      if (undoStack.length > UNDO_DEPTH) undoStack.shift();
    }

    // A new vertex at `pt` in every ring that has edge e; its references.
    function insertOnEdge(e, pt) {
      const byRing = e.refs.slice().sort((x, y) => y.i - x.i);
      const refs = [];
      byRing.forEach((ref) => {
        shapes[ref.code].polys[ref.p][ref.r].splice(ref.i + 1, 0, [pt[0], pt[1]]);
        refs.push({ ...ref, i: ref.i + 1 });
      });
      return refs;
    }

    let drag = null;

    // `ends`: the nodes that move ({refs, pt, outer}); one node follows the mouse (snapped),
    // an edge's two ends move with it by the same offset from where it was grabbed.
    function beginDrag(ends, grab) {
      index = buildIndex(shapes);        // a node inserted on an edge splits that edge
      const moving = new Set(ends.flatMap((g) => g.refs.map((r) => r.code)));
      const keys = new Set(ends.map((g) => key(g.pt)));
      // Snap targets: everything but the moving nodes and the edges that move with them.
      const vertices = [], segments = [];
      index.nodes.forEach((n) => { if (!keys.has(n.key)) vertices.push(s.to(n.pt)); });
      index.edges.forEach((e) => {
        if (!e.key.split("|").some((k) => keys.has(k))) segments.push([s.to(e.a), s.to(e.b)]);
      });
      [...parentRings, ...neighbourRings].forEach((ring) => ring.forEach((a, i) => {
        vertices.push(a);
        segments.push([a, ring[(i + 1) % ring.length]]);
      }));
      // A node on the outline snaps to the parent's corners and to where a neighbour's or a
      // sibling's line meets the outline.
      const corners = ends.some((g) => g.outer) ? vertices.filter((v) => onOutline(v)) : [];
      drag = { ends: ends.map((g) => ({ ...g, q: s.to(g.pt) })), grab: s.to(grab), moving, vertices, segments,
               corners, tol: snapTolerance() };
      // The shared lines and the edges' middles no longer fit; they are drawn again at the end.
      lines.clearLayers();
      map.getContainer().classList.add("ed-dragging");
      moving.forEach((c) => edited.add(c));
    }

    function snapTolerance() {
      const c = map.getSize().divideBy(2);
      const a = map.containerPointToLatLng(c), b = map.containerPointToLatLng(c.add([0, SNAP_PX]));
      return Math.abs(a.lat - b.lat);
    }

    // Where a dragged node lands: snapped, then held on the parent's outline or inside it.
    function place(q, outer) {
      const d = drag;
      if (outer) return snapToOutline(q);
      let best = null;
      d.vertices.forEach((v) => { const dd = dist(v, q); if (dd < d.tol && (!best || dd < best.d)) best = { q: v, d: dd }; });
      if (!best) {
        d.segments.forEach(([a, b]) => {
          const n = nearestOnSegment(q, a, b), dd = dist(n.q, q);
          if (dd < d.tol && (!best || dd < best.d)) best = { q: n.q, d: dd };
        });
      }
      return hold(best ? best.q : q, false);
    }

    // On the parent's outline (for a node that is on it), or else inside the parent.
    function hold(q, outer) {
      return !outer && (insideRings(q, parentRings) || onOutline(q)) ? q : snapToOutline(q);
    }

    function snapToOutline(q) {
      let corner = null, best = null;
      (drag.corners.length ? drag.corners : parentRings.flat()).forEach((a) => {
        const da = dist(a, q);
        if (da < drag.tol && (!corner || da < corner.d)) corner = { q: a, d: da };
      });
      parentRings.forEach((ring) => ring.forEach((a, i) => {
        const n = nearestOnSegment(q, a, ring[(i + 1) % ring.length]), dd = dist(n.q, q);
        if (!best || dd < best.d) best = { q: n.q, d: dd };
      }));
      return (corner || best).q;
    }

    function dragTo(marker, latlng) {
      if (!drag) return;
      const q = s.to([latlng.lng, latlng.lat]), ends = drag.ends;
      const dx = q[0] - drag.grab[0], dy = q[1] - drag.grab[1];
      const to = ends.length === 1 ? [place(q, ends[0].outer)]
        : ends.map((g) => hold([g.q[0] + dx, g.q[1] + dy], g.outer));
      ends.forEach((g, j) => {
        const pt = s.from(to[j]);
        g.refs.forEach((ref) => { shapes[ref.code].polys[ref.p][ref.r][ref.i] = [pt[0], pt[1]]; });
      });
      const at = s.from([to.reduce((x, p) => x + p[0], 0) / to.length, to.reduce((y, p) => y + p[1], 0) / to.length]);
      marker.setLatLng([at[1], at[0]]);
      redrawLayers(drag.moving);
    }

    function endDrag() {
      drag = null;
      map.getContainer().classList.remove("ed-dragging");
      render();
      onChange();
    }

    function removeNode(n, outer) {
      const rings = n.refs.map((ref) => shapes[ref.code].polys[ref.p][ref.r]);
      if (rings.some((r) => r.length <= 3)) return onChange("每个区域至少要有三个顶点，不能再删除。");
      if (outer && parentRings.some((ring) => ring.some((a) => dist(a, s.to(n.pt)) < ON_LINE))) {
        return onChange("这是上级区域边界的拐点，不能删除。");
      }
      snapshot();
      n.refs.slice().sort((x, y) => y.i - x.i).forEach((ref) => shapes[ref.code].polys[ref.p][ref.r].splice(ref.i, 1));
      const changed = codesOf(n.refs);
      changed.forEach((c) => edited.add(c));
      redrawLayers(changed);
      render();
      onChange();
    }

    function undo() {
      const last = undoStack.pop();
      if (!last) return false;
      const back = JSON.parse(last.shapes);
      Object.keys(shapes).forEach((c) => { shapes[c] = back[c]; });
      edited.clear();
      last.edited.forEach((c) => edited.add(c));
      redrawLayers(Object.keys(shapes));
      render();
      onChange();
      return true;
    }

    function stop() {
      map.removeLayer(handles);
      map.removeLayer(lines);
    }

    redrawLayers(Object.keys(shapes));
    render();
    return {
      undo, stop, edited,
      canUndo: () => undoStack.length > 0,
      geometry: (code) => geometryOf(shapes[code]),
      // Shared nodes and edges between the children (for tests and the status line).
      stats: () => ({ nodes: index.nodes.size, shared: [...index.edges.values()].filter((e) => codesOf(e.refs).length > 1).length }),
    };
  }

  window.gisappEditorTopology = { start };
})();
