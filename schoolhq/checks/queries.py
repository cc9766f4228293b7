"""Which rounds a page lists: a person's for today, a day's for the office, by scan; and
how a round's period and lateness read."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from sqlalchemy import func, or_, select, union

from schoolhq.checks.judging import reader_language
from schoolhq.checks.models import CheckRound
from schoolhq.checks.services import OPEN
from schoolhq.core.timeutil import local_day_bounds_utc, local_today, utcnow
from schoolhq.extensions import db


def my_rounds(account, day: date | None = None):
    """Rounds for this person that are open by the end of the day, soonest due first."""
    from schoolhq.auth.services import role_scopes
    from schoolhq.places.models import Location

    day = day or local_today()
    end = local_day_bounds_utc(day)[1]
    mine = [CheckRound.assignee_id == account.person_id] if account.person_id else []
    # a round for a role: for those who hold the role where the round is
    place = select(Location.path).where(Location.id == CheckRound.location_id).scalar_subquery()
    for code, path in role_scopes(account.id):
        held = CheckRound.assignee_id.is_(None) & (CheckRound.assignee_role == code)
        mine.append(held & place.startswith(path) if path else held)
    if not mine:
        return select(CheckRound).where(CheckRound.id == -1)
    # unordered: ordered by due time, SQLite would walk the whole due-time index rather
    # than the few open rounds; `soonest_first` sorts what comes back
    return select(CheckRound).where(CheckRound.status.in_(OPEN), CheckRound.opens_at < end, or_(*mine))


def soonest_first(query) -> list[CheckRound]:
    return sorted(db.session.scalars(query), key=lambda r: (r.due_at, r.id))


def _of_day(day: date | None, *columns):
    """`columns` of a day's rounds: due that day (missed ones among them), done that day,
    or still open on it. Three index ranges united: as one OR, SQLite would walk every
    round down the due-time index."""
    start, end = local_day_bounds_utc(day or local_today())
    last = end - timedelta(microseconds=1)
    return union(
        select(*columns).where(CheckRound.due_at.between(start, last)),
        select(*columns).where(CheckRound.submitted_at.between(start, last)),
        select(*columns).where(CheckRound.status.in_(OPEN), CheckRound.opens_at < end, CheckRound.closes_at >= start),
    )


def day_rounds(day: date | None = None) -> list:
    """(id, due_at, status) of a day's rounds, soonest due first."""
    rows = db.session.execute(_of_day(day, CheckRound.id, CheckRound.due_at, CheckRound.status)).all()
    return sorted(rows, key=lambda row: (row.due_at, row.id))


def day_counts(rows: list) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return counts


def failed_answers(day: date | None = None):
    """The failed answers of a day's rounds (begun, submitted or due that day; a round
    still in progress too: a fridge reading 9 °C at seven is news at seven), the latest
    first, with their item, round, check and place: a select to narrow and to page."""
    from schoolhq.checks.models import CheckAnswer

    return _failed_answer_rows().where(CheckAnswer.round_id.in_(_of_day(day, CheckRound.id)))


@cache
def _failed_answer_rows():
    """Failed answers with what names them, made once (the expressions cost more to build
    than the query takes)."""
    from schoolhq.assets.models import Asset
    from schoolhq.checks.models import CheckAnswer, CheckItem, CheckTemplate
    from schoolhq.places.models import Location

    return (select(CheckItem, CheckAnswer.value, CheckAnswer.outcome, CheckAnswer.corrected,
                   CheckRound.id.label("round_id"), CheckRound.status, CheckTemplate.title_zh, CheckTemplate.title_en,
                   Location.name.label("place"), Asset.name.label("subject"))
            .select_from(CheckAnswer)
            .join(CheckItem, CheckItem.id == CheckAnswer.item_id)
            .join(CheckRound, CheckRound.id == CheckAnswer.round_id)
            .join(CheckTemplate, CheckTemplate.id == CheckRound.template_id)
            .join(Location, Location.id == CheckRound.location_id)
            .outerjoin(Asset, Asset.id == func.coalesce(func.nullif(CheckAnswer.subject_id, 0), CheckRound.asset_id))
            .where(CheckAnswer.outcome == "fail")
            .order_by(CheckAnswer.answered_at.desc(), CheckAnswer.id.desc()))


def period_label(round_: CheckRound) -> str:
    """"2026-11-27 午餐" for a meal's round (the key in the period is the meal's)."""
    day, _, meal = round_.period.partition(" ")
    return f"{day} {meal_label(round_)}" if meal else round_.period


def meal_label(round_: CheckRound) -> str:
    """"午餐" for a meal's round, "" for any other."""
    meal = round_.period.partition(" ")[2]
    if not meal:
        return ""
    from schoolhq.checks.schedules import meals

    found = next((m for m in meals() if m["key"] == meal), None)
    return (found.get("en") if reader_language() == "en" else found.get("zh")) if found else meal


def is_late(round_: CheckRound) -> bool:
    return round_.status in OPEN and round_.due_at < utcnow()


def find_by_scan(account, code: str) -> CheckRound | None:
    """A scanned asset or room label: its open round for this person (the soonest due)."""
    from schoolhq.assets.services import resolve_tag
    from schoolhq.core.tokens import token_of
    from schoolhq.places.models import Location
    from schoolhq.places.services import by_token

    asset = resolve_tag(code)
    query = my_rounds(account)
    if asset is not None:
        found = soonest_first(query.where(CheckRound.asset_id == asset.id)) or \
            soonest_first(query.where(CheckRound.location_id == asset.location_id))
        return found[0] if found else None
    token = token_of(code)
    location = by_token(token) or db.session.scalar(select(Location).where(func.lower(Location.code) == token))
    if location is None:
        return None
    found = soonest_first(query.where(CheckRound.location_id == location.id))
    return found[0] if found else None
