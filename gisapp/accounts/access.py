"""Who may see and change what: the one place every endpoint, page, tile and export asks.

A viewer's jurisdiction is the set of areas their duties cover, with all descendants.
Because an area's code extends its parent's code, "inside the jurisdiction" is a code
prefix test, in Python and in SQL alike (`code LIKE ANY(patterns)`).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from ..errors import Forbidden, Unauthenticated

ROLES = ("city_admin", "district_supervisor", "street_supervisor", "community_supervisor",
         "grid_leader", "grid_worker", "info_officer", "volunteer", "wall_viewer")
SUPERVISORS = ("city_admin", "district_supervisor", "street_supervisor", "community_supervisor")
HOUSEHOLD_DUTY = ("community_supervisor", "grid_leader", "grid_worker", "info_officer", "volunteer")
CITYWIDE = ("city_admin", "wall_viewer")
# Roles whose duties (supervising or visiting) extend to the households of their areas:
# inside their jurisdiction they see exact counts; everyone else sees small ones hidden.
COUNT_DUTY = SUPERVISORS + tuple(r for r in HOUSEHOLD_DUTY if r not in SUPERVISORS)
FIELD_ROLES = ("community_supervisor", "grid_leader", "grid_worker", "info_officer", "volunteer")


@dataclass(frozen=True)
class Viewer:
    """The person behind a request: a user with a role and jurisdiction, or the public."""

    user_id: int | None
    username: str | None
    role: str | None
    person_id: int | None = None
    # Code prefixes of the jurisdiction; None means the whole city.
    prefixes: tuple[str, ...] | None = ()
    via_token: bool = False

    @classmethod
    def public(cls) -> "Viewer":
        return cls(None, None, None, None, ())

    @property
    def is_public(self) -> bool:
        return self.user_id is None

    @property
    def citywide(self) -> bool:
        return self.prefixes is None

    def covers(self, code: str) -> bool:
        """Whether the area with this code lies in the viewer's jurisdiction."""
        if self.is_public:
            return False
        return self.citywide or any(code.startswith(p) for p in self.prefixes)

    def like_patterns(self) -> list[str]:
        """SQL LIKE patterns for the jurisdiction (['%'] for the whole city, [] for none)."""
        if self.is_public:
            return []
        return ["%"] if self.citywide else [p + "%" for p in self.prefixes]

    def may_see_household(self, area_code: str) -> bool:
        """Personal data: only a role with a duty toward households, inside the jurisdiction."""
        return self.role in HOUSEHOLD_DUTY and self.covers(area_code)

    def may_see_personal_data(self) -> bool:
        return self.role in HOUSEHOLD_DUTY

    def may_edit_boundary(self, area_code: str) -> bool:
        """Supervisors edit boundaries inside the area they supervise."""
        return self.role in SUPERVISORS and self.covers(area_code)

    def may_edit_facility(self, area_code: str | None) -> bool:
        """Supervisors register facilities inside their area; outside every area, citywide only."""
        if self.role not in SUPERVISORS:
            return False
        return self.covers(area_code) if area_code else self.citywide

    def duty_patterns(self) -> list[str]:
        """LIKE patterns of the areas toward whose households this viewer has a duty (exact
        counts there; small counts hidden everywhere else). None for the public or a wall screen."""
        return self.like_patterns() if self.role in COUNT_DUTY else []

    def has_duty_toward(self, area_code: str) -> bool:
        """Whether this viewer sees the exact counts of this area's households."""
        return self.role in COUNT_DUTY and self.covers(area_code)

    def may_see_internal_facilities(self) -> bool:
        """The public sees facilities open to the public; staff see all of them."""
        return not self.is_public

    def may_count_special_groups(self) -> bool:
        """Counts by tag (低保, 戒毒康复 ...) per area are for staff: a small count can point at a family."""
        return not self.is_public

    def may_see_staff_contacts(self) -> bool:
        """Staff see colleagues' names and phones; the public sees office phones only."""
        return not self.is_public

    def require_login(self) -> None:
        if self.is_public:
            raise Unauthenticated("请先登录 (login required)")

    def require_role(self, *roles: str) -> None:
        self.require_login()
        if self.role not in roles:
            raise Forbidden(f"角色 {self.role} 无权执行此操作 (role not allowed)")


_JURISDICTION_SQL = text("""
    SELECT DISTINCT a.code
    FROM duty d JOIN area a ON a.id = d.area_id
    WHERE d.person_id = :person AND a.retired_at IS NULL
      AND d.starts_on <= current_date AND (d.ends_on IS NULL OR d.ends_on >= current_date)
    ORDER BY a.code
""")


def jurisdiction_prefixes(conn: Connection, role: str, person_id: int | None) -> tuple[str, ...] | None:
    """The code prefixes a user's duties cover (None = whole city for citywide roles)."""
    if role in CITYWIDE:
        return None
    if person_id is None:
        return ()
    codes = conn.execute(_JURISDICTION_SQL, {"person": person_id}).scalars().all()
    # Drop codes already covered by a shorter prefix.
    kept: list[str] = []
    for code in sorted(codes, key=len):
        if not any(code.startswith(k) for k in kept):
            kept.append(code)
    return tuple(sorted(kept))
