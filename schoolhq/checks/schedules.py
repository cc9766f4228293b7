"""Schedules: who checks what and when. `materialise()` turns them into rounds on the
school calendar — one per schedule, target and period, held unique by the database, so
running it twice creates nothing twice — and `mark_missed()` closes the window on rounds
not done in time. A missed round stays missed: nothing is backfilled."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from schoolhq.checks.models import FREQUENCIES, CheckRound, CheckSchedule, CheckTemplate
from schoolhq.checks.packs import published
from schoolhq.core import audit, settings
from schoolhq.core.calendar import is_school_day, terms
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.timeutil import local_time_utc, local_today, utcnow
from schoolhq.extensions import db

DEFAULT_MEALS = [
    {"key": "breakfast", "zh": "早餐", "en": "Breakfast", "start": "06:45", "end": "08:15"},
    {"key": "lunch", "zh": "午餐", "en": "Lunch", "start": "10:45", "end": "12:45"},
]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
#: how far back a run catches up after the server was off; older periods are not made
CATCH_UP_DAYS = 31
#: a term's check opens this many days before the term starts
TERM_LEAD_DAYS = 14
TARGET_LABELS = {"location": _l("One place"), "subtree": _l("Each room under a place"),
                 "asset_kind": _l("Each asset of a kind")}


def meals_setting(value) -> list[dict]:
    """Lines such as "午餐 Lunch 10:45-12:45", or the stored list."""
    if isinstance(value, str):
        # a meal keeps its key while its Chinese name stays, so rounds already made keep their label
        known = {meal["zh"]: meal["key"] for meal in (settings.get("checks.meals") or DEFAULT_MEALS)}
        meals = []
        for line in value.splitlines():
            parts = line.split()
            if not parts:
                continue
            match = re.fullmatch(r"(\d\d:\d\d)-(\d\d:\d\d)", parts[-1])
            if not match or len(parts) < 2:
                raise ServiceError(_l("Write each meal as: 午餐 Lunch 11:00-12:30"), "meals")
            names = parts[:-1]
            taken = {meal["key"] for meal in meals} | set(known.values())
            key = known.get(names[0][:20])
            if not key or key in {meal["key"] for meal in meals}:
                key = next(f"meal{n}" for n in range(1, 20) if f"meal{n}" not in taken)
            meals.append({"key": key, "zh": names[0][:20],
                          "en": " ".join(names[1:])[:30] or names[0][:20],
                          "start": match.group(1), "end": match.group(2)})
        value = meals
    if not isinstance(value, list) or not value or len(value) > 6:
        raise ServiceError(_l("Give from one to six meals."), "meals")
    for meal in value:
        if not (_CLOCK.match(meal.get("start", "")) and _CLOCK.match(meal.get("end", ""))) \
                or meal["start"] >= meal["end"]:
            raise ServiceError(_l("Each meal needs a start before its end, as 11:00-12:30."), "meals")
    return value



def meals() -> list[dict]:
    return settings.get("checks.meals") or DEFAULT_MEALS


def get_schedule(schedule_id: int) -> CheckSchedule:
    return get_or_raise(CheckSchedule, schedule_id, _l("No such schedule."))


def schedules() -> list[CheckSchedule]:
    return list(db.session.scalars(select(CheckSchedule).options(joinedload(CheckSchedule.location),
                                                                 joinedload(CheckSchedule.assignee))
                                   .order_by(CheckSchedule.active.desc(), CheckSchedule.template_key, CheckSchedule.id)))


@dataclass
class ScheduleData:
    template_key: str
    target: str = "location"
    location_id: int | None = None
    kind_key: str = ""
    frequency: str = ""
    meals: list[str] = field(default_factory=list)
    opens_time: str = "07:00"
    due_time: str = "17:00"
    grace_minutes: str = "60"
    assignee_id: int | None = None
    assignee_role: str = ""
    starts_on: date | None = None


def save_schedule(data: ScheduleData, schedule_id: int | None = None) -> CheckSchedule:
    template = published(data.template_key or "")
    if template is None:
        raise ServiceError(_l("Choose a published template."), "template_key")
    frequency = data.frequency or template.frequency
    if frequency not in FREQUENCIES:
        raise ServiceError(_l("Choose how often."), "frequency")
    if data.target not in TARGET_LABELS:
        raise ServiceError(_l("Choose what the schedule covers."), "target")
    location = None
    if data.location_id:
        from schoolhq.places.services import get_location

        location = get_location(data.location_id)
    elif data.target != "asset_kind":
        raise ServiceError(_l("Say where it is: choose the place."), "location_id")
    kind_key = ""
    if data.target == "asset_kind":
        from schoolhq.assets.models import AssetKind

        if not db.session.scalar(select(AssetKind.id).where(AssetKind.key == data.kind_key)):
            raise ServiceError(_l("Choose the kind of asset."), "kind_key")
        kind_key = data.kind_key
    for name in ("opens_time", "due_time"):
        if not _CLOCK.match(getattr(data, name) or ""):
            raise ServiceError(_l("Enter a time as HH:MM, such as 07:30."), name)
    if frequency not in ("per_meal",) and data.opens_time >= data.due_time:
        raise ServiceError(_l("The window must open before it is due."), "due_time")
    grace = str(data.grace_minutes or "0").strip()
    if not grace.isdigit() or int(grace) > 7 * 24 * 60:
        raise ServiceError(_l("Enter the grace time in minutes (0 to 10080)."), "grace_minutes")
    known_meals = {meal["key"] for meal in meals()}
    chosen_meals = [key for key in data.meals if key in known_meals] if frequency == "per_meal" else []
    assignee_id, role = data.assignee_id, (data.assignee_role or "").strip()
    if assignee_id:
        from schoolhq.people.services import get_person

        assignee_id, role = get_person(assignee_id).id, ""
    elif role:
        from schoolhq.auth.models import Role

        if not db.session.scalar(select(Role.id).where(Role.code == role)):
            raise ServiceError(_l("Choose the person or the role who does it."), "assignee_id")
    else:
        raise ServiceError(_l("Every check needs a named person: choose the person or the role."), "assignee_id")
    if schedule_id is None:
        schedule = CheckSchedule(template_key=template.key, starts_on=data.starts_on or local_today())
        db.session.add(schedule)
    else:
        schedule = get_schedule(schedule_id)
        schedule.template_key = template.key
    schedule.target, schedule.location_id, schedule.kind_key = data.target, location.id if location else None, kind_key
    schedule.frequency, schedule.meals = frequency, chosen_meals
    schedule.opens_time, schedule.due_time, schedule.grace_minutes = data.opens_time, data.due_time, int(grace)
    schedule.assignee_id, schedule.assignee_role = assignee_id, role
    db.session.flush()
    audit.record("checks", "schedule.saved", schedule, summary=f"{template.key} {frequency}")
    return schedule


def deactivate(schedule_id: int) -> CheckSchedule:
    schedule = locked(CheckSchedule, schedule_id, _l("No such schedule."))
    if not schedule.active:
        return schedule  # a second click: already stopped
    schedule.active = False
    audit.record("checks", "schedule.deactivated", schedule, summary=schedule.template_key)
    return schedule


# Periods --------------------------------------------------------------------------------

@dataclass
class Period:
    key: str
    start: date
    opens_at: object
    due_at: object


def _bounds(frequency: str, day: date) -> tuple[str, date, date]:
    if frequency == "weekly":
        monday = day - timedelta(days=day.weekday())
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}", monday, monday + timedelta(days=6)
    if frequency == "monthly":
        first = day.replace(day=1)
        return f"{day:%Y-%m}", first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    if frequency == "quarterly":
        quarter = (day.month - 1) // 3
        first = date(day.year, quarter * 3 + 1, 1)
        last = date(day.year + (quarter == 3), (quarter * 3 + 3) % 12 + 1, 1) - timedelta(days=1)
        return f"{day.year}-Q{quarter + 1}", first, last
    if frequency == "half_year":
        half = 0 if day.month <= 6 else 1
        first = date(day.year, 1 if half == 0 else 7, 1)
        last = date(day.year, 6, 30) if half == 0 else date(day.year, 12, 31)
        return f"{day.year}-H{half + 1}", first, last
    return f"{day.year}", date(day.year, 1, 1), date(day.year, 12, 31)


def _first_school_day(first: date, last: date) -> date | None:
    day = first
    while day <= last:
        if is_school_day(day):
            return day
        day += timedelta(days=1)
    return None


def _last_school_day(first: date, last: date) -> date | None:
    day = last
    while day >= first:
        if is_school_day(day):
            return day
        day -= timedelta(days=1)
    return None


def periods_opening(schedule: CheckSchedule, day: date, since: date | None = None) -> list[Period]:
    """The periods of a schedule whose round opens on this day (none on a holiday): a
    week's, month's … round opens on the period's first school day, or on the first school
    day from `since` (a schedule made mid-month still gets this month's round)."""
    frequency = schedule.frequency
    if frequency == "per_delivery":
        return []
    if frequency == "term_start":
        found = []
        for term in terms():
            if term.starts_on - timedelta(days=TERM_LEAD_DAYS) <= day <= term.starts_on:
                found.append(Period(f"term:{term.id}", term.starts_on, local_time_utc(day, schedule.opens_time),
                                    local_time_utc(term.starts_on, schedule.due_time)))
        return found
    if not is_school_day(day):
        return []
    if frequency == "school_day":
        return [Period(day.isoformat(), day, local_time_utc(day, schedule.opens_time),
                       local_time_utc(day, schedule.due_time))]
    if frequency == "per_meal":
        chosen = set(schedule.meals or [])
        return [Period(f"{day.isoformat()} {meal['key']}", day, local_time_utc(day, meal["start"]),
                       local_time_utc(day, meal["end"])) for meal in meals() if not chosen or meal["key"] in chosen]
    key, first, last = _bounds(frequency, day)
    if _first_school_day(max(first, since or first), last) != day:
        return []
    return [Period(key, day, local_time_utc(day, schedule.opens_time),
                   local_time_utc(_last_school_day(first, last), schedule.due_time))]


# Targets --------------------------------------------------------------------------------

@dataclass
class Target:
    key: str
    location_id: int
    location_path: str
    asset_id: int | None = None


def targets(schedule: CheckSchedule) -> list[Target]:
    from schoolhq.places.models import Location

    if schedule.target == "location":
        location = schedule.location
        return [Target(f"location:{location.id}", location.id, location.path)]
    if schedule.target == "subtree":
        rooms = db.session.execute(select(Location.id, Location.path).where(
            Location.path.startswith(schedule.location.path), Location.kind == "room",
            Location.archived_at.is_(None)).order_by(Location.path)).all()
        if not rooms:
            return [Target(f"location:{schedule.location_id}", schedule.location_id, schedule.location.path)]
        return [Target(f"location:{room_id}", room_id, path) for room_id, path in rooms]
    return [Target(f"asset:{asset_id}", location_id, path, asset_id)
            for asset_id, location_id, path, _kind in _assets_of_kinds([schedule.kind_key],
                                                                schedule.location.path if schedule.location else "")]


def _assets_of_kinds(kinds: list[str], under_path: str = "") -> list[tuple[int, int, str]]:
    from schoolhq.assets.models import Asset, AssetKind
    from schoolhq.assets.services import on_register
    from schoolhq.places.models import Location

    query = (select(Asset.id, Asset.location_id, Location.path, AssetKind.key)
             .join(AssetKind, AssetKind.id == Asset.kind_id).join(Location, Location.id == Asset.location_id)
             .where(AssetKind.key.in_(kinds), on_register()).order_by(Asset.number))
    if under_path:
        query = query.where(Location.path.startswith(under_path))
    return [tuple(row) for row in db.session.execute(query)]


def subjects_for(template: CheckTemplate, target: Target, assets_by_kind: dict[str, list] | None = None) -> dict:
    """For each per-asset item: the assets of its kind at the target's place (or the
    target asset itself when it is of that kind)."""
    per_items = [item for item in template.items if item.per.startswith("asset_kind:")]
    if not per_items:
        return {}
    if assets_by_kind is None:
        assets_by_kind = assets_of_kinds_map(template)
    subjects = {}
    for item in per_items:
        kind = item.per.split(":", 1)[1]
        subjects[str(item.id)] = [asset_id for asset_id, path in assets_by_kind.get(kind, [])
                                  if (asset_id == target.asset_id if target.asset_id else
                                      path.startswith(target.location_path))]
    return subjects


def assets_of_kinds_map(template: CheckTemplate) -> dict[str, list[tuple[int, str]]]:
    kinds = sorted({item.per.split(":", 1)[1] for item in template.items if item.per.startswith("asset_kind:")})
    found: dict[str, list[tuple[int, str]]] = {}
    if kinds:
        for asset_id, _location_id, path, kind in _assets_of_kinds(kinds):
            found.setdefault(kind, []).append((asset_id, path))
    return found


# Materialising --------------------------------------------------------------------------

def materialise(today: date | None = None, schedule_ids: list[int] | None = None) -> int:
    """Create the rounds that have opened, up to today, for every active schedule whose
    template has a published version. Each schedule remembers the last day it was done
    for, so a run every minute only looks at new days."""
    today = today or local_today()
    created = 0
    query = select(CheckSchedule).where(CheckSchedule.active.is_(True))
    if schedule_ids:
        query = query.where(CheckSchedule.id.in_(schedule_ids))
    for schedule in db.session.scalars(query).all():
        done_through = schedule.materialised_through
        if done_through is not None and done_through >= today:
            continue
        template = published(schedule.template_key)
        start = max(done_through + timedelta(days=1) if done_through else today,
                    schedule.starts_on or today, today - timedelta(days=CATCH_UP_DAYS))
        if template is not None:
            created += _materialise_schedule(schedule, template, start, today)
        schedule.materialised_through = today
    db.session.flush()
    return created


def _materialise_schedule(schedule: CheckSchedule, template: CheckTemplate, start: date, today: date) -> int:
    found: list[tuple[Period, Target]] = []
    day = start
    the_targets = None
    while day <= today:
        for period in periods_opening(schedule, day, since=start):
            if the_targets is None:
                the_targets = targets(schedule)
            found.extend((period, target) for target in the_targets)
        day += timedelta(days=1)
    if not found:
        return 0
    keys = {f"s{schedule.id}:{target.key}:{period.key}": (period, target) for period, target in found}
    existing = set()
    key_list = list(keys)
    for chunk in range(0, len(key_list), 500):
        existing.update(db.session.scalars(select(CheckRound.round_key)
                                           .where(CheckRound.round_key.in_(key_list[chunk:chunk + 500]))))
    assets_by_kind = assets_of_kinds_map(template)
    created = 0
    made_at = schedule.created_at or utcnow()
    for round_key, (period, target) in keys.items():
        if round_key in existing:
            continue
        if period.due_at + timedelta(minutes=schedule.grace_minutes) <= made_at:
            continue  # its window had closed before the schedule existed: not missed, never due
        round_ = CheckRound(
            template_id=template.id, template_key=template.key, schedule_id=schedule.id, round_key=round_key,
            period=period.key, period_start=period.start, location_id=target.location_id, asset_id=target.asset_id,
            subjects=subjects_for(template, target, assets_by_kind), opens_at=period.opens_at, due_at=period.due_at,
            closes_at=period.due_at + timedelta(minutes=schedule.grace_minutes), status="open",
            assignee_id=schedule.assignee_id, assignee_role=schedule.assignee_role)
        try:
            with db.session.begin_nested():
                db.session.add(round_)
                db.session.flush()
        except IntegrityError:  # made by another run at the same moment
            continue
        created += 1
    return created


def mark_missed(now=None) -> int:
    """Every round whose window has closed without a submission is missed, explicitly."""
    now = now or utcnow()
    # an amendment has no window: the submitted revision it amends stays the record
    result = db.session.execute(update(CheckRound).where(CheckRound.status.in_(("open", "in_progress")),
                                                         CheckRound.amends_id.is_(None), CheckRound.closes_at < now)
                                .values(status="missed", missed_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0
