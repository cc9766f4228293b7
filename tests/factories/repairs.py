"""Repairs for tests: a room with a teacher, a worker and the logistics head; a photo."""

from __future__ import annotations

import io

from PIL import Image
from werkzeug.datastructures import FileStorage

from schoolhq.places import services as places
from tests.conftest import make_account
from tests.factories.core import school_years


def photo(name="after.jpg"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "JPEG")
    buffer.seek(0)
    return FileStorage(buffer, filename=name)


def school():
    """A term, room 301 and its people: (room, teacher, worker, head)."""
    school_years()
    campus = places.create_location("campus", "阳光小学")
    room = places.create_location("room", "301教室", campus.id)
    teacher = make_account("teacher", "staff", name="王芳")
    worker = make_account("repair", "maintenance", name="孙师傅")
    head = make_account("logistics", "logistics_head", name="王海涛")
    return room, teacher, worker, head


#: routes of this area that also narrow by the record: a ticket is its reporter's and workers'
OWN_RECORDS_ONLY = {"repairs.ticket", "repairs.sheet"}


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from sqlalchemy import select

    from schoolhq.extensions import db
    from schoolhq.repairs.models import Ticket

    return {"ticket_id": db.session.scalar(select(Ticket.id).order_by(Ticket.id))}
