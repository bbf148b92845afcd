// The status of a demand by its receipt code (no account): state, deadline, the answer.
(function () {
  "use strict";
  const { el, fmtTime } = window.gisapp;
  const form = document.getElementById("status-form");
  const box = document.getElementById("status-result");

  function outcome(s) {
    if (s.state === "answered") return ["答复", s.answer];
    if (s.state === "declined") return ["不予受理的理由", s.decline_reason];
    const caseState = window.gisapp.STATES[s.case_state] || s.case_state || "";
    if (s.state === "case") return ["案件", `已转为案件 ${s.case_id}（${caseState}）`];
    if (s.state === "topic") return ["议事协商", `已列入议题 ${s.topic_id}，将由居民议事协商`];
    return null;
  }

  function show(s) {
    const rows = [["受理编号", s.receipt], ["类别", s.category_zh],
      ["状态", el("span", { class: "badge demand-" + s.state }, s.state_zh)],
      ["登记时间", fmtTime(s.created_at)],
      ["办理期限", [fmtTime(s.deadline_at), s.overdue
        ? el("span", { class: "badge overdue" }, s.closed_at ? "超期办结" : "已超期") : ""]],
      ["办结时间", fmtTime(s.closed_at)], ["负责区域", s.area_path || "待分派"]];
    const end = outcome(s);
    if (end) rows.push(end);
    if (s.office) {
      const call = el("a", { href: "tel:" + s.office.phone }, s.office.phone);
      rows.push(["联系电话", [s.office.name + "：", call]]);
    }
    box.className = "card demand-status";
    const list = el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    box.replaceChildren(el("h2", {}, "办理进度"), list);
    box.hidden = false;
  }

  function fail(text) {
    box.className = "card";
    box.replaceChildren(el("p", { class: "result-error" }, text));
    box.hidden = false;
  }

  async function lookup(code) {
    let resp;
    try {
      resp = await fetch("/api/demands/receipt/" + encodeURIComponent(code.trim()));
    } catch (err) {          // no network: say so rather than leave the last answer as if fresh
      fail("网络异常，无法查询，请检查网络后重试");
      return;
    }
    const body = await resp.json().catch(() => null);
    if (resp.ok) {
      show(body);
      history.replaceState(null, "", "?receipt=" + encodeURIComponent(body.receipt));
      return;
    }
    fail(resp.status === 404 ? "没有找到这个受理编号，请核对后重试"
      : resp.status === 400 ? "受理编号为 10 位字母或数字" : "查询失败，请稍后再试");
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); lookup(form.receipt.value); });
  if (form.receipt.value) lookup(form.receipt.value);
})();
