"""The certificate register: dates that make sense, a validity that fills the expiry,
a scan that is a real image or PDF, withdrawal with a reason, the register of who needs
what, and warnings 30, 7 and 0 days ahead, once each, to the holder and the supervisor."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.core.models import Notification
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.people import certificates
from schoolhq.people.models import Certificate
from tests.conftest import login, make_account
from tests.factories.canteen import kitchen


def _count(model=Certificate) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_a_certificate_is_added_from_the_profile_with_its_validity(app, client):
    with app.app_context():
        k = kitchen()
        helper_id = k.helper_id
        before = _count()
    login(client, "kitchen")
    issued = local_today() - timedelta(days=20)
    done = client.post(f"/people/{helper_id}/certificates", content_type="multipart/form-data", data={
        "type_key": "health", "number": "JK-777", "issued_on": issued.isoformat(), "issuer": "区疾控中心",
        "scan": (io.BytesIO(b"%PDF-1.4 scan"), "健康证.pdf")})
    assert done.status_code == 303
    with app.app_context():
        added = db.session.scalars(select(Certificate).where(Certificate.number == "JK-777")).one()
        assert added.expires_on == certificates.months_later(issued, 12) and added.scan_id
        assert _count() == before + 1
    page = client.get(f"/people/{helper_id}").get_data(as_text=True)
    assert "JK-777" in page and "有效" in page


@pytest.mark.parametrize(("change", "message"), [
    ({"issued_on": "2020-05-01", "expires_on": "2020-04-01"}, "不能早于发证日期"),
    ({"issued_on": "2999-01-01"}, "2100"),
    ({"issued_on": "去年"}, "2026-09-01"),
    ({"number": ""}, "编号"),
    ({"scan": (io.BytesIO(b"not an image"), "健康证.jpg")}, "JPEG"),
])
def test_bad_certificates_are_refused_and_nothing_is_written(app, client, change, message):
    with app.app_context():
        k = kitchen()
        helper_id = k.helper_id
        before = _count()
    login(client, "kitchen")
    data = {"type_key": "health", "number": "JK-888", "issued_on": "2026-01-05", **change}
    refused = client.post(f"/people/{helper_id}/certificates", data=data, content_type="multipart/form-data")
    assert refused.status_code == 422 and message in refused.get_data(as_text=True), refused.get_data(as_text=True)[-3000:]
    with app.app_context():
        assert _count() == before


def test_future_issue_and_duplicates_are_refused_by_the_service(app):
    with app.test_request_context():
        k = kitchen()
        with pytest.raises(Exception, match="future|晚于"):
            certificates.add(k.manager, k.helper_id, certificates.CertificateData("health", "X", local_today() + timedelta(days=1)))
        with pytest.raises(Exception, match="already|已登记"):
            certificates.add(k.manager, k.cook.person_id, certificates.CertificateData("health", "JK-001", local_today()))


def test_validity_months_end_the_day_before(ctx):
    assert certificates.months_later(date(2026, 3, 1), 12) == date(2027, 2, 28)
    assert certificates.months_later(date(2024, 2, 29), 12) == date(2025, 2, 27)
    assert certificates.months_later(date(2026, 1, 31), 1) == date(2026, 2, 27)


def test_withdrawing_needs_a_reason_and_keeps_the_record(app, client):
    with app.app_context():
        k = kitchen()
        certificate_id = db.session.scalar(select(Certificate.id).where(Certificate.number == "JK-001"))
        cook_id = k.cook.person_id
    login(client, "kitchen")
    assert client.post(f"/people/certificates/{certificate_id}/withdraw", data={"reason": ""}).status_code == 422
    assert client.post(f"/people/certificates/{certificate_id}/withdraw", data={"reason": "号码录错"}).status_code == 303
    with app.app_context():
        assert db.session.get(Certificate, certificate_id).withdrawn_reason == "号码录错"
        assert certificates.may_work(cook_id, "health")[0] is False
    assert client.post("/people/certificates/999999/withdraw", data={"reason": "x"}).status_code == 404


def test_the_register_lists_who_needs_one_and_filters_by_state(app, client):
    with app.app_context():
        kitchen()
        make_account("teacher", "staff")
    login(client, "kitchen")
    page = client.get("/people/certificates?type=health").get_data(as_text=True)
    for name in ("李师傅", "赵师傅", "王经理"):
        assert name in page
    # 钱阿姨 has no sign-in and so no role, but the canteen's roster says she needs one
    missing = client.get("/people/certificates?type=health&state=missing").get_data(as_text=True)
    assert "钱阿姨" in missing and "李师傅" not in missing
    expired = client.get("/people/certificates?type=health&state=expired").get_data(as_text=True)
    assert "赵师傅" in expired and "李师傅" not in expired
    assert client.get("/people/certificates?state=nonsense").status_code == 200
    client.post("/auth/logout")
    login(client, "teacher")
    assert client.get("/people/certificates").status_code == 403


def test_warnings_go_once_at_each_threshold_to_the_holder_and_the_manager(app, clock):
    with app.test_request_context():
        k = kitchen()
        certificates.add(k.manager, k.helper_id, certificates.CertificateData(
            "health", "JK-030", local_today() - timedelta(days=300), local_today() + timedelta(days=30)))
        db.session.commit()
        manager_id = k.manager.id
        assert certificates.warn_expiring() >= 1
        first = db.session.scalar(select(func.count(Notification.id)).where(Notification.account_id == manager_id))
        assert first >= 1
        assert certificates.warn_expiring() == 0  # once per threshold
        db.session.commit()
    clock.traveller.shift(timedelta(days=23))
    with app.test_request_context():
        assert certificates.warn_expiring() >= 1  # the 7-day warning
        db.session.commit()
