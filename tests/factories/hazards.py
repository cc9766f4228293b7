"""Hazards for tests: a building with a logistics head, a worker and the principal."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import make_account


def people():
    """(the building, the logistics head, a maintenance worker, the principal)."""
    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "教学楼", campus.id)
    head = make_account("logistics", "logistics_head", name="王海涛")
    worker = make_account("repair", "maintenance", name="孙师傅")
    principal = make_account("principal", "principal", name="李建国")
    db.session.commit()
    return building, head, worker, principal


def data(building, responsible, **changes):
    from schoolhq.hazards.services import HazardData

    values = {"location_id": building.id, "description": "楼梯间堆放杂物，占用疏散通道",
              "responsible_id": responsible.person_id, "deadline": local_today() + timedelta(days=7)}
    return HazardData(**{**values, **changes})


def route_values() -> dict:
    """A real hazard of the demo school for the route walk (tests/test_routes.py)."""
    from schoolhq.hazards.models import Hazard

    return {"hazard_id": db.session.scalar(select(Hazard.id).order_by(Hazard.id))}
