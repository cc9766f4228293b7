"""A bottled-water dispenser's cleaning log (by the school's own staff, sooner in summer),
and the monthly water round's items the water records answer: the next filter change and
whether a dispenser's cleaning is on time; submission writes what they say."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.checks import judging
from schoolhq.checks import services as checks
from schoolhq.checks.models import CheckAnswer
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.water import services
from schoolhq.water.models import DispenserCleaning
from tests.canteen.test_receiving import SIGNATURE
from tests.conftest import login
from tests.factories.water import point

pytestmark = pytest.mark.dated


def _dispenser(room):
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory, AssetKind

    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02000000"))
    kind = db.session.scalar(select(AssetKind).where(AssetKind.key == "water_point"))
    asset = assets.register_asset({"name": "桶装饮水机", "category_id": category.id, "kind_id": kind.id,
                                   "unit_price_fen": 45000}, room.id, status="in_use")
    db.session.flush()
    return asset


def _cleaning(day, person_id, **changes):
    data = services.DispenserInput(day, person_id, "含氯消毒片", "有效氯 250mg/L")
    for key, value in changes.items():
        setattr(data, key, value)
    return data


def test_a_dispenser_is_cleaned_sooner_in_summer(ctx):
    _machine, room, head, doctor = point()
    dispenser = _dispenser(room)
    services.set_up(head, dispenser.id, "dispenser", "", None)
    summer = services.record_dispenser_cleaning(head, dispenser.id, _cleaning(date(2026, 7, 10), doctor.person_id))
    winter = services.record_dispenser_cleaning(head, dispenser.id, _cleaning(date(2026, 11, 20), doctor.person_id))
    assert summer.next_due_on == date(2026, 8, 9), "30 days in summer"
    assert winter.next_due_on == date(2027, 1, 19), "60 days in winter"
    assert services.kept_records(services.point_of(dispenser.id))[2] == [winter, summer]


@pytest.mark.parametrize("changes, field", [
    ({"cleaned_on": None}, "cleaned_on"),
    ({"cleaned_on": "tomorrow"}, "cleaned_on"),
    ({"done_by_id": None}, "done_by_id"),
    ({"done_by_id": 999999}, "done_by_id"),
    ({"disinfectant": "  "}, "disinfectant"),
    ({"concentration": ""}, "concentration"),
])
def test_a_bad_dispenser_cleaning_is_refused_and_nothing_is_written(ctx, changes, field):
    _machine, room, head, doctor = point()
    dispenser = _dispenser(room)
    services.set_up(head, dispenser.id, "dispenser", "", None)
    db.session.commit()
    if changes.get("cleaned_on") == "tomorrow":
        changes["cleaned_on"] = local_today() + timedelta(days=1)
    with pytest.raises(ServiceError) as refused:
        services.record_dispenser_cleaning(head, dispenser.id, _cleaning(local_today(), doctor.person_id, **changes))
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(func.count(DispenserCleaning.id))) == 0


def test_only_a_dispenser_keeps_a_staff_cleaning_log(ctx):
    machine, _room, head, doctor = point()
    services.set_up(head, machine.id, "direct_drinking", "", None)
    with pytest.raises(ServiceError, match="桶装水饮水机"):
        services.record_dispenser_cleaning(head, machine.id, _cleaning(local_today(), doctor.person_id))


def test_a_dispenser_due_shows_on_the_dashboard_and_in_the_archive(app, client):
    with app.test_request_context():
        _machine, room, head, doctor = point()
        dispenser = _dispenser(room)
        services.set_up(head, dispenser.id, "dispenser", "", None)
        today = local_today()
        services.record_dispenser_cleaning(head, dispenser.id, _cleaning(today - timedelta(days=70), doctor.person_id))
        assert [c.point.asset_id for c in services.due_soon()[2]] == [dispenser.id], "70 days ago: overdue"
        services.record_dispenser_cleaning(head, dispenser.id, _cleaning(today, doctor.person_id))
        assert services.due_soon()[2] == [], "only the newest cleaning counts"
        archive = services.month_archive(today.replace(day=1))
        assert any(row[3] == "饮水机清洗消毒" and row[6] == "周静" for row in archive), archive
        dispenser_id = dispenser.id
        db.session.commit()
    login(client, "logistics")
    page = client.get(f"/water/points/{dispenser_id}").get_data(as_text=True)
    assert "饮水机清洗消毒" in page and "有效氯 250mg/L" in page


def test_the_dispenser_form_refuses_in_chinese_and_saves(app, client):
    with app.test_request_context():
        _machine, room, head, doctor = point()
        dispenser = _dispenser(room)
        services.set_up(head, dispenser.id, "dispenser", "", None)
        dispenser_id, person_id = dispenser.id, doctor.person_id
        db.session.commit()
    login(client, "logistics")
    url = f"/water/points/{dispenser_id}/dispenser-cleanings"
    refused = client.post(url, data={"cleaned_on": local_today().isoformat(), "done_by_id": str(person_id),
                                     "disinfectant": "含氯消毒片"})
    assert refused.status_code == 422 and "浓度" in refused.get_data(as_text=True)
    saved = client.post(url, data={"cleaned_on": local_today().isoformat(), "done_by_id": str(person_id),
                                   "disinfectant": "含氯消毒片", "concentration": "有效氯 250mg/L"})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(DispenserCleaning.id))) == 1


def _slot(round_, key):
    return next(s for s in checks.slots(round_) if s.item.key == key)


def test_the_monthly_water_round_reads_the_filter_and_cleaning_records(app, client):
    with app.test_request_context():
        machine, room, head, doctor = point()
        dispenser = _dispenser(room)
        today = local_today()
        services.set_up(head, machine.id, "direct_drinking", "卫水字（2023）第3101号", today + timedelta(days=20))
        services.set_up(head, dispenser.id, "dispenser", "", None)
        services.record_filter_change(head, machine.id, services.FilterInput(
            today - timedelta(days=80), "sediment_pp", "QG-U5-01", done_by_id=doctor.person_id))
        services.record_filter_change(head, machine.id, services.FilterInput(
            today - timedelta(days=10), "membrane", "RO-75G", vendor="沁园"))
        db.session.commit()
        on_machine = checks.start_adhoc(head, "water.monthly", None, asset_id=machine.id)
        on_dispenser = checks.start_adhoc(head, "water.monthly", None, asset_id=dispenser.id)
        db.session.commit()
        read = checks.record_answers(on_machine, checks.slots(on_machine))
        due = read[_slot(on_machine, "filter_due").dom_id]
        assert (due.outcome, due.value) == ("warn", (today + timedelta(days=10)).isoformat()), due
        assert "2026" in due.note or str(today.year) in due.note
        assert read[_slot(on_machine, "dispenser_disinfected").dom_id].outcome == "na"
        permit = read[_slot(on_machine, "permit").dom_id]
        assert permit.outcome == "warn" and "第3101号" in permit.note, "30 days' warning in the pack"
        assert _slot(on_dispenser, "permit").dom_id not in checks.record_answers(
            on_dispenser, checks.slots(on_dispenser)), "no permit entered: asked by hand"
        read = checks.record_answers(on_dispenser, checks.slots(on_dispenser))
        assert read[_slot(on_dispenser, "filter_due").dom_id].outcome == "na"
        never = read[_slot(on_dispenser, "dispenser_disinfected").dom_id]
        assert never.outcome == "fail" and "未登记" in never.note
        with pytest.raises(ServiceError):  # answered from the records, not by hand
            checks.answer(head, on_machine.id, _slot(on_machine, "filter_due").item.id, 0,
                          judging.AnswerInput(value=(today + timedelta(days=90)).isoformat()))
        db.session.rollback()
        services.record_dispenser_cleaning(head, dispenser.id, _cleaning(today, doctor.person_id))
        checks.answer(head, on_dispenser.id, _slot(on_dispenser, "permit").item.id, 0,
                      judging.AnswerInput(value=(today + timedelta(days=300)).isoformat()))
        for round_ in (on_machine, on_dispenser):
            checks.all_remaining_pass(head, round_.id)
            checks.submit(head, round_.id, SIGNATURE)

        def written(round_, key):
            return db.session.scalar(select(CheckAnswer).where(CheckAnswer.round_id == round_.id,
                                                               CheckAnswer.item_id == _slot(round_, key).item.id))

        filter_answer = written(on_machine, "filter_due")
        assert (filter_answer.outcome, filter_answer.value) == ("warn", (today + timedelta(days=10)).isoformat())
        cleaned = written(on_dispenser, "dispenser_disinfected")
        assert cleaned.outcome == "pass" and "周静" in cleaned.note
        round_id = on_dispenser.id
        db.session.commit()
    login(client, "logistics")
    page = client.get(f"/checks/rounds/{round_id}")
    assert page.status_code == 200 and "周静" in page.get_data(as_text=True)
