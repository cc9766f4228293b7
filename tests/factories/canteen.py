"""The canteen for tests: a manager, two cooks and a helper without a sign-in on the
roster, with health certificates valid, run out and missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from schoolhq.canteen import services
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.people import certificates
from schoolhq.people import services as people
from tests.conftest import make_account


@dataclass
class Kitchen:
    manager: object
    cook: object
    late_cook: object
    helper_id: int


def kitchen() -> Kitchen:
    """王经理 (canteen manager), 李师傅 (health certificate valid), 赵师傅 (ran out
    yesterday) and 钱阿姨 (a helper without a sign-in and without a certificate)."""
    today = local_today()
    manager = make_account("kitchen", "canteen_manager", name="王经理")
    cook = make_account("cook", "canteen_staff", name="李师傅")
    late_cook = make_account("cook2", "canteen_staff", name="赵师傅")
    helper = people.create_person("钱阿姨")
    for person_id, post in ((manager.person_id, "仓管"), (cook.person_id, "厨师"), (late_cook.person_id, "切配"),
                            (helper.id, "洗消")):
        services.add_staff(person_id, post)
    certificates.add(manager, cook.person_id, certificates.CertificateData(
        "health", "JK-001", today - timedelta(days=100)))
    certificates.add(manager, manager.person_id, certificates.CertificateData(
        "health", "JK-000", today - timedelta(days=10)))
    certificates.add(manager, late_cook.person_id, certificates.CertificateData(
        "health", "JK-002", today - timedelta(days=400), today - timedelta(days=1)))
    db.session.commit()
    return Kitchen(manager, cook, late_cook, helper.id)


def supplier(name="绿源蔬菜配送有限公司", kind="trader", expires_in_days=200, licence_kind="food_trade"):
    """A supplier with one licence that runs out `expires_in_days` from today (negative:
    ran out that many days ago)."""
    from schoolhq.canteen import suppliers

    today = local_today()
    made = suppliers.add_supplier(suppliers.SupplierData(name, kind, "南京市鼓楼区中山路1号", "张经理 13800000000",
                                                         today - timedelta(days=30)))
    suppliers.add_licence(None, made.id, suppliers.LicenceData(
        licence_kind, f"JY{made.id:05d}", today - timedelta(days=700), today + timedelta(days=expires_in_days)))
    db.session.commit()
    return made


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py): a supplier and one delivery
    from it, written as rows (the walk needs ids, not the receiving rules)."""
    from schoolhq.canteen.models import Delivery, DeliveryLine

    today = local_today()
    made = supplier("路线测试供应商")
    receiver = people.create_person("路线收货员")
    delivery = Delivery(received_on=today, supplier_id=made.id, receiver_id=receiver.id, keep_until=today,
                        lines=[DeliveryLine(received_on=today, category="grain", product="大米", quantity_milli=25000,
                                            unit="kg", batch="B1", documents=["voucher"])])
    db.session.add(delivery)
    db.session.flush()
    from sqlalchemy import select

    from schoolhq.canteen.models import CanteenStaff

    member = db.session.scalar(select(CanteenStaff.person_id).where(CanteenStaff.active.is_(True)).limit(1))
    if member is None:
        member = services.add_staff(receiver.id, "洗消").person_id
    return {"supplier_id": made.id, "delivery_id": delivery.id, "member_id": member}


def menu(day=None, lunch=("红烧肉", "番茄炒蛋", "清炒菜心", "紫菜蛋花汤"), breakfast=("肉包", "豆浆")):
    """The day's breakfast and lunch (today by default); returns {meal kind: Meal}."""
    from schoolhq.canteen import meals

    day = day or local_today()
    made = {"lunch": meals.set_dishes(day, "lunch", "\n".join(lunch))}
    if breakfast:
        made["breakfast"] = meals.set_dishes(day, "breakfast", "\n".join(breakfast))
    db.session.commit()
    return made
