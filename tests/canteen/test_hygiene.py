"""Tableware disinfection judged by its own method's limit, additives used (or declared
unused), kitchen waste handed only to a licensed collector: refused input writes
nothing, and each month's log prints and exports."""

from __future__ import annotations

from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from schoolhq.canteen import hygiene, morning
from schoolhq.canteen.models import AdditiveUse, DisinfectionBatch, WasteHandover
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from tests.conftest import login
from tests.factories.canteen import kitchen, supplier


def _counts():
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (DisinfectionBatch, AdditiveUse, WasteHandover))


def _ready(clock):
    """The kitchen checked at 10:00, then the clock at 14:00 after lunch."""
    k = kitchen()
    morning.all_well(k.cook)
    db.session.commit()
    clock.set(f"{local_today().isoformat()} 14:00")
    return k


def _cabinet(k, **changes):
    data = hygiene.Disinfection("infrared", "13:00", "13:20", "121", "餐盘、碗、筷子", "640", "洗消间", "lunch",
                                k.cook.person_id, k.manager.person_id)
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_each_method_is_judged_by_its_own_limit_and_a_short_batch_says_what_was_done(app, clock):
    with app.test_request_context():
        k = _ready(clock)
        first = hygiene.record_disinfection(k.manager, _cabinet(k))
        assert first.batch_no == 1 and first.meets_limit and first.reading == 1210
        # 90 ℃ passes a dishwasher rinse (85 ℃) but not an infrared cabinet (120 ℃)
        rinse = hygiene.record_disinfection(k.manager, _cabinet(k, method="dishwasher", reading="90",
                                                                started="13:20", ended="13:25"))
        assert rinse.meets_limit and rinse.batch_no == 2
        with pytest.raises(ServiceError, match="重新消毒|what was done|说明"):
            hygiene.record_disinfection(k.manager, _cabinet(k, reading="90"))
        db.session.rollback()
        short = hygiene.record_disinfection(k.manager, _cabinet(k, started="13:00", ended="13:05",
                                                                remarks="时间不足，已重新消毒"))
        assert not short.meets_limit
        chlorine = hygiene.record_disinfection(k.manager, _cabinet(k, method="chlorine", reading="250 mg/L",
                                                                   started="13:30", ended="13:36"))
        assert chlorine.meets_limit and chlorine.reading == 250
        db.session.commit()


def test_disinfection_refuses_what_cannot_be_right_and_writes_nothing(app, clock):
    with app.test_request_context():
        k = _ready(clock)
        before = _counts()
        for changes, match in (
                ({"method": "sunlight"}, "消毒方式|how the tableware"),
                ({"started": "25:00"}, "不是时间|time of day"),
                ({"ended": "12:00"}, "不能早于|before it started"),
                ({"ended": "23:50"}, "还没到|has not come"),
                ({"reading": "很烫"}, "不是温度|not a temperature"),
                ({"reading": "900"}, "20|300"),
                ({"method": "chlorine", "reading": "浓"}, "mg/L"),
                ({"method": "central", "reading": ""}, "合格证明|certificate"),
                ({"checker_id": None, "operator_id": None}, "消毒人|who disinfected"),
                ({"items": ""}, "消毒物品|what was disinfected"),
                ({"quantity": "-3"}, "件数|pieces"),
                ({"checker_id": "same"}, "其他人|someone other")):
            if changes.get("checker_id") == "same":
                changes = {"checker_id": k.cook.person_id}
            with pytest.raises(ServiceError, match=match):
                hygiene.record_disinfection(k.manager, _cabinet(k, **changes))
            db.session.rollback()
            assert _counts() == before, changes
        # the helper has no health certificate: off duty, cannot be recorded disinfecting
        with pytest.raises(ServiceError, match="不能|off duty"):
            hygiene.record_disinfection(k.manager, _cabinet(k, operator_id=k.helper_id))


def test_additives_are_recorded_in_grams_and_a_declaration_stands_for_none(app, clock):
    with app.test_request_context():
        k = _ready(clock)
        use = hygiene.record_additive(k.manager, hygiene.Additive("食用碱", "2.5g", "馒头", k.cook.person_id,
                                                                  function="酸度调节剂"))
        assert use.amount_mg == 2500
        db.session.commit()
        for amount in ("一百克", "-3", "0"):
            with pytest.raises(ServiceError, match="克|grams"):
                hygiene.record_additive(k.manager, hygiene.Additive("食用碱", amount, "馒头", k.cook.person_id))
            db.session.rollback()
        with pytest.raises(ServiceError, match="今天使用|used today"):
            hygiene.declare_no_additives(k.manager, "本校食堂不使用食品添加剂。")


def test_waste_goes_only_to_a_collector_whose_licence_is_valid(app, clock):
    with app.test_request_context():
        k = _ready(clock)
        collector = supplier("绿城收运", kind="waste_collector", licence_kind="waste")
        lapsed = supplier("过期收运", kind="waste_collector", licence_kind="waste", expires_in_days=-1)
        grocer = supplier()
        done = hygiene.record_waste(k.manager, hygiene.Waste("food_waste", "35.5 kg", "13:30", collector.id,
                                                             k.manager.person_id, "郑师傅 139"))
        assert done.quantity_g == 35500
        db.session.commit()
        before = _counts()
        for data, match in (
                (hygiene.Waste("food_waste", "10", "13:30", lapsed.id, k.manager.person_id), "到期|过期|ran out"),
                (hygiene.Waste("food_waste", "10", "13:30", grocer.id, k.manager.person_id), "收运单位|collector"),
                (hygiene.Waste("food_waste", "很多", "13:30", collector.id, k.manager.person_id), "公斤|kilograms"),
                (hygiene.Waste("plastic", "10", "13:30", collector.id, k.manager.person_id), "种类|kind")):
            with pytest.raises(ServiceError, match=match):
                hygiene.record_waste(k.manager, data)
            db.session.rollback()
            assert _counts() == before


def test_the_kitchen_page_and_the_three_logs(app, client, clock):
    with app.test_request_context():
        k = _ready(clock)
        collector = supplier("绿城收运", kind="waste_collector", licence_kind="waste")
        hygiene.record_disinfection(k.manager, _cabinet(k))
        hygiene.record_waste(k.manager, hygiene.Waste("waste_oil", "12", "13:40", collector.id, k.manager.person_id))
        db.session.commit()
        month = f"{local_today():%Y-%m}"
    login(client, "kitchen")
    page = client.get("/canteen/hygiene")
    assert page.status_code == 200 and "红外线消毒柜" in page.get_data(as_text=True)
    refused = client.post("/canteen/hygiene/disinfection", data={"d-method": "infrared", "d-started": "13:00",
                                                                 "d-ended": "13:20", "d-reading": "很烫",
                                                                 "d-items": "碗", "d-operator_id": ""})
    assert refused.status_code == 422 and "不是温度" in refused.get_data(as_text=True)
    saved = client.post("/canteen/hygiene/additive", data={"a-additive": "食用碱", "a-amount": "20", "a-food": "馒头",
                                                           "a-user_id": ""})
    assert saved.status_code == 422  # nobody chosen as the user
    ledger = client.get(f"/canteen/ledgers/disinfection?month={month}").get_data(as_text=True)
    assert "餐（饮）用具清洗消毒记录" in ledger and "121.0 ℃" in ledger and "13:00" in ledger
    waste = client.get(f"/canteen/ledgers/waste?month={month}&format=xlsx")
    rows = list(load_workbook(BytesIO(waste.data)).active.iter_rows(values_only=True))
    assert rows[1][1] == "废弃油脂" and rows[1][2] == 12
    additives = client.get(f"/canteen/ledgers/additives?month={month}").get_data(as_text=True)
    assert "本月没有记录" in additives or "食品添加剂使用记录" in additives
