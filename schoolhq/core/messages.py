"""Text written for others, shown in the reader's language.

A notification, a ticket description a failed check or a damaged return writes, a check
finding: someone else reads it later, in their own language. So it is kept as a message,
its key (the English msgid) and its parameters, and rendered with gettext when it is
read. Where it is written it is an ordinary `_l(...)` (so `pybabel extract` finds it):

    notify(account_id, "repairs", _l("Ticket %(number)s: %(status)s", number=ticket.number,
                                     status=STATUS_LABELS[ticket.status]))

`store()` takes the lazy string apart (a lazy parameter, such as a status name, becomes a
message of its own) and returns the JSON to keep beside the plain text; `shown()` renders
it for the reader, or gives the plain text of a row that has none (older rows, and text
a person typed, which is kept as typed). What a message may hold:

- `_l("…", name=value)` or `Message(key, {name: value})`: a message; its parameters are
  any of these values;
- `Bilingual(zh, en)`: data kept in both languages (a check template's title, an item's
  prompt, an option, an asset kind's name): the reader's one, or the other if it is empty;
- a list: its parts one after another;
- anything else (a number, a name, a note a person typed): as it is.

Showing never fails: a key missing from the catalogue shows its English text, a missing
parameter shows as "—", and a translation whose placeholders do not fit falls back to the
English text."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import force_locale, get_locale, get_translations
from flask_babel.speaklater import LazyString
from sqlalchemy import JSON
from sqlalchemy.orm import MappedColumn, mapped_column

log = logging.getLogger(__name__)

#: what a missing or unreadable parameter shows as
MISSING = "—"
#: nested messages deeper than this are not followed (a damaged row, not a real message)
_DEPTH = 8
_PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%%")


@dataclass(frozen=True)
class Message:
    """A msgid and its parameters, translated when shown."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Bilingual:
    """Data the school keeps in both languages: shown in the reader's."""

    zh: str
    en: str = ""

    def __str__(self) -> str:
        return render(self)


def column() -> MappedColumn[Any]:
    """The column a message is kept in, beside its plain text: NULL for plain text."""
    return mapped_column(JSON(none_as_null=True), nullable=True)


def reader_language() -> str:
    """"en" or "zh": which of a bilingual text the reader sees."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def data_words(entry: dict) -> str:
    """An entry of an area's data file ({zh, en}) in the reader's language (Chinese when it
    has no English)."""
    return entry["en"] if reader_language() == "en" and entry.get("en") else entry["zh"]


# Writing -------------------------------------------------------------------------------

def message(value: Any) -> Any:
    """The value as a message: a lazy `_l(...)` taken apart into its key and parameters
    (recursively); messages, bilingual texts, lists and plain values kept."""
    if isinstance(value, LazyString):
        if getattr(value._func, "__name__", "") != "gettext" or len(value._args) != 1:
            raise TypeError("only lazy_gettext(msgid, **params) can be kept as a message")
        return Message(str(value._args[0]), {name: message(param) for name, param in value._kwargs.items()})
    if isinstance(value, Message):
        return Message(value.key, {name: message(param) for name, param in value.params.items()})
    if isinstance(value, (list, tuple)):
        return [message(part) for part in value]
    return value


def dump(value: Any) -> Any:
    """The JSON form of a message value."""
    value = message(value)
    if isinstance(value, Message):
        data: dict[str, Any] = {"key": value.key}
        if value.params:
            data["params"] = {name: dump(param) for name, param in value.params.items()}
        return data
    if isinstance(value, Bilingual):
        return {"zh": value.zh, "en": value.en}
    if isinstance(value, list):
        return [dump(part) for part in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)  # a date, a Decimal: kept as the text it shows


def store(value: Any) -> tuple[str, Any]:
    """(the plain text, the message's JSON) to keep for a text others read: the text in
    the school's language, for whatever reads the column itself; None instead of the JSON
    for plain text (a note a person typed), which is kept as it is."""
    value = message(value)
    if value is None or isinstance(value, str):
        return value or "", None
    from schoolhq.core import settings

    with force_locale(settings.get("default_language") or "zh_CN"):
        text = render(value)
    return text, dump(value)


# Reading -------------------------------------------------------------------------------

def load(data: Any) -> Any:
    """A message value from its JSON. A shape it does not know raises ValueError (the row
    then shows its plain text); a parameter it cannot read shows as "—"."""
    if isinstance(data, dict):
        if isinstance(data.get("key"), str):
            params = data.get("params") or {}
            if not isinstance(params, dict):
                raise ValueError(f"message parameters are not a mapping: {params!r}")
            return Message(data["key"], {str(name): _param(param) for name, param in params.items()})
        if "zh" in data or "en" in data:
            return Bilingual(str(data.get("zh") or ""), str(data.get("en") or ""))
        raise ValueError(f"not a message: {data!r}")
    if isinstance(data, list):
        return [load(part) for part in data]
    if data is None or isinstance(data, (str, int, float, bool)):
        return data
    raise ValueError(f"not a message: {data!r}")


def _param(data: Any) -> Any:
    try:
        return load(data)
    except ValueError:
        return MISSING


def kept(stored: Any, text: str) -> Any:
    """What a row says, to pass on (a ticket's description into a notification): its
    message, or its plain text when it has none (or an unreadable one)."""
    if stored is None:
        return text
    try:
        return load(stored)
    except ValueError:
        return text


def shown(stored: Any, text: str) -> str:
    """What a row says, in the reader's language."""
    if stored is None:
        return text or ""
    try:
        return _render(load(stored), 0)
    except Exception:  # a damaged row shows what was written then, never an error page
        log.warning("message not shown, its text instead: %r", stored, exc_info=True)
        return text or ""


def render(value: Any) -> str:
    """A message value in the current locale."""
    try:
        return _render(message(value), 0)
    except Exception:
        log.warning("message not rendered: %r", value, exc_info=True)
        return value.key if isinstance(value, Message) else ""


def _render(value: Any, depth: int) -> str:
    if depth > _DEPTH:
        return MISSING
    if isinstance(value, Message):
        return _translate(value, depth)
    if isinstance(value, Bilingual):
        return (value.en or value.zh) if reader_language() == "en" else (value.zh or value.en)
    if isinstance(value, list):
        return "".join(_render(part, depth + 1) for part in value)
    if isinstance(value, LazyString):
        return _render(message(value), depth)
    if value is None:
        return ""
    return str(value)


class _Params(dict):
    def __missing__(self, name: str) -> str:
        return MISSING


def _translate(msg: Message, depth: int) -> str:
    translated = get_translations().ugettext(msg.key)
    if not msg.params and "%(" not in msg.key:
        return translated  # as gettext() without parameters: no % formatting
    params = _Params({name: param if isinstance(param, (int, float)) and not isinstance(param, bool)
                      else _render(param, depth + 1) for name, param in msg.params.items()})
    for text in (translated, msg.key):
        try:
            return text % params
        except (TypeError, ValueError):
            continue  # placeholders that do not fit the parameters: the English text, then by hand
    return _PLACEHOLDER.sub(lambda m: "%" if m.group(0) == "%%" else str(params[m.group(1)]), msg.key)
