"""People for tests."""

from __future__ import annotations


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.people.models import Department, Person

    return {"person_id": db.session.scalar(select(Person.id).order_by(Person.id)),
            "department_id": db.session.scalar(select(Department.id).order_by(Department.id))}
