// Evaluation charts: a daily trend and a ranking of the child areas by closure rate.
(function () {
  "use strict";
  const { api, el, pct } = window.gisapp;
  let trend = null, rank = null;
  const iso = (d) => d.toISOString().slice(0, 10);
  const to = new Date(Date.now() + 86400000), from = new Date(Date.now() - 29 * 86400000);
  document.getElementById("s-from").value = iso(from);
  document.getElementById("s-to").value = iso(to);

  function params(group) {
    const p = new URLSearchParams({ group, from: document.getElementById("s-from").value,
                                    to: document.getElementById("s-to").value });
    const area = document.getElementById("s-area").value.trim();
    if (area) p.set("area", area);
    return p;
  }

  function draw(old, canvas, config) {
    if (old) old.destroy();
    return new Chart(canvas, config);
  }

  async function load() {
    const [days, areas] = await Promise.all([
      api("/api/cases/stats?" + params("day")), api("/api/cases/stats?" + params("area"))]);
    document.getElementById("s-csv").href = "/api/cases/stats?format=csv&" + params("area");
    trend = draw(trend, document.getElementById("trend-chart"), {
      type: "line",
      data: { labels: days.rows.map((r) => r.grp), datasets: [
        { label: "上报", data: days.rows.map((r) => r.reported), borderColor: "#1f6feb" },
        { label: "结案", data: days.rows.map((r) => r.closed), borderColor: "#2da44e" }] },
      options: { animation: false },
    });
    const ranked = areas.rows.slice().sort((a, b) => (b.closure_rate || 0) - (a.closure_rate || 0));
    rank = draw(rank, document.getElementById("rank-chart"), {
      type: "bar",
      data: { labels: ranked.map((r) => r.label), datasets: [
        { label: "结案率", data: ranked.map((r) => (r.closure_rate || 0) * 100), backgroundColor: "#1f6feb" }] },
      options: { animation: false, indexAxis: "y", scales: { x: { max: 100 } } },
    });
    document.querySelector("#stats-table tbody").replaceChildren(...ranked.map((r) => el("tr", {},
      el("td", {}, r.label), el("td", {}, r.reported), el("td", {}, r.registered), el("td", {}, r.closed),
      el("td", {}, pct(r.closure_rate)), el("td", {}, pct(r.on_time_rate)), el("td", {}, pct(r.rework_rate)),
      el("td", {}, r.overdue_unhandled), el("td", {}, r.median_hours_to_close ?? "—"))));
  }
  document.getElementById("s-go").addEventListener("click", () => load().catch(alert));
  load().catch((err) => alert("加载失败：" + err.message));
})();
