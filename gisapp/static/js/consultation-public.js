// The public page of a topic: a resident gives an opinion (name and contact optional, never shown).
(function () {
  "use strict";
  const { api, el, reason } = window.gisapp;
  const root = document.getElementById("topic");
  const form = document.getElementById("opinion-form");
  if (!form) return;
  const result = document.getElementById("opinion-result");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = Object.fromEntries(new FormData(form).entries());
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const resp = await api(`/api/public/topics/${root.dataset.token}/opinions`,
                             { method: "POST", json: data });
      document.getElementById("opinion-list").append(
        el("li", {}, el("span", { class: "badge src" }, "居民"), data.body,
           el("span", { class: "muted" }, " 刚刚")));
      const count = document.getElementById("opinion-count");
      count.textContent = String(Number(count.textContent) + 1);
      form.reset();
      result.textContent = resp.message;
    } catch (err) {
      result.textContent = `提交失败：${reason(err)}`;   // kept in the form to retry
    } finally {
      button.disabled = false;
    }
  });
})();
