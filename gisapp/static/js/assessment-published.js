// 考核公示: the published runs and their rankings, for everyone (no personal data).
(function () {
  "use strict";
  const { api, el, fmtTime } = window.gisapp;
  const LEVELS = { community: "社区", grid: "网格", worker: "工作人员" };
  const select = document.getElementById("p-runs");

  async function show(id) {
    const { run, results } = await api(`/api/assessment/runs/${id}`);
    document.getElementById("p-window").textContent = `公示于 ${fmtTime(run.published_at)}，申诉截止 ${fmtTime(run.appeal_until)}`;
    document.getElementById("p-table").tBodies[0].replaceChildren(...results.map((r) => el("tr", {},
      el("td", {}, r.rank ?? "—"), el("td", {}, r.label),
      el("td", {}, r.score === null ? "—" : r.score.toFixed(2)), el("td", {}, r.grade || "—"))));
  }

  api("/api/assessment/runs").then(({ runs }) => {
    const published = runs.filter((r) => r.state === "published");
    select.replaceChildren(...published.map((r) => el("option", { value: r.id },
      `${LEVELS[r.level]} · ${r.period_from} 至 ${r.period_to}${r.scope ? " · " + r.scope : ""}`)));
    if (!published.length) { document.getElementById("p-window").textContent = "暂无公示中的考核"; return; }
    select.addEventListener("change", () => show(select.value));
    show(published[0].id);
  });
})();
