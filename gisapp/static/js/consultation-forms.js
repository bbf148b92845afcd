// The form of each step of a topic (议事协商): what the step records, built from plain elements.
(function () {
  "use strict";
  const { el } = window.gisapp;
  const area = (name, label, value, required) => el("label", {}, label,
    el("textarea", { name, rows: 3, maxlength: 8000, required: required ? "" : null },
       value || ""));
  const KIND_LABELS = { resident_rep: "居民代表（每行一位）", unit: "驻社单位（每行一个）",
                        department: "职能部门（每行一个）" };

  function taskRow() {
    return el("div", { class: "row task-row" },
      el("label", {}, "任务", el("input", { type: "text", name: "task_title", maxlength: 200 })),
      el("label", {}, "责任单位/人", el("input", { type: "text", name: "task_owner", maxlength: 100 })),
      el("label", {}, "期限", el("input", { type: "date", name: "task_deadline" })), "");
  }

  function deliberation() {
    const rows = el("div", { class: "rows", id: "task-rows" }, taskRow());
    return [
      el("fieldset", {}, el("legend", {}, "参加人员"),
        ...Object.entries(KIND_LABELS).map(([kind, label]) => el("label", {}, label,
          el("textarea", { name: `p_${kind}`, rows: 2 })))),
      area("minutes", "会议纪要", "", true), area("decision", "协商决定", "", true),
      el("fieldset", {}, el("legend", {}, "后续任务"), rows,
        el("button", { type: "button", onclick: () => rows.append(taskRow()) }, "添加任务")),
    ];
  }

  // The fields a step records, beyond the note and the attachments.
  function stepFields(step, topic) {
    if (step === 2) {
      return [el("label", {}, "议题名称", el("input", { type: "text", name: "title", maxlength: 200,
                                                   value: topic.title })),
              area("body", "议题说明", topic.body, false)];
    }
    if (step === 3) return [area("plan", "协商方案", topic.plan, true)];
    if (step === 4) return [area("announcement", "公示内容", topic.announcement, true)];
    if (step === 5) return deliberation();
    if (step === 6) return [area("outcome", "结果反馈（将在公开页发布）", topic.outcome, true)];
    return [];
  }

  // The step's form as multipart data: participants and tasks as JSON.
  function formData(form, step) {
    const data = new FormData(form);
    data.set("step", String(step));
    if (step !== 5) return data;
    const participants = [];
    Object.keys(KIND_LABELS).forEach((kind) => {
      (data.get(`p_${kind}`) || "").split("\n").map((s) => s.trim()).filter(Boolean)
        .forEach((name) => participants.push({ kind, name }));
      data.delete(`p_${kind}`);
    });
    const tasks = [...form.querySelectorAll(".task-row")].map((row) => ({
      title: row.querySelector("[name=task_title]").value.trim(),
      owner_name: row.querySelector("[name=task_owner]").value.trim(),
      deadline: row.querySelector("[name=task_deadline]").value,
    })).filter((t) => t.title);
    ["task_title", "task_owner", "task_deadline"].forEach((n) => data.delete(n));
    data.set("participants", JSON.stringify(participants));
    data.set("tasks", JSON.stringify(tasks));
    return data;
  }

  window.gisappTopicForms = { stepFields, formData };
})();
