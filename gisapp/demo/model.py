"""The demo city in memory, between generating it (city.py) and writing it (load.py)."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


@dataclass
class Area:
    code: str
    level: int
    name: str
    parent: int | None  # index into City.areas
    households: int
    geom: object = None
    office_name: str | None = None
    office_phone: str | None = None
    colour_counts: list = field(default_factory=lambda: [0] * 5)


@dataclass
class City:
    areas: list[Area]
    buildings: dict = field(default_factory=dict)
    households: dict = field(default_factory=dict)
    persons: list = field(default_factory=list)  # (name, phone)
    duties: list = field(default_factory=list)  # (person index, area index, role)
    facilities: list = field(default_factory=list)  # (kind, name, address, phone, cap, hours, x, y)
    roads: dict = field(default_factory=dict)  # demo_roads.build_roads: roads and water


class Progress:
    """A one-line text progress bar on stderr, redrawn in place (or silence)."""

    def __init__(self, enabled: bool):
        self.enabled, self.started = enabled, time.monotonic()

    def show(self, label: str, done: float, total: float = 1.0) -> None:
        if not self.enabled:
            return
        share = min(1.0, done / total) if total else 1.0
        bar = "#" * int(30 * share) + "." * (30 - int(30 * share))
        sys.stderr.write(f"\rdemo [{bar}] {share:4.0%} {label:<18} "
                         f"{time.monotonic() - self.started:6.1f}s")
        sys.stderr.flush()

    def finish(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
