"""The shared core for tests: a school calendar around the held clock."""

from __future__ import annotations

from schoolhq.core.timeutil import local_today
from schoolhq.demo import add_school_year, school_year_of


def school_years() -> None:
    """Last school year, this one and the next, around the held clock: whatever day a test
    runs on, there are school days behind it and ahead of it."""
    this_year = school_year_of(local_today())
    for year in (this_year - 1, this_year, this_year + 1):
        add_school_year(year)
