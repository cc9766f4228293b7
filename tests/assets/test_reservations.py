"""Reservations by lesson period and borrow requests: conflicts refused, approval by the
desk, an approved booking blocks lending to someone else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.assets import loans, reservations
from schoolhq.assets.models import Reservation
from schoolhq.core import settings
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from tests.conftest import login, make_account
from tests.factories.assets import loanable_items, signature

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def test_slots_do_not_overlap_and_block_lending_to_others(ctx):
    items, teacher = loanable_items(n=1)
    other = make_account("other", "staff").person_id
    tomorrow = local_today() + timedelta(days=1)
    booking = reservations.reserve_slot(items[0].id, teacher, tomorrow, "3", "公开课")
    with pytest.raises(ServiceError):
        reservations.reserve_slot(items[0].id, other, tomorrow, "3")
    reservations.reserve_slot(items[0].id, other, tomorrow, "4")
    with pytest.raises(ServiceError):  # lending it to someone else across that lesson
        loans.checkout([items[0].id], other, booking.ends_at + timedelta(hours=1), "", signature())
    loans.checkout([items[0].id], teacher, booking.ends_at, "", signature())  # to the teacher who booked it


def test_bad_bookings(ctx):
    items, teacher = loanable_items(n=1)
    yesterday = local_today() - timedelta(days=1)
    with pytest.raises(ServiceError):
        reservations.reserve_slot(items[0].id, teacher, yesterday, "1")
    with pytest.raises(ServiceError):
        reservations.reserve_slot(items[0].id, teacher, local_today() + timedelta(days=1), "99")
    items[0].loanable = False
    with pytest.raises(ServiceError):
        reservations.reserve_slot(items[0].id, teacher, local_today() + timedelta(days=1), "1")
    with pytest.raises(ServiceError):
        settings.update({"assets.periods": [["1", "09:00", "08:00"]]})
    assert db.session.scalar(select(func.count(Reservation.id))) == 0


def test_a_borrow_request_is_approved_by_the_desk(app, client):
    with app.test_request_context():
        items, _teacher = loanable_items(n=1)
        make_account("store", "storekeeper")
        db.session.commit()
        asset_id = items[0].id
    login(client, "teacher")
    first = (local_today() + timedelta(days=3)).isoformat()
    last = (local_today() + timedelta(days=5)).isoformat()
    assert client.post("/assets/requests", data={"asset_id": str(asset_id), "first_day": last, "last_day": first,
                                                 "purpose": "x"}).status_code == 422
    assert client.post("/assets/requests", data={"asset_id": str(asset_id), "first_day": first, "last_day": last,
                                                 "purpose": ""}).status_code == 422
    assert client.post("/assets/requests", data={"asset_id": str(asset_id), "first_day": first, "last_day": last,
                                                 "purpose": "春游拍照"}).status_code == 303
    assert "待审批" in client.get("/assets/mine").get_data(as_text=True)
    assert client.get("/assets/requests").status_code == 403
    desk = app.test_client()
    login(desk, "store")
    assert "春游拍照" in desk.get("/assets/requests").get_data(as_text=True)
    with app.app_context():
        request_id = db.session.scalar(select(Reservation.id))
    assert desk.post(f"/assets/requests/{request_id}/approve").status_code == 303
    with app.app_context():
        assert db.session.get(Reservation, request_id).status == "approved"
    assert "申请已批准" in client.get("/notifications").get_data(as_text=True)


def test_booking_a_lesson_through_the_week_grid(app, client):
    with app.test_request_context():
        items, _teacher = loanable_items(n=1)
        db.session.commit()
        asset_id = items[0].id
    login(client, "teacher")
    day = local_today() + timedelta(days=7)
    while day.weekday() >= 5:  # the week grid shows lessons, Monday to Friday
        day += timedelta(days=1)
    page = client.get(f"/assets/reserve?asset={asset_id}&week={day.isoformat()}")
    assert page.status_code == 200 and "week-grid" in page.get_data(as_text=True)
    booked = client.post("/assets/reserve", data={"asset_id": str(asset_id), "day": day.isoformat(), "period": "2"},
                         headers={"HX-Request": "true"})
    assert booked.status_code == 200 and "王芳" in booked.get_data(as_text=True)
    again = client.post("/assets/reserve", data={"asset_id": str(asset_id), "day": day.isoformat(), "period": "2"},
                        headers={"HX-Request": "true"})
    assert again.status_code == 422
    assert client.post("/assets/reserve", data={"asset_id": str(asset_id), "day": "not-a-day", "period": "2"}).status_code == 400
    with app.app_context():
        booking = db.session.scalar(select(Reservation))
        assert booking.starts_at > utcnow()


def test_the_item_picker_finds_loanable_things_by_name_or_number(app, client):
    with app.test_request_context():
        items, _teacher = loanable_items(n=2)
        items[1].loanable = False
        db.session.commit()
        number = items[0].number
    login(client, "teacher")
    found = client.get("/assets/pick?q=笔记本", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert found.count('type="radio"') == 1 and number in found
    assert 'type="radio"' in client.get(f"/assets/pick?q={number}").get_data(as_text=True)
    assert 'type="radio"' not in client.get("/assets/pick?q=").get_data(as_text=True)
