"""The certificate register: who holds which certificate (健康证, 电工证, 食品安全管理员证)
until when, with its scan; warnings before one runs out to the holder and whoever
supervises that work; and the one question other areas ask — may this person do work
that needs it today? The canteen's morning check asks it of every cook; the training
area adds its own certificate types to the same register."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.messages import Bilingual
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.people.models import Certificate, CertificateType, Person

DATA = Path(__file__).parent / "data" / "certificates.yaml"
#: a certificate this close to running out shows as expiring
EXPIRING_DAYS = 30
STATES = {
    "valid": _l("Valid"), "expiring": _l("Expiring"), "expired": _l("Expired"), "missing": _l("None on record"),
    "withdrawn": _l("Withdrawn"),
}
STATE_TONES = {"valid": "ok", "expiring": "warn", "expired": "danger", "missing": "danger", "withdrawn": "muted"}
FIELDS = ["person_id", "type_key", "number", "issued_on", "expires_on", "issuer"]


@cache
def domain() -> dict[str, Any]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def seed() -> None:
    """The certificate types of the data file the school does not have yet (its own edits stay)."""
    known = set(db.session.scalars(select(CertificateType.key)))
    for order, row in enumerate(domain()["types"]):
        if row["key"] in known:
            continue
        db.session.add(CertificateType(
            key=row["key"], name_zh=row["zh"], name_en=row.get("en", ""), validity_months=row.get("validity_months"),
            blocks_work=bool(row.get("blocks_work")), roles=list(row.get("roles", [])),
            supervisor_permission=row.get("supervisor_permission", ""), reference=row.get("reference", ""),
            confidence=row.get("confidence", ""), sort_order=order))
    db.session.flush()


def types() -> list[CertificateType]:
    return list(db.session.scalars(select(CertificateType).order_by(CertificateType.sort_order, CertificateType.key)))


def type_name(kind: CertificateType | None) -> str:
    if kind is None:
        return ""
    chinese = str(get_locale() or "zh").startswith("zh")
    return kind.name_zh if chinese or not kind.name_en else kind.name_en


def _type(key: str) -> CertificateType:
    kind = db.session.get(CertificateType, key or "")
    if kind is None:
        raise ServiceError(_l("Choose the kind of certificate."), "type_key")
    return kind


def months_later(day: date, months: int) -> date:
    """The last day a certificate issued on `day` for `months` months is valid: 2026-03-01
    for 12 months runs to 2027-02-28."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1])) - timedelta(days=1)


@dataclass
class CertificateData:
    type_key: str
    number: str
    issued_on: date | None
    expires_on: date | None = None
    issuer: str = ""


def add(account, person_id: int, data: CertificateData, scan=None) -> Certificate:
    """Register a certificate. Without an expiry date the type's validity gives one."""
    from schoolhq.core.uploads import save_upload
    from schoolhq.people.services import get_person

    person = get_person(person_id)
    kind = _type(data.type_key)
    number = (data.number or "").strip()
    if not number:
        raise ServiceError(_l("Enter the certificate's number."), "number")
    if len(number) > 60:
        raise ServiceError(_l("A certificate number is at most 60 characters."), "number")
    issuer = (data.issuer or "").strip()
    if len(issuer) > 100:
        raise ServiceError(_l("The issuing body is at most 100 characters."), "issuer")
    if data.issued_on is None:
        raise ServiceError(_l("Enter the day it was issued."), "issued_on")
    if data.issued_on > local_today():
        raise ServiceError(_l("A certificate cannot be issued in the future."), "issued_on")
    expires_on = data.expires_on
    if expires_on is None and kind.validity_months:
        expires_on = months_later(data.issued_on, kind.validity_months)
    if expires_on is not None and expires_on < data.issued_on:
        raise ServiceError(_l("It cannot run out (%(expires)s) before it was issued (%(issued)s).",
                              expires=expires_on.isoformat(), issued=data.issued_on.isoformat()), "expires_on")
    duplicate = db.session.scalar(select(Certificate.id).where(
        Certificate.person_id == person.id, Certificate.type_key == kind.key, Certificate.number == number,
        Certificate.withdrawn_at.is_(None)))
    if duplicate is not None:
        raise ServiceError(_l("%(name)s already has this certificate (number %(number)s).", name=person.name,
                              number=number), "number")
    attachment = save_upload(scan) if scan is not None and getattr(scan, "filename", "") else None
    certificate = Certificate(person_id=person.id, type_key=kind.key, number=number, issued_on=data.issued_on,
                              expires_on=expires_on, issuer=issuer, scan_id=attachment.id if attachment else None,
                              created_by_id=getattr(account, "id", None))
    db.session.add(certificate)
    db.session.flush()
    audit.record("people", "certificate.added", certificate, after=audit.snapshot(certificate, FIELDS),
                 summary=f"{person.name} {type_name(kind)} {number}")
    return certificate


def withdraw(account, certificate_id: int, reason: str) -> Certificate:
    """Take a wrongly entered certificate off the register; it stays on record with the reason."""
    certificate = locked(Certificate, certificate_id, _l("That certificate does not exist."))
    if certificate.withdrawn_at is not None:
        return certificate
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_l("Say why the certificate is withdrawn."), "reason")
    certificate.withdrawn_at, certificate.withdrawn_reason = utcnow(), reason[:200]
    audit.record("people", "certificate.withdrawn", certificate, before={"withdrawn": False},
                 after={"withdrawn": True, "reason": certificate.withdrawn_reason},
                 summary=f"{certificate.person.name} {type_name(certificate.type)} {certificate.number}")
    return certificate


def get(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(_l("That certificate does not exist."))
    return certificate


def state(certificate: Certificate | None, day: date | None = None) -> str:
    """valid, expiring (within EXPIRING_DAYS), expired, missing (None) or withdrawn, on `day`."""
    day = day or local_today()
    if certificate is None:
        return "missing"
    if certificate.withdrawn_at is not None:
        return "withdrawn"
    if certificate.expires_on is None:
        return "valid"
    if certificate.expires_on < day:
        return "expired"
    return "expiring" if (certificate.expires_on - day).days <= EXPIRING_DAYS else "valid"


def best(person_ids, type_key: str, day: date | None = None) -> dict[int, Certificate | None]:
    """Each person's certificate of that kind that lasts longest, issued by `day`; None
    for a person with none. One query for everyone on a roster."""
    day = day or local_today()
    found: dict[int, Certificate | None] = {person_id: None for person_id in person_ids}
    if not found:
        return found
    rows = db.session.scalars(select(Certificate).where(
        Certificate.person_id.in_(list(found)), Certificate.type_key == type_key,
        Certificate.withdrawn_at.is_(None), Certificate.issued_on <= day))
    for certificate in rows:
        held = found[certificate.person_id]
        if held is None or (held.expires_on is not None and (certificate.expires_on is None
                                                             or certificate.expires_on > held.expires_on)):
            found[certificate.person_id] = certificate
    return found


def may_work(person_id: int, type_key: str, day: date | None = None) -> tuple[bool, str]:
    """Whether the person's certificate of that kind lets them work on `day`, and if not,
    why (in words). A type that does not block work never stops anyone."""
    return may_work_all([person_id], type_key, day)[person_id]


def may_work_all(person_ids, type_key: str, day: date | None = None,
                 held: dict[int, Certificate | None] | None = None) -> dict[int, tuple[bool, str]]:
    """`may_work` for everyone on a roster in one query (none when `held` is what
    `best` gave for them already)."""
    kind = db.session.get(CertificateType, type_key)
    if kind is None or not kind.blocks_work:
        return {person_id: (True, "") for person_id in person_ids}
    answers = {}
    for person_id, certificate in (held if held is not None else best(person_ids, type_key, day)).items():
        standing = state(certificate, day)
        if standing == "missing":
            answers[person_id] = (False, str(_l("no %(kind)s on record", kind=type_name(kind))))
        elif standing == "expired":
            answers[person_id] = (False, str(_l("%(kind)s ran out on %(day)s", kind=type_name(kind),
                                                day=certificate.expires_on.isoformat())))
        else:
            answers[person_id] = (True, "")
    return answers


def of_person(person_id: int) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.person_id == person_id)
                                   .order_by(Certificate.withdrawn_at.is_not(None), Certificate.type_key,
                                             Certificate.expires_on.desc())))


@dataclass
class RegisterRow:
    person: Person
    kind: CertificateType
    certificate: Certificate | None
    state: str


def _needed_by_areas(type_key: str) -> set[int]:
    """Who the areas say needs this kind besides its roles (areas' `certificate_needs`)."""
    from schoolhq.areas import declared

    return {person_id for area in declared() if type_key in area.certificate_needs
            for person_id in area.certificate_needs[type_key]()}


def register(type_key: str | None = None, only: str = "") -> list[RegisterRow]:
    """Everyone who needs a kind of certificate by their role, and everyone who holds
    one: their best certificate and its state; `only` keeps one state."""
    from schoolhq.auth.models import Account, Role, RoleAssignment

    today = local_today()
    rows: list[RegisterRow] = []
    for kind in types():
        if type_key and kind.key != type_key:
            continue
        needing = set(db.session.scalars(
            select(Account.person_id).join(RoleAssignment, RoleAssignment.account_id == Account.id)
            .join(Role, Role.id == RoleAssignment.role_id)
            .where(Role.code.in_(kind.roles or ["-"]), Account.active.is_(True), Account.person_id.is_not(None))))
        needing |= _needed_by_areas(kind.key)
        holding = set(db.session.scalars(select(Certificate.person_id).where(Certificate.type_key == kind.key)))
        people = db.session.scalars(select(Person).where(Person.id.in_(needing | holding), Person.left_at.is_(None))
                                    .order_by(Person.pinyin, Person.name)).all()
        held = best([p.id for p in people], kind.key, today)
        for person in people:
            row = RegisterRow(person, kind, held[person.id], state(held[person.id], today))
            if not only or row.state == only:
                rows.append(row)
    return rows


def reminder_due(expires_on: date, today: date, warned_days: int | None, thresholds: list[int]) -> int | None:
    """The days-before-expiry threshold (30, 7, 0) a record expiring on `expires_on` is due
    a warning at today, or None when that one has gone already (`warned_days`). Shared by
    every register that warns before something runs out (certificates, trainings)."""
    threshold = min(t for t in thresholds if t >= (expires_on - today).days)
    return None if warned_days is not None and warned_days <= threshold else threshold


def warn_expiring() -> int:
    """The daily warnings: at 30, 7 and 0 days before a certificate runs out (the data
    file's days), once each, to its holder and to whoever holds the type's supervising
    permission. Returns how many certificates were warned about."""
    from schoolhq.auth.models import Account
    from schoolhq.core.notifications import notify
    from schoolhq.core.permissions import can

    thresholds = sorted(domain()["reminders_days_before_expiry"], reverse=True)
    today = local_today()
    due = db.session.scalars(select(Certificate).where(
        Certificate.withdrawn_at.is_(None), Certificate.expires_on.is_not(None),
        Certificate.expires_on <= today + timedelta(days=thresholds[0]), Certificate.expires_on >= today)).all()
    supervisors: dict[str, list[int]] = {}
    warned = 0
    for certificate in due:
        threshold = reminder_due(certificate.expires_on, today, certificate.warned_days, thresholds)
        if threshold is None:
            continue
        newer = db.session.scalar(select(Certificate.id).where(
            Certificate.person_id == certificate.person_id, Certificate.type_key == certificate.type_key,
            Certificate.withdrawn_at.is_(None), Certificate.id != certificate.id,
            (Certificate.expires_on.is_(None)) | (Certificate.expires_on > certificate.expires_on)).limit(1))
        certificate.warned_days = threshold
        if newer is not None:
            continue  # renewed already: nothing to say
        kind = certificate.type
        permission = kind.supervisor_permission
        if permission and permission not in supervisors:
            supervisors[permission] = [a.id for a in db.session.scalars(select(Account).where(Account.active.is_(True)))
                                       if can(a, permission)]
        readers = set(supervisors.get(permission, []))
        if certificate.person.account is not None and certificate.person.account.active:
            readers.add(certificate.person.account.id)
        # read by the holder and the supervisors, each in their language (core.messages)
        title = _l("%(name)s's %(kind)s runs out on %(day)s", name=certificate.person.name,
                   kind=Bilingual(kind.name_zh, kind.name_en), day=certificate.expires_on.isoformat())
        for account_id in sorted(readers):
            notify(account_id, "people", title, link=f"/people/{certificate.person_id}")
        warned += 1
    db.session.flush()
    return warned


def attachment_rule(attachment, account):
    """A certificate's scan: its holder and whoever may see staff profiles."""
    from schoolhq.core.permissions import can

    certificate = db.session.scalar(select(Certificate).where(Certificate.scan_id == attachment.id).limit(1))
    if certificate is None:
        return None
    return (certificate.person.account is not None and certificate.person.account.id == account.id) or \
        can(account, "people.view")


def dashboard_items(account) -> list:
    """For whoever keeps the register: certificates that have run out or will within the
    warning time, named, each to its holder's page."""
    from flask import url_for

    from schoolhq.core.permissions import can
    from schoolhq.dashboard.services import SHOWN, Entry, Item

    if not can(account, "people.certificates"):
        return []
    rows = [row for kind in types() if kind.blocks_work for row in register(kind.key)
            if row.state in ("expired", "expiring", "missing")]
    rows.sort(key=lambda row: ("expired", "missing", "expiring").index(row.state))
    return [Item("people", _l("Certificates run out or missing"), len(rows),
                 url_for("people.certificate_register"), "danger" if any(r.state != "expiring" for r in rows) else "warning",
                 [Entry(f"{row.person.name} · {type_name(row.kind)}", url_for("people.detail", person_id=row.person.id),
                        str(STATES[row.state]) + (f" {row.certificate.expires_on.isoformat()}"
                                                  if row.certificate and row.certificate.expires_on else ""))
                  for row in rows[:SHOWN]])]
