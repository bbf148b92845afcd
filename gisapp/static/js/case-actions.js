// The forms behind each case action: what each one asks for (a person, a score, hours, a
// reason, photos) and the request it sends. Used by case-detail.js.
(function () {
  "use strict";
  const { api, el, fileBox, reason, ACTIONS } = window.gisapp;
  const REASON = { handle: "处理情况说明", send_back: "退回原因", cancel: "作废原因", suspend: "暂停原因", extend: "延期原因",
                   merge: "合并原因", escalate: "提交会商的理由" };
  const NOTE = { evaluate: "评价意见", register: "备注", dispatch: "派遣说明",
                 accept: "备注", verify: "核查情况", close: "结案说明", resume: "备注" };
  const FIELD_MSG = {
    score: "请选择 1 到 5 分", hours: "延期时长须为 0.5 到 400 小时", note: "请填写原因",
    assignee_person_id: "请从列表中选择派遣人员", photos: "照片无效（仅支持 JPEG、PNG、WebP，每张不超过限制）",
    into: "请填写要保留的案件编号", version: "案件已被他人修改，请刷新后重试",
  };

  function noteBox(action) {
    const needed = action in REASON;
    return el("label", {}, needed ? `${REASON[action]}（必填）` : `${NOTE[action] || "备注"}（选填）`,
      el("textarea", { name: "note", rows: "3", maxlength: "2000", required: needed ? "" : null }));
  }

  function scoreBox() {
    return el("fieldset", { class: "score-set" }, el("legend", {}, "评分（1–5 分，必选）"),
      el("div", { class: "score" }, [1, 2, 3, 4, 5].map((n) => el("label", {},
        el("input", { type: "radio", name: "score", value: String(n), required: "" }), `${n} 分`))));
  }

  function personBox(people) {
    const group = (label, list) => el("optgroup", { label }, list.map((p) => el("option",
      { value: String(p.person_id) }, `${p.name}（${p.role_zh}）· ${p.area_path || p.area_code}`)));
    const onDuty = people.filter((p) => p.on_duty);
    const others = people.filter((p) => !p.on_duty);
    return el("label", {}, "派遣给（必选）",
      el("select", { name: "assignee_person_id", id: "dispatch-person", required: "" },
        el("option", { value: "" }, people.length ? "请选择人员" : "本区域没有可派遣的人员"),
        onDuty.length ? group("本区域在岗人员", onDuty) : [], others.length ? group("其他人员", others) : []));
  }

  // A photo picker that reads in Chinese and fits a phone (the browser's own box does neither).
  function photoBox() {
    return el("div", { class: "field-photos" }, fileBox("拍照或选择现场照片（选填，可多张）",
      { name: "photos", multiple: "", accept: "image/jpeg,image/png,image/webp" }, "未选择照片", "张"));
  }

  function confirmBox(text) {
    return el("label", { class: "check" }, el("input", { type: "checkbox", name: "confirm", required: "" }), text);
  }

  // The fields of one action's form (some need data fetched first: the candidates).
  async function fields(action, c) {
    const out = [];
    if (action === "dispatch") {
      const body = await api(`/api/cases/${c.id}/candidates`);
      out.push(personBox(body.candidates));
    }
    if (action === "evaluate") out.push(scoreBox());
    if (action === "extend") out.push(el("label", {}, "延长时限（工作小时，必填）",
      el("input", { type: "number", name: "hours", min: "0.5", max: "400", step: "0.5", required: "" })));
    if (action === "escalate") out.push(el("label", {}, "会商层级", el("select", { name: "level" },
      el("option", { value: "community" }, "社区"), el("option", { value: "street" }, "街道"))));
    if (action === "merge") out.push(el("label", {}, "合并到案件编号（保留的案件，必填）",
      el("input", { type: "number", name: "into", min: "1", step: "1", required: "",
                    value: c.duplicate_of.length ? String(c.duplicate_of[0]) : null })));
    out.push(noteBox(action));
    if (action === "handle") out.push(photoBox());
    if (action === "cancel") out.push(confirmBox("我确认作废此案件"));
    if (action === "merge") out.push(confirmBox(`我确认将案件 ${c.id} 作为重复案件合并并作废`));
    return out;
  }

  // The request an action's form sends: JSON, or multipart when photos are attached.
  function send(action, c, form) {
    const note = form.elements.note.value.trim();
    if (action === "merge") {
      return api(`/api/cases/${c.id}/merge`, { method: "POST",
        json: { into: Number(form.elements.into.value), note } });
    }
    const url = `/api/cases/${c.id}/actions/${action}`;
    const files = form.elements.photos ? form.elements.photos.files : [];
    if (files.length) {
      const data = new FormData();
      data.set("note", note);
      data.set("version", String(c.version));
      Array.from(files).forEach((f) => data.append("photos", f));
      return api(url, { method: "POST", body: data });
    }
    const body = { note, version: c.version };
    if (action === "dispatch") body.assignee_person_id = Number(form.elements.assignee_person_id.value);
    if (action === "evaluate") body.score = Number(form.elements.score.value);
    if (action === "extend") body.hours = Number(form.elements.hours.value);
    if (action === "escalate") body.level = form.elements.level.value;
    return api(url, { method: "POST", json: body });
  }

  function message(err) {
    const field = err.body && err.body.field;
    if (err.status === 409) return FIELD_MSG.version;
    return (field && FIELD_MSG[field]) || reason(err);     // the form stays filled in to retry
  }

  async function open(panel, action, c, done) {
    const label = action === "merge" ? "合并重复案件" : (ACTIONS[action] || action);
    const form = el("form", { class: "action-form", id: "action-form", "data-action": action },
      el("h3", {}, label), ...(await fields(action, c)),
      el("button", { type: "submit", class: "primary" }, `确认${label}`),
      el("button", { type: "button", onclick: () => panel.replaceChildren() }, "取消"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        await send(action, c, form);
        panel.replaceChildren();
        await done(`已${label}`, false);
      } catch (err) {
        button.disabled = false;
        await done(`${label}失败：${message(err)}`, true);
      }
    });
    panel.replaceChildren(form);
    const first = form.querySelector("select, input, textarea");
    if (first) first.focus();
  }

  window.gisapp.caseActions = { open };
})();
