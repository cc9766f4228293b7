"""Time is stored as naive UTC and shown in the school's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def school_zone() -> ZoneInfo:
    name = "Asia/Shanghai"
    if has_app_context():
        from schoolhq.core import settings

        name = settings.get("timezone") or current_app.config["SCHOOLHQ_TIMEZONE"]
    return ZoneInfo(name)


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(school_zone())


def local_today() -> date:
    return datetime.now(school_zone()).date()


def local_day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where a school-local day starts and the next one starts."""
    zone = school_zone()
    start = datetime(day.year, day.month, day.day, tzinfo=zone)
    end = datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=zone)
    return (
        start.astimezone(UTC).replace(tzinfo=None),
        end.astimezone(UTC).replace(tzinfo=None),
    )


def local_time_utc(day: date, clock: str) -> datetime:
    """The naive UTC instant of a school-local day at "HH:MM"."""
    hours, minutes = (int(part) for part in clock.split(":"))
    local = datetime(day.year, day.month, day.day, hours, minutes, tzinfo=school_zone())
    return local.astimezone(UTC).replace(tzinfo=None)


#: the days a date typed into a form or address may name: outside them a date is a typo,
#: and arithmetic near year 1 or 9999 would overflow
EARLIEST_DAY, LATEST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def day_from_text(text: str | None) -> date | None:
    """An ISO date ("2026-12-04") within EARLIEST_DAY–LATEST_DAY, or None."""
    try:
        day = date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of `month`'s month and the first day of the next (a ledger's range)."""
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when it has no such day
    (2026-08-31 + 6 months = 2027-02-28)."""
    from calendar import monthrange

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))
