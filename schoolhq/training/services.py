"""The training area's rules. A requirement says who needs a training (roles, departments,
people), how long a completion lasts and when renewal opens; a session has a roster drawn
from who needs it, the trainer marks attendance and confirms it, after which it changes
only by an amendment with a reason; confirming completes the requirement for everyone who
attended (a requirement that names assessment stages is completed by them instead). Each
person's standing on each requirement is valid, expiring, expired or missing; an expired
or missing one stops or warns about the duties the requirement names."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.core import audit, counters
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.messages import Bilingual
from schoolhq.core.messages import data_words as words
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import add_months, local_time_utc, local_today, to_local, utcnow
from schoolhq.core.uploads import save_if_given
from schoolhq.extensions import db
from schoolhq.people.models import Department, Person
from schoolhq.training.models import (
    MARKS,
    VALIDITY_KINDS,
    Attendance,
    AttendanceAmendment,
    Completion,
    Requirement,
    TrainingSession,
)

DATA_FILE = Path(__file__).parent / "data" / "training.yaml"
EPOCH = datetime(1970, 1, 1)
ALL_STAFF = "all_staff"
STATES = {"valid": _l("Valid"), "expiring": _l("Expiring"), "expired": _l("Expired"),
          "missing": _l("None on record")}
STATE_TONES = {"valid": "ok", "expiring": "warn", "expired": "danger", "missing": "danger"}
SESSION_STATUS = {"planned": _l("Planned"), "confirmed": _l("Confirmed by the trainer"),
                  "cancelled": _l("Cancelled")}
SESSION_TONES = {"planned": "info", "confirmed": "ok", "cancelled": "muted"}
VALIDITY_LABELS = {"months": _l("A number of months"), "none": _l("No expiry"),
                   "yearly_on": _l("Until a fixed day each year")}
#: a sign-in code changes every this many seconds; the one before still works (a phone slow
#: to focus), none older: a photo of yesterday's screen signs nobody in
SIGNIN_WINDOW_SECONDS = 30
#: sign-in opens this long before the start; after LATE_AFTER minutes a scan counts as late
SIGNIN_OPENS_MINUTES, LATE_AFTER_MINUTES = 30, 10
_CLOCK = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")
_MONTH_DAY = re.compile(r"^(\d{1,2})-(\d{1,2})$")


@cache
def domain() -> dict:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))


def categories() -> list[tuple[str, str]]:
    return [(row["key"], words(row)) for row in domain()["categories"]]


def category_name(key: str) -> str:
    return dict(categories()).get(key, key)


def marks() -> list[tuple[str, str]]:
    return [(row["key"], words(row)) for row in domain()["attendance_marks"]]


def kinds() -> list[tuple[str, str]]:
    return [(row["key"], words(row)) for row in domain()["session_kinds"]]


def duties() -> list[tuple[str, str]]:
    return [(key, words(row)) for key, row in domain()["duties"].items()]


def requirement_name(requirement: Requirement | None) -> str:
    if requirement is None:
        return ""
    return words({"zh": requirement.name_zh, "en": requirement.name_en or requirement.name_zh})


def seed() -> None:
    """The requirements of the data file the school does not have yet (its edits stay)."""
    known = set(db.session.scalars(select(Requirement.key)))
    for order, row in enumerate(domain()["requirements"]):
        if row["key"] in known:
            continue
        db.session.add(Requirement(
            key=row["key"], name_zh=row["zh"], name_en=row.get("en", ""), category=row.get("category", "other"),
            roles=list(row.get("roles", [])), validity=row.get("validity", "months"),
            validity_months=row.get("validity_months"), renews_on=row.get("renews_on", ""),
            renew_window_days=row.get("renew_window_days", domain()["renewal_defaults"]["window_days"]),
            hours_per_year=row.get("hours_per_year"), stages=list(row.get("stages", [])),
            duties=list(row.get("duties", [])), drills_count=bool(row.get("drills_count")),
            reference=row.get("ref", ""), confidence=row.get("confidence", ""), note=str(row.get("note", ""))[:300],
            pass_mark_percent=row.get("pass_mark_percent", 80), retakes=row.get("retakes", 2),
            quiz_size=row.get("quiz_size", 0), practical_steps=list(row.get("practical_steps", [])),
            on_job_template=row.get("on_job_template", ""), on_job_records=row.get("on_job_records", 5),
            sort_order=order))
        db.session.flush()
        _seed_questions(row)
    db.session.flush()


def _seed_questions(row: dict) -> None:
    from schoolhq.training.models import Question

    requirement = db.session.scalar(select(Requirement).where(Requirement.key == row["key"]))
    for position, question in enumerate(row.get("questions", []), start=1):
        kind = question["kind"]
        options = ["对", "错"] if kind == "true_false" else list(question["options"])
        db.session.add(Question(requirement_id=requirement.id, kind=kind, text=question["text"], options=options,
                                answer=list(question["answer"]), position=position))


# Requirements -------------------------------------------------------------------------------

def requirements(active_only: bool = True) -> list[Requirement]:
    query = select(Requirement).order_by(Requirement.sort_order, Requirement.id)
    if active_only:
        query = query.where(Requirement.active.is_(True))
    return list(db.session.scalars(query))


def get_requirement(requirement_id: int) -> Requirement:
    return get_or_raise(Requirement, requirement_id, _l("No such training requirement."))


@dataclass
class RequirementInput:
    name_zh: str
    name_en: str = ""
    category: str = "other"
    roles: list[str] = field(default_factory=list)
    department_ids: list[int] = field(default_factory=list)
    person_ids: list[int] = field(default_factory=list)
    validity: str = "months"
    validity_months: str = ""
    renews_on: str = ""
    renew_window_days: str = "30"
    hours_per_year: str = ""
    duties: list[str] = field(default_factory=list)
    reference: str = ""
    note: str = ""
    drills_count: bool = False
    active: bool = True
    stages: list[str] = field(default_factory=list)
    pass_mark_percent: str = "80"
    retakes: str = "2"
    quiz_size: str = "0"
    practical_steps: str = ""
    on_job_template: str = ""
    on_job_records: str = "5"


def _whole(text, low: int, high: int, message, field_name: str, blank_ok: bool = False) -> int | None:
    text = str(text if text is not None else "").strip()
    if not text and blank_ok:
        return None
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ServiceError(message, field_name)
    return int(text)


def role_choices() -> list[tuple[str, str]]:
    from schoolhq.auth.models import Role
    from schoolhq.auth.services import BUILTIN_ROLES

    # codes and names only (auth.services.roles reads each role's permissions too)
    order = list(BUILTIN_ROLES)
    codes = sorted(db.session.execute(select(Role.code, Role.name)),
                   key=lambda r: (order.index(r.code) if r.code in order else len(order), r.name or r.code))
    return [(ALL_STAFF, str(_l("Everyone on the staff list"))), *((code, name or code) for code, name in codes)]


def _check_requirement(data: RequirementInput) -> dict:
    name = (data.name_zh or "").strip()
    if not name:
        raise ServiceError(_l("Name the training."), "name_zh")
    if len(name) > 100:
        raise ServiceError(_l("A training's name is at most 100 characters."), "name_zh")
    if data.category not in dict(categories()):
        raise ServiceError(_l("Choose a category."), "category")
    if data.validity not in VALIDITY_KINDS:
        raise ServiceError(_l("Choose how long a completion lasts."), "validity")
    months = renews_on = None
    if data.validity == "months":
        months = _whole(data.validity_months, 1, 120, _l("Enter the months a completion lasts, from 1 to 120."),
                        "validity_months")
    if data.validity == "yearly_on":
        renews_on = _month_day(data.renews_on)
    window = _whole(data.renew_window_days, 0, 365, _l("Enter the days renewal opens before expiry, from 0 to 365."),
                    "renew_window_days")
    hours = _whole(data.hours_per_year, 1, 500, _l("Enter the hours a year, from 1 to 500, or leave it empty."),
                   "hours_per_year", blank_ok=True)
    known_roles = dict(role_choices())
    unknown = [code for code in data.roles if code not in known_roles]
    if unknown:
        raise ServiceError(_l("Unknown role: %(roles)s.", roles="、".join(unknown)[:60]), "roles")
    departments = set(db.session.scalars(select(Department.id).where(Department.id.in_(data.department_ids or [-1]))))
    if set(data.department_ids) - departments:
        raise ServiceError(_l("Choose departments from the list."), "department_ids")
    people = set(db.session.scalars(select(Person.id).where(Person.id.in_(data.person_ids or [-1]))))
    if set(data.person_ids) - people:
        raise ServiceError(_l("Choose people from the list."), "person_ids")
    if not (data.roles or data.department_ids or data.person_ids):
        raise ServiceError(_l("Say who needs it: roles, departments or people."), "roles")
    bad_duties = [key for key in data.duties if key not in domain()["duties"]]
    if bad_duties:
        raise ServiceError(_l("Choose duties from the list."), "duties")
    from schoolhq.training.models import STAGES

    stages = [stage for stage in STAGES if stage in (data.stages or [])]
    if set(data.stages or []) - set(STAGES):
        raise ServiceError(_l("Choose stages from the list."), "stages")
    pass_mark = _whole(data.pass_mark_percent, 1, 100, _l("Enter a pass mark from 1 to 100 (per cent)."),
                       "pass_mark_percent")
    retakes = _whole(data.retakes, 0, 10, _l("Enter the retakes allowed, from 0 to 10."), "retakes")
    quiz_size = _whole(data.quiz_size or "0", 0, 200, _l("Enter how many questions a test draws, 0 for all."),
                       "quiz_size")
    steps = [line.strip()[:120] for line in (data.practical_steps or "").splitlines() if line.strip()]
    if "practical" in stages and not steps:
        raise ServiceError(_l("Write the practical's steps, one per line."), "practical_steps")
    template = (data.on_job_template or "").strip()
    if "on_the_job" in stages and template not in dict(check_choices()):
        raise ServiceError(_l("Choose the check whose rounds assess the work."), "on_job_template")
    on_job = _whole(data.on_job_records or "5", 1, 50, _l("Enter the rounds needed, from 1 to 50."),
                    "on_job_records")
    return {"name_zh": name, "name_en": (data.name_en or "").strip()[:120], "category": data.category,
            "roles": list(dict.fromkeys(data.roles)), "department_ids": sorted(departments),
            "person_ids": sorted(people), "validity": data.validity, "validity_months": months,
            "renews_on": renews_on or "", "renew_window_days": window, "hours_per_year": hours,
            "duties": list(dict.fromkeys(data.duties)), "reference": (data.reference or "").strip()[:300],
            "note": (data.note or "").strip()[:300], "drills_count": bool(data.drills_count),
            "active": bool(data.active), "stages": stages, "pass_mark_percent": pass_mark, "retakes": retakes,
            "quiz_size": quiz_size, "practical_steps": steps[:30], "on_job_template": template[:60],
            "on_job_records": on_job}


def check_choices() -> list[tuple[str, str]]:
    """The published checks whose rounds may assess work on the job."""
    from schoolhq.checks.models import CheckTemplate

    rows = db.session.execute(select(CheckTemplate.key, CheckTemplate.title_zh, CheckTemplate.title_en)
                              .where(CheckTemplate.status == "published").order_by(CheckTemplate.key)).all()
    return [(key, words({"zh": zh, "en": en or zh})) for key, zh, en in rows]


def _month_day(text: str) -> str:
    found = _MONTH_DAY.match(str(text or "").strip().replace("/", "-").replace(".", "-"))
    month, day = (int(found.group(1)), int(found.group(2))) if found else (0, 0)
    try:
        date(2024, month, day)  # a leap year: 02-29 is a day some year
    except ValueError:
        raise ServiceError(_l("Enter the day each year as MM-DD, such as 08-31."), "renews_on") from None
    return f"{month:02d}-{day:02d}"


def save_requirement(account, requirement_id: int | None, data: RequirementInput) -> Requirement:
    values = _check_requirement(data)
    if requirement_id is None:
        requirement = Requirement(key=f"r{counters.next_value('training.requirement')}",
                                  sort_order=len(requirements(active_only=False)))
        db.session.add(requirement)
        before = {}
    else:
        requirement = locked(Requirement, requirement_id, _l("No such training requirement."))
        before = {name: getattr(requirement, name) for name in values}
    for name, value in values.items():
        setattr(requirement, name, value)
    db.session.flush()
    changed = {name: value for name, value in values.items() if before.get(name) != value}
    audit.record("training", "requirement.saved", requirement, before={k: before.get(k) for k in changed},
                 after=changed, summary=requirement.name_zh)
    return requirement


def expiry_of(requirement: Requirement, completed_on: date) -> date | None:
    """The last day a completion of `completed_on` counts: months later, the next fixed
    day of the year on or after it, or never."""
    if requirement.validity == "months" and requirement.validity_months:
        return add_months(completed_on, requirement.validity_months) - timedelta(days=1)
    if requirement.validity == "yearly_on" and requirement.renews_on:
        month, day = (int(part) for part in requirement.renews_on.split("-"))
        for year in (completed_on.year, completed_on.year + 1, completed_on.year + 2):
            try:
                candidate = date(year, month, day)
            except ValueError:  # 02-29 in a common year
                candidate = date(year, 2, 28)
            if candidate >= completed_on:
                return candidate
    return None


# Who needs what -------------------------------------------------------------------------------

def _role_members() -> dict[str, set[int]]:
    """Role code -> people holding it: by their sign-in, or by an area's own roster (the
    canteen's staff hold no sign-in)."""
    from schoolhq.areas import declared
    from schoolhq.auth.models import Account, Role, RoleAssignment

    members: dict[str, set[int]] = {}
    for code, person_id in db.session.execute(
            select(Role.code, Account.person_id).join(RoleAssignment, RoleAssignment.role_id == Role.id)
            .join(Account, Account.id == RoleAssignment.account_id).where(Account.active.is_(True))):
        members.setdefault(code, set()).add(person_id)
    for area in declared():
        for code, reader in area.role_members.items():
            members.setdefault(code, set()).update(reader())
    return members


def _department_people() -> dict[int, set[int]]:
    """Department id -> people in it or in a department below it."""
    paths = dict(db.session.execute(select(Department.id, Department.path)).all())
    below: dict[int, set[int]] = {}
    for person_id, department_id in db.session.execute(
            select(Person.id, Person.department_id).where(Person.left_at.is_(None), Person.department_id.is_not(None))):
        path = paths.get(department_id, "")
        for other, other_path in paths.items():
            if other == department_id or (other_path and path.startswith(other_path)):
                below.setdefault(other, set()).add(person_id)
    return below


@dataclass
class Needs:
    """Who needs each requirement, read once for a page."""

    staff: set[int]
    by_role: dict[str, set[int]]
    by_department: dict[int, set[int]]

    def of(self, requirement: Requirement) -> set[int]:
        people: set[int] = set()
        for code in requirement.roles or []:
            people |= self.staff if code == ALL_STAFF else self.by_role.get(code, set())
        for department_id in requirement.department_ids or []:
            people |= self.by_department.get(department_id, set())
        people |= set(requirement.person_ids or [])
        return people & self.staff


def needs() -> Needs:
    staff = set(db.session.scalars(select(Person.id).where(Person.left_at.is_(None))))
    return Needs(staff, _role_members(), _department_people())


# Standing -------------------------------------------------------------------------------------

@dataclass
class Standing:
    requirement: Requirement
    person_id: int
    needed: bool
    #: what the person holds of it (latest_completions), or None
    completion: Any
    state: str
    #: minutes credited this calendar year on sessions of the requirement
    minutes: int = 0

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)

    @property
    def hours_short(self) -> bool:
        return bool(self.requirement.hours_per_year) and self.minutes < self.requirement.hours_per_year * 60


def state_of(requirement: Requirement, completion, day: date) -> str:
    if completion is None:
        return "missing"
    if completion.expires_on is None:
        return "valid"
    if completion.expires_on < day:
        return "expired"
    return "expiring" if (completion.expires_on - day).days <= requirement.renew_window_days else "valid"


class Held(NamedTuple):
    """What a person holds of a requirement on a day, summed over their completions of it."""

    person_id: int
    requirement_id: int
    #: their latest completion
    completed_on: date
    #: the longest validity among them; None when one never expires
    expires_on: date | None


def latest_completions(person_ids, requirement_ids, day: date) -> dict[tuple[int, int], Held]:
    """What each person holds of each requirement by `day`: one aggregate row a pair (a
    decade of yearly renewals is ten completions; a matrix shows thousands of pairs, and
    picking whole rows cost a page its budget)."""
    if not person_ids or not requirement_ids:
        return {}
    never_expires = func.max(case((Completion.expires_on.is_(None), 1), else_=0))
    rows = db.session.execute(
        select(Completion.person_id, Completion.requirement_id, func.max(Completion.completed_on), never_expires,
               func.max(Completion.expires_on))
        .where(Completion.person_id.in_(list(person_ids)), Completion.requirement_id.in_(list(requirement_ids)),
               Completion.withdrawn_at.is_(None), Completion.completed_on <= day)
        .group_by(Completion.person_id, Completion.requirement_id))
    return {(person_id, requirement_id): Held(person_id, requirement_id, completed_on, None if forever else expires)
            for person_id, requirement_id, completed_on, forever, expires in rows}


def minutes_in_year(person_ids, year: int, the_requirements: list[Requirement]) -> dict[tuple[int, int], int]:
    """(person, requirement) -> minutes credited on confirmed sessions of that year, for the
    requirements that ask for hours a year."""
    counted = [r.id for r in the_requirements if r.hours_per_year]
    if not person_ids or not counted:
        return {}
    start, end = local_time_utc(date(year, 1, 1), "00:00"), local_time_utc(date(year + 1, 1, 1), "00:00")
    rows = db.session.execute(
        select(Attendance.person_id, TrainingSession.requirement_id, func.sum(Attendance.minutes))
        .join(TrainingSession, TrainingSession.id == Attendance.session_id)
        .where(Attendance.person_id.in_(list(person_ids)), TrainingSession.status == "confirmed",
               TrainingSession.requirement_id.in_(counted), TrainingSession.starts_at >= start,
               TrainingSession.starts_at < end)
        .group_by(Attendance.person_id, TrainingSession.requirement_id))
    return {(person_id, requirement_id): int(total or 0) for person_id, requirement_id, total in rows}


def standings(person_ids, the_requirements: list[Requirement], day: date | None = None,
              who_needs: Needs | None = None) -> dict[tuple[int, int], Standing]:
    """The standing on `day` of every (person, requirement) pair that matters: the person
    needs it or has completed it (a pair of neither is left out). Three queries whatever
    the size."""
    day = day or local_today()
    who_needs = who_needs or needs()
    held = latest_completions(person_ids, [r.id for r in the_requirements], day)
    minutes = minutes_in_year(person_ids, day.year, the_requirements)
    result = {}
    for requirement in the_requirements:
        needing, requirement_id = who_needs.of(requirement), requirement.id  # read once, not once a cell
        for person_id in person_ids:
            key = (person_id, requirement_id)
            completion = held.get(key)
            if completion is None and person_id not in needing:
                continue
            result[key] = Standing(requirement, person_id, person_id in needing, completion,
                                   state_of(requirement, completion, day), minutes.get(key, 0))
    return result


@dataclass
class MatrixRow:
    person: Person
    #: None where the person neither needs nor has completed the requirement
    cells: list[Standing | None]

    @property
    def worst(self) -> str:
        order = ("expired", "missing", "expiring", "valid")
        shown = [cell.state for cell in self.cells if cell is not None and cell.needed] or ["valid"]
        return min(shown, key=order.index)


#: people on one screen of the matrix (the printed matrix has everyone)
MATRIX_PAGE = 40


def matrix(department_id: int | None = None, role: str = "", category: str = "",
           day: date | None = None, page: int | None = None) -> tuple[list[Requirement], list[MatrixRow], int]:
    """People who need at least one of the requirements shown × those requirements, and
    how many people there are: everyone, or one screen of MATRIX_PAGE (page 1, 2 …)."""
    day = day or local_today()
    who_needs = needs()
    shown = [r for r in requirements() if not category or r.category == category]
    people_ids: set[int] = set()
    for requirement in shown:
        people_ids |= who_needs.of(requirement)
    if department_id:
        people_ids &= who_needs.by_department.get(department_id, set())
    if role:
        people_ids &= who_needs.staff if role == ALL_STAFF else who_needs.by_role.get(role, set())
    query = (select(Person).options(joinedload(Person.department)).where(Person.id.in_(people_ids or [-1]))
             .order_by(Person.pinyin, Person.name, Person.id))
    if page is not None:
        query = query.offset((max(page, 1) - 1) * MATRIX_PAGE).limit(MATRIX_PAGE)
    people = list(db.session.scalars(query))
    table = standings([p.id for p in people], shown, day, who_needs)
    return shown, [MatrixRow(person, [table.get((person.id, r.id)) for r in shown]) for person in people], \
        len(people_ids)


@dataclass
class Due:
    person: Person
    standing: Standing
    next_session: TrainingSession | None


def due_next(day: date | None = None, department_id: int | None = None, who_needs: Needs | None = None) -> list[Due]:
    """Who needs what next: missing and expired first, then expiring soonest, each with
    the next planned session of that requirement. Reads only the pairs someone needs and
    loads only the people who are due (not the whole matrix)."""
    day = day or local_today()
    who_needs = who_needs or needs()
    shown = requirements()
    needing = {r.id: who_needs.of(r) for r in shown}
    if department_id:
        within = who_needs.by_department.get(department_id, set())
        needing = {requirement_id: people & within for requirement_id, people in needing.items()}
    everyone = set().union(*needing.values()) if needing else set()
    held = latest_completions(everyone, [r.id for r in shown], day)
    minutes = minutes_in_year(everyone, day.year, shown)
    due_standings = []
    for requirement in shown:
        for person_id in needing[requirement.id]:
            key = (person_id, requirement.id)
            standing = Standing(requirement, person_id, True, held.get(key),
                                state_of(requirement, held.get(key), day), minutes.get(key, 0))
            if standing.state != "valid" or standing.hours_short:
                due_standings.append(standing)
    people = {p.id: p for p in db.session.scalars(
        select(Person).where(Person.id.in_({s.person_id for s in due_standings} or {-1})))}
    upcoming: dict[int, TrainingSession] = {}
    for session in db.session.scalars(select(TrainingSession).where(
            TrainingSession.status == "planned", TrainingSession.starts_at >= utcnow(),
            TrainingSession.requirement_id.is_not(None)).order_by(TrainingSession.starts_at)):
        upcoming.setdefault(session.requirement_id, session)
    order = ("expired", "missing", "expiring", "valid")
    due = [Due(people[s.person_id], s, upcoming.get(s.requirement.id)) for s in due_standings]
    return sorted(due, key=lambda d: (order.index(d.standing.state),
                                      d.standing.completion.expires_on if d.standing.completion and
                                      d.standing.completion.expires_on else date.max, d.person.pinyin,
                                      d.person.id, d.standing.requirement.sort_order))


# Sessions -------------------------------------------------------------------------------------

@dataclass
class SessionInput:
    title: str
    day: date | None
    starts: str
    ends: str
    requirement_id: int | None = None
    kind: str = "training"
    trainer_id: int | None = None
    trainer_external: str = ""
    location_id: int | None = None
    place: str = ""
    content: str = ""
    materials: object = None
    scenario: str = ""


def _clock(text: str, field_name: str) -> str:
    found = _CLOCK.match(str(text or "").strip())
    if not found:
        raise ServiceError(_l("Enter the time as HH:MM, such as 14:30."), field_name)
    return f"{int(found.group(1)):02d}:{found.group(2)}"


def get_session(session_id: int) -> TrainingSession:
    return get_or_raise(TrainingSession, session_id, _l("No such training session."),
                        options=(selectinload(TrainingSession.attendance).joinedload(Attendance.person)
                                 .joinedload(Person.department),))


def plan_session(account, data: SessionInput) -> TrainingSession:
    """A session planned with its roster: everyone who needs its requirement and is not
    valid for it (missing, expired or within the renewal window)."""
    title = (data.title or "").strip()
    if not title:
        raise ServiceError(_l("Give the session a title."), "title")
    if data.kind not in dict(kinds()):
        raise ServiceError(_l("Choose the kind of session."), "kind")
    if data.day is None:
        raise ServiceError(_l("Give the day of the session."), "day")
    starts, ends = _clock(data.starts, "starts"), _clock(data.ends, "ends")
    if ends <= starts:
        raise ServiceError(_l("The session ends (%(ends)s) before it starts (%(starts)s).", ends=ends, starts=starts),
                           "ends")
    requirement = None
    if data.requirement_id:
        requirement = get_or_raise(Requirement, data.requirement_id, _l("No such training requirement."),
                                   field="requirement_id")
    elif data.kind == "training":
        raise ServiceError(_l("Choose the training requirement the session meets."), "requirement_id")
    trainer_external = (data.trainer_external or "").strip()
    if data.trainer_id:
        get_or_raise(Person, data.trainer_id, _l("Choose people from the list."), field="trainer_id")
    elif not trainer_external:
        raise ServiceError(_l("Name the trainer: a member of staff or someone from outside."), "trainer_id")
    if data.location_id:
        from schoolhq.places.models import Location

        get_or_raise(Location, data.location_id, _l("Choose the place from the list."), field="location_id")
    year = data.day.year
    session = TrainingSession(
        number=f"PX{year}-{counters.next_value(f'training.session.{year}'):04d}", kind=data.kind, title=title[:120],
        signin_secret=secrets.token_hex(16),
        requirement_id=requirement.id if requirement else None, starts_at=local_time_utc(data.day, starts),
        ends_at=local_time_utc(data.day, ends), trainer_id=data.trainer_id or None,
        trainer_external=trainer_external[:100], location_id=data.location_id or None,
        place=(data.place or "").strip()[:100], content=(data.content or "").strip()[:2000],
        materials_id=save_if_given(data.materials), scenario=(data.scenario or "").strip()[:200],
        created_by_id=getattr(account, "id", None))
    db.session.add(session)
    db.session.flush()
    if requirement is not None:
        who = needs().of(requirement)
        table = standings(sorted(who), [requirement], data.day)
        for person_id in sorted(who):
            if table[(person_id, requirement.id)].state != "valid":  # everyone in `who` needs it: a cell each
                db.session.add(Attendance(session_id=session.id, person_id=person_id))
    db.session.flush()
    audit.record("training", "session.planned", session, after={"title": title, "day": data.day.isoformat()},
                 summary=f"{session.number} {title}")
    return session


def _session_for_change(account, session_id: int) -> TrainingSession:
    session = locked(TrainingSession, session_id, _l("No such training session."))
    if not may_run(account, session):
        raise ServiceError(_l("Only the trainer or the training office may change this session."))
    return session


def may_run(account, session: TrainingSession) -> bool:
    """The trainer (a member of staff) or whoever manages training."""
    return can(account, "training.manage") or (
        account is not None and session.trainer_id is not None and account.person_id == session.trainer_id)


def add_to_roster(account, session_id: int, person_ids: list[int]) -> int:
    session = _session_for_change(account, session_id)
    if session.status != "planned":
        raise ServiceError(_l("The roster of a confirmed session is closed: amend a line instead."))
    present = {line.person_id for line in session.attendance}
    found = set(db.session.scalars(select(Person.id).where(Person.id.in_(person_ids or [-1]),
                                                           Person.left_at.is_(None))))
    if not found:
        raise ServiceError(_l("Choose people from the list."), "person_ids")
    added = sorted(found - present)
    for person_id in added:
        db.session.add(Attendance(session_id=session.id, person_id=person_id))
    db.session.flush()
    return len(added)


def _minutes(text, session: TrainingSession, mark: str) -> int:
    if mark not in ("present", "late"):
        return 0
    if text is None or str(text).strip() == "":
        return session.minutes
    return _whole(text, 0, session.minutes, _l("Credit between 0 and the session's %(n)s minutes.",
                                                n=session.minutes), "minutes")


def _window(at) -> int:
    return int((at - EPOCH).total_seconds()) // SIGNIN_WINDOW_SECONDS


def signin_code(session: TrainingSession, at=None, window: int | None = None) -> str:
    """The code the trainer's screen shows now (or in `window`): it turns over every
    SIGNIN_WINDOW_SECONDS and cannot be worked out without the session's secret."""
    window = _window(at or utcnow()) if window is None else window
    return hmac.new(session.signin_secret.encode(), f"{session.id}:{window}".encode(), hashlib.sha256).hexdigest()[:12]


def sign_in(account, session_id: int, code: str) -> Attendance:
    """A trainee signs themself in by scanning the code on the trainer's screen: present,
    or late after LATE_AFTER_MINUTES; someone not on the roster who came is added. A second
    scan changes nothing."""
    session = locked(TrainingSession, session_id, _l("No such training session."))
    if account is None or not account.person_id:
        raise ServiceError(_l("Sign in with your own account to sign in to a session."))
    if session.status != "planned":
        raise ServiceError(_l("This session's attendance is closed: ask the trainer."))
    now = utcnow()
    if not session.starts_at - timedelta(minutes=SIGNIN_OPENS_MINUTES) <= now <= session.ends_at:
        raise ServiceError(_l("Sign-in opens %(n)s minutes before the session and closes at its end.",
                              n=SIGNIN_OPENS_MINUTES))
    current = _window(now)
    given = str(code or "").strip().lower()
    if not any(hmac.compare_digest(given, signin_code(session, window=w)) for w in (current, current - 1)):
        raise ServiceError(_l("This code has expired: scan the code on the trainer's screen now."))
    line = db.session.scalar(select(Attendance).where(Attendance.session_id == session.id,
                                                      Attendance.person_id == account.person_id))
    if line is None:
        line = Attendance(session_id=session.id, person_id=account.person_id)
        db.session.add(line)
    if line.signed_in_at is None:
        late = now > session.starts_at + timedelta(minutes=LATE_AFTER_MINUTES)
        line.mark, line.minutes = ("late" if late else "present"), session.minutes
        line.signed_in_how, line.signed_in_at = "qr", now
    db.session.flush()
    return line


def mark(account, session_id: int, person_id: int, mark_key: str, minutes: str | None = None) -> Attendance:
    """The trainer marks one person; present and late are credited the session's length
    unless the trainer gives fewer minutes."""
    if not mark_key:
        raise ServiceError(_l("Choose present, late, excused or absent."), "mark")
    mark_all(account, session_id, {person_id: (mark_key, minutes)})
    return db.session.scalar(select(Attendance).where(Attendance.session_id == session_id,
                                                      Attendance.person_id == person_id))


def mark_all(account, session_id: int, given: dict[int, tuple[str, str]]) -> int:
    """The roster's marks as the trainer's sheet gives them (person id -> (mark, minutes));
    a line left blank stays unmarked. Every line is judged before any is written."""
    session = _session_for_change(account, session_id)
    if session.status != "planned":
        raise ServiceError(_l("The trainer has confirmed this attendance: amend it with a reason instead."))
    lines = {line.person_id: line for line in session.attendance}
    judged = {}
    for person_id, (mark_key, minutes) in given.items():
        if not mark_key:
            continue
        if person_id not in lines:
            raise ServiceError(_l("That person is not on the roster."))
        if mark_key not in MARKS:
            raise ServiceError(_l("Choose present, late, excused or absent."), "mark")
        judged[person_id] = (mark_key, _minutes(minutes, session, mark_key))
    for person_id, (mark_key, minutes) in judged.items():
        line = lines[person_id]
        line.mark, line.minutes = mark_key, minutes
        if mark_key in ("present", "late") and line.signed_in_at is None:
            line.signed_in_how, line.signed_in_at = "trainer", utcnow()
    db.session.flush()
    return len(judged)


def may_see(account, session: TrainingSession) -> bool:
    """Whoever sees training, the trainer, and the people on its roster."""
    return can(account, "training.view") or may_run(account, session) or (
        account is not None and any(line.person_id == account.person_id for line in session.attendance))


def may_see_person(account, person_id: int) -> bool:
    return can(account, "training.view") or (account is not None and account.person_id == person_id)


def confirm(account, session_id: int) -> TrainingSession:
    """The trainer confirms the attendance: every line marked, the session begun. Everyone
    who attended completes a requirement that asks nothing beyond attending."""
    session = _session_for_change(account, session_id)
    if session.status != "planned":
        raise ServiceError(_l("This session is already confirmed or cancelled."))
    if session.starts_at > utcnow():
        raise ServiceError(_l("A session is confirmed once it has taken place."))
    unmarked = [line.person.name for line in session.attendance if line.mark is None]
    if unmarked:
        raise ServiceError(_l("Mark everyone first (%(n)s left): %(names)s.", n=len(unmarked),
                              names="、".join(unmarked)))
    if not any(line.mark in ("present", "late") for line in session.attendance):
        raise ServiceError(_l("Nobody attended: cancel the session instead."))
    session.status, session.confirmed_at, session.confirmed_by_id = "confirmed", utcnow(), account.id
    for line in session.attendance:
        if line.mark in ("present", "late"):
            _complete_from(session, line, account)
    db.session.flush()
    audit.record("training", "session.confirmed", session,
                 after={"attended": sum(1 for line in session.attendance if line.mark in ("present", "late"))},
                 summary=f"{session.number} {session.title}")
    return session


def _credited_requirements(session: TrainingSession) -> list[Requirement]:
    """The requirements a session completes: its own; a drill also counts for every
    requirement that takes drills (消防安全培训与疏散演练)."""
    found = [session.requirement] if session.requirement is not None else []
    if session.kind == "drill":
        found += [r for r in requirements() if r.drills_count and r not in found]
    return [r for r in found if not r.stages]


def _complete_from(session: TrainingSession, line: Attendance, account) -> None:
    """The completions attending gives: each stage-less requirement the session counts
    for; a staged one completes once its stages have passed too."""
    if session.requirement is not None and session.requirement.stages:
        from schoolhq.training import assessment

        db.session.flush()
        assessment.try_complete(account, line.person_id, session.requirement)
    day = to_local(session.starts_at).date()
    for requirement in _credited_requirements(session):
        exists = db.session.scalar(select(Completion.id).where(
            Completion.session_id == session.id, Completion.person_id == line.person_id,
            Completion.requirement_id == requirement.id, Completion.withdrawn_at.is_(None)))
        if exists is None:
            db.session.add(Completion(person_id=line.person_id, requirement_id=requirement.id, completed_on=day,
                                      expires_on=expiry_of(requirement, day), source="session", session_id=session.id,
                                      created_by_id=getattr(account, "id", None)))


def amend(account, attendance_id: int, mark_key: str, minutes: str | None, reason: str) -> Attendance:
    """A confirmed line changed, with the reason kept beside the before and after; the
    completion it gave follows (given, or withdrawn with the reason)."""
    line = locked(Attendance, attendance_id, _l("No such attendance line."))
    session = _session_for_change(account, line.session_id)
    if session.status != "confirmed":
        raise ServiceError(_l("Only a confirmed session's attendance is amended; mark it instead."))
    if mark_key not in MARKS:
        raise ServiceError(_l("Choose present, late, excused or absent."), "mark")
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_l("Say why the confirmed attendance is changed."), "reason")
    new_minutes = _minutes(minutes, session, mark_key)
    if (line.mark, line.minutes) == (mark_key, new_minutes):
        raise ServiceError(_l("Nothing changed."), "mark")
    db.session.add(AttendanceAmendment(attendance_id=line.id, before_mark=line.mark or "", after_mark=mark_key,
                                       before_minutes=line.minutes, after_minutes=new_minutes, reason=reason[:300],
                                       by_id=account.id))
    line.mark, line.minutes = mark_key, new_minutes
    if mark_key in ("present", "late"):
        _complete_from(session, line, account)
    else:
        for completion in db.session.scalars(select(Completion).where(
                Completion.session_id == session.id, Completion.person_id == line.person_id,
                Completion.withdrawn_at.is_(None))):
            completion.withdrawn_at, completion.withdrawn_reason = utcnow(), reason[:200]
    db.session.flush()
    audit.record("training", "attendance.amended", session, after={"person": line.person.name, "mark": mark_key,
                                                                   "reason": reason},
                 summary=f"{session.number} {line.person.name}")
    return line


def understood(account, session_id: int) -> Attendance:
    """The trainee's own "I attended and understood", once marked as attending."""
    session = db.session.get(TrainingSession, session_id)
    line = None if session is None or account is None else next(
        (line for line in session.attendance if line.person_id == account.person_id), None)
    if line is None:
        raise ServiceError(_l("You are not on this session's roster."))
    if line.mark not in ("present", "late"):
        raise ServiceError(_l("Only someone marked as attending confirms they understood."))
    if line.understood_at is None:
        line.understood_at = utcnow()
        db.session.flush()
    return line


def cancel(account, session_id: int, reason: str) -> TrainingSession:
    session = _session_for_change(account, session_id)
    if session.status != "planned":
        raise ServiceError(_l("Only a planned session can be cancelled."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_l("Say why the session is cancelled."), "reason")
    session.status = "cancelled"
    session.problems = (f"{session.problems}\n" if session.problems else "") + reason[:300]
    db.session.flush()
    audit.record("training", "session.cancelled", session, after={"reason": reason}, summary=session.number)
    return session


def attach_sheet(account, session_id: int, scan) -> TrainingSession:
    """The printed sign-in sheet, signed on paper, scanned back onto the session."""
    session = _session_for_change(account, session_id)
    file_id = save_if_given(scan)
    if file_id is None:
        raise ServiceError(_l("Choose the scan of the signed sheet."), "scan")
    session.sheet_scan_id = file_id
    db.session.flush()
    audit.record("training", "session.sheet_attached", session, summary=session.number)
    return session


def record_drill(account, session_id: int, evacuation: str, problems: str) -> TrainingSession:
    """A drill's evacuation time (minutes:seconds or seconds) and the problems it showed."""
    session = _session_for_change(account, session_id)
    if session.kind != "drill":
        raise ServiceError(_l("Only a fire drill has an evacuation time."))
    text = (evacuation or "").strip().replace("：", ":")
    seconds = None
    if ":" in text:
        minutes_part, _, seconds_part = text.partition(":")
        if minutes_part.isdigit() and seconds_part.isdigit() and int(seconds_part) < 60:
            seconds = int(minutes_part) * 60 + int(seconds_part)
    elif text.isascii() and text.isdigit():
        seconds = int(text)
    if seconds is None or not 1 <= seconds <= 3600:
        raise ServiceError(_l("Enter the evacuation time as minutes:seconds, such as 3:20."), "evacuation")
    session.evacuation_seconds, session.problems = seconds, (problems or "").strip()[:2000]
    db.session.flush()
    return session


def sessions(upcoming: bool | None = None, limit: int = 200) -> list[TrainingSession]:
    query = select(TrainingSession).options(joinedload(TrainingSession.requirement), joinedload(TrainingSession.trainer))
    now = utcnow()
    if upcoming is True:
        query = query.where(TrainingSession.ends_at >= now, TrainingSession.status == "planned") \
            .order_by(TrainingSession.starts_at)
    elif upcoming is False:
        query = query.where((TrainingSession.ends_at < now) | (TrainingSession.status != "planned")) \
            .order_by(TrainingSession.starts_at.desc())
    return list(db.session.scalars(query.limit(limit)))


def month_sessions(month: date) -> list[TrainingSession]:
    """培训记录 of a month: the confirmed sessions and drills with their attendance."""
    from schoolhq.core.timeutil import month_bounds

    first, after = month_bounds(month)
    start, end = local_time_utc(first, "00:00"), local_time_utc(after, "00:00")
    return list(db.session.scalars(
        select(TrainingSession).options(joinedload(TrainingSession.requirement), joinedload(TrainingSession.trainer),
                                        joinedload(TrainingSession.location),
                                        selectinload(TrainingSession.attendance).joinedload(Attendance.person))
        .where(TrainingSession.status == "confirmed", TrainingSession.starts_at >= start,
               TrainingSession.starts_at < end).order_by(TrainingSession.starts_at)))


def amendments(session: TrainingSession) -> list[AttendanceAmendment]:
    ids = [line.id for line in session.attendance]
    return list(db.session.scalars(select(AttendanceAmendment).options(joinedload(AttendanceAmendment.by))
                                   .where(AttendanceAmendment.attendance_id.in_(ids or [-1]))
                                   .order_by(AttendanceAmendment.id)))


# A person's record ---------------------------------------------------------------------------

@dataclass
class PersonRecord:
    person: Person
    standings: list[Standing]
    #: every completion, latest first, as plain columns (a decade is hundreds of rows)
    completions: list[Any]
    #: every session attended or rostered (not cancelled), latest first, as plain columns
    attended: list[Any]
    #: year -> minutes credited
    minutes_by_year: dict[int, int]


def person_record(person_id: int, day: date | None = None) -> PersonRecord:
    from schoolhq.people.services import get_person

    day = day or local_today()
    person = get_person(person_id)
    shown = requirements()
    table = standings([person.id], shown, day)
    mine = [table[(person.id, r.id)] for r in shown if (person.id, r.id) in table]
    completions = db.session.execute(
        select(Completion.requirement_id, Completion.completed_on, Completion.expires_on, Completion.session_id,
               Completion.note, Completion.withdrawn_at, Completion.withdrawn_reason)
        .where(Completion.person_id == person.id)
        .order_by(Completion.completed_on.desc(), Completion.id.desc())).all()
    attended = db.session.execute(
        select(TrainingSession.id.label("session_id"), TrainingSession.title, TrainingSession.starts_at,
               TrainingSession.requirement_id, TrainingSession.status, Attendance.mark, Attendance.minutes)
        .join(Attendance, Attendance.session_id == TrainingSession.id)
        .where(Attendance.person_id == person.id, TrainingSession.status != "cancelled")
        .order_by(TrainingSession.starts_at.desc())).all()
    by_year: dict[int, int] = {}
    for line in attended:
        if line.status == "confirmed":
            year = to_local(line.starts_at).year
            by_year[year] = by_year.get(year, 0) + line.minutes
    return PersonRecord(person, mine, completions, attended, dict(sorted(by_year.items(), reverse=True)))


# Duties ---------------------------------------------------------------------------------------

def duty_problems(duty: str, person_ids, day: date | None = None) -> dict[int, str]:
    """Person id -> why an expired or missing training or certificate affects `duty`
    (canteen.morning, repairs.electrical), for the people who need it."""
    from schoolhq.people import certificates

    day = day or local_today()
    person_ids = list(person_ids)
    problems: dict[int, list[str]] = {}
    named = [r for r in requirements() if duty in (r.duties or []) and _kept(r)]
    if named and person_ids:
        table = standings(person_ids, named, day)
        for (person_id, _requirement_id), standing in table.items():
            if not standing.needed or standing.state not in ("expired", "missing"):
                continue
            name = requirement_name(standing.requirement)
            problems.setdefault(person_id, []).append(
                str(_l("%(training)s ran out on %(day)s", training=name,
                       day=standing.completion.expires_on.isoformat())) if standing.state == "expired"
                else str(_l("no %(training)s on record", training=name)))
    for type_key, type_duties in (domain().get("certificate_duties") or {}).items():
        if duty not in type_duties or not person_ids:
            continue
        kind = db.session.get(certificates.CertificateType, type_key)
        if kind is None:
            continue
        for person_id, certificate in certificates.best(person_ids, type_key, day).items():
            standing = certificates.state(certificate, day)
            if standing == "expired":
                problems.setdefault(person_id, []).append(str(_l(
                    "%(kind)s ran out on %(day)s", kind=certificates.type_name(kind),
                    day=certificate.expires_on.isoformat())))
            elif standing == "missing" and person_id in _holders_needed(kind):
                problems.setdefault(person_id, []).append(str(_l("no %(kind)s on record",
                                                                 kind=certificates.type_name(kind))))
    return {person_id: "；".join(reasons) for person_id, reasons in problems.items()}


def _kept(requirement: Requirement) -> bool:
    """Whether the school keeps this requirement's records here: some completion of it is
    recorded. Until then a lapse stops nobody — a school that has just upgraded is not
    locked out of its kitchen before it has entered its training records."""
    return db.session.scalar(select(Completion.id).where(Completion.requirement_id == requirement.id).limit(1)) \
        is not None


def duty_gate(duty: str, person_ids, day: date | None = None) -> dict[int, str]:
    """The area's answer to `areas.duty_problems`: a duty key of the data, or a repair of
    a category ("repairs:电工/照明"), which is each duty naming that category."""
    keys = [duty]
    if duty.startswith("repairs:"):
        keys = repair_duties(duty.split(":", 1)[1])
    found: dict[int, list[str]] = {}
    for key in keys:
        for person_id, reason in duty_problems(key, person_ids, day).items():
            found.setdefault(person_id, []).append(reason)
    return {person_id: "；".join(reasons) for person_id, reasons in found.items()}


def _holders_needed(kind) -> set[int]:
    members = _role_members()
    return {person_id for code in kind.roles or [] for person_id in members.get(code, set())}


def repair_duties(category_name: str) -> list[str]:
    """The duties a repair of that category is (electrical work for 电工/照明)."""
    return [key for key, row in domain()["duties"].items() if category_name in (row.get("repair_categories") or [])]


# Reminders and the dashboard ------------------------------------------------------------------

def warn_expiring() -> int:
    """The daily warnings at 30, 7 and 0 days before a completion runs out, once each, to
    the person and the head of their department (else whoever manages training), unless
    they have completed it again since."""
    from schoolhq.auth.models import Account
    from schoolhq.core.notifications import notify
    from schoolhq.people.certificates import reminder_due

    thresholds = sorted(domain()["reminders_days_before_expiry"], reverse=True)
    today = local_today()
    due = db.session.scalars(select(Completion).options(joinedload(Completion.person), joinedload(
        Completion.requirement)).where(
        Completion.withdrawn_at.is_(None), Completion.expires_on.is_not(None),
        Completion.expires_on <= today + timedelta(days=thresholds[0]), Completion.expires_on >= today)).all()
    managers: list[int] | None = None
    warned = 0
    for completion in due:
        threshold = reminder_due(completion.expires_on, today, completion.warned_days, thresholds)
        if threshold is None:
            continue
        completion.warned_days = threshold
        newer = db.session.scalar(select(Completion.id).where(
            Completion.person_id == completion.person_id, Completion.requirement_id == completion.requirement_id,
            Completion.withdrawn_at.is_(None), Completion.id != completion.id,
            (Completion.expires_on.is_(None)) | (Completion.expires_on > completion.expires_on)).limit(1))
        if newer is not None or not completion.requirement.active:
            continue
        readers: set[int] = set()
        person = completion.person
        if person.account is not None and person.account.active:
            readers.add(person.account.id)
        head = person.department.head if person.department is not None else None
        if head is not None and head.account is not None and head.account.active and head.id != person.id:
            readers.add(head.account.id)
        elif head is None:
            if managers is None:
                managers = [a.id for a in db.session.scalars(select(Account).where(Account.active.is_(True)))
                            if can(a, "training.manage")]
            readers.update(managers)
        requirement = completion.requirement
        title = _l("%(name)s's %(training)s runs out on %(day)s", name=person.name,
                   training=Bilingual(requirement.name_zh, requirement.name_en or requirement.name_zh),
                   day=completion.expires_on.isoformat())
        for account_id in sorted(readers):
            notify(account_id, "training", title, link=f"/training/people/{person.id}")
        warned += 1
    db.session.flush()
    return warned


def dashboard_items(account) -> list:
    from flask import url_for

    from schoolhq.dashboard.services import SHOWN, Entry, Item

    items, who_needs = [], needs()
    if account is not None and account.person_id:  # every dashboard view: the standings only, not the record
        mine = [s for s in standings([account.person_id], requirements(), who_needs=who_needs).values()
                if s.needed and s.state != "valid"]
        if mine:
            items.append(Item("training", _l("My training to renew"), len(mine),
                              url_for("training.person_page", person_id=account.person_id),
                              "danger" if any(s.state in ("expired", "missing") for s in mine) else "warning",
                              [Entry(requirement_name(s.requirement), url_for("training.person_page",
                                                                               person_id=account.person_id),
                                     str(STATES[s.state])) for s in mine[:SHOWN]]))
    if can(account, "training.manage"):
        due = [d for d in due_next(who_needs=who_needs) if d.standing.state in ("expired", "missing")]
        if due:
            items.append(Item("training", _l("Training expired or missing"), len(due), url_for("training.due"),
                              "danger", [Entry(f"{d.person.name} · {requirement_name(d.standing.requirement)}",
                                               url_for("training.person_page", person_id=d.person.id),
                                               str(STATES[d.standing.state])) for d in due[:SHOWN]]))
    return items


def attachment_rule(attachment, account):
    found = db.session.scalar(select(TrainingSession.id).where(
        (TrainingSession.materials_id == attachment.id) | (TrainingSession.sheet_scan_id == attachment.id)).limit(1))
    if found is None:
        return None
    return can(account, "training.view")

