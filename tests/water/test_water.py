"""Drinking water: lab results judged against the GB 5749-2022 limits of the data, a failed
test that takes the point out of use (its page, QR card, room, dashboard, ticket), only a
passing retest of a later sample bringing it back, and impossible readings refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.water import services
from schoolhq.water.models import LabTest, PointEvent, WaterPoint
from tests.conftest import login
from tests.factories.water import lab, point

pytestmark = pytest.mark.dated


def test_a_passing_report_keeps_the_point_in_use(ctx):
    asset, _room, head, _doctor = point()
    test = services.record_test(head, asset.id, lab())
    assert test.result == "pass" and test.values["e_coli"] == {"value": "未检出", "number": 0.0, "outcome": "pass"}
    assert services.point_of(asset.id).status == "in_use"


@pytest.mark.parametrize("key, value", [("e_coli", "2"), ("colony_count", "160"), ("ph", "8.9"), ("turbidity", "1.6"),
                                        ("free_chlorine", "<0.05"), ("odour_taste", "有异味")])
def test_any_failing_parameter_fails_the_test(ctx, key, value):
    asset, _room, head, _doctor = point()
    test = services.record_test(head, asset.id, lab({key: value}))
    assert test.result == "fail" and test.values[key]["outcome"] == "fail"


def test_a_failed_test_takes_the_point_out_of_use_until_a_passing_retest(app, client):
    from schoolhq.repairs.models import Ticket

    with app.test_request_context():
        asset, room, head, _doctor = point()
        services.record_test(head, asset.id, lab({"e_coli": "3"}))
        water = services.point_of(asset.id)
        assert water.status == "out_of_use" and "大肠埃希氏菌" in water.out_reason
        ticket = db.session.get(Ticket, water.ticket_id)
        assert ticket is not None and ticket.asset_id == asset.id and ticket.priority == "high"
        # an older sample's passing report does not bring it back
        services.record_test(head, asset.id, lab(sampled_days_ago=10, report_number="SJ-OLD"))
        assert services.point_of(asset.id).status == "out_of_use"
        asset_id, room_id, token = asset.id, room.id, asset.token
        db.session.commit()
    # the QR card says so to anyone, signed in or not
    card = client.get(f"/t/{token}").get_data(as_text=True)
    assert "do not drink" in card or "请勿饮用" in card
    assert login(client, "logistics").status_code == 303
    for path in (f"/water/points/{asset_id}", f"/places/{room_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "请勿饮用" in page, path
    assert "停用的饮水点" in client.get("/").get_data(as_text=True)  # the dashboard names it
    with app.test_request_context():
        from schoolhq.auth.models import Account

        head = db.session.scalar(select(Account).where(Account.username == "logistics"))
        services.record_test(head, asset_id, lab(sampled_days_ago=0, report_number="SJ-RETEST"))
        assert services.point_of(asset_id).status == "in_use"
        kinds = [e.kind for e in db.session.scalars(select(PointEvent).order_by(PointEvent.id))]
        assert kinds == ["set_up", "out_of_use", "back_in_use"]


def test_a_point_out_of_use_cannot_be_put_back_by_hand(ctx):
    asset, _room, head, _doctor = point()
    services.take_out_of_use(head, asset.id, "龙头漏水，水有异味")
    db.session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):  # no time it went out of use: the database refuses
        db.session.execute(text("UPDATE water_point SET out_since = NULL"))
        db.session.flush()
    db.session.rollback()
    assert services.point_of(asset.id).status == "out_of_use"


@pytest.mark.parametrize("values, changes, field", [
    ({"ph": "15"}, {}, "p_ph"),
    ({"colony_count": "-3"}, {}, "p_colony_count"),
    ({"turbidity": "很浑"}, {}, "p_turbidity"),
    ({"e_coli": ""}, {}, "p_e_coli"),
    ({}, {"reported_on": "tomorrow"}, "reported_on"),
    ({}, {"sampled_on": None}, "sampled_on"),
    ({}, {"laboratory": " "}, "laboratory"),
    ({}, {"report_number": ""}, "report_number"),
    ({}, {"reported_on": "before"}, "reported_on"),
])
def test_impossible_reports_are_refused_and_nothing_is_written(ctx, values, changes, field):
    asset, _room, head, _doctor = point()
    today = local_today()
    if changes.get("reported_on") == "tomorrow":
        changes["reported_on"] = today + timedelta(days=1)
    if changes.get("reported_on") == "before":
        changes["reported_on"] = today - timedelta(days=5)
    with pytest.raises(ServiceError) as refused:
        services.record_test(head, asset.id, lab(values, **changes))
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(LabTest.id))) == 0
    assert db.session.scalar(select(func.count(WaterPoint.id))) == 0


def test_the_lab_form_in_the_browser_language(app, client):
    with app.test_request_context():
        asset, _room, _head, _doctor = point()
        asset_id = asset.id
        db.session.commit()
    assert login(client, "doctor").status_code == 303
    form = client.get(f"/water/points/{asset_id}/tests/new").get_data(as_text=True)
    assert "大肠埃希氏菌" in form and "不得检出" in form
    today = local_today()
    refused = client.post(f"/water/points/{asset_id}/tests/new", data={
        "sampled_on": today.isoformat(), "reported_on": today.isoformat(), "laboratory": "疾控", "report_number": "A1",
        "p_coliforms": "未检出", "p_e_coli": "未检出", "p_colony_count": "10", "p_ph": "15"})
    assert refused.status_code == 422 and "pH" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(LabTest.id))) == 0
    saved = client.post(f"/water/points/{asset_id}/tests/new", data={
        "sampled_on": today.isoformat(), "reported_on": today.isoformat(), "laboratory": "疾控", "report_number": "A1",
        "p_coliforms": "未检出", "p_e_coli": "未检出", "p_colony_count": "10", "p_ph": "7.2"})
    assert saved.status_code == 303
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "A1" in page and "合格" in page


def test_the_history_is_append_only(ctx):
    asset, _room, head, _doctor = point()
    services.record_test(head, asset.id, lab())
    db.session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):
        db.session.execute(text("DELETE FROM water_point_event"))
        db.session.flush()
    db.session.rollback()


def _tank():
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind

    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02000000"))
    kind = db.session.scalar(select(AssetKind).where(AssetKind.key == "water_tank"))
    from schoolhq.places.models import Location

    room = db.session.scalar(select(Location).where(Location.name == "101教室"))
    tank = assets.register_asset({"name": "二次供水水箱", "category_id": category.id, "kind_id": kind.id,
                                  "unit_price_fen": 2600000}, room.id, status="in_use")
    db.session.commit()
    return tank


def _cleaning(**changes):
    today = local_today()
    data = services.CleaningInput(today - timedelta(days=2), "清源清洗公司", "卫水清字第0087号", today + timedelta(days=300),
                                  True, "二氧化氯", "有效氯 50mg/L")
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_a_tank_is_cleaned_by_a_qualified_firm_and_tested_after(ctx):
    _asset, _room, head, _doctor = point()
    tank = _tank()
    today = local_today()
    with pytest.raises(ServiceError, match="过期"):
        services.record_cleaning(head, tank.id, _cleaning(firm_licence_expires_on=today - timedelta(days=10)))
    with pytest.raises(ServiceError) as refused:
        services.record_cleaning(head, tank.id, _cleaning(workers_certified=False))
    assert refused.value.field == "workers_certified"
    db.session.rollback()
    cleaning = services.record_cleaning(head, tank.id, _cleaning())
    assert cleaning.test_id is None and cleaning.next_due_on.month != cleaning.cleaned_on.month
    test = services.record_test(head, tank.id, lab(sampled_days_ago=1))
    assert cleaning.test_id == test.id  # the water test after the cleaning


def test_a_point_without_filters_or_a_point_that_is_not_a_tank_is_refused(ctx):
    asset, _room, head, _doctor = point()
    with pytest.raises(ServiceError):
        services.record_cleaning(head, asset.id, _cleaning())
    tank = _tank()
    with pytest.raises(ServiceError):
        services.record_filter_change(head, tank.id, services.FilterInput(local_today(), "sediment_pp", "PP"))


def test_a_filter_change_takes_the_filter_from_the_store_and_sets_the_next_one(ctx):
    from schoolhq.stock import services as stock
    from schoolhq.stock.models import StockMovement
    from tests.factories.stock import make_item, make_store, receive

    asset, _room, head, doctor = point()
    store, item = make_store(), make_item("PP棉滤芯", unit="支")
    receive(store, item, "2", "35.00")
    db.session.commit()
    today = local_today()
    change = services.record_filter_change(head, asset.id, services.FilterInput(
        today, "sediment_pp", "QG-U5-01", "B2612", done_by_id=doctor.person_id, stock_item_id=item.id,
        store_id=store.id, quantity="1"))
    assert change.requisition_id and change.next_due_on == today + timedelta(days=90)
    assert stock.on_hand(item.id, store.id) == 1000  # in thousandths: one left
    db.session.commit()
    with pytest.raises(ServiceError):  # two more than the store holds: the stock ledger refuses
        services.record_filter_change(head, asset.id, services.FilterInput(
            today, "sediment_pp", "QG-U5-01", "B2612", done_by_id=doctor.person_id, stock_item_id=item.id,
            store_id=store.id, quantity="2"))
    db.session.rollback()
    assert db.session.scalar(select(func.count(StockMovement.id)).where(StockMovement.item_id == item.id)) == 2
    with pytest.raises(ServiceError) as refused:
        services.record_filter_change(head, asset.id, services.FilterInput(today, "sediment_pp", "QG"))
    assert refused.value.field == "done_by_id"


def test_the_dashboard_names_the_newest_filter_due_of_points_still_on_the_register(ctx):
    asset, _room, head, doctor = point()
    today = local_today()
    services.record_filter_change(head, asset.id, services.FilterInput(
        today - timedelta(days=200), "sediment_pp", "QG-U5-01", done_by_id=doctor.person_id))
    services.record_filter_change(head, asset.id, services.FilterInput(
        today - timedelta(days=100), "sediment_pp", "QG-U5-01", done_by_id=doctor.person_id))
    filters, _tanks, _dispensers = services.due_soon()
    assert [c.changed_on for c in filters] == [today - timedelta(days=100)], "only the newest change of a stage"
    services.record_filter_change(head, asset.id, services.FilterInput(
        today - timedelta(days=1), "sediment_pp", "QG-U5-01", done_by_id=doctor.person_id))
    assert services.due_soon()[0] == []
    services.record_filter_change(head, asset.id, services.FilterInput(
        today - timedelta(days=300), "membrane", "RO", vendor="沁园"))
    assert [c.stage for c in services.due_soon()[0]] == []  # a membrane lasts 365 days: due in 65
    services.record_filter_change(head, asset.id, services.FilterInput(
        today - timedelta(days=400), "activated_carbon", "C2", vendor="沁园"))
    assert [c.stage for c in services.due_soon()[0]] == ["activated_carbon"]
    asset.status = "disposed"  # a machine no longer on the register has no filter to change
    db.session.flush()
    assert services.due_soon()[0] == []
