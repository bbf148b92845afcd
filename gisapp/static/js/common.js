// Shared helpers for gisapp pages: CSRF-aware fetch, safe DOM building, Chinese labels.
(function () {
  "use strict";
  const csrf = () => (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  async function api(url, options) {
    const opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (opts.method && opts.method !== "GET") opts.headers["X-CSRF-Token"] = csrf();
    if (opts.json !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    const resp = await fetch(url, opts);
    const body = (resp.headers.get("content-type") || "").includes("json") ? await resp.json() : null;
    if (!resp.ok) {
      const err = new Error((body && body.message) || resp.statusText);
      err.status = resp.status; err.body = body;
      throw err;
    }
    return body;
  }

  // Build an element; children are nodes or strings (always inserted as text, never HTML).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined) return;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v);
    });
    children.flat().forEach((c) => node.append(c instanceof Node ? c : String(c ?? "")));
    return node;
  }

  const STATES = {
    reported: "已上报", registered: "已立案", dispatched: "已派遣", in_progress: "处理中",
    handled: "已处理", verified: "已核查", closed: "已结案", evaluated: "已评价",
    escalated: "会商研判", cancelled: "已作废",
  };
  const ACTIONS = {
    register: "立案", dispatch: "派遣", accept: "接单", handle: "处理完毕", verify: "核查通过",
    send_back: "退回返工", close: "结案", evaluate: "评价", escalate: "提交会商研判",
    cancel: "作废", suspend: "暂停计时", resume: "恢复计时", extend: "延期",
  };
  const KINDS = { incident: "事件", dispute: "矛盾纠纷", hazard: "安全隐患" };
  const fmtTime = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "—");
  const pct = (x) => (x === null || x === undefined ? "—" : (x * 100).toFixed(1) + "%");

  // A file picker that reads in Chinese (the browser's own box speaks the browser's
  // language): a button-like label around a hidden input, and the chosen names beside it.
  // Pages write the same markup by hand (class file-box); one listener serves them all.
  function fileBox(label, attrs, none = "未选择文件", unit = "个") {
    return el("span", { class: "file-box" },
      el("label", { class: "file-button" }, label,
        el("input", Object.assign({ type: "file", class: "visually-hidden" }, attrs))),
      el("span", { class: "file-names muted", "data-none": none, "data-unit": unit }, none));
  }

  function showFileNames(input) {
    const names = input.closest(".file-box") && input.closest(".file-box").querySelector(".file-names");
    if (!names) return;
    const files = Array.from(input.files || []);
    names.textContent = files.length
      ? `已选 ${files.length} ${names.dataset.unit || "个"}：${files.map((f) => f.name).join("、")}`
      : names.dataset.none || "未选择文件";
  }
  const FILE_INPUT = ".file-box input[type=file]";
  document.addEventListener("change", (e) => { if (e.target.matches(FILE_INPUT)) showFileNames(e.target); });
  // A form's reset event comes before the fields are cleared.
  document.addEventListener("reset", (e) => setTimeout(() => e.target.querySelectorAll(FILE_INPUT).forEach(showFileNames)));

  // The top bar's menus: a click elsewhere closes an open one.
  document.addEventListener("click", (e) => {
    document.querySelectorAll(".topbar details.menu[open]").forEach((menu) => {
      if (!menu.contains(e.target)) menu.open = false;
    });
  });

  // Why a request failed, in Chinese, for the person who sent it: the Chinese part of the
  // server's message ("中文 (English)"), else a sentence per status; fetch's own "Failed to
  // fetch" (no network) never reaches the page.
  const STATUS_ZH = { 400: "填写的内容有误，请检查后重试", 401: "登录已失效，请重新登录",
                      403: "没有权限进行此操作", 404: "未找到，可能已被删除", 409: "内容已有变化，请刷新页面后重试",
                      413: "上传内容过大", 429: "提交太频繁，请稍后再试" };
  function reason(err) {
    if (!err.status) return "网络异常，请检查网络后重试";
    const said = ((err.body && err.body.message) || "").split(" (")[0];
    if (/[\u4e00-\u9fff]/.test(said)) return said;
    return STATUS_ZH[err.status] || `服务器暂时无法处理（错误 ${err.status}），请稍后重试`;
  }

  window.gisapp = { api, el, csrf, fileBox, reason, STATES, ACTIONS, KINDS, fmtTime, pct };
})();
