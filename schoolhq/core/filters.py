"""Template filters: money in fen shown as yuan, UTC instants shown in the school's zone."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask
from flask_babel import format_date
from flask_babel import format_datetime as babel_datetime


def money(fen: int | None) -> str:
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


#: patterns of digits only, the same in every language: formatted without Babel's pattern
#: machinery, which a ledger of hundreds of rows pays for twice a row
_NUMERIC = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "MM-dd HH:mm": "%m-%d %H:%M", "HH:mm": "%H:%M",
            "yyyy-MM-dd": "%Y-%m-%d"}


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    # Flask-Babel treats naive datetimes as UTC and converts to the school's zone; so does to_local.
    if not value:
        return ""
    if fmt in _NUMERIC and value.tzinfo is None:
        from schoolhq.core.timeutil import to_local

        return to_local(value).strftime(_NUMERIC[fmt])
    return babel_datetime(value, fmt)


def local_date(value: date | datetime | None, fmt: str = "yyyy-MM-dd") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return babel_datetime(value, fmt)
    if fmt == "yyyy-MM-dd":
        return value.isoformat()  # the same digits, without Babel's pattern machinery (a ledger prints thousands)
    return format_date(value, fmt)


def register(app: Flask) -> None:
    from schoolhq.core.tones import tone_of

    app.add_template_global(tone_of, "tone_of")
    app.add_template_filter(money, "money")
    app.add_template_filter(local_datetime, "dt")
    app.add_template_filter(local_date, "d")
