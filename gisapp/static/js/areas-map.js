/* The area map: draws the administrative levels from /api/areas as the map moves.
 *
 * folium writes the Leaflet map and calls GisappAreasMap.init(map, options). Nothing
 * about the areas is in the page: each visible level is fetched for the current view
 * (bbox + zoom, so the server simplifies to what the screen can show) and kept by code,
 * so a pan inside what was already fetched asks for nothing.
 *
 * Zoom thresholds: a level appears once its typical area is some 50 px or more across
 * (Dalian, about 30 m per pixel at zoom 12 and half that per zoom step):
 *   区 district always (10-50 km); 街道 street >= 12 (3-10 km); 社区 community >= 13
 *   (about 1 km); 网格 grid >= 14 (200-300 m); 微网格 micro-grid >= 15 (about 100 m).
 * Labels (name + code) go on one level: the finest shown whose areas mostly have room
 * for them on screen, and only on the areas that do.
 *
 * All text from the server reaches the page through textContent, never innerHTML.
 */
(function () {
  'use strict';

  var LEVELS = [
    {key: 'district', zh: '区', minZoom: 0, color: '#8c1c2b', weight: 4, fill: 0.06},
    {key: 'street', zh: '街道', minZoom: 12, color: '#c0561b', weight: 3, fill: 0.06},
    {key: 'community', zh: '社区', minZoom: 13, color: '#1f5fa8', weight: 2, fill: 0.06},
    {key: 'grid', zh: '网格', minZoom: 14, color: '#23864a', weight: 1.5, fill: 0.06},
    {key: 'microgrid', zh: '微网格', minZoom: 15, color: '#6a4c93', weight: 1, fill: 0.06,
     dashArray: '5 3'}
  ];
  var PAGE = 5000;            // the API's page limit; more than this in view is reported
  var MAX_KEPT = 8000;        // per level; past this, areas out of view are dropped
  var MAX_LABELS = 300;       // permanent labels are DOM nodes: keep them few
  var LABEL_HEIGHT = 34;      // px: two lines of label (see .area-label-* in areas-map.css)
  var COLOURS = [['red', '红'], ['orange', '橙'], ['yellow', '黄'], ['blue', '蓝'], ['green', '绿']];
  var ZH = {district: '区', street: '街道', community: '社区', grid: '网格', microgrid: '微网格'};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function getJSON(url, signal) {
    return fetch(url, {signal: signal, headers: {Accept: 'application/json'}})
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (body) {
          if (!resp.ok) { throw new Error(body.message || ('HTTP ' + resp.status)); }
          return body;
        });
      });
  }

  function clampedBBox(bounds) {
    // The API refuses coordinates outside WGS 84 ranges; padded views can cross them.
    var w = Math.max(bounds.getWest(), -180), e = Math.min(bounds.getEast(), 180);
    var s = Math.max(bounds.getSouth(), -90), n = Math.min(bounds.getNorth(), 90);
    return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
  }

  function textWidth(text, cjkPx, otherPx) {
    // An estimate without measuring DOM: CJK glyphs are square, digits and Latin about half.
    var cjk = (String(text).match(/[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]/g) || []).length;
    return cjk * cjkPx + (String(text).length - cjk) * otherPx;
  }

  function labelWidth(props) {
    return Math.max(textWidth(props.name, 13, 7.5), textWidth(props.code, 11, 6.5)) + 8;
  }

  function formatArea(m2) {
    if (m2 === null || m2 === undefined) { return '—'; }
    return m2 >= 1e6 ? (m2 / 1e6).toFixed(2) + ' 平方公里' : Math.round(m2) + ' 平方米';
  }

  function AreasMap(map, options) {
    this.map = map;
    this.options = options;
    this.error = null;
    this.levels = LEVELS.map(this._makeLevel, this);
    this.filled = this._finestShown();
    this._addControls();
    map.on('moveend', this.refresh, this);
    map.on('overlayadd', this.refresh, this);
    map.on('overlayremove', this._redraw, this);
    this._start();
  }

  AreasMap.prototype._makeLevel = function (def, i) {
    // Coarser levels on top, so their boundaries stay visible over the finer ones; only
    // the finest level shown is filled, so a click inside an area reaches that level.
    var pane = this.map.createPane('areas-' + def.key);
    pane.style.zIndex = String(401 + LEVELS.length - i);
    var level = {def: def, features: {}, fetched: [], pending: null, truncated: false};
    var self = this;
    level.group = L.geoJSON(null, {
      pane: 'areas-' + def.key,
      style: function () { return self._style(def, level === self.filled); },
      onEachFeature: function (feature, layer) { self._bind(level, feature, layer); }
    }).addTo(this.map);
    return level;
  };

  AreasMap.prototype._style = function (def, filled) {
    return {color: def.color, weight: def.weight, opacity: 0.9, fill: filled,
            fillColor: def.color, fillOpacity: def.fill, dashArray: def.dashArray || null,
            className: 'area area-' + def.key};
  };

  AreasMap.prototype._bind = function (level, feature, layer) {
    var def = level.def;
    level.features[feature.properties.code] = layer;
    layer.on('mouseover', function () { layer.setStyle({fillOpacity: 0.18}); });
    layer.on('mouseout', function () { layer.setStyle({fillOpacity: def.fill}); });
    layer.on('click', function (e) { this.showDetail(feature.properties, e.latlng); }, this);
  };

  AreasMap.prototype._addControls = function () {
    var overlays = {}, bases = {};
    this.levels.forEach(function (level) {
      // Control labels are our constants (Leaflet writes them with innerHTML).
      overlays['<span class="area-swatch" style="border-color:' + level.def.color + '"></span>' +
               level.def.zh] = level.group;
    });
    (this.options.baseLayers || []).forEach(function (base) { bases[base.name] = base.layer; });
    if (Object.keys(bases).length) { bases['无底图'] = L.layerGroup(); }
    L.control.layers(bases, overlays, {collapsed: false, position: 'topright'}).addTo(this.map);
    this.status = L.control({position: 'bottomleft'});
    this.status.onAdd = function () {
      var box = el('div', 'gisapp-status');
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    this.status.addTo(this.map);
  };

  AreasMap.prototype._start = function () {
    // The whole city's districts first: they set the initial view (Dalian if there are none).
    var level = this.levels[0], self = this, zoom = 10;
    var url = this.options.areasUrl + '?' + new URLSearchParams({level: 'district', zoom: zoom,
                                                                  limit: PAGE});
    var pending = {bounds: L.latLngBounds([-90, -180], [90, 180]), zoom: zoom, controller: null};
    level.pending = pending;
    this._updateStatus();
    getJSON(url).then(function (fc) {
      level.pending = null;
      self._add(level, fc, pending, zoom);
      if (level.group.getLayers().length) {
        self.map.fitBounds(level.group.getBounds(), {padding: [20, 20], animate: false});
      }
    }).catch(function (err) {
      level.pending = null;
      self.error = err.message;
    }).then(function () {
      self.started = true;
      self.refresh();
    });
  };

  AreasMap.prototype.refresh = function () {
    var zoom = this.map.getZoom(), view = this.map.getBounds(), self = this;
    this.levels.forEach(function (level) {
      if (zoom < level.def.minZoom) {
        self._clear(level);
      } else if (self.map.hasLayer(level.group) && !self._covered(level, view, zoom)) {
        self._load(level, view.pad(0.5), zoom);
      }
    });
    this._redraw();
  };

  AreasMap.prototype._covered = function (level, view, zoom) {
    // Geometry fetched for a lower zoom is simplified; more than one step away it shows.
    var fresh = function (f) { return f.zoom >= zoom - 1 && f.bounds.contains(view); };
    return level.fetched.some(fresh) || (level.pending !== null && fresh(level.pending));
  };

  AreasMap.prototype._load = function (level, bounds, zoom) {
    if (level.pending && level.pending.controller) { level.pending.controller.abort(); }
    var controller = new AbortController(), self = this;
    var pending = {bounds: bounds, zoom: zoom, controller: controller};
    level.pending = pending;
    var url = this.options.areasUrl + '?' + new URLSearchParams({
      level: level.def.key, bbox: clampedBBox(bounds), zoom: zoom, limit: PAGE});
    getJSON(url, controller.signal).then(function (fc) {
      if (level.pending === pending) { level.pending = null; }
      self._add(level, fc, pending, zoom);
      self._evict(level);
      self._redraw();
    }).catch(function (err) {
      if (err.name === 'AbortError') { return; }
      if (level.pending === pending) { level.pending = null; }
      self.error = err.message;
      self._updateStatus();
    });
  };

  AreasMap.prototype._add = function (level, fc, pending, zoom) {
    var self = this;
    this.error = null;
    (fc.features || []).forEach(function (feature) {
      var old = level.features[feature.properties.code];
      if (old && old.fetchZoom >= zoom) { return; }
      if (old) { self._remove(level, feature.properties.code); }
      level.group.addData(feature);
      level.features[feature.properties.code].fetchZoom = zoom;
    });
    level.truncated = fc.numberMatched > fc.numberReturned;
    if (pending && !level.truncated) {
      level.fetched = level.fetched.slice(-19).concat([{bounds: pending.bounds, zoom: zoom}]);
    }
  };

  AreasMap.prototype._remove = function (level, code) {
    level.group.removeLayer(level.features[code]);
    delete level.features[code];
  };

  AreasMap.prototype._evict = function (level) {
    var codes = Object.keys(level.features);
    if (codes.length <= MAX_KEPT) { return; }
    var keep = this.map.getBounds().pad(0.5), self = this;
    codes.forEach(function (code) {
      if (!keep.intersects(level.features[code].getBounds())) { self._remove(level, code); }
    });
    level.fetched = [];
  };

  AreasMap.prototype._clear = function (level) {
    if (level.pending && level.pending.controller) { level.pending.controller.abort(); }
    level.pending = null;
    level.group.clearLayers();
    level.features = {};
    level.fetched = [];
    level.truncated = false;
  };

  AreasMap.prototype._redraw = function () {
    var finest = this._finestShown(), self = this;
    if (finest !== this.filled) {
      this.filled = finest;
      this.levels.forEach(function (level) {
        level.group.setStyle(self._style(level.def, level === finest));
      });
    }
    this._updateLabels();
    this._updateStatus();
  };

  AreasMap.prototype._shownLevels = function () {
    var zoom = this.map.getZoom(), map = this.map;
    return this.levels.filter(function (level) {
      return zoom >= level.def.minZoom && map.hasLayer(level.group);
    });
  };

  AreasMap.prototype._finestShown = function () {
    var shown = this._shownLevels();
    return shown.length ? shown[shown.length - 1] : null;
  };

  AreasMap.prototype._labelledLevel = function () {
    // The finest level shown whose areas mostly have room for a label; labelling one
    // level only keeps labels of nested areas from piling up on the same spot.
    var shown = this._shownLevels(), view = this.map.getBounds();
    for (var i = shown.length - 1; i >= 0; i--) {
      var inView = 0, fitting = 0, features = shown[i].features;
      for (var code in features) {
        if (view.intersects(features[code].getBounds())) {
          inView += 1;
          fitting += this._fits(features[code]) ? 1 : 0;
        }
      }
      if (inView && fitting * 2 >= inView) { return shown[i]; }
    }
    return null;
  };

  AreasMap.prototype._updateLabels = function () {
    var labelled = this._labelledLevel(), count = 0, self = this;
    this.levels.forEach(function (level) {
      Object.keys(level.features).forEach(function (code) {
        var layer = level.features[code];
        var wanted = level === labelled && count < MAX_LABELS && self._fits(layer);
        if (wanted) {
          count += 1;
          if (!layer.getTooltip()) {
            layer.bindTooltip(self._labelNode(layer.feature.properties), {
              permanent: true, direction: 'center', interactive: false, opacity: 1,
              className: 'area-label area-label-' + level.def.key});
          }
        } else if (layer.getTooltip()) {
          layer.unbindTooltip();
        }
      });
    });
    this.labelCount = count;
  };

  AreasMap.prototype._fits = function (layer) {
    var bounds = layer.getBounds();
    if (!this.map.getBounds().intersects(bounds)) { return false; }
    var nw = this.map.latLngToContainerPoint(bounds.getNorthWest());
    var se = this.map.latLngToContainerPoint(bounds.getSouthEast());
    return se.x - nw.x >= labelWidth(layer.feature.properties) && se.y - nw.y >= LABEL_HEIGHT;
  };

  AreasMap.prototype._labelNode = function (props) {
    var node = el('div', 'area-label-text');
    node.appendChild(el('span', 'area-label-name', props.name));
    node.appendChild(el('span', 'area-label-code', props.code));
    return node;
  };

  AreasMap.prototype._updateStatus = function () {
    var box = this.status.getContainer(), zoom = this.map.getZoom(), self = this;
    var summary = this.summary();
    box.textContent = '';
    box.appendChild(el('div', 'gisapp-status-title', '区域图层'));
    var list = el('ul', 'gisapp-status-levels');
    this.levels.forEach(function (level) {
      var item = el('li');
      var swatch = el('span', 'area-swatch');
      swatch.style.borderColor = level.def.color;
      item.appendChild(swatch);
      item.appendChild(el('span', 'gisapp-status-name', level.def.zh));
      var note = zoom < level.def.minZoom ? '放大到 ' + level.def.minZoom + ' 级显示'
        : !self.map.hasLayer(level.group) ? '已隐藏'
        : summary.counts[level.def.key] + ' 个' + (level.truncated ? '（仅显示前 ' + PAGE + ' 个）' : '');
      item.appendChild(el('span', 'gisapp-status-note', note));
      list.appendChild(item);
    });
    box.appendChild(list);
    var line = summary.pending ? '加载中…' : '已加载 ' + summary.total + ' 个区域';
    box.appendChild(el('div', 'gisapp-status-line', line + ' · 缩放 ' + zoom + ' 级'));
    if (this.error) { box.appendChild(el('div', 'gisapp-status-error', '加载失败：' + this.error)); }
  };

  /* What is drawn now: for the status box, and for tests and the console. */
  AreasMap.prototype.summary = function () {
    var counts = {}, total = 0, pending = 0;
    this.levels.forEach(function (level) {
      counts[level.def.key] = Object.keys(level.features).length;
      total += counts[level.def.key];
      pending += level.pending ? 1 : 0;
    });
    // Until the first view is set, "nothing pending" would be a false all-clear.
    if (!this.started) { pending += 1; }
    return {zoom: this.map.getZoom(), counts: counts, total: total, pending: pending,
            labels: this.labelCount || 0, error: this.error};
  };

  AreasMap.prototype.showDetail = function (props, latlng) {
    var popup = L.popup({maxWidth: 340, minWidth: 240, className: 'area-popup'})
      .setLatLng(latlng).setContent(el('div', 'area-popup-loading', props.name + ' 加载中…'))
      .openOn(this.map);
    var url = this.options.detailUrl + encodeURIComponent(props.code);
    var loginUrl = this.options.loginUrl;
    getJSON(url).then(function (feature) {
      popup.setContent(detailNode(feature.properties, loginUrl));
    }).catch(function (err) {
      popup.setContent(el('div', 'area-popup-error', '加载失败：' + err.message));
    });
  };

  function row(table, label, value) {
    var tr = el('tr');
    tr.appendChild(el('th', null, label));
    var td = el('td');
    if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value; }
    tr.appendChild(td);
    table.appendChild(tr);
  }

  function phoneNode(phone) {
    if (!phone) { return document.createTextNode(''); }
    var a = el('a', 'area-phone', phone);
    a.href = 'tel:' + String(phone).replace(/[^0-9+]/g, '');
    return a;
  }

  function coloursNode(counts) {
    // No breakdown below the community for those without a duty (small counts read "<5").
    if (!counts || !Object.keys(counts).length) {
      return document.createTextNode('社区以下不公开分色户数');
    }
    var node = el('span', 'area-colours');
    COLOURS.forEach(function (c) {
      var chip = el('span', 'area-chip area-chip-' + c[0], c[1] + ' ' + (counts[c[0]] === undefined || counts[c[0]] === null ? 0 : counts[c[0]]));
      node.appendChild(chip);
    });
    return node;
  }

  function descendantsText(props) {
    var parts = Object.keys(props.descendants || {}).map(function (key) {
      return (ZH[key] || key) + ' ' + props.descendants[key];
    });
    return parts.length ? parts.join(' · ') : '无';
  }

  function officeNode(office) {
    if (!office) { return document.createTextNode('无'); }
    var node = el('span', null, office.name ? office.name + ' ' : '');
    node.appendChild(phoneNode(office.phone));
    return node;
  }

  function dutyNode(onDuty, loginUrl) {
    if (onDuty === undefined || onDuty === null) {
      // The API leaves staff names and phones out for the public.
      var hint = el('p', 'area-duty-none', '登录后可查看责任人');
      if (loginUrl) {
        var link = el('a', 'area-login', '登录');
        link.href = loginUrl;
        hint.appendChild(document.createTextNode(' · '));
        hint.appendChild(link);
      }
      return hint;
    }
    if (!onDuty.length) { return el('p', 'area-duty-none', '暂无责任人'); }
    var list = el('ul', 'area-duty');
    onDuty.forEach(function (p) {
      var item = el('li');
      item.appendChild(el('span', 'area-duty-role', p.role_zh || p.role));
      item.appendChild(el('span', 'area-duty-name', p.name));
      item.appendChild(phoneNode(p.phone));
      list.appendChild(item);
    });
    return list;
  }

  function detailNode(p, loginUrl) {
    var node = el('div', 'area-detail');
    node.appendChild(el('h3', 'area-detail-name', p.name));
    node.appendChild(el('div', 'area-detail-meta', (p.level_zh || ZH[p.level] || '') + ' · 编码 ' + p.code));
    var table = el('table', 'area-detail-table');
    if (p.parent) { row(table, '上级', p.parent.name + '（' + p.parent.code + '）'); }
    row(table, '户数', p.households === null || p.households === undefined ? '—' : p.households);
    row(table, '五色户', coloursNode(p.colour_counts));
    row(table, '下级', p.children ? p.children + ' 个（' + descendantsText(p) + '）' : '无');
    row(table, '面积', formatArea(p.area_m2));
    row(table, '办公电话', officeNode(p.office));
    node.appendChild(table);
    node.appendChild(el('h4', 'area-detail-duty', '责任人'));
    node.appendChild(dutyNode(p.on_duty, loginUrl));
    return node;
  }

  window.GisappAreasMap = {
    LEVELS: LEVELS,
    init: function (map, options) {
      var instance = new AreasMap(map, options);
      window.GisappAreasMap.instance = instance;
      return instance;
    }
  };
}());
