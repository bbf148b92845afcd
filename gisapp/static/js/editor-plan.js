// 拆分规划: the review of communities over the threshold (docs/plan.md). The map colours
// each community by its decision; a click shows its measures and reasons, the override
// (for those who decide) and the split proposal: a link into the editor for those who may
// save it, or the parts drawn here for a community supervisor, who reviews but does not cut.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const summary = document.getElementById("plan-summary");
  const detail = document.getElementById("plan-detail");
  const n = (x) => Number(x).toLocaleString("zh-CN");
  const pct = (x) => `${Math.round(x * 100)}%`;
  const DECISION = { split: "拆分", keep: "不拆分" };
  const STYLE = {
    split: { color: "#9b1c1c", fillColor: "#e5534b", fillOpacity: 0.55, weight: 1 },
    keep: { color: "#1a5e3a", fillColor: "#3fb27f", fillOpacity: 0.45, weight: 1 },
    under: { color: "#6b7280", fillColor: "#d1d5db", fillOpacity: 0.35, weight: 0.6 },
  };
  const query = new URLSearchParams(location.search);
  query.delete("map");
  const map = L.map("plan-map", { zoomSnap: 0.5 }).setView([38.95, 121.6], 11);
  const basemap = JSON.parse(document.getElementById("plan-map").dataset.basemap || "null");
  if (basemap) L.tileLayer(basemap.url, { attribution: basemap.attribution || "",
                                          maxNativeZoom: basemap.maxNativeZoom || 18 }).addTo(map);
  const layers = {};
  let proposal = null;
  let rows = {};

  for (const [id, fmt] of [["plan-csv", "csv"], ["plan-xlsx", "xlsx"]]) {
    const q = new URLSearchParams(query); q.set("format", fmt);
    document.getElementById(id).href = `/api/boundaries/plan?${q}`;
  }

  function load(select) {
    const q = new URLSearchParams(query); q.set("map", "1");
    return api(`/api/boundaries/plan?${q}`).then((plan) => {
      rows = Object.fromEntries(plan.rows.map((r) => [r.code, r]));
      renderSummary(plan);
      renderMap(plan);
      renderTable(plan);
      if (select) show(select);
    }).catch((err) => { summary.textContent = "无法载入：" + err.message; });
  }

  function renderSummary(plan) {
    document.getElementById("plan-threshold").textContent = n(plan.threshold);
    summary.replaceChildren(
      el("p", { class: "big" }, el("strong", { id: "plan-before" }, n(plan.communities)), " 个社区 → ",
         el("strong", { id: "plan-after" }, n(plan.after_split)), " 个社区"),
      el("p", { id: "plan-counts" }, `户数超过 ${n(plan.threshold)} 户的社区 ${n(plan.over_threshold)} 个：`,
         `拆分 ${n(plan.split)} 个，不拆分 ${n(plan.kept)} 个` + (plan.overridden ? `（其中人工调整 ${plan.overridden} 个）。` : "。")),
      el("p", {}, "按规则结论："),
      el("ul", { id: "plan-rules" }, plan.by_rule.map((r) => el("li", {}, `${r.name}：${n(r.communities)} 个`))),
      el("p", { id: "plan-workers" }, `社区工作者（每 200 户 1 人）：共 ${n(plan.households)} 户，需要 ${n(plan.workers_needed)} 人，`,
         `现有 ${n(plan.workers)} 人，需增配 `, el("strong", { id: "plan-add" }, n(plan.workers_to_add)), " 人",
         // Summed per community: one with more workers than it needs lends none to another.
         plan.workers_to_add > Math.max(0, plan.workers_needed - plan.workers)
           ? "（各社区缺口之和，人员多于需要的社区不抵扣）" : "",
         `，其中第一年增配约 ${n(plan.workers_first_year)} 人（${pct(plan.first_year_share)}）。`));
  }

  function styleOf(code) {
    const r = rows[code];
    if (!r) return STYLE.under;
    return Object.assign({}, STYLE[r.decision], r.override ? { dashArray: "4 3", weight: 2.5 } : {});
  }

  function renderMap(plan) {
    Object.values(layers).forEach((l) => map.removeLayer(l));
    const bounds = L.latLngBounds([]);
    for (const c of plan.map || []) {
      const layer = L.geoJSON(c.geometry, { style: () => styleOf(c.code) }).addTo(map);
      layer.on("click", () => show(c.code, c));
      layer.bindTooltip(`${c.name}（${n(c.households)} 户）${rows[c.code] ? "：" + DECISION[rows[c.code].decision] : ""}`);
      layers[c.code] = layer;
      bounds.extend(layer.getBounds());
    }
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    document.getElementById("plan-map").dataset.loaded = String(Date.now());
  }

  function renderTable(plan) {
    const body = document.querySelector("#plan-table tbody");
    body.replaceChildren(...plan.rows.map((r) => el("tr", { "data-code": r.code, class: r.decision },
      el("td", {}, el("a", { href: `#${r.code}`, onclick: (ev) => { ev.preventDefault(); show(r.code); } }, r.name),
         el("br"), el("span", { class: "code" }, `${r.street_name} ${r.code}`)),
      el("td", {}, n(r.households)),
      el("td", {}, DECISION[r.decision] + (r.override ? "（人工调整）" : "")),
      el("td", {}, r.reasons.join("；")),
      el("td", {}, r.decision === "split" ? `${r.parts} 个，各约 ${n(r.households_per_part)} 户` : "—"),
      el("td", {}, `${r.workers} / ${r.workers_needed}`))));
    if (!plan.rows.length) body.append(el("tr", {}, el("td", { colspan: 6 }, "没有户数超过门槛的社区。")));
  }

  function show(code, feature) {
    const r = rows[code];
    if (proposal) { map.removeLayer(proposal); proposal = null; }
    if (layers[code]) map.fitBounds(layers[code].getBounds(), { maxZoom: 15 });
    detail.dataset.code = code;
    if (!r) {
      const f = feature || {};
      detail.replaceChildren(el("h3", {}, f.name || code),
        el("p", {}, `${n(f.households || 0)} 户，未超过户数门槛，不在本次评估范围。`));
      return;
    }
    const m = [["户数", n(r.households)], ["面积", `${r.area_km2} 平方公里`], ["密度", `${n(r.density)} 户/平方公里`],
      ["紧凑度（4πA/P²）", r.compactness.toFixed(2)], ["面积/凸包面积", r.hull_ratio.toFixed(2)],
      ["物业小区住户", pct(r.managed_share)], ["散楼住户", pct(r.standalone_share)],
      ["住户距中心平均", `${n(r.spread_m)} 米`]];
    detail.replaceChildren(
      el("h3", {}, r.name), el("p", { class: "code" }, `${r.street_name} · ${r.code}`),
      el("p", { class: `decision ${r.decision}`, id: "plan-decision" },
         `结论：${DECISION[r.decision]}` + (r.decision === "split" ? `为 ${r.parts} 个社区` : "")),
      el("table", { class: "measures" }, el("tbody", {}, m.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, v))))),
      el("h4", {}, `规则：${r.rule_name}`),
      el("ul", { id: "plan-reasons" }, r.reasons.map((t) => el("li", {}, t))),
      r.override ? el("p", { class: "override", id: "plan-override" },
        `人工调整：规则结论为“${DECISION[r.rule_decision]}”，${r.override.username} 改为“${DECISION[r.override.decision]}”。理由：${r.override.reason}`) : "",
      proposalBlock(r), overrideForm(r));
  }

  function proposalBlock(r) {
    if (r.decision !== "split") return "";
    if (r.may_split) {
      return el("p", {}, el("a", { id: "plan-editor-link", href: `/editor?area=${r.street}&propose=${r.code}` },
                            "在编辑器中查看并保存拆分方案 ›"));
    }
    // A community supervisor reviews the split of their community; the street decides it.
    return el("p", {}, "拆分方案由街道及以上主管在边界编辑中审定。 ",
      el("button", { type: "button", id: "plan-show-parts", onclick: () => drawParts(r) }, "在地图上显示拆分方案"));
  }

  async function drawParts(r) {
    try {
      const p = await api(`/api/areas/${r.code}/split-proposal?parts=${r.parts}`);
      if (proposal) map.removeLayer(proposal);
      proposal = L.geoJSON({ type: "FeatureCollection", features: p.parts.map((part) => (
        { type: "Feature", geometry: part.geometry, properties: { households: part.households } })) },
        { style: (f) => ({ color: "#1f3a93", weight: 2, fillOpacity: 0.15, dashArray: "6 4" }) })
        .bindTooltip((l) => `${n(l.feature.properties.households)} 户`).addTo(map);
      detail.append(el("p", { id: "plan-parts" }, `拆分方案：${p.parts.map((x) => n(x.households) + " 户").join(" / ")}`));
    } catch (err) { detail.append(el("p", { class: "error" }, "无法计算拆分方案：" + err.message)); }
  }

  function overrideForm(r) {
    if (!r.may_split) return "";
    const other = r.decision === "split" ? "keep" : "split";
    const reason = el("textarea", { id: "override-reason", rows: 2, maxlength: 500, required: "required" });
    const form = el("form", { id: "plan-override-form", class: "override-form" },
      el("h4", {}, "人工调整结论"),
      el("label", { for: "override-reason" }, `改为“${DECISION[other]}”的理由（必填）`), reason,
      el("button", { type: "submit" }, `改为${DECISION[other]}`),
      r.override ? el("button", { type: "button", id: "override-clear", onclick: () => send(r.code, null, reason) }, "恢复规则结论") : "");
    form.addEventListener("submit", (ev) => { ev.preventDefault(); send(r.code, other, reason); });
    return form;
  }

  async function send(code, decision, reason) {
    if (!reason.value.trim()) { reason.focus(); reason.setAttribute("aria-invalid", "true"); return; }
    try {
      await api(`/api/boundaries/plan/${code}/override`, { method: "POST", json: { decision, reason: reason.value.trim() } });
      await load(code);
    } catch (err) { detail.append(el("p", { class: "error" }, "未能保存：" + err.message)); }
  }

  window.gisappPlan = { map, layers };
  load(location.hash.slice(1) || null);
})();
