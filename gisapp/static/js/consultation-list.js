// The topics list: filter by area, level and state; open a new topic (step 1).
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const filters = document.getElementById("topic-filters");

  async function load() {
    const q = new URLSearchParams([...new FormData(filters).entries()].filter(([, v]) => v));
    const rows = document.getElementById("topic-rows");
    try {
      const { topics } = await api(`/api/topics?${q}`);
      rows.replaceChildren(...topics.map((t) => el("tr", {},
        el("td", {}, el("a", { href: `/topics/${t.id}` }, t.title)), el("td", {}, t.level_name),
        el("td", {}, t.area_name), el("td", {}, `${t.step}. ${t.step_name}`),
        el("td", {}, el("span", { class: `badge topic-${t.state}` }, t.state_name)),
        el("td", {}, t.opinions), el("td", {}, t.open_tasks))));
      document.getElementById("topic-count").textContent = `共 ${topics.length} 个议题`;
    } catch (err) {
      document.getElementById("topic-count").textContent = `查询失败：${err.message}`;
    }
  }

  filters.addEventListener("submit", (e) => { e.preventDefault(); load(); });
  load();

  const form = document.getElementById("topic-new");
  if (!form) return;
  const level = form.elements.level;
  level.addEventListener("change", () => {
    document.getElementById("new-area").hidden = level.value === "building";
    document.getElementById("new-building").hidden = level.value !== "building";
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    if (level.value === "building") data.delete("area_code"); else data.delete("building_id");
    try {
      const topic = await api("/api/topics", { method: "POST", body: data });
      location.href = `/topics/${topic.id}`;
    } catch (err) {
      document.getElementById("new-result").textContent = `发起失败：${err.message}`;
    }
  });
})();
