"""Asset reports: room ledgers, the category ledger with class totals, idle assets; HTML
and XLSX; a scoped viewer sees only their places."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text

from schoolhq.assets import reports, services
from schoolhq.assets.models import AssetCategory
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _school():
    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "教学楼", campus.id)
    floor = places.create_location("floor", "1楼", building.id)
    room1 = places.create_location("room", "101教室", floor.id)
    room2 = places.create_location("room", "102教室", floor.id)
    computer = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
    cabinet = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A05010502"))
    for room, category, price in ((room1, computer, 450000), (room1, cabinet, 120000), (room2, computer, 450000)):
        services.register_asset({"name": category.name, "category_id": category.id, "unit_price_fen": price,
                                 "booked_on": date(2024, 1, 1)}, room.id)
    return room1, room2


def test_room_and_category_ledgers_add_up(ctx):
    room1, _room2 = _school()
    groups = reports.room_ledgers(None)
    assert [g.title.rsplit(" / ", 1)[1] for g in groups] == ["101教室", "102教室"]
    assert groups[0].amount_fen == 570000 and groups[0].count == 2
    categories, classes, total = reports.category_ledgers()
    assert total.amount_fen == 1020000 and total.count == 3
    assert {c.key: c.amount_fen for c in classes} == {"A02": 900000, "A05": 120000}
    assert sum(c.net_fen for c in categories) == total.net_fen < total.amount_fen
    assert [g.title.rsplit(" / ", 1)[1] for g in reports.room_ledgers(room1)] == ["101教室"]


def test_idle_assets_are_those_without_recent_events(app):
    with app.test_request_context():
        _school()
        db.session.commit()
        # Age the history of every asset but one, as a decade of use would.
        with db.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("DROP TRIGGER asset_event_no_update")
            else:
                conn.exec_driver_sql("ALTER TABLE asset_event DISABLE TRIGGER asset_event_append_only")
            conn.execute(text("UPDATE asset_event SET at = :old WHERE asset_id <> (SELECT MAX(id) FROM asset)"),
                         {"old": utcnow() - timedelta(days=800)})
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("CREATE TRIGGER asset_event_no_update BEFORE UPDATE ON asset_event "
                                     "BEGIN SELECT RAISE(ABORT, 'asset history is append-only'); END")
            else:
                conn.exec_driver_sql("ALTER TABLE asset_event ENABLE TRIGGER asset_event_append_only")
    with app.test_request_context():
        assert len(reports.idle_assets(24)) == 2
        assert len(reports.idle_assets(36)) == 0


def test_report_pages_and_xlsx(app, client):
    with app.test_request_context():
        room1, room2 = _school()
        make_account("principal", "principal")
        make_account("floorkeeper", "storekeeper", location_id=room2.id)
        db.session.commit()
    login(client, "principal")
    assert client.get("/assets/reports").status_code == 200
    rooms = client.get("/assets/reports/rooms").get_data(as_text=True)
    assert rooms.count('class="ledger-page"') == 2 and "¥5,700.00" in rooms
    categories = client.get("/assets/reports/categories").get_data(as_text=True)
    assert "¥10,200.00" in categories
    assert client.get("/assets/reports/idle?months=abc").status_code == 200
    book = load_workbook(io.BytesIO(client.get("/assets/reports/categories?format=xlsx").data))
    assert book.sheetnames == ["按大类", "按分类"]
    rooms_xlsx = load_workbook(io.BytesIO(client.get("/assets/reports/rooms?format=xlsx").data))
    assert len(rooms_xlsx.sheetnames) == 2
    scoped = app.test_client()
    login(scoped, "floorkeeper")
    assert scoped.get("/assets/reports/rooms").get_data(as_text=True).count('class="ledger-page"') == 1
