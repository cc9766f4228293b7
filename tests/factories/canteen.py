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


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py): the canteen's pages take none."""
    return {}
