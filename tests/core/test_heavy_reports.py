"""The whole-school room ledgers are tens of thousands of lines: the page shows one
building unless the whole school is asked for by name, and says so."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from schoolhq.assets import services
from schoolhq.assets.models import AssetCategory
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account


def _two_buildings():
    campus = places.create_location("campus", "阳光小学")
    computer = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
    for building_name, room_name in (("教学楼", "101教室"), ("综合楼", "201办公室")):
        building = places.create_location("building", building_name, campus.id)
        floor = places.create_location("floor", "1楼", building.id)
        room = places.create_location("room", room_name, floor.id)
        services.register_asset({"name": "电脑", "category_id": computer.id, "unit_price_fen": 450000,
                                 "booked_on": date(2024, 1, 1)}, room.id)
    db.session.commit()


def test_the_room_ledgers_show_one_building_unless_the_whole_school_is_asked_for(app, client):
    with app.test_request_context():
        _two_buildings()
        make_account("principal", "principal")
    login(client, "principal")
    first = client.get("/assets/reports/rooms").get_data(as_text=True)
    assert first.count('class="ledger-page"') == 1 and "101教室" in first and "201办公室" not in first
    assert 'class="alert warn no-print"' in first and "/assets/reports/rooms?location=all" in first  # says so
    whole = client.get("/assets/reports/rooms?location=all").get_data(as_text=True)
    assert whole.count('class="ledger-page"') == 2 and 'class="alert warn no-print"' not in whole
    assert 'value="all"' in client.get("/assets/reports").get_data(as_text=True)
