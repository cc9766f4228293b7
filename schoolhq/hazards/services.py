"""The hazard register's rules: a hazard is found, registered with a level, a responsible
person, measures and a deadline; rectified; re-checked by someone other than whoever
fixed it or answers for it; and closed (销号) only by a passing re-check — after its repair
ticket, when it has one, is confirmed. A failed re-check reopens it with a new deadline.
A failed item of a safety round that was not put right on the spot registers itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import local_today, month_bounds, to_local, utcnow
from schoolhq.core.uploads import save_if_given
from schoolhq.extensions import db
from schoolhq.hazards.models import Hazard, HazardEvent

DATA_FILE = Path(__file__).parent / "data" / "hazards.yaml"

LEVEL_LABELS = {"general": _l("General hazard"), "major": _l("Major hazard")}
STATUS_LABELS = {"open": _l("To rectify"), "rectified": _l("Rectified, awaiting re-check"),
                 "closed": _l("Closed off"), "reopened": _l("Re-check failed")}
STATUS_TONES = {"open": "warn", "rectified": "info", "closed": "ok", "reopened": "danger"}
SOURCE_LABELS = {"check": _l("Check"), "patrol": _l("Patrol"), "report": _l("Repair report"),
                 "inspection": _l("Inspection from outside"), "other": _l("Other")}
RECHECK_LABELS = {"pass": _l("Passed, closed"), "fail": _l("Not passed, to rectify again")}
EVENT_LABELS = {"registered": _l("Found and registered"), "changed": _l("Changed"), "rectified": _l("Rectified"),
                "rechecked": _l("Re-checked")}
OPEN = ("open", "reopened")
UNCLOSED = ("open", "reopened", "rectified")


@cache
def domain() -> dict:
    return yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))




def days_setting(value) -> int:
    """Days a hazard may take to be rectified: 1 to 365."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise ServiceError(_l("Enter a whole number of days."), "hazards") from None
    if not 1 <= days <= 365:
        raise ServiceError(_l("Enter between 1 and 365 days."), "hazards")
    return days


def default_deadline(level: str, found_on: date) -> date:
    from schoolhq.core import settings

    return found_on + timedelta(days=settings.get(f"hazards.{level}_days"))


def get_hazard(hazard_id: int) -> Hazard:
    return get_or_raise(Hazard, hazard_id, _l("No such hazard."))


def _event(hazard: Hazard, kind: str, account, note: str = "", data: dict | None = None, at=None) -> None:
    db.session.add(HazardEvent(hazard_id=hazard.id, kind=kind, actor_id=account.id if account else None,
                               note=note, data=data, at=at or utcnow()))


@dataclass
class HazardData:
    location_id: int | None
    description: str
    responsible_id: int | None
    deadline: date | None = None
    level: str = "general"
    measures: str = ""
    found_on: date | None = None
    source: str = "other"
    asset_id: int | None = None
    photo: object = None
    #: the repair report it was registered from: the hazard closes only once it is verified
    ticket_id: int | None = None


def _check(data: HazardData, found_on: date) -> None:
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    if not data.location_id or db.session.get(Location, data.location_id) is None:
        raise ServiceError(_l("Say where the hazard is: choose the place."), "location_id")
    if len((data.description or "").strip()) < 2:
        raise ServiceError(_l("Describe the hazard."), "description")
    if data.level not in LEVEL_LABELS:
        raise ServiceError(_l("Choose the level."), "level")
    person = db.session.get(Person, data.responsible_id) if data.responsible_id else None
    if person is None or person.left_at is not None:
        raise ServiceError(_l("Name the person responsible for rectifying it."), "responsible_id")
    if found_on > local_today():
        raise ServiceError(_l("A hazard cannot be found after today."), "found_on")
    if data.deadline is None:
        raise ServiceError(_l("Give a deadline."), "deadline")
    if data.deadline < found_on:
        raise ServiceError(_l("The deadline cannot be before the day it was found."), "deadline")


def register(account, data: HazardData, finding=None, found_at: datetime | None = None,
             description_message=None) -> Hazard:
    """`found_at`: when a round's item was answered (a hazard from a finding), else now;
    `description_message`: the words the system wrote (core.messages), read in each
    reader's language."""
    found_on = data.found_on or local_today()
    if data.source not in {"check", "patrol", "report", "inspection", "other"}:
        raise ServiceError(_l("Choose where it was found."), "source")
    if data.ticket_id:
        _from_ticket(data)
    _check(data, found_on)
    photo_id = save_if_given(data.photo, images_only=True)
    hazard = Hazard(found_on=found_on, found_by_id=account.person_id if account else None, source=data.source,
                    location_id=data.location_id, asset_id=data.asset_id, description=data.description.strip()[:500],
                    level=data.level, responsible_id=data.responsible_id, deadline=data.deadline,
                    measures=(data.measures or "").strip()[:500], photo_id=photo_id,
                    created_by_id=account.id if account else None, created_at=found_at or utcnow(),
                    description_message=description_message)
    hazard.ticket_id = data.ticket_id or None
    if finding is not None:
        hazard.finding_id, hazard.ticket_id = finding.id, finding.ticket_id
        hazard.photo_id = hazard.photo_id or finding.photo_id
    db.session.add(hazard)
    db.session.flush()
    _event(hazard, "registered", account, hazard.measures, at=found_at)
    audit.record("hazards", "hazard.registered", hazard, summary=hazard.description[:80])
    if hazard.level == "major":
        _notify_major(hazard)
    return hazard


def _from_ticket(data: HazardData) -> None:
    """A hazard registered from a repair report: the ticket's place and asset, and one
    open hazard per ticket (a second tap names the first)."""
    from schoolhq.repairs.models import Ticket

    ticket = locked(Ticket, data.ticket_id, _l("No such repair ticket."))  # two taps at once: one hazard
    already = db.session.scalar(select(Hazard).where(Hazard.ticket_id == ticket.id, Hazard.status != "closed")
                                .limit(1))
    if already is not None:
        raise ServiceError(_l("Repair ticket %(ticket)s is already on the hazard register: %(hazard)s.",
                              ticket=ticket.number, hazard=already.description[:60]))
    data.source = "report"
    data.location_id = data.location_id or ticket.location_id
    data.asset_id = data.asset_id or ticket.asset_id


def of_ticket(ticket_id: int) -> list[Hazard]:
    return list(db.session.scalars(select(Hazard).where(Hazard.ticket_id == ticket_id).order_by(Hazard.id)))


def ticket_panel(ticket, account):
    """On a repair ticket's page: the hazards it belongs to, or registering it as one."""
    from flask import render_template
    from markupsafe import Markup

    if not can(account, "hazards.view"):
        return Markup("")
    found = of_ticket(ticket.id)
    if not found and not can(account, "hazards.register"):
        return Markup("")
    return Markup(render_template("hazards/_ticket_panel.html", ticket=ticket, hazards=found,
                                  status_label=STATUS_LABELS, level_label=LEVEL_LABELS))


def _notify_major(hazard: Hazard) -> None:
    """A 重大隐患 goes to the principal at once (and whoever else re-checks hazards)."""
    from flask import url_for

    from schoolhq.auth.services import accounts_with
    from schoolhq.core.notifications import notify

    title = _l("Major hazard: %(place)s", place=hazard.location.full_name)
    for account in accounts_with("hazards.recheck"):
        notify(account.id, "hazards", title, hazard.description[:200], url_for("hazards.hazard_page",
                                                                               hazard_id=hazard.id))


def _default_responsible() -> int | None:
    """Who answers for a hazard a round registers: the first logistics head (by name)."""
    from schoolhq.auth.services import accounts_with_role

    people = sorted((a.person for a in accounts_with_role("logistics_head") if a.person and a.person.left_at is None),
                    key=lambda person: person.name)
    return people[0].id if people else None


def registers(template_key: str) -> bool:
    """Whether a failed item of rounds of this template becomes a hazard: the safety rounds."""
    return template_key.split(".")[0] in domain()["round_kinds"]


def register_from_finding(finding, round_, account, found_at: datetime, what, note: str = "") -> Hazard | None:
    """A failed item of a safety round that was not put right on the spot, as a hazard:
    its place, asset, photo, the finding's words (`what`, a message) with the inspector's
    note, and the ticket it opened. Nobody to answer for it (no logistics head yet) leaves
    it a finding only."""
    from schoolhq.core import messages

    if finding.status == "corrected" or not registers(round_.template_key):
        return None
    responsible_id = _default_responsible()
    if responsible_id is None:
        return None
    found_on = to_local(found_at).date()
    level = "major" if finding.item.critical else "general"
    source = "patrol" if round_.template_key in domain()["patrol_templates"] else "check"
    description, description_message = messages.store([what, "：", note.strip()] if note.strip() else what)
    data = HazardData(location_id=finding.location_id, description=description[:500], responsible_id=responsible_id,
                      deadline=default_deadline(level, found_on), level=level, source=source,
                      asset_id=finding.asset_id, found_on=found_on)
    return register(account, data, finding=finding, found_at=found_at, description_message=description_message)


def _unclosed(hazard_id: int) -> Hazard:
    hazard = locked(Hazard, hazard_id, _l("No such hazard."))
    if hazard.status == "closed":
        raise ServiceError(_l("This hazard is closed: it no longer changes."))
    return hazard


def change(account, hazard_id: int, data: HazardData) -> Hazard:
    """Level, person, deadline, measures and words, while the hazard is not closed."""
    hazard = _unclosed(hazard_id)
    if not can(account, "hazards.manage"):
        raise ServiceError(_l("Only the logistics office changes a hazard."))
    data.location_id = data.location_id or hazard.location_id
    _check(data, hazard.found_on)
    before = {"level": hazard.level, "responsible_id": hazard.responsible_id, "deadline": hazard.deadline.isoformat(),
              "measures": hazard.measures, "description": hazard.description, "location_id": hazard.location_id}
    hazard.level, hazard.responsible_id, hazard.deadline = data.level, data.responsible_id, data.deadline
    hazard.measures, hazard.location_id = (data.measures or "").strip()[:500], data.location_id
    if data.description.strip()[:500] != hazard.description:
        hazard.description, hazard.description_message = data.description.strip()[:500], None
    after = {"level": hazard.level, "responsible_id": hazard.responsible_id, "deadline": hazard.deadline.isoformat(),
             "measures": hazard.measures, "description": hazard.description, "location_id": hazard.location_id}
    changed = {key: value for key, value in after.items() if before[key] != value}
    if not changed:
        return hazard
    _event(hazard, "changed", account, data=changed)
    audit.record("hazards", "hazard.changed", hazard, before={k: before[k] for k in changed}, after=changed,
                 summary=hazard.description[:80])
    if changed.get("level") == "major":
        _notify_major(hazard)
    return hazard


def _close_finding(hazard: Hazard, account, note: str) -> None:
    """The check finding the hazard came from is dealt with once the hazard is closed."""
    if not hazard.finding_id:
        return
    from schoolhq.checks.models import CheckFinding

    finding = db.session.get(CheckFinding, hazard.finding_id)
    if finding is not None and finding.status == "open":
        finding.status, finding.note = "closed", note[:500]
        finding.closed_by_id, finding.closed_at = account.id, utcnow()


def may_rectify(account, hazard: Hazard) -> bool:
    return account.person_id == hazard.responsible_id or can(account, "hazards.manage")


def rectify(account, hazard_id: int, note: str, photo=None) -> Hazard:
    """The responsible person (or the office) records what was done: awaiting re-check."""
    hazard = _unclosed(hazard_id)
    if not may_rectify(account, hazard):
        raise ServiceError(_l("Only the person responsible, or the logistics office, records the rectification."))
    if hazard.status not in OPEN:
        raise ServiceError(_l("This hazard is already rectified and waits for its re-check."))
    note = (note or "").strip()[:500]
    if len(note) < 2:
        raise ServiceError(_l("Say what was done to rectify it."), "note")
    hazard.rectified_photo_id = save_if_given(photo, images_only=True) or hazard.rectified_photo_id
    hazard.status, hazard.rectified_on, hazard.rectified_by_id, hazard.rectification = \
        "rectified", local_today(), account.id, note
    hazard.rechecked_by_id = hazard.rechecked_at = hazard.recheck_result = None
    hazard.recheck_note, hazard.recheck_signature_id = "", None
    db.session.flush()
    _event(hazard, "rectified", account, note, {"photo_id": hazard.rectified_photo_id})
    audit.record("hazards", "hazard.rectified", hazard, after={"rectification": note}, summary=hazard.description[:80])
    return hazard


def recheck(account, hazard_id: int, passed: bool, note: str, signature: str, deadline: date | None = None) -> Hazard:
    """The re-check: by someone else than whoever fixed it or answers for it, signed.
    Passing closes the hazard (a ticket it opened must be confirmed first); failing
    reopens it, with the reason and a new deadline."""
    from schoolhq.core.uploads import save_signature

    hazard = _unclosed(hazard_id)
    if not can(account, "hazards.recheck"):
        raise ServiceError(_l("Only the logistics head or the principal re-checks a hazard."))
    if hazard.status != "rectified":
        raise ServiceError(_l("Record the rectification before the re-check."))
    if account.id == hazard.rectified_by_id or account.person_id == hazard.responsible_id:
        raise ServiceError(_l("The re-check is done by someone other than the person who fixed it or answers for it."))
    note = (note or "").strip()[:500]
    if not passed and len(note) < 2:
        raise ServiceError(_l("Say what is still wrong."), "note")
    if passed and hazard.ticket_id:
        from schoolhq.repairs.models import Ticket

        ticket = db.session.get(Ticket, hazard.ticket_id)
        if ticket is not None and ticket.status != "verified":
            raise ServiceError(_l("Its repair ticket %(number)s is not confirmed yet: the hazard closes after it is.",
                                  number=ticket.number))
    if not passed:
        if deadline is None:
            raise ServiceError(_l("Give a new deadline."), "deadline")
        if deadline < local_today():
            raise ServiceError(_l("The new deadline cannot be in the past."), "deadline")
    signed = save_signature(signature, _l("Sign the re-check."))
    hazard.rechecked_at, hazard.rechecked_by_id, hazard.recheck_note = utcnow(), account.id, note
    hazard.recheck_result, hazard.recheck_signature_id = ("pass" if passed else "fail"), signed.id
    if passed:
        hazard.status, hazard.closed_at = "closed", utcnow()
        _close_finding(hazard, account, note or hazard.rectification)
    else:
        hazard.status, hazard.deadline = "reopened", deadline
    db.session.flush()
    _event(hazard, "rechecked", account, note, {"result": hazard.recheck_result, "signature_id": signed.id,
                                                 "deadline": deadline.isoformat() if deadline else None})
    audit.record("hazards", "hazard.rechecked", hazard, after={"result": hazard.recheck_result, "note": note},
                 summary=hazard.description[:80])
    return hazard


def of_findings(finding_ids: list[int]) -> dict[int, int]:
    """finding id → the hazard it became, for the findings list."""
    if not finding_ids:
        return {}
    return dict(db.session.execute(select(Hazard.finding_id, Hazard.id).where(Hazard.finding_id.in_(finding_ids))).all())


# Lists, the dashboard and the ledger ------------------------------------------------------

def listed(status: str = "unclosed", mine_of=None):
    query = (select(Hazard).options(joinedload(Hazard.location), joinedload(Hazard.responsible))
             .order_by(case((Hazard.status.in_(OPEN), 0), (Hazard.status == "rectified", 1), else_=2),
                       Hazard.deadline, Hazard.id))
    if status == "unclosed":
        query = query.where(Hazard.status.in_(UNCLOSED))
    elif status == "overdue":
        query = query.where(Hazard.status.in_(OPEN), Hazard.deadline < local_today())
    elif status == "mine":
        query = query.where(Hazard.status.in_(OPEN))
    elif status in STATUS_LABELS:
        query = query.where(Hazard.status == status)
    if mine_of is not None:
        query = query.where(Hazard.responsible_id == mine_of)
    return query


def is_overdue(hazard: Hazard, today: date | None = None) -> bool:
    return hazard.status in OPEN and hazard.deadline < (today or local_today())


def dashboard_items(account) -> list:
    """Overdue hazards for whoever oversees them (the logistics head, the principal); a
    person's own hazards to rectify; the rectified ones waiting for a re-check."""
    from flask import url_for

    from schoolhq.dashboard.services import SHOWN, Entry, Item

    items = []
    today = local_today()

    def entries(hazards):
        return [Entry(h.location.name + " · " + h.shown_description[:40], url_for("hazards.hazard_page", hazard_id=h.id),
                      str(_l("due %(day)s", day=h.deadline.isoformat()))) for h in hazards[:SHOWN]]

    if can(account, "hazards.view"):
        overdue = list(db.session.scalars(listed("overdue").limit(SHOWN)))
        if overdue:
            count = db.session.scalar(select(func.count(Hazard.id)).where(Hazard.status.in_(OPEN),
                                                                          Hazard.deadline < today))
            items.append(Item("hazards", _l("Hazards past their deadline"), count,
                              url_for("hazards.hazard_list", status="overdue"), "danger", entries(overdue)))
    if account.person_id:
        mine = list(db.session.scalars(listed("open", mine_of=account.person_id).limit(SHOWN)))
        reopened = list(db.session.scalars(listed("reopened", mine_of=account.person_id).limit(SHOWN)))
        mine = sorted(mine + reopened, key=lambda h: h.deadline)
        if mine:
            count = db.session.scalar(select(func.count(Hazard.id)).where(Hazard.status.in_(OPEN),
                                                                          Hazard.responsible_id == account.person_id))
            items.append(Item("hazards", _l("Hazards for me to rectify"), count,
                              url_for("hazards.hazard_list", status="mine"), "warning", entries(mine)))
    if can(account, "hazards.recheck"):
        waiting = [h for h in db.session.scalars(listed("rectified"))
                   if h.rectified_by_id != account.id and h.responsible_id != account.person_id]
        if waiting:
            items.append(Item("hazards", _l("Hazards waiting for my re-check"), len(waiting),
                              url_for("hazards.hazard_list", status="rectified"), "info", entries(waiting)))
    return items


def month_rows(month: date) -> list[Hazard]:
    """The 隐患整改台账 of a month: the hazards found in it, with where each stands now."""
    first, after = month_bounds(month)
    return list(db.session.scalars(
        select(Hazard).options(joinedload(Hazard.location), joinedload(Hazard.responsible), joinedload(Hazard.asset),
                               joinedload(Hazard.found_by), joinedload(Hazard.rectified_by),
                               joinedload(Hazard.rechecked_by))
        .where(Hazard.found_on >= first, Hazard.found_on < after).order_by(Hazard.found_on, Hazard.id)))


def attachment_rule(attachment, account):
    """A hazard's photos and re-check signatures: for whoever sees hazards, and the person
    responsible for it."""
    hazard = db.session.scalar(select(Hazard).where(
        (Hazard.photo_id == attachment.id) | (Hazard.rectified_photo_id == attachment.id)
        | (Hazard.recheck_signature_id == attachment.id)).limit(1))
    if hazard is None:
        return None
    return can(account, "hazards.view") or account.person_id == hazard.responsible_id
