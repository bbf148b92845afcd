"""Privacy of small numbers: what a count of a sensitive class looks like to a viewer.

A count of households of one colour, or of a special group (低保, 失独 ...), in a small
area can point at one family. Anyone without a duty toward those households (the public,
a wall screen, staff outside their jurisdiction) sees such a count under the threshold
(config SMALL_COUNT, default 5) as "<5", and no colour breakdown below the community.
Those with a duty see exact numbers. The same rule in SQL: sql/190_small_counts.sql.
"""
from __future__ import annotations

from flask import current_app

BREAKDOWN_LEVEL = 3        # community: the deepest level whose colours anyone may see
COLOUR_NAMES = ("red", "orange", "yellow", "blue", "green")


def threshold() -> int:
    """The smallest count shown exactly to those without a duty (GISAPP_SMALL_COUNT)."""
    return int(current_app.config["SMALL_COUNT"])


def shown(n: int | None, exact: bool, small: int) -> int | str | None:
    """`n` itself, or "<small" when it is under the threshold and the viewer has no duty."""
    if n is None or exact or n >= small:
        return n
    return f"<{small}"


def shown_colours(counts, level: int, exact: bool, small: int) -> dict:
    """Colour counts (a list red..green or a dict) as this viewer may see them; {} when
    the area lies below the community and the viewer has no duty toward it."""
    if not exact and level > BREAKDOWN_LEVEL:
        return {}
    values = counts if isinstance(counts, dict) else dict(zip(COLOUR_NAMES, counts))
    return {k: shown(v, exact, small) for k, v in values.items()}


def level_of(code: str) -> int:
    """An area's level from its code: 6 digits a district, 3 more for each level below."""
    return (len(code) - 3) // 3
