"""In-app notifications for areas to send; the header shows the unread count. A title or
body written with `_l(...)` is kept as a message and shown in the reader's language
(core.messages); plain text (a note a person typed) is kept as typed."""

from __future__ import annotations

from sqlalchemy import func, select, update

from schoolhq.core import messages
from schoolhq.core.models import Notification
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db


def notify(account_id: int, area: str, title, body="", link: str = "") -> Notification:
    """Tell one person something. `title` and `body`: a message value (core.messages),
    such as `_l("Ticket %(number)s: %(status)s", …)`, or plain text."""
    title_text, title_message = messages.store(title)
    body_text, body_message = messages.store(body)
    note = Notification(account_id=account_id, area=area, title=title_text[:200], title_message=title_message,
                        body=body_text, body_message=body_message, link=link)
    db.session.add(note)
    db.session.flush()
    return note


def unread_count(account_id: int) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.account_id == account_id, Notification.read_at.is_(None)
        )
    ) or 0


def for_account(account_id: int, limit: int = 100) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification)
        .where(Notification.account_id == account_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ))


def mark_read(account_id: int, notification_id: int | None = None) -> int:
    """Mark one of the person's notifications read, or all of them; returns how many."""
    query = update(Notification).where(
        Notification.account_id == account_id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return db.session.execute(query.values(read_at=utcnow())).rowcount
