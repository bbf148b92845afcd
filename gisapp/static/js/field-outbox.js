// The outbox card on the field page: every visit not yet accepted by the server, with
// its state; a refused one shows the reason and can be edited and resent, or discarded.
(function () {
  "use strict";
  const { el, fmtTime } = window.gisapp;
  const queue = window.fieldQueue;
  const $ = (id) => document.getElementById(id);

  function stateText(item) {
    if (item.status === "refused") return el("span", { class: "refused" }, "未被接受：" + item.reason);
    return el("span", { class: "muted" }, navigator.onLine ? "等待发送" : "等待联网后发送");
  }

  function discardButton(item) {
    // Two taps, so a visit is never thrown away by one slip of the thumb.
    const btn = el("button", { type: "button", class: "discard" }, "删除");
    btn.addEventListener("click", () => {
      if (btn.dataset.armed) { queue.discard(item.client_id); return; }
      btn.dataset.armed = "1";
      btn.textContent = "确认删除";
    });
    return btn;
  }

  function row(item, onEdit) {
    const note = item.fields.note ? item.fields.note.slice(0, 40) : "";
    return el("li", { class: "outbox-item " + item.status, "data-client-id": item.client_id },
      el("div", { class: "due-title" }, item.label || `住户 ${item.fields.household_id}`),
      el("div", { class: "muted" }, `记录于 ${fmtTime(item.fields.visited_at)}` +
        (item.photo ? " · 含照片" : "") + (note ? " · " + note : "")),
      el("div", {}, stateText(item)),
      item.status === "refused" ? el("div", { class: "due-actions" },
        el("button", { type: "button", class: "primary edit", onclick: () => onEdit(item) }, "修改后重发"),
        discardButton(item)) : "");
  }

  function render(items, onEdit) {
    $("outbox-box").hidden = !items.length;
    $("queue-count").hidden = !items.length;
    $("queue-count").textContent = `待发送 ${items.length} 条`;
    $("outbox").replaceChildren(...items.map((item) => row(item, onEdit)));
  }

  window.fieldOutbox = { render };
})();
