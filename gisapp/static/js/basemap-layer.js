// The offline vector base map (roads, water, buildings, names) under every Leaflet map of
// the page: MapLibre GL draws our `base` tiles with /styles/base-light.json through
// maplibre-gl-leaflet. A Leaflet init hook, so the pages' own scripts need no change.
// Loaded only when no raster base map is configured (templates/_basemap.html).
(function () {
  "use strict";
  const config = document.getElementById("gisapp-basemap");
  if (!config || !window.maplibregl || !window.L || !L.maplibreGL) return;
  const options = JSON.parse(config.textContent);
  // The CSP build: the worker is a file of our own, never code made by eval. Offline (the
  // field page reopened from its service worker) Chromium does not load a worker's script
  // from the service worker's copy, though the page's own fetch gets it: then the worker
  // runs from a blob of that same file.
  const workerUrl = navigator.onLine ? Promise.resolve(options.worker)
    : fetch(options.worker).then((r) => (r.ok ? r.blob() : Promise.reject(new Error(r.status))))
      .then((b) => URL.createObjectURL(new Blob([b], { type: "text/javascript" })))
      .catch(() => options.worker);
  const ready = workerUrl.then((url) => maplibregl.setWorkerUrl(url));
  L.Map.addInitHook(function () {
    const map = this;
    // After the constructor: Leaflet makes its zoom-animation proxy after the init hooks,
    // and pages set their view after making the map; the GL layer needs both.
    setTimeout(function () { ready.then(() => map.whenReady(add)); }, 0);
    function add() {
      const layer = L.maplibreGL({ style: options.style, interactive: false,
                                   attributionControl: false });
      layer.addTo(map);
      // Offline, tiles the service worker did not keep fail: the map shows what it has,
      // and that is not an error worth the console. Online, errors are reported as before.
      const gl = layer.getMaplibreMap && layer.getMaplibreMap();
      if (gl) gl.on("error", (e) => { if (navigator.onLine) console.error(e.error || e); });
      // Each base tile drawn, as a URL, for a page that keeps them for offline use (the
      // field page sets window.gisappKeepBaseTiles): MapLibre fetches tiles in its web
      // worker, which a service worker that arrived after the page opened does not see.
      if (gl) gl.on("data", (e) => {
        if (!window.gisappKeepBaseTiles) return;
        const source = e.tile && e.sourceId && gl.getSource(e.sourceId);
        const template = source && source.tiles && source.tiles[0];
        if (!template) return;
        const t = e.tile.tileID.canonical;
        const url = template.replace("{z}", t.z).replace("{x}", t.x).replace("{y}", t.y);
        document.dispatchEvent(new CustomEvent("gisapp:basetile", { detail: new URL(url, location.href).pathname }));
      });
      // For tests and the console: each Leaflet map's base layer (getMaplibreMap() for GL).
      (window.gisappBaseMaps = window.gisappBaseMaps || []).push(layer);
      const container = layer.getContainer && layer.getContainer();
      if (container) container.setAttribute("aria-hidden", "true");
    }
  });
})();
