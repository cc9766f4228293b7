"""Gap-free running numbers for documents (asset numbers, receipt and requisition numbers)."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from schoolhq.core.models import Counter
from schoolhq.extensions import db


def next_value(scope: str) -> int:
    """The next number in `scope`, starting at 1. The increment is one UPDATE, so two
    desks numbering at once get different numbers."""
    updated = db.session.execute(update(Counter).where(Counter.scope == scope).values(value=Counter.value + 1))
    if updated.rowcount == 0:
        try:
            with db.session.begin_nested():
                db.session.add(Counter(scope=scope, value=1))
        except IntegrityError:  # another desk started the scope at the same moment
            db.session.execute(update(Counter).where(Counter.scope == scope).values(value=Counter.value + 1))
    return db.session.scalar(select(Counter.value).where(Counter.scope == scope))


def skip_to(scope: str, value: int) -> None:
    """Move the counter on past numbers taken some other way (imported records)."""
    db.session.execute(update(Counter).where(Counter.scope == scope).values(value=value))
