"""The first map (/): placeholder until the folium page lands."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("map_page", __name__)


@bp.get("/")
def home():
    return "<!doctype html><title>gisapp</title><h1>gisapp</h1>"
