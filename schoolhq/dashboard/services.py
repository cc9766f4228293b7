"""Each area's declaration names a provider of the items that need this person's attention.

An item is a count with a link to the list it counts; where the person has to act on
particular things (today's failed checks, overdue tickets, approvals waiting for them) it
also names the first few of them, each with a link to its own page, and the rest are
"and N more" on the list. Each provider counts and names an item's things in one query
(`first_rows`), narrowed to what the reader may open."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import func

#: how many of an item's things are named on the dashboard; the rest are "and N more"
SHOWN = 5


@dataclass
class Entry:
    """One thing an item counts, by name: its words, its page, and a short note (how late,
    which step is waiting)."""

    text: str
    link: str
    note: str = ""


@dataclass
class Item:
    area: str
    title: Any
    count: int
    link: str = ""
    #: info, warning or danger
    level: str = "info"
    #: the first few things counted, by name (at most SHOWN)
    entries: list[Entry] = field(default_factory=list)
    #: where "and N more" leads: the list filtered to these things ("" for the item's link)
    more_link: str = ""

    @property
    def more(self) -> int:
        """How many counted things the entries leave unnamed (0 for an item without names)."""
        return max(self.count - len(self.entries), 0) if self.entries else 0


Provider = Callable[[Any], list[Item]]


@cache
def _total():
    return func.count().over().label("dashboard_total")


def first_rows(query, limit: int = SHOWN) -> tuple[int, list]:
    """How many rows `query` has, and the first `limit` of them, in one statement: the
    count rides on each row as a window over the whole result (SQLite and PostgreSQL).
    Building a statement's expressions costs more than a small query takes: an area makes
    the columns and joins it names its things by once (functools.cache) and adds them here."""
    from schoolhq.extensions import db

    rows = db.session.execute(query.add_columns(_total()).limit(limit)).all()
    return (rows[0].dashboard_total if rows else 0), rows


def how_long(since: datetime, until: datetime | None = None) -> str:
    """"3 days", "5 hours", "20 minutes": the time from `since` to `until` (now), in its
    largest whole unit."""
    from schoolhq.core.timeutil import utcnow

    minutes = max(int(((until or utcnow()) - since).total_seconds() // 60), 1)
    if minutes >= 24 * 60:
        return ngettext("%(num)s day", "%(num)s days", minutes // (24 * 60))
    if minutes >= 60:
        return ngettext("%(num)s hour", "%(num)s hours", minutes // 60)
    return ngettext("%(num)s minute", "%(num)s minutes", minutes)


def late(due_at: datetime) -> str:
    """"2 days late": how long ago something was due."""
    return str(_l("%(time)s late", time=how_long(due_at)))


def waiting(since: datetime) -> str:
    """"waiting 3 hours": how long something has waited for someone."""
    return str(_l("waiting %(time)s", time=how_long(since)))


def joined(*parts) -> str:
    """An entry's words: its parts that say something, with " · " between them."""
    return " · ".join(str(part) for part in parts if part not in (None, ""))


def items_for(account) -> list[Item]:
    from schoolhq.areas import declared

    items: list[Item] = []
    for area in declared():
        if area.dashboard is not None:
            items.extend(item for item in area.dashboard(account) if item.count)
    order = {"danger": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda item: order.get(item.level, 3))
