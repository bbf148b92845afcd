// One topic for staff: its facts, opinions, deliberation and log; the next step's form.
(function () {
  "use strict";
  const { api, el, fileBox, fmtTime } = window.gisapp;
  const { stepFields, formData } = window.gisappTopicForms;
  const root = document.getElementById("topic");
  const id = root.dataset.topicId;
  const LABELS = JSON.parse(document.getElementById("topic-labels").textContent);
  const SOURCES = { public: "居民", demand: "居民诉求", staff: "工作人员" };
  const KINDS = LABELS.kinds;
  const $ = (sel) => document.getElementById(sel);
  // A deadline is a day in China (the end of that day), wherever the browser is.
  const fmtDay = (iso) => new Date(iso).toLocaleDateString("zh-CN", { timeZone: "Asia/Shanghai" });

  const say = (text) => { $("step-result").textContent = text; };
  const fail = (err) => say(`操作失败：${err.message}`);

  function facts(t) {
    const where = t.area_name + (t.building_name ? ` · ${t.building_name}` : "");
    const rows = [["层级", t.level_name], ["区域", where],
      ["议题说明", t.body], ["协商方案", t.plan], ["公示内容", t.announcement], ["会议纪要", t.minutes],
      ["协商决定", t.decision], ["结果反馈", t.outcome], ["终止原因", t.drop_reason],
      ["发起时间", fmtTime(t.created_at)]].filter(([, v]) => v);
    $("topic-facts").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k),
      el("dd", { class: "topic-text" }, v)]));
  }

  function opinions(t) {
    $("topic-opinions").replaceChildren(...t.opinions.map((o) => el("li", {},
      el("span", { class: "badge src" }, SOURCES[o.source] || o.source), o.body,
      o.author_name
        ? el("span", { class: "muted" }, ` — ${o.author_name} ${o.author_contact || ""}`) : "",
      o.staff_name ? el("span", { class: "muted" }, ` — ${o.staff_name}`) : "",
      o.demand_id ? el("a", { href: `/demands/${o.demand_id}` }, ` 诉求 #${o.demand_id}`) : "")));
    $("staff-opinion").hidden = !t.allowed.opinion;
  }

  function taskItem(t, task) {
    const bits = [`${task.title} · ${task.owner || "—"} · 期限 ${fmtDay(task.deadline_at)}`];
    if (task.done_at) bits.push(el("span", { class: "badge state-closed" }, "已完成"));
    if (task.case_id) {
      bits.push(" ", el("a", { href: `/cases/${task.case_id}` }, `案件 ${task.case_id}`));
    }
    if (t.allowed.tasks && !task.done_at) {
      bits.push(el("button", { type: "button", onclick: () => act(`tasks/${task.id}/done`, {}) },
                   "标记完成"));
    }
    if (t.allowed.tasks && !task.case_id) {
      bits.push(el("button", { type: "button", onclick: () => act(`tasks/${task.id}/case`,
        { category: $("task-category").value }) }, "转为案件"));
    }
    return el("li", {}, ...bits);
  }

  function deliberation(t) {
    $("topic-participants").replaceChildren(...Object.entries(KINDS).map(([kind, label]) => {
      const names = t.participants.filter((p) => p.kind === kind).map((p) => p.name);
      return names.length ? el("p", {}, el("strong", {}, `${label}：`), names.join("、")) : "";
    }));
    $("topic-tasks").replaceChildren(...t.tasks.map((task) => taskItem(t, task)));
    $("task-form").hidden = !t.allowed.tasks || t.state === "dropped";
    $("task-category-box").hidden = !(t.allowed.tasks && t.tasks.some((task) => !task.case_id));
    if (!$("task-category-box").hidden && !$("task-category").options.length) {
      api("/api/case-categories").then(({ categories }) => $("task-category").replaceChildren(
        ...categories.map((c) => el("option", { value: c.key }, c.name_zh)))).catch(fail);
    }
  }

  function log(t) {
    $("topic-log").replaceChildren(...t.steps.map((s) => el("li", {},
      el("strong", {}, s.action === "drop" ? "终止议题" : LABELS.steps[s.step]),
      ` · ${s.actor_name || "—"} · ${fmtTime(s.at)}`, s.note ? el("p", {}, s.note) : "",
      ...s.attachments.map((f) => el("a", { href: `/api/topics/${t.id}/attachments/${f.id}`,
                                             class: "attachment" }, ` 附件：${f.filename}`)))));
  }

  function stepForm(t) {
    const form = $("step-form"), next = t.allowed.next_step;
    form.hidden = !next;
    $("step-none").hidden = Boolean(next) || t.state !== "open";
    $("drop-box").hidden = !t.allowed.drop;
    if (!next) { form.replaceChildren(); return; }
    form.replaceChildren(el("h3", {}, `第 ${next} 步：${LABELS.steps[next]}`), ...stepFields(next, t),
      el("label", {}, "记录", el("textarea", { name: "note", rows: 2, maxlength: 4000 })),
      el("div", {}, "附件（可选） ", fileBox("选择图片或 PDF（可多选）", { name: "attachments", multiple: "",
        accept: "image/jpeg,image/png,image/webp,application/pdf" })),
      el("button", { type: "submit", class: "primary" }, `完成「${LABELS.steps[next]}」`));
    form.onsubmit = (e) => {
      e.preventDefault();
      act("steps", formData(form, next), LABELS.steps[next]);
    };
  }

  function render(t) {
    document.title = `${t.title} · 议事协商`;
    $("topic-title").textContent = t.title;
    $("topic-state").textContent = `${t.state_name} · ${t.step_name}`;
    document.querySelectorAll("#topic-steps li").forEach((li) => {
      const n = Number(li.dataset.step);
      li.className = n < t.step || t.state === "reported" ? "done" : n === t.step ? "current" : "";
      if (n === t.step) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
    $("topic-qr").src = `${t.public_url}/qr.svg`;
    $("topic-public").href = t.public_url;
    $("topic-qr-png").href = `${t.public_url}/qr.png`;
    facts(t); opinions(t); deliberation(t); log(t); stepForm(t);
    root.dataset.step = String(t.step);
    root.dataset.state = t.state;
  }

  async function act(path, body, done) {
    const opts = body instanceof FormData ? { method: "POST", body }
                                          : { method: "POST", json: body };
    try {
      await api(`/api/topics/${id}/${path}`, opts);
      render(await api(`/api/topics/${id}`));
      say(done ? `已完成「${done}」` : "已保存");
    } catch (err) { fail(err); }
  }

  $("staff-opinion").addEventListener("submit", (e) => {
    e.preventDefault();
    act("opinions", { body: e.target.elements.body.value }).then(() => e.target.reset());
  });
  $("task-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const task = Object.fromEntries(new FormData(e.target).entries());
    act("tasks", { tasks: [task] }).then(() => e.target.reset());
  });
  $("drop-form").addEventListener("submit", (e) => {
    e.preventDefault();
    act("drop", { reason: e.target.elements.reason.value });
  });
  api(`/api/topics/${id}`).then(render).catch((err) => {
    $("topic-title").textContent = err.status === 404 ? "没有这个议题" : `读取失败：${err.message}`;
  });
})();
