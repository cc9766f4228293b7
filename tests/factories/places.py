"""Places for tests."""

from __future__ import annotations


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.places.models import Location

    room = db.session.scalar(select(Location).where(Location.kind == "room").order_by(Location.id))
    return {"location_id": room.id, "token": room.token}
