"""What the bench measures of the school the areas stand on: the dashboard, places,
people, accounts, the audit trail and notifications."""

from __future__ import annotations

from harness import ADMIN_USERNAME
from harness.measure import HX, Fixture


def find(fx: Fixture) -> bool:
    from sqlalchemy import func, select

    from schoolhq.auth.models import Account
    from schoolhq.core.models import Notification
    from schoolhq.extensions import db
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    fx.floor_id = db.session.scalar(select(Location.id).where(
        Location.kind == "floor", Location.archived_at.is_(None)).order_by(Location.id))
    # The person looking after the most places: the fullest detail page.
    fx.person_id = db.session.scalar(
        select(Location.responsible_person_id).where(Location.responsible_person_id.is_not(None))
        .group_by(Location.responsible_person_id).order_by(func.count().desc()))
    other = db.session.scalar(select(Person).where(Person.id != fx.person_id, Person.left_at.is_(None),
                                                   Person.department_id.is_not(None)).order_by(Person.id.desc()))
    admin_id = db.session.scalar(select(Account.id).where(Account.username == ADMIN_USERNAME))
    fx.notification_id = db.session.scalar(select(func.min(Notification.id)).where(Notification.account_id == admin_id))
    fx.edit_person = {"name": other.name, "department_id": str(other.department_id), "phone": other.phone,
                      "badge_code": other.badge_code or "", "edit_id": str(other.id)}
    fx.rare_query = other.pinyin
    return True


def pages(fx: Fixture) -> list[tuple]:
    return [
        ("dashboard", "/", {}),
        ("places tree", "/places/", {}),
        ("place detail (a floor)", f"/places/{fx.floor_id}", {}),
        ("people list", "/people/", {}),
        ("people search fragment", "/people/?q=w", HX),
        ("person detail", f"/people/{fx.person_id}", {}),
        ("accounts", "/auth/accounts", {}),
        ("audit trail", "/audit", {}),
        ("audit trail, places", "/audit?area=places", {}),
        ("audit trail, page 2000", "/audit?page=2000", {}),
        ("notifications", "/notifications", {}),
    ]


def saves(fx: Fixture) -> list[tuple]:
    return [
        ("mark notification read (htmx)", "/notifications/read", HX, lambda n: {"id": str(fx.notification_id)}),
        ("edit person (htmx, UPDATE + audit)", f"/people/{fx.edit_person['edit_id']}/edit", HX,
         lambda n: edit_fields(fx) | {"job_title": f"inproc-{n}"}),
    ]


def edit_fields(fx: Fixture) -> dict[str, str]:
    """The edit form of one person, all but the job title, which each request changes."""
    return {key: value for key, value in fx.edit_person.items() if key != "edit_id"}



GROWTH_PAIRS = [
    ("/people/?q={rare_query}", "/people/"),
    ("/places/?unassigned=1", "/places/"),
    ("/auth/accounts?q=" + ADMIN_USERNAME, "/auth/accounts"),
    ("/audit?area=core&day_from=2999-01-01", "/audit"),
]
