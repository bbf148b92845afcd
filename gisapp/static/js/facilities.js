// Facilities page: the registry on a map and in a table; supervisors register, change and remove.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const filter = document.getElementById("fac-filter");
  const form = document.getElementById("fac-form");          // absent for those who may not edit
  const result = document.getElementById("fac-result");
  const map = L.map("fac-map", { zoomSnap: 0.5 }).setView([38.95, 121.6], 11);
  const basemap = JSON.parse(filter.dataset.basemap || "null");
  if (basemap) L.tileLayer(basemap.url, { attribution: basemap.attribution || "",
                                          maxNativeZoom: basemap.maxNativeZoom || 18 }).addTo(map);
  let markers = null, pick = null, fitted = false;
  const byId = new Map();

  api("/api/areas?level=street&zoom=12&limit=500").then((fc) => {
    const layer = L.geoJSON(fc, { style: { color: "#64748b", weight: 1, fillOpacity: 0.03 },
                                  interactive: false }).addTo(map);
    if (!fitted && fc.features && fc.features.length) map.fitBounds(layer.getBounds());
  }).catch(() => {});

  async function load() {
    const p = new URLSearchParams({ limit: "5000" });
    if (filter.kind.value) p.set("kind", filter.kind.value);
    if (filter.area.value.trim()) p.set("area", filter.area.value.trim());
    const body = await api("/api/facilities?" + p);
    byId.clear();
    body.facilities.forEach((f) => byId.set(f.id, f));
    if (markers) markers.remove();
    markers = L.layerGroup(body.facilities.map((f) => L.circleMarker([f.lat, f.lng], {
      radius: 6, color: "#fff", weight: 1.5, fillColor: f.is_public ? "#1f6feb" : "#7c3aed", fillOpacity: 1,
    }).bindTooltip(`${f.name}（${f.kind_name}）`).on("click", () => select(f)))).addTo(map);
    document.getElementById("fac-count").textContent = `共 ${body.count} 处`;
    document.querySelector("#fac-table tbody").replaceChildren(...body.facilities.slice(0, 500).map((f) =>
      el("tr", { "data-id": f.id, onclick: () => select(f) }, el("td", {}, f.name), el("td", {}, f.kind_name),
         el("td", { class: "num" }, f.capacity ?? "—"), el("td", {}, f.opening_hours || "—"),
         el("td", {}, f.area_path || f.area_name || "—"))));
    document.body.dataset.facilitiesReady = "1";
  }

  function place(lat, lng) {
    if (!form) return;
    form.lng.value = (+lng).toFixed(6); form.lat.value = (+lat).toFixed(6);
    if (pick) pick.setLatLng([lat, lng]); else pick = L.marker([lat, lng]).addTo(map);
  }

  function select(f) {
    map.panTo([f.lat, f.lng]);
    if (!form) return;
    document.getElementById("fac-form-title").textContent = `修改：${f.name}`;
    ["id", "kind", "name", "address", "phone", "capacity", "opening_hours"].forEach((k) => {
      form[k].value = f[k] ?? "";
    });
    form.is_public.checked = f.is_public;
    place(f.lat, f.lng);
    document.getElementById("fac-delete").disabled = false;
  }

  function reset() {
    form.reset();
    form.id.value = "";
    document.getElementById("fac-form-title").textContent = "登记新设施（在地图上点击选择位置）";
    document.getElementById("fac-delete").disabled = true;
    if (pick) { pick.remove(); pick = null; }
  }

  function body() {
    const b = { kind: form.kind.value, name: form.name.value.trim(), address: form.address.value.trim() || null,
                phone: form.phone.value.trim() || null, opening_hours: form.opening_hours.value.trim() || null,
                capacity: form.capacity.value === "" ? null : Number(form.capacity.value),
                is_public: form.is_public.checked };
    if (form.lng.value) b.location = { lng: Number(form.lng.value), lat: Number(form.lat.value), crs: "wgs84" };
    return b;
  }

  if (form) {
    map.on("click", (e) => place(e.latlng.lat, e.latlng.lng));
    document.getElementById("fac-new").addEventListener("click", reset);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!form.name.value.trim()) { result.textContent = "请填写名称"; return; }
      if (!form.lng.value) { result.textContent = "请在地图上点击选择位置"; return; }
      try {
        const id = form.id.value;
        const saved = await api(id ? `/api/facilities/${id}` : "/api/facilities",
                                { method: id ? "PATCH" : "POST", json: body() });
        result.textContent = `已保存：${saved.facility.name}（${saved.facility.area_path || saved.facility.area_name || "区域外"}）`;
        await load();
        select(saved.facility);
      } catch (err) { result.textContent = "保存失败：" + err.message; }
    });
    document.getElementById("fac-delete").addEventListener("click", async () => {
      const id = form.id.value;
      if (!id || !confirm("确定删除该设施？")) return;
      try {
        await api(`/api/facilities/${id}`, { method: "DELETE" });
        result.textContent = "已删除";
        reset();
        await load();
      } catch (err) { result.textContent = "删除失败：" + err.message; }
    });
  }
  filter.addEventListener("submit", (ev) => { ev.preventDefault(); load().catch((e) => alert("加载失败：" + e.message)); });
  load().catch((e) => alert("加载失败：" + e.message));
})();
