"""GeoJSON shapes the API answers with, built from rows the database already placed."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping


def point_collection(rows: Iterable[Mapping], properties: Callable[[Mapping], dict]) -> dict:
    """A FeatureCollection of points from rows with id, lng and lat (WGS 84);
    properties(row) gives each feature's properties."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": r["id"],
                "geometry": {"type": "Point", "coordinates": [r["lng"], r["lat"]]},
                "properties": properties(r),
            }
            for r in rows
        ],
    }
