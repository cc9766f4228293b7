"""What the area builders share: the school they build into, the tables, the school's
clock."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

#: how far back every generated history reaches
YEARS = 10
#: the one random generator's seed: two runs build the same school
SEED = 2026
SCHOOL_OFFSET = timedelta(hours=8)  # Asia/Shanghai: slips and numbers use the school's date


@dataclass
class School:
    """What the builders have made so far, for the ones that come after."""

    rng: random.Random
    now: datetime
    password_hash: str
    role_ids: dict[str, int] = field(default_factory=dict)
    department_ids: dict[str, int] = field(default_factory=dict)
    #: id -> materialised path
    department_paths: dict[int, str] = field(default_factory=dict)
    person_ids: list[int] = field(default_factory=list)
    current_person_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)
    admin_account_id: int = 0
    #: kind -> ids of active locations
    location_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=365 * YEARS)

    def moment(self) -> datetime:
        """A uniformly random instant of the decade."""
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=self.rng.random() * span)


#: every table of the app by name, filled by generate.py once the app (and so every model) is loaded
T: dict = {}


class _SchoolClock:
    """The app's school-hours clock (core/workhours.py) on the generated calendar: working
    hours 07:30-17:30 school time on school days (weekdays in term, less the holidays, plus
    the make-up days), so due times, delays and holds count as the app counts them."""

    def __init__(self, terms: list[tuple[date, date]], exceptions: dict[date, str]):
        self.terms, self.exceptions = terms, exceptions
        self._cache: dict[date, bool] = {}

    def school_day(self, day: date) -> bool:
        if day not in self._cache:
            kind = self.exceptions.get(day)
            self._cache[day] = kind == "school_day" or (
                kind != "holiday" and day.weekday() < 5 and any(a <= day <= b for a, b in self.terms))
        return self._cache[day]

    def next_school_day(self, day: date) -> date:
        for _ in range(400):
            if self.school_day(day):
                return day
            day += timedelta(days=1)
        return day

    @staticmethod
    def at(day: date, hours: float) -> datetime:
        """Naive UTC of a school-local day and hour."""
        return datetime(day.year, day.month, day.day) - SCHOOL_OFFSET + timedelta(seconds=round(hours * 3600))

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        return (self.at(day, 7.5), self.at(day, 17.5)) if self.school_day(day) else None

    def add(self, start: datetime, minutes: float) -> datetime:
        """workhours.add_working_minutes (to the second)."""
        remaining = max(minutes, 0.0)
        day = (start + SCHOOL_OFFSET).date()
        for _ in range(400):
            window = self.window(day)
            if window is not None:
                opens, closes = window
                begin = max(start, opens)
                if begin < closes:
                    available = (closes - begin).total_seconds() / 60
                    if remaining <= available:
                        return (begin + timedelta(minutes=remaining)).replace(microsecond=0)
                    remaining -= available
            day += timedelta(days=1)
        return start + timedelta(days=400)

    def between(self, start: datetime, end: datetime) -> int:
        """workhours.working_minutes_between."""
        total, day, last = 0, (start + SCHOOL_OFFSET).date(), (end + SCHOOL_OFFSET).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                begin, finish = max(start, window[0]), min(end, window[1])
                if finish > begin:
                    total += int((finish - begin).total_seconds() // 60)
            day += timedelta(days=1)
        return total

    def auto_verified_at(self, completed: datetime) -> datetime:
        """When services.auto_verify (run every minute) confirms a ticket nobody confirmed:
        the first minute of the day after the third school day after completion."""
        day, counted = (completed + SCHOOL_OFFSET).date(), 0
        while counted < 3:
            day += timedelta(days=1)
            counted += self.school_day(day)
        return self.at(day + timedelta(days=1), 0) + timedelta(seconds=30)
