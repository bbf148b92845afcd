// Public hazard report: pick a place, describe, attach photos, submit once (client id).
(function () {
  "use strict";
  const { el } = window.gisapp;
  const form = document.getElementById("report-form");
  const result = document.getElementById("report-result");
  const locText = document.getElementById("location-text");
  // One id per report: a retry after a network error can never create a second case.
  let clientId = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());

  const map = L.map("report-map").setView([38.91, 121.6], 12);
  let marker = null;
  function place(lat, lng, crs) {
    form.lng.value = lng; form.lat.value = lat; form.crs.value = crs || "wgs84";
    locText.textContent = `经度 ${(+lng).toFixed(6)}，纬度 ${(+lat).toFixed(6)}`;
    if (marker) marker.setLatLng([lat, lng]); else marker = L.marker([lat, lng]).addTo(map);
  }
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng, "wgs84"));
  fetch("/api/areas?level=district&zoom=10&limit=50").then((r) => r.json()).then((fc) => {
    const layer = L.geoJSON(fc, { style: { color: "#1f6feb", weight: 2, fillOpacity: 0.04 } }).addTo(map);
    if (fc.features && fc.features.length) map.fitBounds(layer.getBounds());
  });
  document.getElementById("use-location").addEventListener("click", () => {
    if (!navigator.geolocation) { locText.textContent = "浏览器不支持定位"; return; }
    navigator.geolocation.getCurrentPosition(
      (pos) => place(pos.coords.latitude, pos.coords.longitude, "wgs84"),
      () => { locText.textContent = "无法获取位置，请在地图上点击"; });
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!form.lng.value) { result.textContent = "请先选择位置"; return; }
    if (!form.description.value.trim()) { result.textContent = "请填写情况描述"; return; }
    const data = new FormData(form);
    data.set("kind", form.category.selectedOptions[0].dataset.kind);
    data.set("client_id", clientId);
    result.textContent = "正在提交…";
    try {
      const body = await window.gisapp.api("/api/cases", { method: "POST", body: data });
      result.replaceChildren(el("strong", {}, `已受理，案件编号 ${body.case.id}`),
        body.case.area_name ? `，由 ${body.case.area_name} 负责处理。` : "，将由工作人员人工分派。");
      clientId = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()));
      form.reset();
    } catch (err) {
      result.textContent = "提交失败：" + err.message + (err.status ? "" : "（网络异常，可直接重试）");
    }
  });
})();
