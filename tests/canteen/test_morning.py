"""The morning check (晨检): one tap for everyone well, exceptions per person, off duty
for symptoms, fever or a health certificate that ran out, one record per person per
day, a signed sheet that no longer changes, and the month's printed log."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from schoolhq.canteen import morning
from schoolhq.canteen.models import MorningCheck
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from tests.conftest import login, make_account
from tests.factories.assets import signature
from tests.factories.canteen import kitchen


def _checks(app) -> dict[str, MorningCheck]:
    with app.app_context():
        rows = db.session.scalars(select(MorningCheck).where(MorningCheck.day == local_today())).all()
        return {row.person.name: (row.fit, row.reason, row.temperature_dc, row.symptoms) for row in rows}


def test_all_well_records_everyone_once_and_a_lapsed_certificate_sends_its_holder_off(app, client):
    with app.app_context():
        kitchen()
    login(client, "cook")
    page = client.get("/canteen/morning").get_data(as_text=True)
    assert "赵师傅" in page and "钱阿姨" in page and "全部正常" not in page or "其余人员" in page
    assert client.post("/canteen/morning/all-well").status_code == 303
    checks = _checks(app)
    assert checks["李师傅"][0] is True and checks["王经理"][0] is True
    assert checks["赵师傅"][0] is False and "健康证" in checks["赵师傅"][1]
    assert checks["钱阿姨"][0] is False and "健康证" in checks["钱阿姨"][1]
    assert client.post("/canteen/morning/all-well").status_code == 303  # a second tap adds nothing
    with app.app_context():
        assert db.session.scalar(select(func.count(MorningCheck.id))) == 4
        assert morning.on_duty(db.session.scalar(select(MorningCheck.person_id).where(
            MorningCheck.reason.contains("健康证")).limit(1)))[0] is False


def test_an_exception_is_recorded_and_bad_input_changes_nothing(app, client):
    with app.app_context():
        k = kitchen()
        cook_id = k.cook.person_id
    login(client, "cook")
    client.post("/canteen/morning/all-well")
    # everyone seen: the page carries no forms; a row's form comes when its correction is asked
    assert f'name="p{cook_id}-temperature"' not in client.get("/canteen/morning").get_data(as_text=True)
    asked = client.get(f"/canteen/morning/{cook_id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'name="p{cook_id}-temperature"' in asked and "<html" not in asked and " open>" in asked
    assert f'name="p{cook_id}-temperature"' in client.get(f"/canteen/morning?edit={cook_id}").get_data(as_text=True)
    prefix = f"p{cook_id}-"
    for bad, message in (({"temperature": "一百"}, "不是体温"), ({"temperature": "52"}, "34"),
                         ({"clothing_ok": "0"}, "工作衣帽"), ({"symptoms": "headache"}, "headache")):
        refused = client.post(f"/canteen/morning/{cook_id}", data={f"{prefix}{k_}": v for k_, v in bad.items()},
                              headers={"HX-Request": "true"})
        assert refused.status_code == 422, bad
        assert message in refused.get_data(as_text=True), (bad, refused.get_data(as_text=True)[:500])
        assert _checks(app)["李师傅"][0] is True  # unchanged
    fever = client.post(f"/canteen/morning/{cook_id}", data={f"{prefix}temperature": "37.6℃"},
                        headers={"HX-Request": "true"})
    assert fever.status_code == 200 and "离岗" in fever.get_data(as_text=True)
    assert _checks(app)["李师傅"][:3] == (False, "体温 37.6 ℃", 376)
    wound = client.post(f"/canteen/morning/{cook_id}", data={f"{prefix}temperature": "36.5",
                                                             f"{prefix}symptoms": ["hand_wound"],
                                                             f"{prefix}action": "调岗"})
    assert wound.status_code == 303
    fit, reason, _t, symptoms = _checks(app)["李师傅"]
    assert fit is False and reason == "手部外伤" and symptoms == ["hand_wound"]
    with app.app_context():
        with pytest.raises(ServiceError, match="休|off duty|不能"):
            morning.ensure_on_duty(cook_id, local_today())


def test_only_today_is_recorded_and_a_signed_sheet_is_closed(app, client):
    with app.test_request_context():
        k = kitchen()
        with pytest.raises(ServiceError):
            morning.all_well(k.cook, local_today() - timedelta(days=1))
        cook_id = k.cook.person_id
    login(client, "cook")
    assert client.post("/canteen/morning/sign", data={"signature": signature()}).status_code == 403
    client.post("/auth/logout")
    login(client, "kitchen")
    early = client.post("/canteen/morning/sign", data={"signature": signature()})
    assert early.status_code == 422 and "李师傅" in early.get_data(as_text=True)
    client.post("/canteen/morning/all-well")
    assert client.post("/canteen/morning/sign", data={"signature": ""}).status_code == 422
    assert client.post("/canteen/morning/sign", data={"signature": signature()}).status_code == 303
    late = client.post(f"/canteen/morning/{cook_id}", data={f"p{cook_id}-temperature": "38"})
    assert late.status_code == 422 and "已签" in late.get_data(as_text=True)
    assert _checks(app)["李师傅"][0] is True


def test_one_check_per_person_per_day(app):
    with app.test_request_context():
        k = kitchen()
        morning.all_well(k.cook)
        db.session.commit()
        sheet = morning.sheet_of(local_today())
        db.session.add(MorningCheck(sheet_id=sheet.id, day=local_today(), person_id=k.cook.person_id))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_who_may_see_record_and_keep_the_roster(app, client):
    with app.app_context():
        kitchen()
        make_account("teacher", "staff")
    login(client, "teacher")
    for url in ("/canteen/morning", "/canteen/ledgers/morning", "/canteen/staff"):
        assert client.get(url).status_code == 403, url
    assert client.post("/canteen/morning/all-well").status_code == 403
    client.post("/auth/logout")
    login(client, "cook")
    assert client.get("/canteen/staff").status_code == 403
    client.post("/auth/logout")
    login(client, "kitchen")
    assert client.get("/canteen/staff").status_code == 200
    assert client.post("/canteen/staff", data={"person_id": "", "post": "厨师"}).status_code == 422


def test_the_month_log_prints_and_exports_typed_cells(app, client):
    with app.app_context():
        kitchen()
    login(client, "kitchen")
    client.post("/canteen/morning/all-well")
    month = local_today().strftime("%Y-%m")
    page = client.get(f"/canteen/ledgers/morning?month={month}").get_data(as_text=True)
    assert "从业人员晨检记录" in page and "赵师傅" in page and "食品安全法 第45条" in page and "data-print" in page
    book = load_workbook(BytesIO(client.get(f"/canteen/ledgers/morning?month={month}&format=xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[1][0].date() == local_today()
