"""Working-hours arithmetic for case deadlines.

Time limits are counted in working hours: Monday to Friday, 09:00-12:00 and
13:00-18:00 China time (8 hours a day) unless configured otherwise, with holidays
and make-up working days (调休) taken from the `work_calendar` table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import text
from sqlalchemy.engine import Connection

CHINA = timezone(timedelta(hours=8))
DEFAULT_PERIODS = ((time(9), time(12)), (time(13), time(18)))


@dataclass(frozen=True)
class WorkCalendar:
    """Working periods per day, plus per-day exceptions (True = working day)."""

    exceptions: dict[date, bool] = field(default_factory=dict)
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS

    def is_workday(self, day: date) -> bool:
        if day in self.exceptions:
            return self.exceptions[day]
        return day.weekday() < 5

    def _periods_on(self, day: date):
        if not self.is_workday(day):
            return []
        return [(datetime.combine(day, a, CHINA), datetime.combine(day, b, CHINA))
                for a, b in self.periods]

    def add_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start`."""
        remaining = timedelta(hours=hours)
        day = start.astimezone(CHINA).date()
        for _ in range(3660):            # ten years of days: a bound, never reached in practice
            for a, b in self._periods_on(day):
                a = max(a, start)
                if a >= b:
                    continue
                if b - a >= remaining:
                    return a + remaining
                remaining -= b - a
            day += timedelta(days=1)
        raise ValueError("deadline beyond the calendar")

    def hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours between two moments (negative if end is before start)."""
        if end < start:
            return -self.hours_between(end, start)
        total, day = timedelta(), start.astimezone(CHINA).date()
        while datetime.combine(day, time(0), CHINA) <= end:
            for a, b in self._periods_on(day):
                a, b = max(a, start), min(b, end)
                if b > a:
                    total += b - a
            day += timedelta(days=1)
        return total.total_seconds() / 3600


def load_calendar(conn: Connection) -> WorkCalendar:
    """The calendar with the exceptions stored in the database."""
    rows = conn.execute(text("SELECT day, is_workday FROM work_calendar")).all()
    return WorkCalendar({r.day: r.is_workday for r in rows})
