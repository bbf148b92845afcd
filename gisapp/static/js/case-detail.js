// One case: its facts, the actions the viewer may take now, photos and the replayable history.
(function () {
  "use strict";
  const { api, el, STATES, ACTIONS, KINDS, fmtTime } = window.gisapp;
  const caseId = document.currentScript.dataset.caseId;
  const result = document.getElementById("action-result");
  const EXTRA = { evaluate: { score: 5 }, escalate: { level: "community" }, extend: { hours: 8 } };

  function facts(c) {
    const rows = [
      ["类型", `${KINDS[c.kind] || c.kind} · ${c.category_zh}`], ["描述", c.description],
      ["上报时间", fmtTime(c.reported_at)], ["区域", c.area_name ? `${c.area_name}（${c.area_code}）` : "未分派"],
      ["处理人", c.assignee || c.department || "—"], ["时限", c.deadline_at ? fmtTime(c.deadline_at) : "未开始计时"],
      ["超期", c.overdue ? "是" : (c.near_deadline ? "即将超期" : "否")], ["返工次数", c.rework_count],
      ["疑似重复", c.duplicate_of.length ? c.duplicate_of.join("、") : "无"],
      ["边界附近", c.ambiguous ? "是（位置靠近区域边界）" : "否"],
      ["联系方式", c.contact || "—"],
    ];
    return el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  }

  async function act(action, c) {
    const note = document.getElementById("action-note").value;
    const body = Object.assign({ note, version: c.version }, EXTRA[action] || {});
    try {
      await api(`/api/cases/${caseId}/actions/${action}`, { method: "POST", json: body });
      result.textContent = `已${ACTIONS[action] || action}`;
      document.getElementById("action-note").value = "";
      await load();
    } catch (err) {
      result.textContent = "操作失败：" + err.message;
    }
  }

  async function load() {
    const c = await api("/api/cases/" + caseId);
    document.getElementById("case-state").textContent = STATES[c.state] || c.state;
    document.getElementById("case-facts").replaceChildren(facts(c));
    document.getElementById("case-actions").replaceChildren(...(c.actions || []).map((a) =>
      el("button", { type: "button", "data-action": a, onclick: () => act(a, c) }, ACTIONS[a] || a)));
    document.getElementById("case-photos").replaceChildren(...c.photos.map((p) =>
      el("img", { src: p.url, alt: "现场照片", class: "photo" })));
    document.getElementById("case-events").replaceChildren(...c.events.map((e) =>
      el("li", {}, `${fmtTime(e.at)} ${e.actor_name || ""} ${ACTIONS[e.action] || e.action}`,
         ` → ${STATES[e.to_state] || e.to_state}`, e.note ? `（${e.note}）` : "")));
  }
  load().catch((err) => { result.textContent = "加载失败：" + err.message; });
})();
