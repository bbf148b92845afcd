// 综合考核: the live scoreboard (ranking, grade and score distribution, a subject's trend),
// the records behind any number, and runs: publication (公示), appeals and decisions.
(function () {
  "use strict";
  const { api, el, pct, fmtTime, STATES } = window.gisapp;
  const $ = (id) => document.getElementById(id);
  const NAMES = Object.fromEntries([...document.querySelectorAll("#a-table th[data-indicator]")]
    .map((th) => [th.dataset.indicator, th.textContent]));
  const LEVELS = { community: "社区", grid: "网格", worker: "工作人员" };
  const RUN_STATES = { draft: "草稿", published: "公示中" };
  const APPEAL_STATES = { open: "待处理", upheld: "已采纳", rejected: "已驳回" };
  // The records' keys in words: a case's or a demand's state, a household's colour.
  const DEMAND_STATES = { open: "办理中", case: "已转案件", topic: "已转议事协商", answered: "已答复",
                          declined: "不予受理" };
  const COLOURS = { red: "红", orange: "橙", yellow: "黄", blue: "蓝", green: "绿",
                    1: "红", 2: "橙", 3: "黄", 4: "蓝", 5: "绿" };
  const WORDS = { state: (v) => STATES[v] || DEMAND_STATES[v], colour: (v) => COLOURS[v] };
  const charts = {};
  const message = (err) => ((err.body && err.body.message) || err.message || "").split(" (")[0];

  function params(extra) {
    const p = new URLSearchParams({ level: $("a-level").value, month: $("a-month").value });
    if ($("a-area").value.trim()) p.set("area", $("a-area").value.trim());
    Object.entries(extra || {}).forEach(([k, v]) => p.set(k, v));
    return p;
  }

  function draw(name, config) {
    if (charts[name]) charts[name].destroy();
    charts[name] = new Chart($(name), { ...config, options: { animation: false, ...(config.options || {}) } });
  }

  async function load() {
    const board = await api("/api/assessment/scores?" + params());
    $("a-csv").href = "/api/assessment/scores?" + params({ format: "csv" });
    $("a-xlsx").href = "/api/assessment/scores?" + params({ format: "xlsx" });
    const q = board.scheme.quotas;
    $("a-quotas").textContent = `（名额：A ${q.A * 100}%，B ${q.B * 100}%，C ${q.C * 100}%）`;
    const g = board.distribution.grades;
    draw("a-grades", { type: "bar", data: { labels: Object.keys(g), datasets: [
      { label: "数量", data: Object.values(g), backgroundColor: "#1f6feb" }] } });
    const h = board.distribution.scores;
    draw("a-hist", { type: "bar", data: { labels: h.map((b) => `${b.from}-${b.to}`), datasets: [
      { label: "数量", data: h.map((b) => b.count), backgroundColor: "#2da44e" }] } });
    $("a-table").tBodies[0].replaceChildren(...board.results.map(row));
    $("a-table").dataset.rows = String(board.results.length);
  }

  function row(r) {
    const cells = Object.keys(NAMES).map((k) => {
      const it = r.items[k];
      if (!it || it.value === null) return el("td", {}, "—");
      return el("td", {}, el("button", { type: "button", class: "link", "data-indicator": k,
        title: `${it.numerator} / ${it.denominator}`,
        onclick: () => showDrill(r, k).catch((e) => { $("a-drill-summary").textContent = message(e); }) },
        pct(it.value)));
    });
    return el("tr", { "data-subject": r.subject },
      el("td", {}, r.rank ?? "—"),
      el("td", {}, el("button", { type: "button", class: "link", onclick: () => showTrend(r) }, r.label)),
      el("td", { class: "score" }, r.score === null ? "—" : r.score.toFixed(2)),
      el("td", { class: "grade" }, r.grade || "—"), ...cells);
  }

  async function showTrend(r) {
    $("a-trend-name").textContent = `（${r.label}）`;
    const t = await api("/api/assessment/trend?" + new URLSearchParams(
      { level: $("a-level").value, subject: r.subject, to: $("a-month").value }));
    draw("a-trend", { type: "line", data: { labels: t.months.map((m) => m.month), datasets: [
      { label: "得分", data: t.months.map((m) => m.score), borderColor: "#1f6feb" }] },
      options: { scales: { y: { min: 0, max: 100 } } } });
  }

  const DRILL_COLUMNS = {
    case: [["id", "案件"], ["category_zh", "类别"], ["state", "状态"], ["reported_at", "上报"],
           ["deadline_at", "时限"], ["handled_at", "处理"], ["closed_at", "结案"], ["counted", "计入分子"]],
    satisfaction: [["id", "编号"], ["source", "来源"], ["case_id", "案件"], ["score", "评分"],
                   ["comment", "意见"], ["at", "时间"], ["counted", "满意"]],
    visit_completion: [["id", "走访"], ["visited_at", "时间"], ["colour", "颜色"], ["outcome_zh", "结果"],
                       ["worker", "走访人"]],
    other: [["id", "编号"], ["title", "事项"], ["category_zh", "类别"], ["state", "状态"],
            ["deadline_at", "时限"], ["closed_at", "办结"], ["done_at", "完成"], ["counted", "按时"]],
  };

  async function showDrill(r, indicator, runId) {
    const p = new URLSearchParams({ level: $("a-level").value, subject: r.subject, indicator, month: $("a-month").value });
    const d = await api(runId ? `/api/assessment/runs/${runId}/drill?${p}` : `/api/assessment/drill?${p}`);
    $("a-drill").hidden = false;
    $("a-drill-title").textContent = `${r.label} · ${NAMES[indicator]}`;
    let summary = `分子 ${d.numerator} / 分母 ${d.denominator}`;
    if (d.by_colour) summary += "；" + Object.entries(d.by_colour).map(([c, f]) => `${COLOURS[c] || c}：${f.done}/${f.expected}`).join("，");
    $("a-drill-summary").textContent = summary;
    const cols = DRILL_COLUMNS[indicator.startsWith("case_") ? "case" : indicator] || DRILL_COLUMNS.other;
    const rows = d.rows || [];
    const SOURCES = { case: "案件回访", visit: "入户走访" };
    const show = (v, key) => (v === true ? "是" : v === false ? "否" : / GMT$/.test(v || "") ? fmtTime(v)
      : (WORDS[key] && WORDS[key](v)) || SOURCES[v] || (v ?? "—"));
    $("a-drill-table").tHead.replaceChildren(el("tr", {}, cols.map(([, t]) => el("th", {}, t))));
    $("a-drill-table").tBodies[0].replaceChildren(...rows.map((x) => el("tr", {}, cols.map(([k]) => el("td", {}, show(x[k], k))))));
  }

  // --- runs, publication and appeals ----------------------------------------------------------
  const say = (text) => { $("a-run-result").textContent = text; };

  async function loadRuns() {
    const { runs } = await api("/api/assessment/runs?level=" + $("a-level").value);
    const manager = $("a-filters").dataset.manager === "1";
    $("a-runs").tBodies[0].replaceChildren(...runs.map((r) => el("tr", { "data-run": r.id },
      el("td", {}, r.id), el("td", {}, LEVELS[r.level]), el("td", {}, `${r.period_from} 至 ${r.period_to}`),
      el("td", {}, r.scope || "全市"), el("td", {}, RUN_STATES[r.state]), el("td", {}, fmtTime(r.appeal_until)),
      el("td", {}, el("button", { type: "button", onclick: () => openRun(r.id) }, "查看"),
        manager && r.state === "draft" ? el("button", { type: "button", class: "primary",
          onclick: () => act(`/api/assessment/runs/${r.id}/publish`, {}, "已公示") }, "公示") : ""))));
  }

  async function act(url, json, done) {
    try { await api(url, { method: "POST", json }); say(done); await loadRuns(); }
    catch (err) { say("操作失败：" + message(err)); }
  }

  async function openRun(id) {
    const [{ run, results }, { appeals }] = await Promise.all([
      api(`/api/assessment/runs/${id}`), api(`/api/assessment/runs/${id}/appeals`)]);
    const box = $("a-run-detail");
    const subject = el("select", { id: "appeal-subject", "aria-label": "申诉对象" },
      results.map((r) => el("option", { value: r.subject }, `${r.label}（${r.score ?? "—"} 分，${r.grade || "—"}）`)));
    const indicator = el("select", { id: "appeal-indicator", "aria-label": "申诉指标" },
      Object.entries(NAMES).map(([k, n]) => el("option", { value: k }, n)));
    const reason = el("input", { id: "appeal-reason", "aria-label": "申诉理由", maxlength: "1000", placeholder: "申诉理由" });
    const form = run.state === "published" ? el("p", {}, "申诉：", subject, indicator, reason,
      el("button", { type: "button", onclick: () => act(`/api/assessment/runs/${id}/appeals`,
        { subject: subject.value, indicator: indicator.value, reason: reason.value }, "申诉已提交").then(() => openRun(id)) }, "提交申诉")) : "";
    box.replaceChildren(el("h3", {}, `考核 ${id}：${LEVELS[run.level]}，${run.period_from} 至 ${run.period_to}`), form,
      el("ul", { id: "appeal-list" }, appeals.map((a) => appealItem(a, id))));
  }

  function appealItem(a, runId) {
    const item = el("li", { "data-appeal": a.id },
      `${a.label} · ${NAMES[a.indicator]}：${a.reason}（${APPEAL_STATES[a.state]}，${a.filed_by}）`);
    if (a.state !== "open") {
      if (a.state === "upheld") item.append(`，更正为 ${pct(a.corrected_value)}，得分 ${a.score_before} → ${a.score_after}`);
      return item;
    }
    if ($("a-filters").dataset.manager !== "1") return item;
    const value = el("input", { type: "number", min: "0", max: "100", step: "0.1", "aria-label": "更正值(%)", class: "short" });
    const decide = (decision) => act(`/api/assessment/appeals/${a.id}/decision`,
      { decision, corrected_value: decision === "upheld" ? Number(value.value) / 100 : undefined },
      decision === "upheld" ? "已采纳，得分已重算" : "已驳回").then(() => openRun(runId));
    item.append(" ", value, "% ", el("button", { type: "button", onclick: () => decide("upheld") }, "采纳"),
      el("button", { type: "button", onclick: () => decide("rejected") }, "驳回"));
    return item;
  }

  const create = $("a-run-create");
  if (create) create.addEventListener("click", () => {
    const body = { level: $("a-level").value, month: $("a-month").value };
    if ($("a-area").value.trim()) body.area = $("a-area").value.trim();
    act("/api/assessment/runs", body, "考核已生成（草稿）");
  });

  function refresh() {
    load().catch((err) => { $("a-table").tBodies[0].replaceChildren(el("tr", {}, el("td", { colspan: "11" }, "加载失败：" + message(err)))); });
    loadRuns().catch((err) => say("加载失败：" + message(err)));
  }
  $("a-filters").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
  refresh();
})();
