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


def local_datetime(value: datetime | None, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    # Flask-Babel treats naive datetimes as UTC and converts to the school's zone.
    return babel_datetime(value, fmt) if value else ""


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
