"""The monthly repair summary: opened, closed, on time, time to close, by category and
by worker, satisfaction and repeat places — one month, for print and for XLSX."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from schoolhq.core.timeutil import local_day_bounds_utc
from schoolhq.extensions import db
from schoolhq.repairs.models import RepairCategory, Ticket


@dataclass
class Line:
    name: str
    opened: int = 0
    closed: int = 0
    on_time: int = 0
    with_target: int = 0
    hours: float = 0.0
    labour_minutes: int = 0

    @property
    def on_time_percent(self) -> int | None:
        return round(self.on_time * 100 / self.with_target) if self.with_target else None

    @property
    def on_time_text(self) -> str:
        return "—" if self.on_time_percent is None else f"{self.on_time_percent}%"

    @property
    def mean_hours(self) -> float | None:
        return round(self.hours / self.closed, 1) if self.closed else None


@dataclass
class Summary:
    month: date
    total: Line
    by_category: list[Line]
    by_worker: list[Line]
    ratings: dict[int, int] = field(default_factory=dict)
    repeats: list[tuple] = field(default_factory=list)

    @property
    def mean_rating(self) -> float | None:
        count = sum(self.ratings.values())
        return round(sum(r * n for r, n in self.ratings.items()) / count, 2) if count else None


#: who reads the summary: it counts the tickets of the places their grants reach
PERMISSION = "repairs.manage"


def month_summary(month: date, account=None) -> Summary:
    """The month's figures over every ticket, or with `account` over the tickets at the
    places that person's repairs.manage grants reach."""
    from schoolhq.repairs.services import repeat_places, within_scope

    def scoped(query):
        return within_scope(query, account, PERMISSION)

    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    start, end = local_day_bounds_utc(first)[0], local_day_bounds_utc(following)[0]
    categories = {c.id: c.name for c in db.session.scalars(select(RepairCategory))}
    total = Line("")
    by_category: dict[int, Line] = {}
    by_worker: dict[str, Line] = {}
    for category_id, count in db.session.execute(scoped(
            select(Ticket.category_id, func.count(Ticket.id)).where(Ticket.reported_at >= start, Ticket.reported_at < end)
            .group_by(Ticket.category_id))):
        by_category.setdefault(category_id, Line(categories.get(category_id, "?"))).opened = count
        total.opened += count
    from schoolhq.people.models import Person

    closed = db.session.execute(scoped(
        select(Ticket.category_id, Ticket.reported_at, Ticket.completed_at, Ticket.due_at, Ticket.labour_minutes,
               Person.name, Ticket.contractor)
        .outerjoin(Person, Person.id == Ticket.assignee_id)
        .where(Ticket.completed_at >= start, Ticket.completed_at < end)))
    for category_id, reported_at, completed_at, due_at, minutes, worker, contractor in closed:
        hours = (completed_at - reported_at).total_seconds() / 3600
        worker_line = by_worker.setdefault(worker or contractor or "—", Line(worker or contractor or "—"))
        category_line = by_category.setdefault(category_id, Line(categories.get(category_id, "?")))
        for line in (total, category_line, worker_line):
            line.closed += 1
            line.hours += hours
            line.labour_minutes += minutes or 0
            if due_at is not None:
                line.with_target += 1
                line.on_time += completed_at <= due_at
    ratings = dict(db.session.execute(scoped(select(Ticket.rating, func.count(Ticket.id)).where(
        Ticket.verified_at >= start, Ticket.verified_at < end, Ticket.rating.is_not(None)).group_by(Ticket.rating))).all())
    return Summary(month=first, total=total, by_category=sorted(by_category.values(), key=lambda line: -line.opened),
                   by_worker=sorted(by_worker.values(), key=lambda line: -line.closed), ratings=ratings,
                   repeats=repeat_places(account=account, permissions=PERMISSION))
