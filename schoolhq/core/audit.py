"""The audit trail: every service write records who, what, which record, before and
after, when and from which address; and the trail read back for a principal: people's
names, actions in words, records by their names with a link, changes field by field.

How an area's entries read is declared in its `audit_trail.py` (an `AuditTrail` in
core/declare.py): this module only puts the declarations together."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from flask import current_app, has_request_context, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from schoolhq.core.models import AuditEntry
from schoolhq.core.timeutil import local_day_bounds_utc
from schoolhq.extensions import db


def snapshot(obj: Any, fields: list[str]) -> dict[str, Any]:
    """The listed attributes of a record as JSON-friendly values."""
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(obj, name)
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        out[name] = value
    return out


#: characters of one text value the trail keeps: it says what changed, the record holds the text
TEXT_LIMIT = 1000


def _capped(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """Long free text cut to TEXT_LIMIT characters, saying how much was left out (a
    100 KB description would otherwise be copied into the trail twice per edit)."""
    if values is None:
        return None
    return {key: f"{value[:TEXT_LIMIT]}…(+{len(value) - TEXT_LIMIT})"
            if isinstance(value, str) and len(value) > TEXT_LIMIT else value for key, value in values.items()}


def changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    return before != after


def _actor() -> tuple[int | None, str]:
    if not has_request_context():
        return None, "cli"
    account_id = current_user.id if current_user and current_user.is_authenticated else None
    return account_id, (request.remote_addr or "")[:64]


def record(
    area: str,
    action: str,
    obj: Any = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    summary: str = "",
    actor_id: int | None = None,
) -> AuditEntry:
    if obj is not None and getattr(obj, "id", None) is None:
        db.session.flush()
    account_id, client = _actor()
    entry = AuditEntry(
        account_id=actor_id if actor_id is not None else account_id,
        area=area,
        action=action,
        record_type=getattr(obj, "__tablename__", "") if obj is not None else "",
        record_id=getattr(obj, "id", None) if obj is not None else None,
        summary=summary[:200],
        before=_capped(before),
        after=_capped(after),
        client=client,
    )
    db.session.add(entry)
    return entry


def search(
    *,
    account_id: int | None = None,
    area: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
):
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if account_id:
        query = query.where(AuditEntry.account_id == account_id)
    if area:
        query = query.where(AuditEntry.area == area)
    if day_from:
        query = query.where(AuditEntry.at >= local_day_bounds_utc(day_from)[0])
    if day_to:
        query = query.where(AuditEntry.at < local_day_bounds_utc(day_to)[1])
    return query


# Reading the trail ---------------------------------------------------------------------

@dataclass(frozen=True)
class Named:
    """A record as the audit page names it, and its page's address where the reader may
    open it."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Change:
    """One field of an entry: "label: before → after", or "label: value" (before is None)
    for what a record was created or removed with."""

    label: str
    before: str | None
    after: str


@dataclass(frozen=True)
class Line:
    """One entry as the audit page shows it."""

    id: int
    at: datetime
    who: str
    system: bool
    area: str
    action: str
    record: Named | None
    changes: tuple[Change, ...]
    #: fields of a created or removed record left out of `changes`
    more: int
    client: str


#: fields shown of a record an entry created or removed (the record's page has the rest)
MAIN_FIELDS = 6
#: characters of one value shown; the record keeps the whole text
SHOWN_TEXT = 80


def page_of(reader, endpoint: str, allowed: bool = True, **values) -> str | None:
    """The address of a record's page for `reader`, or None where that page would refuse
    them: the view's declared permissions (school-wide where the view asks for that),
    and `allowed`, the page's own rule for this record (its may_open)."""
    from schoolhq.core.permissions import PUBLIC, SIGNED_IN, can, unscoped

    view = current_app.view_functions.get(endpoint)
    needed = getattr(view, "required_permission", None)
    if not allowed or needed is None:
        return None
    if needed not in ((PUBLIC,), (SIGNED_IN,)):
        check = unscoped if getattr(view, "school_wide", False) else can
        if not any(check(reader, permission) for permission in needed):
            return None
    return url_for(endpoint, **values)


@cache
def _trails() -> dict[str, Any]:
    from schoolhq.areas import declared

    return {area.name: area.audit for area in declared()}


@cache
def _actions() -> dict[str, Any]:
    words: dict[str, Any] = {}
    for trail in _trails().values():
        for key, label in trail.actions.items():
            words.setdefault(key, label)
    return words


@cache
def _records() -> dict[str, Callable]:
    loaders: dict[str, Callable] = {}
    for trail in _trails().values():
        for table, loader in trail.records.items():
            loaders.setdefault(table, loader)
    return loaders


@cache
def _summaries() -> dict[str, Callable | None]:
    readers: dict[str, Callable | None] = {}
    for trail in _trails().values():
        for key, reader in trail.summaries.items():
            readers.setdefault(key, reader)
    return readers


@cache
def _fields_for(area: str) -> tuple[dict, ...]:
    """The field declarations an entry of `area` reads: its own, core's, then the others'."""
    trails = _trails()
    order = [area, "core", *(name for name in trails if name not in (area, "core"))]
    return tuple(trails[name].fields for name in order if name in trails)


@cache
def _setting_labels() -> dict[str, Any]:
    from schoolhq.areas import declared

    return {setting.key: setting.label for area in declared() for setting in area.settings}


def field_of(area: str, key: str):
    """The AuditField an entry of `area` declares for `key`, or None."""
    for fields in _fields_for(area):
        if key in fields:
            return fields[key]
    return None


def field_label(area: str, key: str) -> str:
    found = field_of(area, key)
    if found is not None:
        return str(found.label)
    return str(_setting_labels().get(key, key))


def readable_key(key: str) -> str:
    """An undeclared key made readable ("requisition.approved" -> "Requisition approved"):
    a trail written by a newer or older version still reads."""
    text = re.sub(r"[._]+", " ", key or "").strip()
    return text[:1].upper() + text[1:]


def action_words(key: str) -> str:
    words = _actions().get(key)
    return str(words) if words is not None else readable_key(key)


def action_keys() -> set[str]:
    return set(_actions())


def _cut(text: str) -> str:
    return text if len(text) <= SHOWN_TEXT else text[:SHOWN_TEXT - 1] + "…"


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}$")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")
_EMPTY = (None, "", [], {})


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def readable(key: str, value: Any, field: Any = None, names: dict | None = None) -> str:
    """A stored value in words: a record's id by its name, a code by what the area calls
    it, yes/no, fen as yuan, an instant in the school's time, — for nothing, long text cut;
    a list item by item."""
    from schoolhq.core.filters import local_datetime, money

    if value is None or (isinstance(value, (str, list, dict)) and not value):
        return "—"
    if isinstance(value, list):
        return _cut("、".join(readable(key, item, field, names) for item in value))
    if field is not None and field.refers and _is_id(value):
        named = (names or {}).get(field.refers, {}).get(value)
        return named.text if named is not None else str(_l("(removed)"))
    if field is not None and field.shows is not None:
        return _cut(str(field.shows(value)))
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    if _is_id(value) and key.endswith("_fen"):
        return money(value)
    if isinstance(value, str):
        if _DAY.match(value):
            return value
        if _INSTANT.match(value):
            return local_datetime(datetime.fromisoformat(value))
        return _cut(value)
    if isinstance(value, dict):
        return _cut("、".join(f"{name} {readable(str(name), item)}" for name, item in value.items()))
    return str(value)


def _list_change(key: str, label: str, old: list, new: list, field: Any, names: dict | None) -> Change:
    """A list that changed (a role's permissions): what was added and what was removed."""
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    parts = []
    if added:
        parts.append(str(_l("added %(items)s", items=readable(key, added, field, names))))
    if removed:
        parts.append(str(_l("removed %(items)s", items=readable(key, removed, field, names))))
    return Change(label, None, _cut("；".join(parts)) if parts else "—")


def changes(entry: AuditEntry, names: dict | None = None) -> tuple[list[Change], int]:
    """What an entry changed: with before and after, only the fields that differ, as
    "before → after"; with only one of them (a record created or removed), its first
    MAIN_FIELDS fields that hold something, and how many more there are."""
    before, after = entry.before, entry.after

    def shown(key: str) -> bool:
        found = field_of(entry.area, key)
        return found is None or not found.hidden

    if before and after:
        out = []
        for key in dict.fromkeys([*before, *after]):
            old, new = before.get(key), after.get(key)
            if old == new or not shown(key):
                continue
            found = field_of(entry.area, key)
            label = field_label(entry.area, key)
            if isinstance(old, list) and isinstance(new, list):
                out.append(_list_change(key, label, old, new, found, names))
            else:
                out.append(Change(label, readable(key, old, found, names), readable(key, new, found, names)))
        return out, 0
    values = after or before
    if not values:
        return [], 0
    kept = [(key, value) for key, value in values.items()
            if shown(key) and value is not False and not (isinstance(value, (str, list, dict)) and not value)
            and value is not None]
    out = [Change(field_label(entry.area, key), None, readable(key, value, field_of(entry.area, key), names))
           for key, value in kept[:MAIN_FIELDS]]
    return out, max(0, len(kept) - MAIN_FIELDS)


def account_names(ids: set[int]) -> dict[int, str]:
    """Accounts by their people's names, in one query."""
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person

    if not ids:
        return {}
    rows = db.session.execute(select(Account.id, Person.name, Account.username)
                              .join(Person, Person.id == Account.person_id).where(Account.id.in_(ids)))
    return {row.id: row.name or row.username for row in rows}


def people_choices() -> list[tuple[str, str]]:
    """Every account by its person's name, for the filter; a name two people share says
    whose sign-in it is."""
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person

    rows = db.session.execute(select(Account.id, Person.name, Account.username)
                              .join(Person, Person.id == Account.person_id).order_by(Person.name, Account.id)).all()
    seen: dict[str, int] = {}
    for row in rows:
        seen[row.name] = seen.get(row.name, 0) + 1
    return [(str(row.id), row.name if seen[row.name] == 1 else f"{row.name} ({row.username})") for row in rows]


def _wanted(entries: list[AuditEntry]) -> dict[str, set[int]]:
    """The ids of each table the page names: the entries' records and the records their
    fields refer to."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.record_type and entry.record_id is not None:
            wanted.setdefault(entry.record_type, set()).add(entry.record_id)
        for values in (entry.before or {}, entry.after or {}):
            for key, value in values.items():
                found = field_of(entry.area, key)
                if found is not None and found.refers and _is_id(value):
                    wanted.setdefault(found.refers, set()).add(value)
    return wanted


def names_for(wanted: dict[str, set[int]], reader) -> dict[str, dict[int, Named]]:
    """Each table's records by name: one call of its area's loader (one query) per table."""
    loaders = _records()
    return {table: loaders[table](ids, reader) for table, ids in wanted.items() if table in loaders and ids}


def _summary_words(entries: list[AuditEntry], names: dict) -> dict[int, str]:
    """The stored summary of each entry whose record cannot be named, in words: as it is,
    read by its area where it holds keys, or not at all."""
    readers = _summaries()
    asked: dict[str, set[str]] = {}
    unnamed = [e for e in entries if names.get(e.record_type, {}).get(e.record_id) is None and e.summary]
    for entry in unnamed:
        if entry.action in readers and readers[entry.action] is not None:
            asked.setdefault(entry.action, set()).add(entry.summary)
    read = {action: readers[action](texts) for action, texts in asked.items()}
    out = {}
    for entry in unnamed:
        if entry.action not in readers:
            out[entry.id] = _cut(entry.summary)
        elif entry.action in read and read[entry.action].get(entry.summary):
            out[entry.id] = _cut(str(read[entry.action][entry.summary]))
    return out


def lines(entries: list[AuditEntry], reader) -> list[Line]:
    """One page of the trail for a reader: a few queries for the page, whatever its size
    (the people, then one per kind of record named on it)."""
    from schoolhq.areas import audit_labels

    areas = audit_labels()
    people = account_names({e.account_id for e in entries if e.account_id is not None})
    names = names_for(_wanted(entries), reader)
    summaries = _summary_words(entries, names)
    out = []
    for entry in entries:
        record = names.get(entry.record_type, {}).get(entry.record_id)
        if record is None and entry.id in summaries:
            record = Named(summaries[entry.id])
        shown, more = changes(entry, names)
        system = entry.account_id is None
        who = str(_l("System")) if system else people.get(entry.account_id) or str(_l("(removed)"))
        out.append(Line(id=entry.id, at=entry.at, who=who, system=system,
                        area=str(areas.get(entry.area, readable_key(entry.area))),
                        action=action_words(entry.action), record=record, changes=tuple(shown), more=more,
                        client="" if entry.client == "cli" else entry.client))
    return out
