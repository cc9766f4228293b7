"""The audit trail: every service write records who, what, which record, before and
after, when and from which address."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import has_request_context, request
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
