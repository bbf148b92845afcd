// The demands list: filters kept in the address bar, a table on a desk and cards on a
// phone, counts per area below, and the CSV of the same filters.
(function () {
  "use strict";
  const { api, el, fmtTime } = window.gisapp;
  const PAGE = 50;
  const form = document.getElementById("demand-filters");
  // group: one group of similar demands (a link from a demand's page); no input of its own.
  const FIELDS = ["area", "from", "to", "state", "category", "group"];
  const $ = (id) => document.getElementById(id);
  let offset = 0;

  function fromAddress() {
    const p = new URLSearchParams(location.search);
    FIELDS.forEach((k) => { if (p.has(k)) form.elements[k].value = p.get(k); });
    form.elements.overdue.checked = p.get("overdue") === "1";
    offset = Math.max(0, Number(p.get("offset")) || 0);
  }

  function query() {
    const p = new URLSearchParams();
    FIELDS.forEach((k) => { const v = form.elements[k].value.trim(); if (v) p.set(k, v); });
    if (form.elements.overdue.checked) p.set("overdue", "1");
    return p;
  }

  const state = (d) => el("span", { class: "badge demand-" + d.state }, d.state_zh);
  const deadline = (d) => (d.overdue && d.state === "open"
    ? el("span", { class: "badge overdue" }, "已超期") : fmtTime(d.deadline_at));
  const same = (d) => (d.group_id !== d.id ? `同 #${d.group_id}` : "");

  function row(d) {
    return el("tr", { "data-demand-id": d.id },
      el("td", {}, el("a", { href: "/demands/" + d.id }, String(d.id))),
      el("td", {}, d.category_zh), el("td", {}, state(d)), el("td", {}, fmtTime(d.created_at)),
      el("td", {}, d.area_path || "未分派"), el("td", {}, deadline(d)), el("td", {}, same(d)),
      el("td", { class: "desc" }, d.body));
  }

  function card(d) {
    return el("li", { class: "case-card", "data-demand-id": d.id },
      el("a", { href: "/demands/" + d.id, "aria-label": `诉求 ${d.id}：${d.category_zh}` },
        el("div", { class: "card-top" }, el("strong", {}, `#${d.id} ${d.category_zh}`), state(d)),
        el("p", { class: "card-desc" }, d.body),
        el("p", { class: "muted" }, d.area_path || "未分派", " · ", d.source_zh),
        el("div", { class: "card-foot" }, el("span", {}, "期限 ", deadline(d)),
          el("span", {}, same(d)))));
  }

  function countRow(a) {
    const cells = ["total", "open", "overdue", "case", "topic", "answered", "declined", "on_time"];
    return el("tr", {}, el("td", {}, a.name), ...cells.map((k) => el("td", {}, String(a[k]))));
  }

  async function load() {
    const p = query();
    $("csv-link").href = "/api/demands?format=csv&" + p.toString();
    const shown = new URLSearchParams(p);
    if (offset) shown.set("offset", String(offset));
    history.replaceState(null, "", location.pathname + (shown.toString() ? "?" + shown : ""));
    $("group-note").hidden = !p.get("group");
    $("group-id").textContent = "#" + (p.get("group") || "");
    $("demand-count").textContent = "正在加载…";
    const paged = new URLSearchParams(p);
    paged.set("limit", String(PAGE)); paged.set("offset", String(offset));
    const [page, counts] = await Promise.all([api("/api/demands?" + paged),
                                              api("/api/demands/counts?" + p)]);
    document.querySelector("#demand-table tbody").replaceChildren(...page.demands.map(row));
    $("demand-cards").replaceChildren(...page.demands.map(card));
    $("demand-count").textContent = page.total
      ? `共 ${page.total} 条，显示第 ${offset + 1}–${offset + page.demands.length} 条` : "没有符合条件的诉求";
    const pages = Math.max(1, Math.ceil(page.total / PAGE));
    $("page-info").textContent = `第 ${Math.floor(offset / PAGE) + 1} / ${pages} 页`;
    $("page-prev").disabled = offset === 0;
    $("page-next").disabled = offset + PAGE >= page.total;
    const counted = counts.areas.filter((a) => a.total).map(countRow);
    document.querySelector("#count-table tbody").replaceChildren(...counted);
  }

  const fail = (err) => {
    const why = ((err.body && err.body.message) || err.message).split(" (")[0];
    $("demand-count").textContent = "加载失败：" + why;
  };
  form.addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; load().catch(fail); });
  $("page-prev").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    load().catch(fail);
  });
  $("page-next").addEventListener("click", () => { offset += PAGE; load().catch(fail); });
  fromAddress();
  load().catch(fail);
})();
