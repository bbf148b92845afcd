// Staffing page: totals, the areas with the largest shortfalls as charts, and the full table.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const form = document.getElementById("st-form");
  const charts = {};
  const ROLE_NAMES = { community_worker: "社区工作者", grid_worker: "网格员" };
  const TOP = 15;

  function params(format) {
    const p = new URLSearchParams({ level: form.level.value });
    if (form.area.value.trim()) p.set("area", form.area.value.trim());
    if (format) p.set("format", format);
    return p;
  }

  function barChart(id, rows, onDuty, needed, labels) {
    if (charts[id]) charts[id].destroy();
    charts[id] = new Chart(document.getElementById(id), {
      type: "bar",
      data: { labels: rows.map((r) => r.path || r.name), datasets: [
        { label: labels[0], data: rows.map(onDuty), backgroundColor: "#1f6feb" },
        { label: labels[1], data: rows.map(needed), backgroundColor: "#f79009" }] },
      options: { animation: false, indexAxis: "y", plugins: { legend: { position: "bottom" } } },
    });
  }

  const setText = (id, text) => { document.getElementById(id).textContent = text; };

  async function load() {
    const body = await api("/api/staffing?" + params());
    document.getElementById("st-csv").href = "/api/staffing?" + params("csv");
    const t = body.totals, role = ROLE_NAMES[body.worker_role];
    setText("t-households", t.households.toLocaleString("zh-CN"));
    setText("t-workers-label", `${role} 在岗 / 应配`);
    setText("t-workers", `${t.workers} / ${t.workers_needed}`);
    setText("t-workers-short", t.workers_shortfall);
    setText("t-officers", `${t.info_officers} / ${t.info_officers_needed}–${t.info_officers_needed_max}`);
    setText("t-officers-short", `${t.info_officers_shortfall} / ${t.info_officers_shortfall_max}`);
    const byWorkers = body.rows.slice().sort((a, b) => b.workers_shortfall - a.workers_shortfall).slice(0, TOP);
    const byOfficers = body.rows.slice().sort((a, b) => b.info_officers_shortfall - a.info_officers_shortfall).slice(0, TOP);
    barChart("workers-chart", byWorkers, (r) => r.workers, (r) => r.workers_needed, ["在岗", "应配"]);
    barChart("officers-chart", byOfficers, (r) => r.info_officers, (r) => r.info_officers_needed,
             ["在岗", "应配（每 100 户）"]);
    const num = (v) => el("td", { class: "num" }, v);
    document.querySelector("#st-table tbody").replaceChildren(...body.rows.map((r) => el("tr",
      { class: r.workers_shortfall || r.info_officers_shortfall ? "short" : "", "data-code": r.code },
      el("td", {}, `${r.path || r.name}（${r.code}）`), num(r.households), num(r.workers), num(r.workers_needed),
      num(r.workers_shortfall), num(r.info_officers), num(r.info_officers_needed),
      num(r.info_officers_needed_max), num(r.info_officers_shortfall))));
    document.body.dataset.staffingReady = "1";
  }

  form.addEventListener("submit", (ev) => { ev.preventDefault(); load().catch((e) => alert("加载失败：" + e.message)); });
  load().catch((e) => alert("加载失败：" + e.message));
})();
