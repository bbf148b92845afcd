// The case list: search, filters, sorting and paging, kept in the address bar; a table on a
// desk, cards on a phone (the same rows, two layouts; CSS shows the one that fits).
(function () {
  "use strict";
  const { api, el, STATES, KINDS, fmtTime } = window.gisapp;
  const PAGE = Number(document.currentScript.dataset.pageSize) || 50;
  const form = document.getElementById("case-filters");
  const tbody = document.querySelector("#case-table tbody");
  const cards = document.getElementById("case-cards");
  const count = document.getElementById("case-count");
  const prev = document.getElementById("page-prev");
  const next = document.getElementById("page-next");
  const FIELDS = ["q", "state", "kind", "sort"];
  let offset = 0;

  // The form starts from the address bar, so a link (/cases?mine=1) or a reload keeps it.
  function fromAddress() {
    const p = new URLSearchParams(location.search);
    FIELDS.forEach((k) => { if (p.has(k)) form.elements[k].value = p.get(k); });
    form.elements.mine.checked = p.get("mine") === "1";
    offset = Math.max(0, Number(p.get("offset")) || 0);
  }

  function query() {
    const p = new URLSearchParams();
    FIELDS.forEach((k) => { const v = form.elements[k].value.trim(); if (v && !(k === "sort" && v === "reported")) p.set(k, v); });
    if (form.elements.mine.checked) p.set("mine", "1");
    return p;
  }

  function clock(c) {
    if (c.overdue) return el("span", { class: "badge overdue" }, "已超期");
    if (c.near_deadline) return el("span", { class: "badge warn" }, "即将超期");
    return c.deadline_at ? fmtTime(c.deadline_at) : "—";
  }

  const where = (c) => c.area_path || c.area_name || "未分派";
  const state = (c) => el("span", { class: "badge state-" + c.state }, STATES[c.state] || c.state);

  function row(c) {
    return el("tr", { "data-case-id": c.id },
      el("td", {}, el("a", { href: "/cases/" + c.id }, String(c.id))),
      el("td", {}, `${KINDS[c.kind] || c.kind} · ${c.category_zh}`),
      el("td", {}, state(c)),
      el("td", {}, fmtTime(c.reported_at)),
      el("td", {}, where(c), c.address ? el("div", { class: "muted" }, c.address) : ""),
      el("td", {}, c.assignee || c.department || "—"),
      el("td", {}, clock(c)),
      el("td", { class: "desc" }, c.description));
  }

  function card(c) {
    return el("li", { class: "case-card", "data-case-id": c.id },
      el("a", { href: "/cases/" + c.id, "aria-label": `案件 ${c.id}：${c.category_zh}` },
        el("div", { class: "card-top" }, el("strong", {}, `#${c.id} ${c.category_zh}`), state(c)),
        el("p", { class: "card-desc" }, c.description),
        el("p", { class: "muted" }, where(c), c.address ? ` · ${c.address}` : ""),
        el("div", { class: "card-foot" }, el("span", {}, "时限 ", clock(c)),
          el("span", {}, c.assignee || c.department || "未指派"))));
  }

  async function load() {
    const p = query();
    document.getElementById("csv-link").href = "/api/cases?format=csv&limit=5000&" + p.toString();
    const shown = new URLSearchParams(p);
    if (offset) shown.set("offset", String(offset));
    history.replaceState(null, "", location.pathname + (shown.toString() ? "?" + shown : ""));
    p.set("limit", String(PAGE));
    p.set("offset", String(offset));
    count.textContent = "正在加载…";
    const page = await api("/api/cases?" + p.toString());
    tbody.replaceChildren(...page.cases.map(row));
    cards.replaceChildren(...page.cases.map(card));
    const pages = Math.max(1, Math.ceil(page.numberMatched / PAGE));
    const at = Math.floor(offset / PAGE) + 1;
    count.textContent = page.numberMatched
      ? `共 ${page.numberMatched} 件，显示第 ${offset + 1}–${offset + page.numberReturned} 件`
      : "没有符合条件的案件";
    document.getElementById("page-info").textContent = `第 ${at} / ${pages} 页`;
    prev.disabled = offset === 0;
    next.disabled = offset + page.numberReturned >= page.numberMatched;
  }

  function reload() {
    load().catch((err) => { count.textContent = "加载失败：" + err.message; });
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; reload(); });
  ["state", "kind", "sort", "mine"].forEach((k) => form.elements[k].addEventListener("change", () => {
    offset = 0; reload();
  }));
  prev.addEventListener("click", () => { offset = Math.max(0, offset - PAGE); reload(); });
  next.addEventListener("click", () => { offset += PAGE; reload(); });
  fromAddress();
  reload();
})();
