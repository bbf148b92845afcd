"""Deadline arithmetic across nights, weekends and holidays."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from gisapp.cases.workhours import CHINA, WorkCalendar


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=CHINA)


PLAIN = WorkCalendar()
# National Day 2026: 1-7 October off; Saturday 10 October is a make-up working day.
NATIONAL_DAY = WorkCalendar({**{date(2026, 10, d): False for d in range(1, 8)},
                             date(2026, 10, 10): True})


@pytest.mark.parametrize("start,hours,expected", [
    (at(2026, 11, 23, 9), 2, at(2026, 11, 23, 11)),            # Monday morning
    (at(2026, 11, 23, 11), 2, at(2026, 11, 23, 14)),           # across lunch
    (at(2026, 11, 23, 17), 2, at(2026, 11, 24, 10)),           # across the night
    (at(2026, 11, 23, 20), 1, at(2026, 11, 24, 10)),           # reported after hours
    (at(2026, 11, 27, 17), 2, at(2026, 11, 30, 10)),           # Friday -> Monday
    (at(2026, 11, 28, 10), 8, at(2026, 11, 30, 18)),           # Saturday report: Monday's day
    (at(2026, 11, 23, 9), 40, at(2026, 11, 27, 18)),           # a whole working week
])
def test_add_hours_plain(start, hours, expected):
    assert PLAIN.add_hours(start, hours) == expected


def test_holidays_and_make_up_days():
    # Reported on 30 September at 17:00 with an 8-hour limit: one hour that day, then the
    # holiday; Thursday 8 October gives 3 h in the morning and 4 h after lunch.
    assert NATIONAL_DAY.add_hours(at(2026, 9, 30, 17), 8) == at(2026, 10, 8, 17)
    # Friday 9 October 17:00 + 4 h: Saturday 10 October is a make-up working day.
    assert NATIONAL_DAY.add_hours(at(2026, 10, 9, 17), 4) == at(2026, 10, 10, 12)


def test_hours_between_is_the_inverse():
    start = at(2026, 9, 29, 10, 30)
    for hours in (0.5, 3, 8, 17, 40):
        end = NATIONAL_DAY.add_hours(start, hours)
        assert NATIONAL_DAY.hours_between(start, end) == pytest.approx(hours)
    assert NATIONAL_DAY.hours_between(at(2026, 10, 2, 9), at(2026, 10, 5, 18)) == 0
