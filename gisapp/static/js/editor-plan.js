// 拆分规划: the communities over 3,000 households, the count after splitting, and the
// community workers needed (one per 200 households) against those on duty.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const summary = document.getElementById("plan-summary");
  const n = (x) => Number(x).toLocaleString("zh-CN");

  api("/api/boundaries/plan").then((plan) => {
    document.getElementById("plan-threshold").textContent = n(plan.threshold);
    const add = plan.workers_to_add ? `，需增加 ${n(plan.workers_to_add)} 人` : "，已满足";
    summary.replaceChildren(
      el("p", { class: "big" }, el("strong", { id: "plan-before" }, n(plan.communities)), " 个社区 → ",
         el("strong", { id: "plan-after" }, n(plan.after_split)), " 个社区"),
      el("p", {}, `其中 ${n(plan.over_threshold)} 个社区户数超过 ${n(plan.threshold)} 户，按每部分不超过 ${n(plan.threshold)} 户拟拆分。`),
      el("p", { id: "plan-workers" }, `社区工作者（每 200 户 1 人）：共 ${n(plan.households)} 户，需要 ${n(plan.workers_needed)} 人，现有 ${n(plan.workers)} 人${add}。`));
    const body = document.querySelector("#plan-table tbody");
    body.replaceChildren(...plan.rows.map((r) => el("tr", { "data-code": r.code },
      el("td", {}, r.name), el("td", {}, r.code), el("td", {}, n(r.households)), el("td", {}, `${r.parts} 个`),
      el("td", {}, `${n(r.households_per_part)} 户`), el("td", {}, `${r.workers} / ${r.workers_needed}`),
      el("td", {}, el("a", { href: `/editor?area=${r.street}` }, "在编辑器中查看拆分方案")))));
    if (!plan.rows.length) body.append(el("tr", {}, el("td", { colspan: 7 }, "没有需要拆分的社区。")));
  }).catch((err) => { summary.textContent = "无法载入：" + err.message; });
})();
