// Raising a demand (反映诉求): pick a place, describe, submit once (client id), keep the
// receipt code. Positions are WGS-84: a tap on our WGS-84 map or the Geolocation API.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const form = document.getElementById("demand-form");
  const result = document.getElementById("demand-result");
  const locText = document.getElementById("location-text");
  const newId = () => "web-demand-" + (crypto.randomUUID ? crypto.randomUUID()
    : Date.now() + "-" + Math.random().toString(36).slice(2));
  let clientId = newId();        // a retry after a network error never stores a second demand

  const map = L.map("demand-map").setView([38.91, 121.6], 12);
  L.control.scale({ imperial: false }).addTo(map);
  let marker = null;
  function place(lat, lng) {
    form.lng.value = lng; form.lat.value = lat;
    locText.textContent = `经度 ${(+lng).toFixed(6)}，纬度 ${(+lat).toFixed(6)}（WGS-84）`;
    if (marker) marker.setLatLng([lat, lng]);
    else marker = L.marker([lat, lng], { alt: "诉求位置" }).addTo(map);
  }
  map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
  fetch("/api/areas?level=district&zoom=10&limit=50").then((r) => r.json()).then((fc) => {
    const style = { color: "#1f6feb", weight: 2, fillOpacity: 0.04 };
    const layer = L.geoJSON(fc, { style }).addTo(map);
    if (fc.features && fc.features.length) map.fitBounds(layer.getBounds());
  });
  document.getElementById("use-location").addEventListener("click", () => {
    if (!navigator.geolocation) { locText.textContent = "浏览器不支持定位"; return; }
    navigator.geolocation.getCurrentPosition((pos) => {
      place(pos.coords.latitude, pos.coords.longitude);
      map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom(), 17));
    }, () => { locText.textContent = "无法获取位置，请在地图上点击"; });
  });

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!form.lng.value) { result.textContent = "请先选择位置"; return; }
    if (!form.body.value.trim()) { result.textContent = "请填写诉求内容"; return; }
    const json = { category: form.category.value, body: form.body.value.trim(), client_id: clientId,
                   reporter_name: form.reporter_name.value.trim() || null,
                   reporter_contact: form.reporter_contact.value.trim() || null,
                   location: { lng: Number(form.lng.value), lat: Number(form.lat.value),
                               crs: "wgs84" } };
    result.textContent = "正在提交…";
    try {
      const body = await api("/api/demands", { method: "POST", json });
      result.replaceChildren(...receipt(body.receipt));
      clientId = newId();
      form.reset();
      if (marker) { marker.remove(); marker = null; }
      locText.textContent = "未选择位置";
    } catch (err) {
      result.textContent = "提交失败：" + (err.status ? chinese(err) : "网络异常，可直接重试，不会重复提交");
    }
  });

  function receipt(r) {
    const link = "/demands/status?receipt=" + encodeURIComponent(r.receipt);
    return [el("p", {}, "已受理。您的受理编号："),
      el("p", { class: "receipt-code", id: "receipt-code" }, r.receipt),
      el("p", {}, `请在 ${new Date(r.deadline_at).toLocaleDateString("zh-CN")} 前留意办理结果`,
        r.area_path ? `，由 ${r.area_path} 负责。` : "。"),
      el("p", {}, el("a", { href: link, id: "status-link" }, "查询办理进度"))];
  }

  function chinese(err) {
    const msg = ((err.body && err.body.message) || "").split(" (")[0];
    if (/[\u4e00-\u9fff]/.test(msg)) return msg;
    return { 400: "填写的内容有误，请检查后重试", 429: "提交太频繁，请稍后再试" }[err.status] || `服务器错误 ${err.status}`;
  }
})();
