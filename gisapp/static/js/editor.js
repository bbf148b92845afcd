// 边界编辑: pick an area, see its children and neighbours, and edit the children — draw a
// new one, move vertices, split with a line, merge two, delete one into a neighbour, or
// revert a version. Every edit is first sent as a dry run and shown as a preview; the
// server validates it (problems come back with the offending geometry, drawn in red) and
// a stale version comes back as 409 with the other edit, drawn in purple.
(function () {
  "use strict";
  const { api, el, fmtTime } = window.gisapp;
  const M = window.gisappEditorMap;
  const T = window.gisappEditorTopology;
  const root = document.getElementById("editor");
  const $ = (id) => document.getElementById(id);
  const ed = M.create(root);
  const state = { view: null, selected: null, mode: null, pending: null, history: null,
                  topology: null };
  const ACTION_NAMES = { create: "新建", version: "新版本", resurrect: "恢复", keep: "不变" };
  // The Chinese part of a server message ("中文 (English)"); the whole is kept as a tooltip.
  const zh = (message) => String(message || "").replace(/\s*\([^()]*[A-Za-z][^()]*\)\s*$/, "");

  // --- loading an area -------------------------------------------------------------------

  async function load(code, keepMessage) {
    resetMode();
    hidePreview();
    if (!keepMessage) showMessage(null);
    $("conflict-box").hidden = true;
    let view;
    try {
      view = await api(`/api/boundaries/${encodeURIComponent(code)}`);
    } catch (err) {
      showMessage(`无法载入 ${code}：${zh(err.message)}`, "error");
      return;
    }
    state.view = view;
    state.selected = null;
    M.drawArea(ed, view);
    bindChildLayers();
    renderHead(view);
    renderChildren(view);
    renderNeighbours(view);
    updateTools();
    if (state.history && !view.children.some((c) => c.code === state.history)) closeHistory();
    else if (state.history) openHistory(state.history);
    history.replaceState(null, "", `?area=${encodeURIComponent(view.parent.code)}`);
    root.dataset.area = view.parent.code;
    root.dataset.loaded = String(Date.now());
  }

  function renderHead(view) {
    const p = view.parent;
    $("area-crumbs").replaceChildren(...p.ancestors.flatMap((a) => [
      el("a", { href: `?area=${a.code}`, "data-code": a.code, onclick: go(a.code) }, a.name), " › "]));
    $("area-title").textContent = `${p.name}`;
    const child = p.child_level ? `下级${p.child_level.name_zh} ${view.children.length} 个` : "没有下级层级";
    $("area-facts").textContent = `${p.level_zh} · 编码 ${p.code} · 第 ${p.version} 版 · ${p.households ?? 0} 户 · ${child}`;
    $("children-title").textContent = p.child_level ? `下级${p.child_level.name_zh}` : "下级区域";
    $("area-readonly").hidden = view.editable;
  }

  function go(code) {
    return (ev) => { ev.preventDefault(); if (mayLeave()) load(code); };
  }

  // Moved vertices not yet saved are lost by opening another area or leaving the page:
  // the editor asks first (a stray click on the breadcrumbs used to drop them silently).
  const unsaved = () => Boolean(state.topology && state.topology.edited.size);
  const mayLeave = () => !unsaved() || window.confirm("边界修改尚未保存，离开将丢弃这些修改。确定离开吗？");
  window.addEventListener("beforeunload", (ev) => {
    if (unsaved()) { ev.preventDefault(); ev.returnValue = ""; }
  });

  function renderChildren(view) {
    $("children-list").replaceChildren(...view.children.map((c) => el("li", {
      "data-code": c.code, class: "child", onclick: () => pick(c.code),
    }, el("strong", {}, c.name), el("span", { class: "code" }, c.code),
       el("span", { class: "meta" }, `${c.households ?? 0} 户 · 第 ${c.version} 版`),
       view.parent.child_level && view.parent.child_level.key !== "microgrid"
         ? el("a", { href: `?area=${c.code}`, class: "open", title: "编辑其下级区域", onclick: (ev) => {
             ev.stopPropagation(); go(c.code)(ev); } }, "进入 ›") : "")));
    if (!view.children.length) $("children-list").append(el("li", { class: "quiet" }, "暂无下级区域，可用“新建下级”绘制。"));
  }

  function renderNeighbours(view) {
    $("neighbour-list").replaceChildren(...view.neighbours.map((n) => el("li", { "data-code": n.code },
      el("a", { href: `?area=${n.code}`, onclick: go(n.code) }, n.name), el("span", { class: "code" }, n.code))));
    if (!view.neighbours.length) $("neighbour-list").append(el("li", { class: "quiet" }, "无"));
  }

  function bindChildLayers() {
    Object.entries(ed.childLayers).forEach(([code, layer]) => {
      layer.on("click", () => pick(code));
    });
    ed.groups.neighbours.eachLayer((layer) => layer.on("click", () => {
      if (!state.mode) load(layer.feature.properties.code);
    }));
  }

  // --- selecting, and picking a partner for merge/delete ---------------------------------

  function pick(code) {
    if (state.mode === "merge" || state.mode === "delete") return pickPartner(code);
    if (state.mode) return;
    state.selected = state.selected === code ? null : code;
    M.select(ed, state.selected);
    document.querySelectorAll("#children-list li.child").forEach((li) =>
      li.classList.toggle("selected", li.dataset.code === state.selected));
    updateTools();
  }

  function pickPartner(code) {
    const sel = child(state.selected);
    const other = child(code);
    if (!other || code === sel.code) return;
    const merge = state.mode === "merge";
    resetMode();
    propose(merge
      ? { url: `/api/areas/${sel.code}/merge`, title: `把 ${other.name} 并入 ${sel.name}`,
          body: { with: other.code, version: sel.version, with_version: other.version } }
      : { url: `/api/areas/${sel.code}/delete`, title: `撤销 ${sel.name}，范围并入 ${other.name}`,
          body: { to: other.code, version: sel.version, to_version: other.version } });
  }

  const child = (code) => state.view && state.view.children.find((c) => c.code === code);

  function updateTools() {
    const editable = state.view && state.view.editable;
    document.querySelectorAll("#editor-tools button[data-tool]").forEach((b) => {
      const needsSel = b.dataset.needs === "selection";
      const readOnly = b.dataset.tool !== "history";
      const bare = state.view && !state.view.children.length && ["community", "grid"].includes(state.view.parent.level);
      b.disabled = Boolean(state.mode) || (readOnly && !editable) || (needsSel && !state.selected)
        || (b.dataset.tool === "edit" && !(state.view && state.view.children.length))
        || (b.dataset.needs === "empty" && !bare);
    });
  }

  // --- tools -----------------------------------------------------------------------------

  const TOOLS = {
    draw() {
      setMode("draw", "在地图上依次点击绘制新区域，点击第一个点闭合（会吸附到相邻边界）。");
      ed.map.pm.enableDraw("Polygon", { snappable: true });
    },
    edit() {
      // Topological: a shared vertex or edge moves in every child that has it.
      const codes = state.selected ? [state.selected] : Object.keys(ed.childLayers);
      setMode("edit", `拖动顶点修改 ${state.selected ? child(state.selected).name : "各下级区域"} 的边界：`
        + "共用的顶点和边（橙色）在相邻区域中一起移动，上级边界上的顶点（方形）只沿上级边界滑动；"
        + "拖动边的中点可加点（或平移整条边），右键删除顶点。完成后点击“预览并保存”。");
      $("mode-save").hidden = false;
      $("mode-undo").hidden = false;
      $("mode-edge-label").hidden = false;
      state.topology = T.start(ed, state.view, codes, topologyChanged, edgeOptions);
      topologyChanged();
    },
    split() {
      setMode("split", `画一条穿过 ${child(state.selected).name} 的分割线：依次点击，再次点击最后一个点结束。`);
      ed.map.pm.enableDraw("Line", { snappable: true });
    },
    merge() { setMode("merge", `请在地图或列表中点击要并入 ${child(state.selected).name} 的相邻区域。`); },
    delete() { setMode("delete", `请点击接收 ${child(state.selected).name} 范围的相邻区域。`); },
    history() { openHistory(state.selected || state.view.parent.code); },
    plan() { planSplit(child(state.selected)); },
    grid() {
      propose({ url: `/api/areas/${state.view.parent.code}/grid`, body: {},
                title: `按户数为 ${state.view.parent.name} 划分网格（网格 200–300 户，微网格 50–100 户）` });
    },
  };

  // A proposed split by households: the selected area becomes the first part, the others
  // new areas; it is previewed and saved like any edit (and can be adjusted afterwards).
  async function planSplit(sel) {
    showMessage("正在计算拆分方案…");
    let plan;
    try {
      plan = await api(`/api/areas/${sel.code}/split-proposal`);
    } catch (err) { failed(err); return; }
    const children = state.view.children.map((c) => ({
      code: c.code, version: c.version, geometry: c.code === sel.code ? plan.parts[0].geometry : c.geometry }));
    plan.parts.slice(1).forEach((part, i) =>
      children.push({ code: null, name: `${sel.name}（拆分${i + 2}）`, geometry: part.geometry }));
    const counts = plan.parts.map((part) => part.households).join(" / ");
    propose({ url: `/api/boundaries/${state.view.parent.code}`, method: "PUT",
              title: `按户数拆分 ${sel.name}（${plan.households} 户）为 ${plan.parts.length} 部分：各 ${counts} 户`
                + (plan.balanced ? "" : "（户数偏差超过 15%）"), body: { children } });
  }

  function setMode(mode, text) {
    state.mode = mode;
    root.dataset.mode = mode;
    $("mode-text").textContent = text;
    $("mode-bar").hidden = false;
    $("mode-save").hidden = true;
    $("mode-undo").hidden = true;
    $("mode-edge-label").hidden = true;
    updateTools();
  }

  function resetMode() {
    ed.map.pm.disableDraw();
    if (state.topology) state.topology.stop();
    state.topology = null;
    state.mode = null;
    delete root.dataset.mode;
    $("mode-bar").hidden = true;
    updateTools();
  }

  ed.map.on("pm:create", (e) => {
    const geometry = e.layer.toGeoJSON().geometry;
    ed.map.removeLayer(e.layer);
    const mode = state.mode;
    resetMode();
    if (mode === "split" && e.shape === "Line") {
      const sel = child(state.selected);
      propose({ url: `/api/areas/${sel.code}/split`, title: `拆分 ${sel.name}`, askName: `${sel.name}（拆分）`,
                body: { line: geometry, version: sel.version } });
    } else if (mode === "draw" && e.shape === "Polygon") {
      const versions = Object.fromEntries(state.view.children.map((c) => [c.code, c.version]));
      propose({ url: `/api/areas/${state.view.parent.code}/carve`, title: `新建${state.view.parent.child_level.name_zh}`,
                askName: `新${state.view.parent.child_level.name_zh}`, body: { polygon: geometry, versions } });
    }
  });

  // After each step of a vertex edit: the undo button, and a refusal said on the spot.
  function topologyChanged(refusal) {
    $("mode-undo").disabled = !(state.topology && state.topology.canUndo());
    if (refusal) showMessage(refusal, "error");
    root.dataset.edited = state.topology ? [...state.topology.edited].sort().join(" ") : "";
  }

  const edgeOptions = { get moveEdges() { return $("mode-edge").checked; } };

  function undoStep() {
    if (state.topology && state.topology.undo()) showMessage("已撤销上一步。");
  }

  // One save for every child the vertex edit touched: a moved shared line changes both sides.
  function saveEdits() {
    const view = state.view;
    const topo = state.topology;
    const children = view.children.map((c) => ({
      code: c.code, version: c.version,
      // Unchanged children go back exactly as they came, so their edges do not move.
      geometry: topo.edited.has(c.code) ? topo.geometry(c.code) : c.geometry,
    }));
    const count = topo.edited.size;
    const names = view.children.filter((c) => topo.edited.has(c.code)).map((c) => c.name).join("、");
    if (state.pending) return;
    if (!count) { showMessage("没有修改任何顶点。"); return; }
    // The edit stays open: after a refusal, or 放弃 in the preview, the supervisor goes on
    // from the same vertices (or undoes the last step); a save reloads the area.
    propose({ url: `/api/boundaries/${view.parent.code}`, method: "PUT", title: `修改 ${count} 个区域的边界（${names}）`,
              body: { children } });
  }

  // --- dry run, preview, save --------------------------------------------------------------

  async function propose(op) {
    showMessage("正在校验…");
    state.pending = op;
    const reason = $("edit-reason").value.trim();
    if (reason) op.body.reason = reason;
    else if (op.method === "PUT") op.body.reason = op.title;
    if (op.askName) op.body.name = op.body.name || op.askName;
    try {
      const result = await send(op, true);
      showMessage(null);
      showPreview(op, result);
    } catch (err) {
      state.pending = null;
      failed(err);
    }
  }

  function send(op, dryRun) {
    return api(op.url, { method: op.method || "POST", json: { ...op.body, dry_run: dryRun } });
  }

  function showPreview(op, result) {
    M.drawPreview(ed, result.children);
    const lines = [
      ["新建", result.created], ["新版本", result.versions], ["撤销", result.retired], ["恢复", result.restored],
    ].filter(([, codes]) => codes && codes.length).map(([label, codes]) =>
      el("li", {}, `${label}：${codes.join("、")}`));
    $("preview-summary").replaceChildren(el("p", {}, op.title), el("ul", {}, lines), movedText(result.moved),
      el("ul", { class: "preview-children" }, result.children.filter((c) => c.action !== "keep").map((c) =>
        el("li", { "data-code": c.code, class: "action-" + c.action }, `${ACTION_NAMES[c.action] || c.action} ${c.code} ${c.name}`))));
    $("preview-name-label").hidden = !op.askName;
    $("preview-name").value = op.body.name || "";
    $("preview-box").hidden = false;
    root.dataset.preview = "1";
  }

  function movedText(moved) {
    if (!moved) return "";
    const parts = [["住户", moved.households, "户"], ["楼栋", moved.buildings, "栋"], ["设施", moved.facilities, "处"],
      ["在办案件", moved.open_cases, "件"], ["岗位职责", moved.duties, "项"]].filter(([, n]) => n);
    return el("p", { class: "moved" }, parts.length ? "随之调整归属：" + parts.map(([k, n, u]) => `${k} ${n} ${u}`).join("，")
      : "没有住户、楼栋、设施或案件需要调整归属。");
  }

  function hidePreview() {
    $("preview-box").hidden = true;
    delete root.dataset.preview;
    M.clearPreview(ed);
    state.pending = null;
  }

  async function confirm() {
    const op = state.pending;
    if (!op) return;
    if (op.askName) {
      const name = $("preview-name").value.trim();
      if (!name) { showMessage("请填写新区域名称。", "error"); return; }
      op.body.name = name;
    }
    $("preview-confirm").disabled = true;
    try {
      const result = await send(op, false);
      hidePreview();
      const created = result.created.length ? `，新建 ${result.created.join("、")}` : "";
      const retired = result.retired.length ? `，撤销 ${result.retired.join("、")}` : "";
      await load(state.view.parent.code, true);
      showMessage(`已保存：${op.title}${created}${retired}。`, "ok");
    } catch (err) {
      hidePreview();
      failed(err);
    } finally {
      $("preview-confirm").disabled = false;
    }
  }

  // --- problems and conflicts --------------------------------------------------------------

  function failed(err) {
    const body = err.body || {};
    if (err.status === 409) return showConflict(body);
    const msg = zh(body.message || err.message) || "请求失败";
    showMessage(`${msg}`, "error", body.message);
    $("editor-message").dataset.error = body.error || String(err.status || "network");
    document.querySelectorAll("#children-list li").forEach((li) =>
      li.classList.toggle("problem", Boolean(body.code) && li.dataset.code === body.code));
    if (body.geometry || body.location) M.drawProblem(ed, body.geometry, body.location, msg);
  }

  function showConflict(body) {
    showMessage(zh(body.message), "error", body.message);
    $("editor-message").dataset.error = "conflict";
    $("conflict-text").textContent = "在你载入之后，以下区域已被他人修改。你的修改没有保存；地图上紫色为对方修改后的边界。";
    $("conflict-list").replaceChildren(...(body.conflicts || []).map((c) => el("li", { "data-code": c.code },
      el("strong", {}, `${c.name}（${c.code}）`),
      el("span", {}, c.retired_at ? `已于 ${fmtTime(c.retired_at)} 被 ${(c.retired_by || {}).author || "他人"} 撤销`
        : `第 ${c.version} 版 · ${c.author} · ${fmtTime(c.valid_from)}`),
      el("span", { class: "meta" }, `原因：${(c.retired_by || {}).reason || c.reason || "—"}；你基于第 ${c.sent_version} 版`))));
    $("conflict-box").hidden = false;
    const shapes = (body.conflicts || []).filter((c) => c.geometry).map((c) => ({ type: "Feature", properties: {}, geometry: c.geometry }));
    M.drawProblem(ed, { type: "FeatureCollection", features: shapes }, null, "对方的修改", "conflict");
  }

  function showMessage(text, kind, title) {
    const box = $("editor-message");
    if (!text) {
      box.hidden = true; box.textContent = ""; delete box.dataset.error;
      ed.groups.problem.clearLayers();
      document.querySelectorAll("#children-list li.problem").forEach((li) => li.classList.remove("problem"));
      return;
    }
    box.hidden = false;
    box.className = "message " + (kind || "info");
    box.textContent = text;
    if (title) box.title = title; else box.removeAttribute("title");
  }

  // --- history -----------------------------------------------------------------------------

  async function openHistory(code) {
    let data;
    try {
      data = await api(`/api/areas/${encodeURIComponent(code)}/history`);
    } catch (err) { failed(err); return; }
    state.history = code;
    $("history-title").textContent = `${data.name}（${data.code}）的历史版本`;
    const versions = data.versions;
    $("history-list").replaceChildren(...versions.map((v, i) => el("li", {
      "data-version": v.version, class: v.current ? "current" : "", onclick: () => showVersion(versions, i),
    }, el("strong", {}, `第 ${v.version} 版${v.current ? "（现行）" : ""}`),
       el("span", { class: "meta" }, `${v.author} · ${fmtTime(v.valid_from)}${v.valid_to ? " 至 " + fmtTime(v.valid_to) : ""}`),
       el("span", { class: "reason" }, v.reason || "—"),
       el("span", { class: "meta" }, `面积 ${(v.area_m2 / 10000).toFixed(2)} 公顷`),
       v.current || !state.view.editable ? "" : el("button", { type: "button", class: "revert", onclick: (ev) => {
         ev.stopPropagation();
         propose({ url: `/api/areas/${data.code}/revert`, title: `把 ${data.name} 恢复到第 ${v.version} 版`,
                   body: { version: v.version } });
       } }, "恢复到此版本"))));
    $("history-box").hidden = false;
    root.dataset.history = code;
    if (versions.length) showVersion(versions, 0);
  }

  // Version i after the one it replaced (versions are newest first).
  function showVersion(versions, i) {
    document.querySelectorAll("#history-list li").forEach((li, j) => li.classList.toggle("shown", i === j));
    M.drawHistory(ed, versions[i], versions[i + 1]);
  }

  function closeHistory() {
    state.history = null;
    delete root.dataset.history;
    $("history-box").hidden = true;
    ed.groups.history.clearLayers();
  }

  // --- search --------------------------------------------------------------------------------

  let searchTimer = null;
  $("area-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(search, 250);
  });

  async function search() {
    const q = $("area-search").value.trim();
    const list = $("search-results");
    if (!q) { list.hidden = true; return; }
    let areas;
    try {
      ({ areas } = await api(`/api/boundaries/search?q=${encodeURIComponent(q)}`));
    } catch (err) { showMessage(`查找失败：${zh(err.message)}`, "error"); return; }
    list.replaceChildren(...areas.map((a) => el("li", { "data-code": a.code, onclick: () => {
      if (!mayLeave()) return;
      list.hidden = true; $("area-search").value = ""; load(a.code);
    } }, el("strong", {}, a.name), el("span", { class: "code" }, `${a.level_zh} ${a.code}`))));
    if (!areas.length) list.append(el("li", { class: "quiet" }, "没有找到（只能查找管辖范围内的区域）"));
    list.hidden = false;
  }

  // --- wiring ----------------------------------------------------------------------------------

  document.querySelectorAll("#editor-tools button[data-tool]").forEach((b) =>
    b.addEventListener("click", () => { showMessage(null); TOOLS[b.dataset.tool](); }));
  $("mode-cancel").addEventListener("click", () => {
    const editing = state.mode === "edit" && state.topology && state.topology.edited.size;
    resetMode();
    if (editing) load(state.view.parent.code);   // undo the moved vertices
  });
  $("mode-undo").addEventListener("click", undoStep);
  $("mode-save").addEventListener("click", saveEdits);
  $("preview-confirm").addEventListener("click", confirm);
  $("preview-cancel").addEventListener("click", hidePreview);
  $("conflict-reload").addEventListener("click", () => load(state.view.parent.code));
  $("history-close").addEventListener("click", closeHistory);
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape" && state.mode) $("mode-cancel").click();
    if ((ev.ctrlKey || ev.metaKey) && ev.key === "z" && state.topology && !/INPUT|TEXTAREA/.test(ev.target.tagName)) {
      ev.preventDefault();
      undoStep();
    }
  });

  async function start() {
    let code = root.dataset.start || new URLSearchParams(location.search).get("area");
    if (!code) {
      // Citywide roles: open the first district.
      const fc = await api("/api/areas?level=district&limit=1");
      code = fc.features.length ? fc.features[0].properties.code : null;
    }
    // From the plan (/editor/plan): ?propose=<community> opens its split proposal.
    const propose = new URLSearchParams(location.search).get("propose");
    if (code) load(code).then(() => { if (propose && child(propose)) { pick(propose); planSplit(child(propose)); } });
    else showMessage("没有可编辑的区域。", "error");
  }

  window.gisappEditor = { map: ed.map, layers: ed, state, load };
  start();
})();
