"""Judging one answer against its item's rule: numbers as typed (full-width digits too),
ranges, failing options, expiry dates; the pass, fail or warn it earns."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from schoolhq.checks.models import CheckItem
from schoolhq.core.errors import ServiceError
from schoolhq.core.messages import reader_language

_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")


def parse_number(text: str) -> tuple[float, str]:
    """A reading as a tablet types it (full-width digits, a minus sign, a comma for a
    point): its value, and the text to keep — as entered, so the ledger shows what was read."""
    cleaned = unicodedata.normalize("NFKC", str(text or "")).strip().replace("−", "-").replace(",", ".")
    cleaned = cleaned.replace(" ", "").lstrip("+")
    if not _NUMBER.match(cleaned) or len(cleaned) > 20:
        raise ServiceError(_l("Enter a number, such as 4 or -18.5."), "value")
    return float(cleaned), cleaned


def format_number(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def range_text(item: CheckItem) -> str:
    unit = f" {item.unit}" if item.unit else ""
    low, high = format_number(item.min_value), format_number(item.max_value)
    if low and high:
        return f"{low}–{high}{unit}"
    if low:
        return f"≥ {low}{unit}"
    if high:
        return f"≤ {high}{unit}"
    return ""


def option_text(option: dict) -> str:
    return option.get("en") if reader_language() == "en" and option.get("en") else option.get("zh", "")


@dataclass
class AnswerInput:
    outcome: str = ""
    value: str = ""
    note: str = ""
    photo: object = None
    file: object = None
    signature: str = ""


def judge(item: CheckItem, data: AnswerInput, today: date) -> tuple[str, str, float | None]:
    """(outcome, value as stored, number) for an answer, or a message for a bad one."""
    kind = item.type
    if kind in ("pass_fail", "pass_fail_na"):
        allowed = ("pass", "fail", "na") if kind == "pass_fail_na" else ("pass", "fail")
        if data.outcome not in allowed:
            raise ServiceError(_l("Choose pass or fail."), "outcome")
        if data.outcome == "na" and not data.note.strip():
            raise ServiceError(_l("Say why this does not apply."), "note")
        return data.outcome, "", None
    if kind == "number":
        number, entered = parse_number(data.value)
        failed = (item.min_value is not None and number < item.min_value) or \
            (item.max_value is not None and number > item.max_value)
        return ("fail" if failed else "pass"), entered, number
    if kind == "text":
        text = (data.value or "").strip()
        if not text:
            raise ServiceError(_l("Write the answer."), "value")
        return "done", text[:500], None
    if kind == "select":
        value = str(data.value or "").strip()
        if not (value.isascii() and value.isdigit() and len(value) < 4) or int(value) >= len(item.options):
            raise ServiceError(_l("Choose one of the options."), "value")
        return ("fail" if item.options[int(value)].get("fails") else "pass"), value, None
    if kind == "date_expiry":
        try:
            day = date.fromisoformat(unicodedata.normalize("NFKC", data.value or "").strip())
        except ValueError:
            raise ServiceError(_l("Enter the date as YYYY-MM-DD."), "value") from None
        if day < today:
            outcome = "fail"
        elif item.warn_days is not None and day <= today + timedelta(days=item.warn_days):
            outcome = "warn"
        else:
            outcome = "pass"
        return outcome, day.isoformat(), None
    return "done", "", None  # files: judged by their presence
