// The public reporter's pages: the receipt (progress of the case, and the satisfaction
// link once it is closed) and the satisfaction question behind that single-use link.
(function () {
  "use strict";
  const { api, el, STATES, fmtTime } = window.gisapp;
  const message = (err) => ((err.body && err.body.message) || "网络异常，请稍后重试").split(" (")[0];

  async function showReceipt(box) {
    const status = document.getElementById("receipt-status");
    let r;
    try {
      r = await api(`/api/receipts/${encodeURIComponent(box.dataset.code)}`);
    } catch (err) { status.textContent = message(err); return; }
    status.textContent = `案件编号 ${r.id}：${STATES[r.state] || r.state}`;
    document.getElementById("receipt-facts").replaceChildren(
      el("dt", {}, "类别"), el("dd", {}, r.category_zh),
      el("dt", {}, "负责区域"), el("dd", {}, r.area_path || "人工分派中"),
      el("dt", {}, "上报时间"), el("dd", {}, fmtTime(r.reported_at)),
      el("dt", {}, "结案时间"), el("dd", {}, fmtTime(r.closed_at)));
    const s = r.satisfaction, slot = document.getElementById("receipt-satisfaction");
    if (!s) return;
    if (s.state === "open") {
      slot.replaceChildren(el("p", {}, "问题已办结，请告诉我们您是否满意：",
        el("a", { href: `/satisfaction/${s.token}`, id: "satisfaction-link", class: "button primary" }, "评价办理结果"),
        el("small", {}, `（链接仅可使用一次，${fmtTime(s.expires_at)} 前有效）`)));
    } else {
      slot.replaceChildren(el("p", { id: "satisfaction-done" },
        s.state === "used" ? "您已评价，感谢您的反馈。" : "评价期限已过。"));
    }
  }

  async function askSatisfaction(form) {
    const token = form.dataset.token, info = document.getElementById("satisfaction-case");
    const result = document.getElementById("satisfaction-result");
    try {
      const i = await api(`/api/satisfaction/${encodeURIComponent(token)}`);
      info.textContent = `${i.category_zh}，案件编号 ${i.case_id}，结案于 ${fmtTime(i.closed_at)}`;
      if (i.state !== "open") { info.textContent += i.state === "used" ? "。该链接已使用。" : "。该链接已过期。"; form.querySelector("button").disabled = true; }
    } catch (err) { info.textContent = message(err); form.querySelector("button").disabled = true; return; }
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const score = form.querySelector("input[name=score]:checked");
      if (!score) { result.textContent = "请选择满意度"; return; }
      try {
        await api(`/api/satisfaction/${encodeURIComponent(token)}`, { method: "POST",
          json: { score: Number(score.value), comment: form.comment.value } });
        result.textContent = "提交成功，感谢您的评价！";
        form.querySelector("button").disabled = true;
      } catch (err) { result.textContent = "提交失败：" + message(err); }
    });
  }

  const box = document.getElementById("receipt");
  if (box) showReceipt(box);
  const form = document.getElementById("satisfaction-form");
  if (form) askSatisfaction(form);
})();
