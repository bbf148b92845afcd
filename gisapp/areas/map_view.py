"""The area map (/) as a folium map whose assets all come from our own server.

folium writes the Leaflet page; it carries no area data. Our script
(static/js/areas-map.js) fetches the areas of the visible levels from /api/areas as
the map moves, so the page stays small at city scale (35,000+ micro-grids) and folium's
part of it depends only on configuration, which lets the view cache it.
"""
from __future__ import annotations

import re

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from .basemap import BaseLayer

TITLE = "区域地图 · 社区网格化管理平台"
DALIAN = (38.95, 121.62)
DALIAN_ZOOM = 11

# folium's CDN assets by folium's own resource names -> paths in node_modules (served at
# /vendor/...). None drops an asset: glyphicons (bootstrap 3) serves no folium feature we
# use, and folium 0.20 no longer ships the awesome-rotate stylesheet in folium/templates,
# so /vendor-folium has nothing to serve; it only rotates awesome-marker icons.
VENDOR_ASSETS: dict[str, str | None] = {
    "leaflet": "leaflet/dist/leaflet.js",
    "jquery": "jquery/dist/jquery.min.js",
    "bootstrap": "bootstrap/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "leaflet.awesome-markers/dist/leaflet.awesome-markers.js",
    "leaflet_css": "leaflet/dist/leaflet.css",
    "bootstrap_css": "bootstrap/dist/css/bootstrap.min.css",
    "glyphicons_css": None,
    "awesome_markers_font_css": "@fortawesome/fontawesome-free/css/all.min.css",
    "awesome_markers_css": "leaflet.awesome-markers/dist/leaflet.awesome-markers.css",
    "awesome_rotate_css": None,
}
EXTERNAL_URL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


class AreasLayer(MacroElement):
    """Our stylesheet and script, and the call that starts them on the parent map."""

    _template = Template("""
        {% macro header(this, kwargs) %}
            <link rel="stylesheet" href="{{ this.css_url }}"/>
            <script src="{{ this.js_url }}"></script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            GisappAreasMap.init({{ this._parent.get_name() }}, {{ this.options|tojavascript }});
        {% endmacro %}
    """)

    def __init__(self, js_url: str, css_url: str, options: dict):
        super().__init__()
        self._name = "AreasLayer"
        self.js_url, self.css_url, self.options = js_url, css_url, options


def build_map(urls: dict, layers: list[BaseLayer]) -> folium.Map:
    """The folium map: no data, optional base layers, our areas script on top."""
    # folium hands min_zoom/max_zoom to its default tiles only; these reach L.map itself.
    m = folium.Map(location=DALIAN, zoom_start=DALIAN_ZOOM, tiles=None, control_scale=True,
                   **{"minZoom": 3, "maxZoom": 19})
    # This page needs Leaflet only: folium's jQuery, Bootstrap, awesome-markers and Font
    # Awesome serve features it does not use, and Bootstrap would restyle the shared top bar.
    m.default_js = [a for a in m.default_js if a[0] == "leaflet"]
    m.default_css = [a for a in m.default_css if a[0] == "leaflet_css"]
    tiles = [_tile_layer(layer).add_to(m) for layer in layers]
    options = {
        "areas_url": urls["areas"],
        "detail_url": urls["detail"],
        "login_url": urls.get("login"),
        "base_layers": [{"name": layer.name, "layer": tile}
                        for layer, tile in zip(layers, tiles)],
    }
    m.add_child(AreasLayer(urls["js"], urls["css"], options))
    return m


def _tile_layer(layer: BaseLayer) -> folium.TileLayer:
    return folium.TileLayer(layer.url, attr=layer.attribution, name=layer.name,
                            show=layer.selected, **layer.options)


def localise_assets(element: Element, vendor_url) -> None:
    """Point every folium asset in the tree at our /vendor copies; refuse unknown CDN links.

    `vendor_url(path)` turns a node_modules path into a URL. Lists are replaced on the
    instance, never edited in place: folium keeps them on the class, shared by all maps.
    """
    for el in _walk(element):
        for attr in ("default_js", "default_css"):
            assets = getattr(el, attr, None)
            if assets:
                kept = [(n, u) for n, u in assets if VENDOR_ASSETS.get(n, "") is not None]
                setattr(el, attr, [(n, _local(n, u, vendor_url)) for n, u in kept])


def _local(name: str, url: str, vendor_url) -> str:
    if not EXTERNAL_URL.match(f'src="{url}"'):
        return url
    if not VENDOR_ASSETS.get(name):
        raise ValueError(f"folium asset {name!r} ({url}) has no local copy: add it to "
                         "package.json, the assets whitelist and VENDOR_ASSETS")
    return vendor_url(VENDOR_ASSETS[name])


def _walk(element: Element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def render_parts(m: folium.Map, vendor_url) -> dict[str, str]:
    """folium's header, map element and script, for a template; checked to load nothing
    from another host."""
    localise_assets(m, vendor_url)
    root = m.get_root()
    root.render()      # fills header, html and script from the map's elements
    parts = {"header": root.header.render(), "html": root.html.render(),
             "script": root.script.render()}
    for part in parts.values():
        external = EXTERNAL_URL.search(part)
        if external:
            # A CDN link would break the offline promise silently; fail where it is made.
            raise ValueError(f"map page links to another host: {part[external.start():][:120]}")
    return parts
