// The demand part of the visit form (民意诉求): a visit may record one with any outcome;
// an outcome that suggests one (见到本人，需要帮助) offers it. The demand travels inside
// the visit's outbox entry, so it is kept, retried and refused together with the visit.
(function () {
  "use strict";
  const { api, el } = window.gisapp;
  const $ = (id) => document.getElementById(id);
  const form = () => $("visit-form");

  async function init() {
    const r = await api("/api/demand-categories");
    const options = r.categories.map((c) => el("option", { value: c.key }, c.name_zh));
    form().demand_category.replaceChildren(...options);
  }

  // Show the fields when asked for; name the offer when the outcome suggests a demand.
  function update(outcome) {
    const suggested = !!(outcome && outcome.suggests_demand);
    $("demand-offer").classList.toggle("suggested", suggested);
    $("demand-offer-text").textContent = suggested ? "居民需要帮助：记录民意诉求" : "记录民意诉求";
    $("demand-fields").hidden = !form().record_demand.checked;
  }

  // What POST /api/visits takes under "demand" (null: none). The body defaults to the note.
  function fields(f) {
    if (!f.record_demand.checked) return null;
    return { category: f.demand_category.value, body: f.demand_body.value.trim() || null };
  }

  // Why the form cannot be queued as it is (null: fine).
  function problem(f) {
    const empty = !f.demand_body.value.trim() && !f.note.value.trim();
    return f.record_demand.checked && empty ? "请填写诉求内容" : null;
  }

  function restore(f, demand) {
    f.record_demand.checked = !!demand;
    if (!demand) return;
    f.demand_category.value = demand.category;
    f.demand_body.value = demand.body || "";
  }

  function told(visit) {
    const receipts = visit.demand_receipts || [];
    return receipts.length ? `，已记录民意诉求（受理编号 ${receipts.join("、")}）` : "";
  }

  window.fieldDemand = { init, update, fields, problem, restore, told };
})();
