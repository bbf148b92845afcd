// Public hazard report: pick a place, describe, attach photos, submit once (client id).
// Positions are WGS-84: from a tap on the map (our base map is WGS-84) or from the
// browser's Geolocation API (WGS-84 by the W3C specification).
(function () {
  "use strict";
  const { el } = window.gisapp;
  const form = document.getElementById("report-form");
  const result = document.getElementById("report-result");
  const locText = document.getElementById("location-text");
  // One id per report: a retry after a network error can never create a second case.
  let clientId = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random());

  const map = L.map("report-map").setView([38.91, 121.6], 12);
  L.control.scale({ imperial: false }).addTo(map);          // how far the view reaches
  let marker = null;
  function place(lat, lng, crs) {
    form.lng.value = lng; form.lat.value = lat; form.crs.value = crs || "wgs84";
    locText.textContent = `经度 ${(+lng).toFixed(6)}，纬度 ${(+lat).toFixed(6)}（WGS-84）`;
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
      (pos) => {
        place(pos.coords.latitude, pos.coords.longitude, "wgs84");
        map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 17));
      },
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
      result.replaceChildren(...receipt(body.case));
      clientId = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()));
      form.reset();                       // ready for the next report, from a new place
      if (marker) { marker.remove(); marker = null; }
      locText.textContent = "未选择位置";
    } catch (err) {
      result.textContent = "提交失败：" + (err.status ? chinese(err) : "网络异常，可直接重试，不会重复提交");
    }
  });

  // The receipt names the area by its full path and the office to call.
  function receipt(c) {
    const parts = [el("strong", {}, `已受理，案件编号 ${c.id}`)];
    if (!c.area_path) parts.push("，将由工作人员人工分派。");
    else parts.push(`，由 ${c.area_path} 负责处理。`);
    if (c.office) parts.push(el("br"), `联系 ${c.office.name}：`, el("a", { href: "tel:" + c.office.phone }, c.office.phone));
    // The receipt code: progress now, and the satisfaction question once it is closed.
    if (c.receipt_code) {
      const url = `/receipt/${c.receipt_code}`;
      parts.push(el("br"), `查询码 ${c.receipt_code}，请保存：`, el("a", { href: url, id: "receipt-link" }, "查看办理进度"));
    }
    return parts;
  }

  function chinese(err) {
    const msg = ((err.body && err.body.message) || "").split(" (")[0];
    if (/[\u4e00-\u9fff]/.test(msg)) return msg;
    return { 400: "填写的内容有误，请检查后重试", 413: "照片太大", 429: "提交太频繁，请稍后再试" }[err.status]
      || `服务器错误 ${err.status}`;
  }
})();
