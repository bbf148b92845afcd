// The worker's case list: filters, overdue flags, links to each case.
(function () {
  "use strict";
  const { api, el, STATES, KINDS, fmtTime } = window.gisapp;
  const tbody = document.querySelector("#case-table tbody");
  const count = document.getElementById("case-count");
  const ids = ["f-state", "f-kind", "f-mine"];

  function query() {
    const p = new URLSearchParams({ limit: "500" });
    const state = document.getElementById("f-state").value;
    const kind = document.getElementById("f-kind").value;
    if (state) p.set("state", state);
    if (kind) p.set("kind", kind);
    if (document.getElementById("f-mine").checked) p.set("mine", "1");
    return p;
  }

  function clock(c) {
    if (c.overdue) return el("span", { class: "badge overdue" }, "已超期");
    if (c.near_deadline) return el("span", { class: "badge warn" }, "即将超期");
    return c.deadline_at ? fmtTime(c.deadline_at) : "—";
  }

  async function load() {
    const p = query();
    document.getElementById("csv-link").href = "/api/cases?format=csv&" + p.toString();
    const page = await api("/api/cases?" + p.toString());
    tbody.replaceChildren(...page.cases.map((c) => el("tr", { "data-case-id": c.id },
      el("td", {}, el("a", { href: "/cases/" + c.id }, String(c.id))),
      el("td", {}, `${KINDS[c.kind] || c.kind} · ${c.category_zh}`),
      el("td", {}, el("span", { class: "badge state-" + c.state }, STATES[c.state] || c.state)),
      el("td", {}, fmtTime(c.reported_at)),
      el("td", {}, c.area_name || "未分派"),
      el("td", {}, c.assignee || c.department || "—"),
      el("td", {}, clock(c)),
      el("td", { class: "desc" }, c.description))));
    count.textContent = `共 ${page.numberMatched} 件，显示 ${page.numberReturned} 件`;
  }
  ids.forEach((id) => document.getElementById(id).addEventListener("change", load));
  load().catch((err) => { count.textContent = "加载失败：" + err.message; });
})();
