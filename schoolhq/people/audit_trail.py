"""How the audit page reads the entries of departments and staff: people and departments
by name, linking to their pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db
from schoolhq.people.models import Certificate, Department, Person, Responsibility


def people(ids: set[int], reader) -> dict[int, Named]:
    return {person.id: Named(person.name, page_of(reader, "people.detail", person_id=person.id))
            for person in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def departments(ids: set[int], reader) -> dict[int, Named]:
    return {department.id: Named(department.name, page_of(reader, "people.edit_department",
                                                          department_id=department.id))
            for department in db.session.scalars(select(Department).where(Department.id.in_(ids)))}


def responsibilities(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Responsibility).options(joinedload(Responsibility.person))
                              .where(Responsibility.id.in_(ids)))
    return {item.id: Named(str(_l("%(person)s: %(title)s", person=item.person.name, title=item.title)),
                           page_of(reader, "people.detail", person_id=item.person_id))
            for item in rows}


def certificates(ids: set[int], reader) -> dict[int, Named]:
    from schoolhq.people.certificates import type_name

    rows = db.session.scalars(select(Certificate).options(joinedload(Certificate.person), joinedload(Certificate.type))
                              .where(Certificate.id.in_(ids)))
    return {item.id: Named(f"{item.person.name} {type_name(item.type)} {item.number}",
                           page_of(reader, "people.detail", person_id=item.person_id))
            for item in rows}


def _certificate_kind(key):
    from schoolhq.people.certificates import type_name
    from schoolhq.people.models import CertificateType

    return type_name(db.session.get(CertificateType, key)) or key


AUDIT = AuditTrail(
    actions={
        "department.created": _l("Added a department"),
        "department.updated": _l("Changed a department"),
        "person.created": _l("Added a person"),
        "person.updated": _l("Changed a person's profile"),
        "responsibility.added": _l("Gave someone a responsibility"),
        "responsibility.ended": _l("Ended a responsibility"),
        "certificate.added": _l("Registered a certificate"),
        "certificate.withdrawn": _l("Withdrew a certificate"),
    },
    records={"person": people, "department": departments, "responsibility": responsibilities,
             "certificate": certificates},
    fields={
        "parent_id": AuditField(_l("Part of"), refers="department"),
        "head_person_id": AuditField(_l("Head"), refers="person"),
        "department_id": AuditField(_l("Department"), refers="department"),
        "person_id": AuditField(_l("Staff member"), refers="person"),
        "job_title": AuditField(_l("Job title")),
        "phone": AuditField(_l("Phone")),
        "badge_code": AuditField(_l("Badge code")),
        "title": AuditField(_l("Responsibility")),
        "ended_at": AuditField(_l("Ended")),
        "type_key": AuditField(_l("Certificate"), shows=_certificate_kind),
        "number": AuditField(_l("Number")),
        "issued_on": AuditField(_l("Issued on")),
        "expires_on": AuditField(_l("Valid until")),
        "issuer": AuditField(_l("Issued by")),
        "withdrawn": AuditField(_l("Withdrawn")),
        "reason": AuditField(_l("Reason")),
    },
)
