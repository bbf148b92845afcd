"""gisapp: a GIS server and map UI for grid-based community governance."""
from __future__ import annotations

from flask import Flask

from . import config, db, errors
from .accounts import web_auth
from .areas.spatial_index import AreaIndex
from .web import headers, params, uploads


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: settings, database, index, blueprints. Nothing runs at import."""
    app = Flask(__name__)
    app.config.from_mapping(config.from_environment())
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    db.init_app(app)
    app.extensions["gisapp_index"] = AreaIndex(app.extensions["gisapp_engine"],
                                               app.config["INDEX_REFRESH_SECONDS"])
    # A doubled slash (an id that was "/0", a client joining paths badly) is an unknown
    # address, answered 404 in JSON, not a 308 to a URL the client never asked for.
    app.url_map.merge_slashes = False
    app.url_map.converters["int"] = params.IdConverter
    errors.register(app)
    uploads.init_app(app)
    web_auth.init_app(app)
    _register_blueprints(app)
    headers.init_app(app)
    from .web import cors
    cors.init_app(app)
    from .tiles.fastpath import TileFastPath
    app.wsgi_app = TileFastPath(app.wsgi_app, app)
    # The live hub publishes; the tile cache subscribes to catch up before each event.
    from .live import hub
    from .tiles import service
    hub.on_change(app, service.catch_up_for(app))
    from .cli import register_commands
    register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from .accounts import views as auth_views
    from .areas import views as areas
    from .areas import views_locate as locate
    from .areas import views_map as map_page
    from .boundaries import views as boundaries
    from .cases import views as cases
    from .cases import views_pages as case_pages
    from .households import views as households
    from .web import assets, health
    for module in (health, locate, areas, map_page, assets, auth_views, households, cases,
                   case_pages, boundaries):
        app.register_blueprint(module.bp)
    # The map wall: vector tiles, live events, the /wall page.
    from .live import views as events
    from .live import views_wall as wall
    from .tiles import views as tiles
    for module in (tiles, events, wall):
        app.register_blueprint(module.bp)
    # Five-colour visits and the field page for phones.
    from .households import views_field as field
    from .households import views_visits as visits
    for module in (visits, field):
        app.register_blueprint(module.bp)
    # Facilities, coverage and staffing analysis.
    from .facilities import views as facilities
    from .facilities import views_coverage as coverage
    from .facilities import views_staffing as staffing
    for module in (facilities, coverage, staffing):
        app.register_blueprint(module.bp)
    # Open GIS interfaces: OGC API – Features, the OpenAPI document, layer exports.
    from .ogc import views as ogc
    from .ogc import views_edit as ogc_edit
    from .ogc import views_export as export
    from .ogc import views_openapi as openapi
    for module in (ogc, ogc_edit, openapi, export):
        app.register_blueprint(module.bp)
    from . import demands
    app.register_blueprint(demands.bp)
    from . import assessment
    app.register_blueprint(assessment.blueprint())
    from . import consultation
    app.register_blueprint(consultation.bp)
