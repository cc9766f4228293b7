"""Accompanied meals (陪餐): the rota names who is due, a swap changes one day, the leader
records the meal they ate — on its day, once served, every aspect graded, signed — an
adverse reaction reaches the canteen manager at once, and the month's log prints."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from schoolhq.canteen import companion
from schoolhq.canteen.models import CompanionMeal
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from tests.canteen.test_receiving import SIGNATURE
from tests.conftest import login, make_account
from tests.factories.canteen import kitchen, menu

GOOD = companion.Grades("excellent", "good", "good", "excellent")


def _leaders():
    head = make_account("head", "principal", name="李校长")
    deputy = make_account("deputy", "logistics_head", name="王主任")
    db.session.commit()
    return head, deputy


def _count() -> int:
    return db.session.scalar(select(func.count(CompanionMeal.id)))


def test_the_rota_names_who_is_due_and_a_swap_changes_one_day(app):
    with app.test_request_context():
        kitchen()
        head, deputy = _leaders()
        today = local_today()
        companion.set_rota({(today.weekday(), "lunch"): head.person_id, ((today.weekday() + 1) % 7, "lunch"):
                            deputy.person_id})
        assert companion.due(today, today) == {(today, "lunch"): head.person_id}
        companion.swap(today, "lunch", deputy.person_id, "校长外出开会")
        assert companion.due(today, today + timedelta(days=7))[(today, "lunch")] == deputy.person_id
        assert companion.due(today, today + timedelta(days=7))[(today + timedelta(days=7), "lunch")] == head.person_id
        companion.swap(today, "lunch", None, "")
        assert companion.due(today, today)[(today, "lunch")] == head.person_id
        cook = db.session.scalar(select(CompanionMeal.id))  # nothing recorded by setting a rota
        assert cook is None
        from schoolhq.auth.models import Account

        kitchen_account = db.session.scalar(select(Account).where(Account.username == "kitchen"))
        with pytest.raises(ServiceError, match="校领导"):
            companion.set_rota({(0, "lunch"): kitchen_account.person_id})
        with pytest.raises(ServiceError):
            companion.swap(today - timedelta(days=1), "lunch", head.person_id, "")


def test_the_leader_records_the_meal_once_served_graded_and_signed(app, clock):
    with app.test_request_context():
        kitchen()
        head, deputy = _leaders()
        lunch_id = menu()["lunch"].id

        def refused(match, data=None, signature=SIGNATURE):
            with pytest.raises(ServiceError, match=match):
                companion.record(head, lunch_id, data or companion.Record(GOOD), signature)
            db.session.rollback()
            assert _count() == 0

        refused("尚未开餐")  # 10:00, lunch is served from 11:40
        clock.set(f"{local_today().isoformat()} 12:10")
        refused("四项", companion.Record(companion.Grades("excellent", "", "good", "good")))
        refused("差.*问题", companion.Record(companion.Grades("poor", "good", "good", "good")))
        refused("不良反应", companion.Record(GOOD, adverse_reactions=True))
        refused("签名", signature="")
        made = companion.record(head, lunch_id, companion.Record(GOOD, teachers="张老师", notes="饭菜温度适宜"),
                                SIGNATURE)
        db.session.commit()
        assert made.person_id == head.person_id and made.signature_id
        with pytest.raises(ServiceError, match="已经记录"):
            companion.record(head, lunch_id, companion.Record(GOOD), SIGNATURE)
        db.session.rollback()
        # another leader may eat the same meal and record it too
        companion.record(deputy, lunch_id, companion.Record(GOOD), SIGNATURE)
        db.session.commit()
        assert _count() == 2


def test_an_adverse_reaction_reaches_the_canteen_manager_at_once(app, clock):
    from schoolhq.core.notifications import Notification

    clock.set(f"{local_today().isoformat()} 12:10")
    with app.test_request_context():
        k = kitchen()
        manager_id = k.manager.id
        head, _deputy = _leaders()
        lunch = menu()["lunch"]
        companion.record(head, lunch.id, companion.Record(GOOD, adverse_reactions=True,
                                                          notes="三（2）班两名学生饭后腹痛，已送医务室"), SIGNATURE)
        db.session.commit()
        notes = db.session.scalars(select(Notification).where(Notification.account_id == manager_id)).all()
        assert len(notes) == 1 and "李校长" in notes[0].shown_title


def test_a_past_meal_cannot_be_recorded(app, clock):
    with app.test_request_context():
        kitchen()
        head, _deputy = _leaders()
        lunch_id = menu()["lunch"].id
        clock.set(f"{(local_today() + timedelta(days=1)).isoformat()} 12:10")  # the next day, after lunch
        with pytest.raises(ServiceError, match="当天"):
            companion.record(head, lunch_id, companion.Record(GOOD), SIGNATURE)


def test_who_is_due_sees_it_on_the_dashboard_until_recorded(app, client, clock):
    with app.test_request_context():
        kitchen()
        head, _deputy = _leaders()
        lunch_id = menu()["lunch"].id
        companion.set_rota({(local_today().weekday(), "lunch"): head.person_id})
        db.session.commit()
    login(client, "head")
    assert "今天陪餐" in client.get("/").get_data(as_text=True)
    clock.set(f"{local_today().isoformat()} 12:10")
    page = client.get("/canteen/companion")
    html = page.get_data(as_text=True)
    assert "值班：李校长" in html and "签字确认陪餐记录" in html
    assert f'action="/canteen/companion/{lunch_id}"' in html
    prefix = f"c{lunch_id}-"
    bad = client.post(f"/canteen/companion/{lunch_id}", data={f"{prefix}food_quality": "excellent",
                                                              f"{prefix}signature": SIGNATURE})
    assert bad.status_code == 422 and "四项" in bad.get_data(as_text=True)
    saved = client.post(f"/canteen/companion/{lunch_id}", data={
        f"{prefix}food_quality": "excellent", f"{prefix}hygiene": "good", f"{prefix}order": "good",
        f"{prefix}service": "fair", f"{prefix}adverse_reactions": "0", f"{prefix}signature": SIGNATURE,
        f"{prefix}problems": "", f"{prefix}notes": "学生满意"})
    assert saved.status_code == 303
    assert "今天陪餐" not in client.get("/").get_data(as_text=True)
    ledger = client.get(f"/canteen/ledgers/companion?month={local_today():%Y-%m}")
    text = ledger.get_data(as_text=True)
    for words in ("陪餐记录", "李校长", "红烧肉", "饭菜质量", "学生满意", "学校食品安全与营养健康管理规定 第13条"):
        assert words in text, words
    export = client.get(f"/canteen/ledgers/companion?month={local_today():%Y-%m}&format=xlsx")
    rows = list(load_workbook(BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[1][0].date() == local_today() and rows[1][3] == "李校长" and rows[1][5] == "优"


def test_only_leaders_record_and_only_the_manager_keeps_the_rota(app, client, clock):
    with app.test_request_context():
        kitchen()
        _leaders()
        lunch_id = menu()["lunch"].id
        make_account("teacher1", "staff", name="王老师")
        db.session.commit()
    login(client, "cook")
    assert client.post(f"/canteen/companion/{lunch_id}", data={}).status_code == 403
    assert client.post("/canteen/companion/rota", data={}).status_code == 403
    client.post("/logout")
    login(client, "teacher1")
    assert client.get("/canteen/companion").status_code == 403
    client.post("/logout")
    login(client, "head")
    assert client.get("/canteen/companion").status_code == 200
    assert client.post("/canteen/companion/swap", data={}).status_code == 403
