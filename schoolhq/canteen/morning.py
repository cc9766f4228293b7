"""The morning check (晨检): every school day before work, each person on the canteen's
roster is seen — work clothes, hygiene, symptoms, temperature, the health certificate —
and is on duty or sent off with the reason. One tap records "all well" for everyone not
yet seen; the exceptions are recorded one by one; the canteen manager signs the day's
sheet, after which it does not change. A person off duty does nothing else recorded
that day (other records ask `ensure_on_duty`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from schoolhq.areas import duty_problems
from schoolhq.canteen import services
from schoolhq.canteen.models import CanteenStaff, MorningCheck, MorningSheet
from schoolhq.core import audit, settings
from schoolhq.core.database import locked_or_made
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today, month_bounds, utcnow
from schoolhq.extensions import db
from schoolhq.people import certificates

#: the duty the morning check admits people to: a training that stops it (data) keeps them off
DUTY = "canteen.morning"
FIELDS = ["day", "person_id", "clothing_ok", "hygiene_ok", "symptoms", "temperature_dc", "remarks", "fit", "reason",
          "action"]


@dataclass
class Answers:
    """What the checker found for one person."""
    clothing_ok: bool = True
    hygiene_ok: bool = True
    symptoms: list[str] = field(default_factory=list)
    temperature: str = ""
    remarks: str = ""
    action: str = ""


@dataclass
class Line:
    """One person of the day's roster, with their check when made."""
    member: CanteenStaff
    check: MorningCheck | None
    certificate_state: str
    certificate_until: date | None
    certificate_problem: str


def _sheet_to_change(day: date) -> MorningSheet:
    """The day's sheet, made when first needed and locked: writes to one day take turns
    (two tablets tapping "all well" at once record everyone once)."""
    row = locked_or_made(MorningSheet, _l("That morning-check sheet does not exist."), day=day)
    if row.signed_at is not None:
        raise ServiceError(_l("The morning check of %(day)s is signed; it cannot change.", day=day.isoformat()))
    return row


def _check_today(day: date) -> None:
    if day != local_today():
        raise ServiceError(_l("The morning check is recorded on the day, before work: only today's can be recorded."))


def sheet_of(day: date) -> MorningSheet | None:
    return db.session.scalar(select(MorningSheet).where(MorningSheet.day == day))


def lines(day: date, person_id: int | None = None) -> list[Line]:
    """The roster of `day` with each person's check and health certificate: those checked
    that day (even if since taken off the roster) and the active staff; or only the line
    of `person_id` (a save needs no one else's)."""
    query = select(MorningCheck).where(MorningCheck.day == day)
    if person_id is not None:
        query = query.where(MorningCheck.person_id == person_id)
    checks = {c.person_id: c for c in db.session.scalars(query)}
    members = [m for m in services.roster(include_inactive=True, person_id=person_id)
               if m.active or m.person_id in checks]
    ids = [m.person_id for m in members]
    held = certificates.best(ids, services.HEALTH_CERTIFICATE, day)
    allowed = certificates.may_work_all(ids, services.HEALTH_CERTIFICATE, day, held=held)
    untrained = duty_problems(DUTY, ids, day)
    result = []
    for member in members:
        certificate = held[member.person_id]
        standing = certificates.state(certificate, day)
        works, problem = allowed[member.person_id]
        problems = [text for text in ("" if works else problem, untrained.get(member.person_id, "")) if text]
        result.append(Line(member, checks.get(member.person_id), standing,
                           certificate.expires_on if certificate else None, "；".join(problems)))
    return result


def _fever_dc() -> int:
    return services.parse_temperature(settings.get("canteen.fever_c"))


def _judge(answers: Answers, certificate_problem: str) -> tuple[bool, str]:
    """On duty or not, and why not, from what was found."""
    reasons = []
    if certificate_problem:
        reasons.append(certificate_problem)
    if answers.symptoms:
        reasons.append("、".join(services.symptom_name(key) for key in answers.symptoms))
    temperature = services.parse_temperature(answers.temperature)
    if temperature is not None and temperature >= _fever_dc():
        reasons.append(str(_l("temperature %(t)s ℃", t=services.show_temperature(temperature))))
    return not reasons, "；".join(reasons)


def _clean(answers: Answers) -> Answers:
    known = dict(services.symptoms())
    unknown = [key for key in answers.symptoms if key not in known]
    if unknown:
        raise ServiceError(_l("Unknown symptom: %(keys)s", keys="、".join(unknown)[:60]), "symptoms")
    remarks = (answers.remarks or "").strip()
    if len(remarks) > 300:
        raise ServiceError(_l("Remarks are at most 300 characters."), "remarks")
    if (not answers.clothing_ok or not answers.hygiene_ok) and not remarks:
        raise ServiceError(_l("Write what was wrong with the clothing or hygiene and what was done."), "remarks")
    action = (answers.action or "").strip()[:100]
    services.parse_temperature(answers.temperature)  # a bad temperature is refused before anything is written
    return Answers(bool(answers.clothing_ok), bool(answers.hygiene_ok), sorted(set(answers.symptoms)),
                   answers.temperature, remarks, action)


def _write(account, sheet: MorningSheet, member: CanteenStaff, answers: Answers, line: Line) -> MorningCheck:
    fit, reason = _judge(answers, line.certificate_problem)
    if not fit and not answers.action:
        answers.action = services.domain()["morning_check"]["actions"][0]
    check = line.check or MorningCheck(sheet_id=sheet.id, day=sheet.day, person_id=member.person_id)
    before = audit.snapshot(check, FIELDS) if line.check else None
    check.post = member.post
    check.clothing_ok, check.hygiene_ok, check.symptoms = answers.clothing_ok, answers.hygiene_ok, answers.symptoms
    check.temperature_dc = services.parse_temperature(answers.temperature)
    check.remarks, check.fit, check.reason = answers.remarks, fit, reason[:200]
    check.action = "" if fit else answers.action
    check.certificate_until = line.certificate_until
    check.checked_at, check.checked_by_id = utcnow(), getattr(account, "id", None)
    if line.check is None:
        db.session.add(check)
    db.session.flush()
    audit.record("canteen", "morning_check.recorded", check, before=before, after=audit.snapshot(check, FIELDS),
                 summary=f"{sheet.day.isoformat()} {member.person.name}")
    return check


def all_well(account, day: date | None = None) -> int:
    """Everyone on the roster not yet seen today is recorded as found well: on duty,
    unless their health certificate has run out or is missing (then off duty, saying so).
    Returns how many were recorded."""
    day = day or local_today()
    _check_today(day)
    sheet = _sheet_to_change(day)
    recorded = 0
    for line in lines(day):
        if line.check is None and line.member.active:
            _write(account, sheet, line.member, Answers(), line)
            recorded += 1
    return recorded


def record(account, person_id: int, answers: Answers, day: date | None = None) -> MorningCheck:
    """One person's check, or a correction of it while the sheet is unsigned."""
    day = day or local_today()
    _check_today(day)
    answers = _clean(answers)
    sheet = _sheet_to_change(day)
    line = next(iter(lines(day, person_id)), None)
    if line is None:
        raise ServiceError(_l("That person is not on the canteen's staff."), "person_id")
    return _write(account, sheet, line.member, answers, line)


def sign(account, signature_data_url: str | None, day: date | None = None) -> MorningSheet:
    """The canteen manager signs the day's sheet once everyone on it has been seen."""
    from schoolhq.core.uploads import save_signature

    day = day or local_today()
    sheet = _sheet_to_change(day)
    unseen = [line.member.person.name for line in lines(day) if line.check is None and line.member.active]
    if unseen:
        raise ServiceError(_l("Not yet checked: %(names)s.", names="、".join(unseen)))
    signature = save_signature(signature_data_url, _l("Sign the sheet first."))
    sheet.signed_at, sheet.signed_by_id, sheet.signature_id = utcnow(), getattr(account, "id", None), signature.id
    audit.record("canteen", "morning_sheet.signed", sheet, after={"day": day.isoformat()}, summary=day.isoformat())
    return sheet


def on_duty(person_id: int, day: date | None = None) -> tuple[bool, str]:
    """Whether the person may be recorded doing canteen work on `day`, and why not: off
    duty at the morning check, or a health certificate that has run out."""
    day = day or local_today()
    check = db.session.scalar(select(MorningCheck).where(MorningCheck.day == day, MorningCheck.person_id == person_id))
    if check is not None and not check.fit:
        return False, check.reason or str(_l("off duty at the morning check"))
    works, problem = certificates.may_work(person_id, services.HEALTH_CERTIFICATE, day)
    untrained = duty_problems(DUTY, [person_id], day).get(person_id, "")
    problems = [text for text in ("" if works else problem, untrained) if text]
    return not problems, "；".join(problems)


def ensure_on_duty(person_id: int, day: date, field_name: str = "person_id") -> None:
    """Refuse to record an off-duty person as doing canteen work that day."""
    from schoolhq.people.services import get_person

    works, why = on_duty(person_id, day)
    if not works:
        raise ServiceError(_l("%(name)s is off duty on %(day)s (%(why)s) and cannot be recorded doing this.",
                              name=get_person(person_id).name, day=day.isoformat(), why=why), field_name)


def _month(year: int, month: int) -> tuple[date, date]:
    return month_bounds(date(year, month, 1))


def month_sheets(year: int, month: int) -> list[MorningSheet]:
    first, after = _month(year, month)
    return list(db.session.scalars(select(MorningSheet).where(MorningSheet.day >= first, MorningSheet.day < after)))


def month_checks(year: int, month: int) -> list[MorningCheck]:
    """The month's checks in the order of the printed ledger: day, then post and name."""
    from schoolhq.people.models import Person

    first, after = _month(year, month)
    return list(db.session.scalars(
        select(MorningCheck).join(Person, Person.id == MorningCheck.person_id)
        .options(contains_eager(MorningCheck.person), joinedload(MorningCheck.checked_by))
        .where(MorningCheck.day >= first, MorningCheck.day < after)
        .order_by(MorningCheck.day, MorningCheck.post, Person.pinyin, Person.name)))
