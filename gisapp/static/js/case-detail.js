// One case: its facts and full area path, its place on a small map, the actions the viewer
// may take now (each with its own form, case-actions.js), photos and the history with
// people's names and roles.
(function () {
  "use strict";
  const { api, el, STATES, ACTIONS, KINDS, fmtTime } = window.gisapp;
  const caseId = document.currentScript.dataset.caseId;
  const result = document.getElementById("action-result");
  const panel = document.getElementById("action-panel");
  let map = null;

  function facts(c) {
    const rows = [
      ["类型", `${KINDS[c.kind] || c.kind} · ${c.category_zh}`], ["描述", c.description],
      ["上报时间", fmtTime(c.reported_at)], ["区域", c.area_path || "未分派（不在任何区域内）"],
      ["处理人", c.assignee || c.department || "—"], ["时限", c.deadline_at ? fmtTime(c.deadline_at) : "未开始计时"],
      ["超期", c.overdue ? "是" : (c.near_deadline ? "即将超期" : "否")], ["返工次数", c.rework_count],
      ["评价", c.evaluation ? `${c.evaluation} 分` : "—"],
      ["疑似重复", c.duplicate_of.length ? c.duplicate_of.join("、") : "无"],
      ["边界附近", c.ambiguous ? "是（位置靠近区域边界）" : "否"],
      ["联系方式", c.contact || "—"],
    ];
    if (c.cancel_reason) rows.push(["作废原因", c.cancel_reason]);
    return el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  // The case on a small map, inside its area's outline. No base map layer here: the
  // offline base map is added to Leaflet pages elsewhere (window.gisapp.caseMap).
  function drawMap(c) {
    if (map || typeof L === "undefined") return;
    map = L.map("case-map", { attributionControl: false, scrollWheelZoom: false });
    window.gisapp.caseMap = map;
    const spot = L.circleMarker([c.lat, c.lng], { radius: 8, color: "#b42318", weight: 3, fillOpacity: 0.6 })
      .addTo(map).bindTooltip(`案件 ${c.id}`);
    map.setView(spot.getLatLng(), 17);
    document.getElementById("case-where").textContent =
      `${c.area_path || "未分派"} · 经度 ${c.lng.toFixed(5)}，纬度 ${c.lat.toFixed(5)}（WGS-84）`;
    if (!c.area_code) return;
    api(`/api/areas/${c.area_code}`).then((area) => {
      const outline = L.geoJSON(area, { style: { color: "#1f6feb", weight: 2, fillOpacity: 0.05 } }).addTo(map);
      map.fitBounds(outline.getBounds().extend(spot.getLatLng()), { maxZoom: 18, padding: [10, 10] });
    }).catch(() => {});
  }

  function eventText(e) {
    const parts = [ACTIONS[e.action] || (e.action === "report" ? "上报" : e.action === "route" ? "人工分派" : e.action)];
    if (e.assignee) parts.push(`给 ${e.assignee}`);
    if (e.detail && e.detail.evaluation) parts.push(`评分 ${e.detail.evaluation} 分`);
    if (e.action === "extend" && e.detail.deadline_at) parts.push(`时限延至 ${fmtTime(e.detail.deadline_at)}`);
    if (e.area_path) parts.push(`至 ${e.area_path}`);
    if (e.to_state !== e.from_state) parts.push(`→ ${STATES[e.to_state] || e.to_state}`);
    return parts.join(" ");
  }

  function event(e) {
    return el("li", { "data-action": e.action },
      el("time", { datetime: e.at }, fmtTime(e.at)), " ", el("span", { class: "who" }, e.actor), " ",
      eventText(e), e.note ? `（${e.note}）` : "", e.photos ? ` · 照片 ${e.photos} 张` : "");
  }

  function buttons(c) {
    const list = (c.actions || []).slice();
    if (list.includes("cancel")) list.push("merge");      // a duplicate is cancelled into another
    return list.map((a) => el("button", { type: "button", "data-action": a,
      onclick: () => window.gisapp.caseActions.open(panel, a, c, done) },
      a === "merge" ? "合并重复" : (ACTIONS[a] || a)));
  }

  async function done(text, failed) {
    result.textContent = text;
    result.className = failed ? "result-error" : "";
    if (!failed) await load();
  }

  async function load() {
    const c = await api("/api/cases/" + caseId);
    const state = document.getElementById("case-state");
    state.textContent = STATES[c.state] || c.state;
    state.className = "badge state-" + c.state;
    document.getElementById("case-facts").replaceChildren(facts(c));
    document.getElementById("case-actions").replaceChildren(...buttons(c));
    if (!c.actions.length) document.getElementById("case-actions").append(el("p", { class: "muted" }, "当前没有您可以执行的操作"));
    document.getElementById("case-photos").replaceChildren(...(c.photos.length ? c.photos.map((p) =>
      el("img", { src: p.url, alt: `现场照片 ${p.id}`, class: "photo" })) : [el("p", { class: "muted" }, "暂无照片")]));
    document.getElementById("case-events").replaceChildren(...c.events.map(event));
    drawMap(c);
  }
  load().catch((err) => { result.textContent = "加载失败：" + window.gisapp.reason(err); });
})();
