"""Stocktakes: the snapshot, found / misplaced / unknown / duplicate, explicit moves,
closing, and losses approved by someone else."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schoolhq.assets import audits, loans, services
from schoolhq.assets.models import Asset, AssetCategory, AuditScan
from schoolhq.core.errors import ServiceError
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
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
    a1, a2, a3 = (services.register_asset({"name": f"电脑{n}", "category_id": category.id, "unit_price_fen": 450000},
                                          room.id) for n, room in ((1, room1), (2, room1), (3, room2)))
    return building, room1, room2, a1, a2, a3


def test_a_stocktake_sorts_every_scan(ctx):
    building, room1, room2, a1, a2, a3 = _school()
    campaign = audits.start("2026年度清查", building.id)
    assert audits.report(campaign).expected == 3
    assert audits.record_scan(campaign.id, room1.id, a1.number).result == "found"
    assert audits.record_scan(campaign.id, room1.id, a1.token).result == "duplicate"
    misplaced = audits.record_scan(campaign.id, room1.id, a3.number)
    assert misplaced.result == "misplaced"
    assert audits.record_scan(campaign.id, room1.id, "ZC-NOT-OURS").result == "unknown"
    summary = audits.report(campaign)
    assert (len(summary.found), len(summary.misplaced), len(summary.unknown), summary.duplicates) == (1, 1, 1, 1)
    assert [e.asset_id for e in summary.missing] == [a2.id]
    assert summary.missing_fen == 450000
    progress = {p.location.id: (p.found, p.expected) for p in audits.progress(campaign)}
    assert progress == {room1.id: (1, 2), room2.id: (0, 1)}
    # Nothing moves silently: closing without confirmation leaves a3 in room2.
    audits.close(campaign.id)
    assert a3.location_id == room2.id
    assert [e.kind for e in services.history(a1.id)][0] == "audited"
    with pytest.raises(ServiceError):
        audits.record_scan(campaign.id, room1.id, a2.number)  # closed


def test_confirmed_moves_apply_and_losses_need_someone_else(app):
    with app.test_request_context():
        building, room1, room2, a1, a2, a3 = _school()
        campaign = audits.start("清查", building.id)
        scan = audits.record_scan(campaign.id, room1.id, a3.number)
        audits.confirm_move(scan.id, campaign.id)
        audits.record_scan(campaign.id, room1.id, a1.number)
        closer = make_account("closer", "storekeeper")
        db.session.commit()
        ids = (campaign.id, a2.id, a3.id, room1.id, closer.id)
    campaign_id, missing_id, moved_id, room1_id, closer_id = ids
    from flask_login import login_user

    with app.test_request_context():
        from schoolhq.auth.models import Account

        login_user(db.session.get(Account, closer_id))
        audits.close(campaign_id)
        with pytest.raises(ServiceError):
            audits.approve_losses(campaign_id)
        db.session.commit()
    with app.test_request_context():
        moved = db.session.get(Asset, moved_id)
        assert moved.location_id == room1_id
        assert [e.kind for e in services.history(moved_id)][:2] == ["audited", "moved"]
        assert db.session.get(Asset, missing_id).status == "in_use"
        audits.approve_losses(campaign_id)
        assert db.session.get(Asset, missing_id).status == "lost"
        assert audits.get_campaign(campaign_id).status == "approved"


def test_bad_stocktakes_are_refused(ctx):
    building, room1, *_ = _school()
    with pytest.raises(ServiceError):
        audits.start(" ", building.id)
    with pytest.raises(ServiceError):
        audits.start("空", room1.id, category_id=db.session.scalar(
            select(AssetCategory.id).where(AssetCategory.code == "A05010502")))
    campaign = audits.start("清查", building.id)
    with pytest.raises(ServiceError):
        audits.record_scan(campaign.id, room1.id, "   ")
    first = audits.record_scan(campaign.id, room1.id, "UNKNOWN-1")
    with pytest.raises(ServiceError):
        audits.confirm_move(first.id, campaign.id)  # not a misplaced item


def test_a_room_on_a_tablet_through_the_web(app, client):
    with app.test_request_context():
        building, room1, room2, a1, a2, a3 = _school()
        make_account("store", "storekeeper")
        make_account("principal", "principal")
        make_account("teacher", "staff")
        db.session.commit()
        ids = (building.id, room1.id, a1.number, a3.number)
    building_id, room1_id, n1, n3 = ids
    login(client, "store")
    started = client.post("/assets/audits", data={"name": "期末清查", "location_id": str(building_id), "category_id": ""})
    assert started.status_code == 303
    campaign_path = started.headers["Location"]
    campaign_id = int(campaign_path.rsplit("/", 1)[1])
    room_url = f"/assets/audits/{campaign_id}/rooms/{room1_id}"
    assert "101教室" in client.get(room_url).get_data(as_text=True)
    found = client.post(room_url + "/scan", data={"tag": n1}, headers={"HX-Request": "true"})
    assert found.status_code == 200 and found.get_data(as_text=True).lstrip().startswith('<section id="audit-room"')
    misplaced = client.post(room_url + "/scan", data={"tag": n3}, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "102教室" in misplaced
    with app.app_context():
        scan_id = db.session.scalar(select(AuditScan.id).where(AuditScan.result == "misplaced"))
    assert client.post(f"/assets/audits/{campaign_id}/scans/{scan_id}/move", headers={"HX-Request": "true"}).status_code == 200
    assert client.post(room_url + "/scan", data={"tag": ""}, headers={"HX-Request": "true"}).status_code == 422
    report = client.get(f"/assets/audits/{campaign_id}/report").get_data(as_text=True)
    assert "盘亏" in report and "¥4,500.00" in report
    assert client.post(f"/assets/audits/{campaign_id}/approve").status_code == 403
    assert client.post(f"/assets/audits/{campaign_id}/close").status_code == 303
    principal = app.test_client()
    login(principal, "principal")
    assert principal.post(f"/assets/audits/{campaign_id}/approve").status_code == 303
    teacher = app.test_client()
    login(teacher, "teacher")
    assert teacher.get(f"/assets/audits/{campaign_id}").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Asset.id)).where(Asset.status == "lost")) == 1


def test_items_on_loan_are_not_expected_on_the_shelf(ctx):
    from datetime import timedelta

    from schoolhq.core.timeutil import utcnow
    from tests.factories.assets import signature

    building, room1, _room2, a1, _a2, _a3 = _school()
    a1.loanable = True
    borrower = make_account("teacher", "staff")
    loans.checkout([a1.id], borrower.person_id, utcnow() + timedelta(days=1), "", signature())
    campaign = audits.start("清查", building.id)
    assert audits.report(campaign).expected == 2


def test_a_garbled_short_code_is_refused_not_recorded_as_surplus(ctx):
    building, room1, _room2, a1, _a2, _a3 = _school()
    campaign = audits.start("清查", building.id)
    with pytest.raises(ServiceError, match="too short|太短"):
        audits.record_scan(campaign.id, room1.id, "0")
    assert audits.record_scan(campaign.id, room1.id, "OLD-4711").result == "unknown"  # another system's label
    assert audits.record_scan(campaign.id, room1.id, a1.number).result == "found"
    assert [s.code for s in audits.report(campaign).unknown] == ["OLD-4711"]


def test_the_report_prints_where_the_register_had_each_item_when_the_stocktake_began(app, client):
    with app.test_request_context():
        building, room1, room2, a1, a2, _a3 = _school()
        campaign = audits.start("清查", building.id)
        services.move_asset(a2.id, room2.id, "搬走")  # moved after the snapshot, and then missing
        make_account("store", "storekeeper")
        db.session.commit()
        campaign_id, number = campaign.id, a2.number
        report = audits.report(campaign)
        assert report.registered_in[a2.id].id == room1.id
    assert login(client, "store").status_code == 303
    page = client.get(f"/assets/audits/{campaign_id}/report").get_data(as_text=True)
    row = page[page.index(number):]
    row = row[:row.index("</tr>")]
    assert "101教室" in row and "102教室" not in row


def test_one_office_can_be_counted_on_its_own(app, client):
    with app.test_request_context():
        _building, room1, _room2, a1, a2, _a3 = _school()
        make_account("store", "storekeeper")
        db.session.commit()
        room1_id, numbers = room1.id, (a1.number, a2.number)
    assert login(client, "store").status_code == 303
    assert f'value="{room1_id}"' in client.get("/assets/audits").get_data(as_text=True)  # offered
    started = client.post("/assets/audits", data={"name": "101教室抽查", "location_id": str(room1_id), "category_id": ""})
    assert started.status_code == 303
    campaign_id = int(started.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        campaign = audits.get_campaign(campaign_id)
        assert [(p.location.id, p.expected) for p in audits.progress(campaign)] == [(room1_id, 2)]
    for number in numbers:
        client.post(f"/assets/audits/{campaign_id}/rooms/{room1_id}/scan", data={"tag": number},
                    headers={"HX-Request": "true"})
    with app.app_context():
        assert [p.found for p in audits.progress(audits.get_campaign(campaign_id))] == [2]
