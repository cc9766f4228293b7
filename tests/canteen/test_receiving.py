"""Suppliers and goods receiving (进货查验): only a supplier with a valid licence may be
chosen, staples are received by two people, meat needs its quarantine certificate,
nothing past its shelf life is accepted, a bad line writes nothing, and a record is
kept its legal retention before it may be deleted."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from schoolhq.canteen import morning, receiving, suppliers
from schoolhq.canteen.models import Delivery, DeliveryLine, Supplier, SupplierLicence
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.people.certificates import months_later
from tests.conftest import login, make_account
from tests.factories.canteen import kitchen, supplier

#: a 1×1 PNG, as the tablet's signature pad posts it
SIGNATURE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count(Delivery.id))), db.session.scalar(select(func.count(DeliveryLine.id))))


def _rice(**changes) -> receiving.LineData:
    today = local_today()
    line = receiving.LineData(category="grain", product="东北大米", spec="25kg/袋", quantity="4", unit="袋",
                              production_date=today - timedelta(days=20), batch="20261114", shelf_life="12个月",
                              producer="五常市稻香米业 0451-0000000", documents=["licence", "voucher", "test_report"])
    for key, value in changes.items():
        setattr(line, key, value)
    return line


def _greens(**changes) -> receiving.LineData:
    line = receiving.LineData(category="vegetable", product="小白菜", quantity="15", unit="kg", batch="当日采摘",
                              documents=["voucher"], test_result="农残快检 阴性")
    for key, value in changes.items():
        setattr(line, key, value)
    return line


def _ready():
    """The kitchen with everyone checked and a supplier in good standing."""
    k = kitchen()
    morning.all_well(k.cook)
    made = supplier()
    db.session.commit()
    return k, made


def test_a_supplier_with_no_or_an_expired_licence_cannot_be_chosen_until_a_valid_one_is_filed(app):
    with app.test_request_context():
        today = local_today()
        made = suppliers.add_supplier(suppliers.SupplierData("城南粮油店", "trader"))
        assert suppliers.standing(made).state == "missing"
        with pytest.raises(ServiceError, match="未登记证照"):
            suppliers.ensure_may_supply(made.id, today)
        suppliers.add_licence(None, made.id, suppliers.LicenceData("food_trade", "JY1", today - timedelta(days=900),
                                                                  today - timedelta(days=1)))
        found = suppliers.standing(made)
        assert found.state == "expired" and found.blocked
        with pytest.raises(ServiceError) as refused:
            suppliers.ensure_may_supply(made.id, today)
        assert (today - timedelta(days=1)).isoformat() in str(refused.value.message)
        # on its last day it is still valid, and says it runs out soon
        suppliers.add_licence(None, made.id, suppliers.LicenceData("food_trade", "JY2", today, today))
        assert suppliers.standing(made).state == "expiring"
        assert suppliers.ensure_may_supply(made.id, today) is made
        # a business licence may be valid without end; a food licence may not
        suppliers.add_licence(None, made.id, suppliers.LicenceData("business", "9132", date(2015, 1, 1), None))
        with pytest.raises(ServiceError, match="长期有效"):
            suppliers.add_licence(None, made.id, suppliers.LicenceData("food_production", "SC1", today, None))
        # one expired kind blocks the supplier even beside valid ones
        suppliers.add_licence(None, made.id, suppliers.LicenceData("other", "QT1", date(2020, 1, 1), date(2021, 1, 1)))
        assert suppliers.standing(made).state == "expired"


def test_a_licence_that_runs_out_before_it_was_issued_or_a_duplicate_supplier_is_refused(app):
    with app.test_request_context():
        made = supplier()
        before = db.session.scalar(select(func.count(SupplierLicence.id)))
        with pytest.raises(ServiceError, match="不能早于发证日期"):
            suppliers.add_licence(None, made.id, suppliers.LicenceData("food_trade", "JY9", date(2026, 5, 1),
                                                                      date(2026, 4, 30)))
        with pytest.raises(ServiceError, match="已在档案中"):
            suppliers.add_supplier(suppliers.SupplierData(" 绿源蔬菜配送有限公司 ", "trader"))
        with pytest.raises(ServiceError, match="供应商类别"):
            suppliers.add_supplier(suppliers.SupplierData("某公司", "wholesaler"))
        db.session.rollback()
        assert db.session.scalar(select(func.count(SupplierLicence.id))) == before


def test_licence_reminders_go_to_the_canteen_manager_at_30_7_and_0_days_once_each(app, clock):
    from schoolhq.core.notifications import Notification

    with app.test_request_context():
        k = kitchen()
        manager_id = k.manager.id
        made = supplier(expires_in_days=30)
        assert suppliers.warn_expiring() == 1
        assert suppliers.warn_expiring() == 0  # once per threshold
        notes = db.session.scalars(select(Notification).where(Notification.account_id == manager_id)).all()
        assert len(notes) == 1 and made.name in notes[0].shown_title
        db.session.commit()
    clock.shift(timedelta(days=23))
    with app.test_request_context():
        assert suppliers.warn_expiring() == 1
        db.session.commit()
    clock.shift(timedelta(days=7))
    with app.test_request_context():
        assert suppliers.warn_expiring() == 1
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.account_id == manager_id)) == 3


def test_a_delivery_of_staples_and_greens_is_received_by_two_and_kept_its_retention(app):
    with app.test_request_context():
        k, made = _ready()
        today = local_today()
        delivery = receiving.receive(k.manager, receiving.DeliveryData(
            made.id, k.manager.person_id, k.cook.person_id, SIGNATURE, "",
            [_rice(), receiving.LineData(), _greens()]))
        db.session.commit()
        assert [line.product for line in delivery.lines] == ["东北大米", "小白菜"]
        assert [line.position for line in delivery.lines] == [0, 1]
        rice = delivery.lines[0]
        # made 20 days ago, 12 months' shelf life: good until the day before a year after it was made
        made_on = today - timedelta(days=20)
        assert rice.use_by == months_later(made_on, 12) and rice.use_by < made_on.replace(year=made_on.year + 1)
        assert rice.quantity_milli == 4000 and rice.shelf_life == "12个月"
        # kept 6 months after the rice may last be used (the greens alone would need 6 months from today)
        assert delivery.keep_until > rice.use_by + timedelta(days=180)
        assert delivery.co_signature_id is not None


def test_receiving_refuses_what_the_rules_refuse_and_writes_nothing(app):
    with app.test_request_context():
        k, made = _ready()
        today = local_today()
        lapsed = supplier("过期许可供应商", expires_in_days=-1)
        db.session.commit()
        before = _counts()

        def refused(data, match, photo=None):
            with pytest.raises(ServiceError, match=match):
                receiving.receive(k.manager, data, voucher_photo=photo)
            db.session.rollback()
            assert _counts() == before

        two = (k.manager.person_id, k.cook.person_id, SIGNATURE)
        refused(receiving.DeliveryData(lapsed.id, *two, "", [_greens()]), "到期|过期")
        refused(receiving.DeliveryData(made.id, k.manager.person_id, None, None, "", [_rice()]),
                "两人共同验收")
        refused(receiving.DeliveryData(made.id, k.manager.person_id, k.manager.person_id, SIGNATURE, "", [_rice()]),
                "另一个人")
        refused(receiving.DeliveryData(made.id, k.manager.person_id, k.cook.person_id, None, "", [_rice()]),
                "签名")
        refused(receiving.DeliveryData(made.id, k.manager.person_id, k.helper_id, SIGNATURE, "", [_greens()]),
                "不能|离岗|未上岗")  # the helper has no health certificate: sent home at the morning check
        refused(receiving.DeliveryData(made.id, *two, "", [receiving.LineData()]), "至少填写一种")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(shelf_life="-3")]), "必须大于零")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(shelf_life="十二个月")]), "不是保质期")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(quantity="一百")]), "不是数字|不是")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(production_date=today + timedelta(days=1))]),
                "晚于进货日期")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(production_date=today - timedelta(days=400))]),
                "只能拒收")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(look_ok=False)]), "只能拒收")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(documents=["licence"])]), "购货凭证")
        refused(receiving.DeliveryData(made.id, *two, "", [_rice(category="meat", product="猪肉")]),
                "检疫合格证明")
        refused(receiving.DeliveryData(made.id, *two, "", [_greens(accepted=False)]), "拒收原因")
        refused(receiving.DeliveryData(made.id, *two, "", [_greens(batch="", production_date=None)]),
                "生产日期或生产批号")
        refused(receiving.DeliveryData(made.id, *two, "", [_greens(temperature="冷")]), "不是温度")

        from werkzeug.datastructures import FileStorage

        refused(receiving.DeliveryData(made.id, *two, "", [_greens()]), "图片|图像|照片",
                photo=FileStorage(BytesIO(b"not an image"), filename="fapiao.png", content_type="image/png"))
        # rejecting a line past its shelf life, with the reason, is recorded
        kept = receiving.receive(k.manager, receiving.DeliveryData(made.id, *two, "", [
            _rice(production_date=today - timedelta(days=400), accepted=False, rejected_reason="已过保质期，退货")]))
        assert kept.lines[0].accepted is False


def test_a_person_sent_home_cannot_receive(app):
    with app.test_request_context():
        k, made = _ready()
        morning.record(k.manager, k.cook.person_id, morning.Answers(symptoms=["diarrhoea"]))
        db.session.commit()
        with pytest.raises(ServiceError, match="不能|离岗|未上岗"):
            receiving.receive(k.manager, receiving.DeliveryData(made.id, k.cook.person_id, None, None, "", [_greens()]))


def test_a_record_inside_its_retention_cannot_be_deleted(app, clock):
    with app.test_request_context():
        k, made = _ready()
        delivery = receiving.receive(k.manager, receiving.DeliveryData(made.id, k.manager.person_id, None, None, "",
                                                                       [_greens()]))
        db.session.commit()
        delivery_id, keep_until = delivery.id, delivery.keep_until
        assert (keep_until - local_today()).days in range(180, 185)  # farm produce: 6 months
        with pytest.raises(ServiceError, match="保存至"):
            receiving.delete(k.manager, delivery_id)
        db.session.rollback()
    clock.set(f"{keep_until.isoformat()} 16:00")
    with app.test_request_context():
        with pytest.raises(ServiceError):
            receiving.delete(k.manager, delivery_id)  # the last day of retention is still inside it
        db.session.rollback()
    clock.set(f"{(keep_until + timedelta(days=1)).isoformat()} 09:00")
    with app.test_request_context():
        receiving.delete(k.manager, delivery_id)
        db.session.commit()
        assert db.session.get(Delivery, delivery_id) is None
        assert db.session.scalar(select(func.count(DeliveryLine.id))) == 0


def _form(supplier_id, receiver_id, co_receiver_id="", signature="", **line):
    data = {"g-supplier_id": str(supplier_id), "g-receiver_id": str(receiver_id),
            "g-co_receiver_id": str(co_receiver_id), "g-signature": signature, "g-submit": "y"}
    defaults = {"category": "vegetable", "product": "小白菜", "quantity": "15", "unit": "kg", "batch": "当日",
                "documents": "voucher", "look_ok": "1", "accepted": "1"}
    for key, value in {**defaults, **line}.items():
        data[f"g-lines-0-{key}"] = value
    return data


def test_the_kitchen_tablet_receives_a_delivery_and_bad_input_is_answered_in_chinese(app, client):
    with app.test_request_context():
        k, made = _ready()
        lapsed = supplier("过期许可供应商", expires_in_days=-1)
        ids = (made.id, lapsed.id, k.manager.person_id, k.cook.person_id)
    made_id, lapsed_id, manager_person, cook_person = ids
    login(client, "kitchen")
    page = client.get("/canteen/deliveries/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<option disabled value="{lapsed_id}">' in html and "过期许可供应商（食品经营许可证" in html
    refused = client.post("/canteen/deliveries/new", data=_form(made_id, manager_person, shelf_life="-3"))
    assert refused.status_code == 422
    assert "第1行" in refused.get_data(as_text=True) and "保质期" in refused.get_data(as_text=True)
    refused = client.post("/canteen/deliveries/new", data=_form(lapsed_id, manager_person))
    assert refused.status_code == 422 and "不能供货" in refused.get_data(as_text=True)
    more = client.post("/canteen/deliveries/new", data={**_form(made_id, manager_person), "g-more": "y",
                                                        "g-submit": ""})
    assert more.status_code == 200 and 'name="g-lines-3-product"' in more.get_data(as_text=True)
    with app.app_context():
        assert _counts() == (0, 0)
    saved = client.post("/canteen/deliveries/new", data=_form(made_id, manager_person, cook_person, SIGNATURE,
                                                               category="meat", product="猪后腿肉",
                                                               documents=["voucher", "quarantine"],
                                                               production_date=local_today().isoformat(),
                                                               shelf_life="3天", temperature="4.5"))
    assert saved.status_code == 303
    detail = client.get(saved.headers["Location"])
    assert "猪后腿肉" in detail.get_data(as_text=True) and "动物检疫合格证明" in detail.get_data(as_text=True)


def test_the_months_goods_receiving_log_prints_the_official_columns_and_exports_typed_cells(app, client):
    with app.test_request_context():
        k, made = _ready()
        receiving.receive(k.manager, receiving.DeliveryData(made.id, k.manager.person_id, k.cook.person_id, SIGNATURE,
                                                            "", [_rice(), _greens()]))
        db.session.commit()
        today = local_today()
    login(client, "kitchen")
    page = client.get(f"/canteen/ledgers/deliveries?month={today:%Y-%m}")
    html = page.get_data(as_text=True)
    for column in ("进货查验记录", "生产日期或批号", "保质期", "购货凭证", "检验报告", "入库", "东北大米",
                   "绿源蔬菜配送有限公司", "李师傅", "食品安全法 第53条"):
        assert column in html, column
    export = client.get(f"/canteen/ledgers/deliveries?month={today:%Y-%m}&format=xlsx")
    sheet = load_workbook(BytesIO(export.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][2] == "东北大米" and rows[1][5] == 4 and rows[1][1].date() == today
    assert rows[2][10] is None  # greens without a shelf life have no use-by day


def test_only_the_canteen_manager_keeps_suppliers(app, client):
    with app.test_request_context():
        kitchen()
        made = supplier()
        made_id = made.id
    login(client, "cook")
    assert client.get("/canteen/suppliers").status_code == 200
    assert client.post("/canteen/suppliers", data={"s-name": "新供应商", "s-kind": "trader"}).status_code == 403
    assert client.post(f"/canteen/suppliers/{made_id}/stop").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Supplier.id))) == 1


def test_the_audit_page_reads_a_delivery_and_its_lines(app, client):
    with app.test_request_context():
        k, made = _ready()
        receiving.receive(k.manager, receiving.DeliveryData(made.id, k.manager.person_id, k.cook.person_id, SIGNATURE,
                                                            "", [_rice(), _greens(accepted=False, rejected_reason="发黄")]))
        make_account("auditor", "admin", name="管理员")
        db.session.commit()
    login(client, "auditor")
    page = client.get("/audit?area=canteen")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "登记进货查验" in html and "东北大米 ✓" in html and "小白菜 ✗" in html
