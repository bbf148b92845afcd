// One demand: its facts, its history, and the actions the viewer may take on it.
(function () {
  "use strict";
  const { api, el, fmtTime, STATES } = window.gisapp;
  const $ = (id) => document.getElementById(id);
  const id = $("demand-page").dataset.demandId;
  let demand = null;

  function facts(d) {
    const rows = [["状态", el("span", { class: "badge demand-" + d.state }, d.state_zh)],
      ["类别", d.category_zh], ["来源", d.source_zh + (d.visit_id ? `（走访 ${d.visit_id}）` : "")],
      ["受理编号", d.receipt], ["区域", d.area_path || "未分派"], ["登记时间", fmtTime(d.created_at)],
      ["办理期限", [fmtTime(d.deadline_at),
        d.overdue ? el("span", { class: "badge overdue" }, "超期") : ""]],
      ["诉求内容", el("span", { class: "demand-body" }, d.body)]];
    if (d.reporter_name || d.reporter_contact) {
      rows.push(["反映人", [d.reporter_name || "", " ", d.reporter_contact || ""]]);
    }
    if (d.raised_by) rows.push(["登记人", d.raised_by]);
    if (d.group_size > 1) {
      const link = el("a", { href: "/demands?group=" + d.group_id }, `本组共 ${d.group_size} 条`);
      rows.push(["同类诉求", link]);
    }
    if (d.case_id) {
      const caseState = STATES[d.case_state] || d.case_state;
      rows.push(["案件", el("a", { href: "/cases/" + d.case_id }, `#${d.case_id}（${caseState}）`)]);
    }
    if (d.topic_id) rows.push(["议题", `#${d.topic_id}`]);
    if (d.answer) rows.push(["答复", d.answer]);
    if (d.decline_reason) rows.push(["不予受理理由", d.decline_reason]);
    return rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]);
  }

  function show(d) {
    demand = d;
    $("demand-title").textContent = `诉求 ${d.id} · ${d.category_zh}`;
    $("demand-facts").replaceChildren(...facts(d));
    $("demand-history").replaceChildren(...d.events.map((e) => el("li", {},
      el("span", { class: "who" }, e.actor || "群众"), ` ${e.action_zh} · ${fmtTime(e.at)}`,
      e.note && e.action !== "raise" ? el("div", {}, e.note) : "")));
    document.querySelectorAll(".action-form").forEach((f) => {
      f.hidden = !d.actions.includes(f.dataset.action);
    });
    $("no-actions").hidden = d.actions.length > 0;
    $("group-box").hidden = !(d.actions.length && d.group_size > 1);
    $("group-text").textContent = `同时办理本组其他 ${d.group_size - 1} 条同类诉求`;
  }

  function params(form) {
    const p = { version: demand.version, whole_group: $("whole-group").checked };
    if (form.answer) p.answer = form.answer.value.trim();
    if (form.reason) p.reason = form.reason.value.trim();
    if (form.topic_id) p.topic_id = Number(form.topic_id.value) || null;
    if (form.case_category) p.case_category = form.case_category.value || null;
    return p;
  }

  async function act(ev) {
    ev.preventDefault();
    const form = ev.target;
    $("action-result").className = "";
    try {
      const r = await api(`/api/demands/${id}/actions/${form.dataset.action}`,
                          { method: "POST", json: params(form) });
      $("action-result").textContent = `已办理 ${r.settled.length} 条诉求`;
      show(r.demand);
    } catch (err) {
      $("action-result").className = "result-error";
      const why = ((err.body && err.body.message) || err.message).split(" (")[0];
      $("action-result").textContent = "办理失败：" + why;
    }
  }

  document.querySelectorAll(".action-form").forEach((f) => f.addEventListener("submit", act));
  api("/api/case-categories").then((r) => {
    const options = r.categories.map((c) => el("option", { value: c.key }, c.name_zh));
    document.querySelector("[name=case_category]").append(...options);
  });
  api(`/api/demands/${id}`).then(show).catch((err) => {
    $("demand-title").textContent = err.status === 404 ? "没有这条诉求，或您无权查看" : "加载失败";
  });
})();
