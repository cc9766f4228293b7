"""The school-hours clock: service targets ("fixed within 24 hours") count working hours
on school days only, from the school calendar and the working-hours setting, so a ticket
reported on Friday afternoon before a holiday week is not overdue on Monday."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l

from schoolhq.core import settings
from schoolhq.core.calendar import is_school_day
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import school_zone, to_local

#: how far the clock looks ahead for school days before giving up (a long summer holiday fits)
HORIZON_DAYS = 400


def time_setting(value) -> str:
    try:
        return time.fromisoformat(str(value)).strftime("%H:%M")
    except ValueError:
        raise ServiceError(_l("Enter a time like 07:30."), "work_day") from None



def _hours() -> tuple[time, time]:
    """The working day's start and end (read once per count, not once per day counted)."""
    return time.fromisoformat(settings.get("work_day_start")), time.fromisoformat(settings.get("work_day_end"))


def _window(day: date, hours: tuple[time, time]) -> tuple[datetime, datetime] | None:
    """The working hours of a day in UTC (naive, like every stored time), or None."""
    start, end = hours
    if end <= start or not is_school_day(day):
        return None
    zone = school_zone()

    def utc(at: time) -> datetime:
        return datetime.combine(day, at, zone).astimezone(UTC).replace(tzinfo=None)

    return utc(start), utc(end)


def add_working_minutes(start: datetime, minutes: int) -> datetime:
    """The moment `minutes` of working time after `start` (naive UTC)."""
    remaining = max(int(minutes), 0)
    day, hours = to_local(start).date(), _hours()
    for _ in range(HORIZON_DAYS):
        window = _window(day, hours)
        if window is not None:
            opens, closes = window
            begin = max(start, opens)
            if begin < closes:
                available = int((closes - begin).total_seconds() // 60)
                if remaining <= available:
                    return begin + timedelta(minutes=remaining)
                remaining -= available
        day += timedelta(days=1)
    raise ServiceError(_l("The school calendar has no school days ahead; add the next term."))


def working_minutes_between(start: datetime, end: datetime) -> int:
    """Working minutes from `start` to `end` (0 when end is not after start)."""
    if end <= start:
        return 0
    total, day, last, hours = 0, to_local(start).date(), to_local(end).date(), _hours()
    while day <= last:
        window = _window(day, hours)
        if window is not None:
            begin, finish = max(start, window[0]), min(end, window[1])
            if finish > begin:
                total += int((finish - begin).total_seconds() // 60)
        day += timedelta(days=1)
    return total
