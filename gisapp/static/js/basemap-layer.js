// The offline vector base map (roads, water, buildings, names) under every Leaflet map of
// the page: MapLibre GL draws our `base` tiles with /styles/base-light.json through
// maplibre-gl-leaflet. A Leaflet init hook, so the pages' own scripts need no change.
// Loaded only when no raster base map is configured (templates/_basemap.html).
(function () {
  "use strict";
  const config = document.getElementById("gisapp-basemap");
  if (!config || !window.maplibregl || !window.L || !L.maplibreGL) return;
  const options = JSON.parse(config.textContent);
  // The CSP build: the worker is a file of our own, never a blob made from eval'd code.
  maplibregl.setWorkerUrl(options.worker);
  L.Map.addInitHook(function () {
    const map = this;
    // After the constructor: Leaflet makes its zoom-animation proxy after the init hooks,
    // and pages set their view after making the map; the GL layer needs both.
    setTimeout(function () { map.whenReady(add); }, 0);
    function add() {
      const layer = L.maplibreGL({ style: options.style, interactive: false,
                                   attributionControl: false });
      layer.addTo(map);
      // For tests and the console: each Leaflet map's base layer (getMaplibreMap() for GL).
      (window.gisappBaseMaps = window.gisappBaseMaps || []).push(layer);
      const container = layer.getContainer && layer.getContainer();
      if (container) container.setAttribute("aria-hidden", "true");
    }
  });
})();
