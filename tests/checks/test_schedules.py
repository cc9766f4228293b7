"""Schedules and templates: rounds materialised once per schedule, target and period on
the school calendar (nothing on holidays), missed rounds recorded; the shipped packs,
importing a school's own file, and template versions."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from schoolhq.checks import packs, queries, schedules
from schoolhq.checks.models import CheckRound, CheckTemplate
from schoolhq.core import calendar
from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from tests.factories.checks import kitchen

TUESDAY = date(2026, 12, 1)

# The schedules here are made early on Tuesday 1 December, before the day's first window.
pytestmark = pytest.mark.clock("2026-12-01 05:00")


def _schedule(key, where, person, **changes):
    data = schedules.ScheduleData(template_key=key, location_id=where.id, assignee_id=person.person_id,
                                  opens_time="06:30", due_time="09:30", grace_minutes="60", starts_on=TUESDAY)
    for name, value in changes.items():
        setattr(data, name, value)
    return schedules.save_schedule(data)


def made_on(day: date, expected: int, schedule_ids=None) -> None:
    """Materialise `day` and say why when the count is not the one expected."""
    got = schedules.materialise(day, schedule_ids)
    if got == expected:
        return
    why = [f"expected {expected} round(s) for {day:%A %Y-%m-%d}, got {got}"]
    why.append("it is a school day" if calendar.is_school_day(day) else "it is not a school day")
    for schedule in schedules.schedules():
        why.append(f"schedule {schedule.id} {schedule.template_key} ({schedule.frequency}): starts "
                   f"{schedule.starts_on}, made at {schedule.created_at} UTC, materialised through "
                   f"{schedule.materialised_through}, active={schedule.active}")
    why.append(f"rounds so far: {[r.period for r in _rounds()]}")
    pytest.fail("; ".join(why))


def _rounds(**where):
    query = select(CheckRound)
    for name, value in where.items():
        query = query.where(getattr(CheckRound, name) == value)
    return list(db.session.scalars(query.order_by(CheckRound.id)))


def test_a_daily_check_comes_once_a_school_day_and_never_twice(ctx):
    canteen, manager, _head, made = kitchen()
    _schedule("canteen.daily", canteen, manager)
    made_on(TUESDAY, 1)
    made_on(TUESDAY, 0)
    round_ = _rounds()[0]
    assert round_.period == "2026-12-01" and round_.assignee_id == manager.person_id
    fridge_item = next(i for i in round_.template.items if i.key == "fridge_temp")
    assert sorted(round_.subjects[str(fridge_item.id)]) == sorted([made["冷藏冰箱1"].id, made["冷藏冰箱2"].id])
    # 06:30 and 09:30 in Shanghai are 22:30 and 01:30 UTC; the grace hour closes it at 02:30
    assert round_.opens_at.hour == 22 and round_.due_at.hour == 1 and round_.closes_at.hour == 2
    # a forgotten schedule (the server off for days) catches up once, never twice
    made_on(date(2026, 12, 4), 3)  # Wednesday to Friday; Tuesday exists
    made_on(date(2026, 12, 4), 0)


def test_holidays_and_weekends_produce_nothing(ctx):
    canteen, manager, _head, _assets = kitchen()
    calendar.set_day(date(2026, 12, 2), "holiday", "校庆")
    _schedule("canteen.daily", canteen, manager)
    for day in range(1, 7):  # Tuesday to Sunday
        schedules.materialise(date(2026, 12, day))
    assert [r.period for r in _rounds()] == ["2026-12-01", "2026-12-03", "2026-12-04"]


def test_a_per_meal_check_comes_for_each_meal(ctx):
    canteen, manager, _head, _assets = kitchen()
    _schedule("canteen.meal", canteen, manager)
    made_on(TUESDAY, 2)
    assert [r.period for r in _rounds()] == ["2026-12-01 breakfast", "2026-12-01 lunch"]
    lunch = _rounds()[1]
    assert lunch.opens_at.strftime("%H:%M") == "02:45"  # 10:45 in Shanghai, from the meal times setting


def test_monthly_weekly_and_term_checks_come_once_in_their_period(ctx):
    canteen, manager, head, _assets = kitchen()
    _schedule("canteen.monthly", canteen, head)
    _schedule("canteen.weekly", canteen, head)
    for day in range(1, 32):
        schedules.materialise(date(2026, 12, day))
    monthly = _rounds(template_key="canteen.monthly")
    assert [r.period for r in monthly] == ["2026-12"]
    assert monthly[0].due_at.date() == date(2026, 12, 31)  # its last school day
    weekly = _rounds(template_key="canteen.weekly")
    assert [r.period for r in weekly] == ["2026-W49", "2026-W50", "2026-W51", "2026-W52", "2026-W53"]
    term = _schedule("water.term_start", canteen, head, starts_on=date(2027, 2, 1))
    made_on(date(2027, 2, 7), 0, [term.id])  # more than two weeks before the term
    made_on(date(2027, 2, 8), 1, [term.id])
    made_on(date(2027, 2, 9), 0, [term.id])


def test_each_asset_of_a_kind_gets_its_own_round(ctx):
    canteen, manager, head, made = kitchen()
    _schedule("water.tank_monthly", canteen, head, target="asset_kind", kind_key="fridge", location_id=None)
    made_on(TUESDAY, 2)
    assert {r.asset_id for r in _rounds()} == {made["冷藏冰箱1"].id, made["冷藏冰箱2"].id}


def test_a_retired_template_and_a_stopped_schedule_make_no_rounds(ctx):
    canteen, manager, _head, _assets = kitchen()
    schedule = _schedule("canteen.daily", canteen, manager)
    packs.retire(packs.published("canteen.daily").id)
    made_on(TUESDAY, 0)
    packs.publish(packs.new_version(packs.versions("canteen.daily")[0].id).id)
    schedules.deactivate(schedule.id)
    made_on(date(2026, 12, 2), 0)


@pytest.mark.parametrize("changes, field", [
    ({"template_key": "no.such"}, "template_key"),
    ({"location_id": None}, "location_id"),
    ({"target": "asset_kind", "kind_key": "unicorn"}, "kind_key"),
    ({"opens_time": "7am"}, "opens_time"),
    ({"opens_time": "10:00", "due_time": "09:00"}, "due_time"),
    ({"grace_minutes": "-5"}, "grace_minutes"),
    ({"assignee_id": None}, "assignee_id"),
    ({"assignee_id": None, "assignee_role": "wizard"}, "assignee_id"),
])
def test_bad_schedules_are_refused(ctx, changes, field):
    canteen, manager, _head, _assets = kitchen()
    with pytest.raises(ServiceError) as refused:
        _schedule("canteen.daily", canteen, manager, **changes)
    assert refused.value.field == field


def test_a_role_schedule_is_done_by_whoever_of_the_role_takes_it(ctx):
    from schoolhq.checks import services
    from tests.conftest import make_account

    canteen, manager, _head, _assets = kitchen()
    _schedule("canteen.daily", canteen, manager, assignee_id=None, assignee_role="canteen_manager")
    schedules.materialise(TUESDAY)
    round_ = _rounds()[0]
    assert round_.assignee_id is None and services.may_perform(manager, round_)
    assert not services.may_perform(make_account("cook", "canteen_staff"), round_)
    listed = queries.soonest_first(queries.my_rounds(manager, TUESDAY))
    assert [r.id for r in listed] == [round_.id]


def test_the_shipped_packs_load_once_with_their_rules_and_references(ctx):
    packs.seed()  # a second time
    assert db.session.scalar(select(func.count(CheckTemplate.id))) == 14
    daily = packs.published("canteen.daily")
    fridge = next(i for i in daily.items if i.key == "fridge_temp")
    assert (fridge.min_value, fridge.max_value, fridge.unit) == (0, 8, "°C")
    assert fridge.per == "asset_kind:fridge" and fridge.ticket == "auto" and fridge.evidence == "on_fail"
    assert fridge.reference == "餐饮服务食品安全操作规范" and fridge.confidence == "S"
    meal = packs.published("canteen.meal")
    method = next(i for i in meal.items if i.key == "tableware_method")
    assert method.critical and method.options[-1] == {"zh": "未消毒", "en": "Not disinfected", "fails": True}
    assert meal.title_en == "Canteen check, every meal", "an unquoted comma cut the English title"
    limits = {i.key: (i.min_value, i.required) for i in meal.items if i.section.startswith("餐具消毒")}
    assert limits["infrared_temp"] == (120, False) and limits["dishwasher_rinse_temp"] == (85, False), \
        "each tableware method is judged by its own limit, and only the method used is filled in"
    quarterly = packs.published("fire.quarterly")
    assert [i.key for i in quarterly.items if i.type == "signature"] == ["inspector_signature",
                                                                      "department_head_signature"]
    assert packs.published("fire.daily").frequency == "school_day"


def test_a_pack_whose_text_yaml_cut_at_a_comma_is_refused(ctx):
    cut = PACK.replace('title: {zh: 图书室月度检查, en: "Library, monthly"}',
                       "title: {zh: 图书室月度检查, en: Library, every month}")
    with pytest.raises(ServiceError, match="every month"):
        packs.parse_packs(cut)


PACK = """
packs:
  - key: library.monthly
    area: safety
    title: {zh: 图书室月度检查, en: "Library, monthly"}
    frequency: monthly
    items:
      - key: extinguisher_present
        prompt: {zh: 灭火器在位, en: Extinguisher in place}
        type: pass_fail
        ticket: auto
  - key: canteen.daily
    title: {zh: 食堂每日检查（本校版）}
    frequency: school_day
    items:
      - key: fridge_temp
        prompt: {zh: 冷藏设备温度}
        type: number
        min: 0
        max: 5
"""


def test_a_schools_own_pack_file_adds_templates_and_drafts_new_versions(ctx):
    added, drafted = packs.import_packs(PACK)
    assert (added, drafted) == (1, 1)
    assert packs.published("library.monthly").items[0].ticket == "auto"
    versions = packs.versions("canteen.daily")
    assert [(v.version, v.status) for v in versions] == [(2, "draft"), (1, "published")]
    assert versions[0].items[0].max_value == 5
    with pytest.raises(ServiceError, match="already has a draft"):
        packs.import_packs(PACK)


@pytest.mark.parametrize("text, message", [
    ("packs: [", "not valid YAML"),
    ("hello: 1", "no list of packs"),
    ("packs:\n  - key: Bad Key\n    title: x\n    items: [{key: a, prompt: p}]", "needs a key"),
    ("packs:\n  - key: a.b\n    title: x\n    frequency: hourly\n    items: [{key: a, prompt: p}]", "unknown frequency"),
    ("packs:\n  - key: a.b\n    title: x\n    items: [{key: a, prompt: p, type: colour}]", "unknown item type"),
    ("packs:\n  - key: a.b\n    title: x\n    items: [{key: a, prompt: p, type: number, min: 9, max: 1}]",
     "above the highest"),
    ("packs:\n  - key: a.b\n    title: x\n    items: [{key: a, prompt: p, type: select, options: [x]}]",
     "at least two options"),
    ("packs:\n  - key: a.b\n    title: x\n    items: []", "has no items"),
])
def test_a_bad_pack_file_is_refused_whole(ctx, text, message):
    before = db.session.scalar(select(func.count(CheckTemplate.id)))
    with pytest.raises(ServiceError, match=message):
        packs.import_packs(text)
    db.session.rollback()
    assert db.session.scalar(select(func.count(CheckTemplate.id))) == before


def test_a_draft_is_edited_and_published_and_a_published_version_never_changes(ctx):
    published = packs.published("hygiene.daily")
    with pytest.raises(ServiceError, match="never changes"):
        packs.save_item(published.id, packs.ItemData(prompt_zh="新问题", type="pass_fail"))
    draft = packs.new_version(published.id)
    with pytest.raises(ServiceError, match="already has a draft"):
        packs.new_version(published.id)
    item = packs.save_item(draft.id, packs.ItemData(prompt_zh="饮水机周边清洁", type="number", min_value="0",
                                                    max_value="10", unit="分", reference="校规", confidence="G"))
    packs.move_item(draft.id, item.id, -1)
    assert [i.key for i in draft.items][-2:] == [item.key, "bins"]
    with pytest.raises(ServiceError) as refused:
        packs.save_item(draft.id, packs.ItemData(prompt_zh="x", type="number", min_value="ten"))
    assert refused.value.field == "min_value"
    with pytest.raises(ServiceError, match="two options"):
        packs.save_item(draft.id, packs.ItemData(prompt_zh="x", type="select", options="只有一个"))
    choice = packs.save_item(draft.id, packs.ItemData(prompt_zh="消毒方式", type="select", options="煮沸\n!未消毒"))
    assert choice.options[1] == {"zh": "未消毒", "en": "", "fails": True}
    packs.remove_item(draft.id, choice.id)
    packs.publish(draft.id)
    assert published.status == "retired" and draft.status == "published"
    assert packs.published("hygiene.daily").id == draft.id
    assert len(published.items) == 4  # the old version kept its questions


def test_the_template_editor_over_http(app, client):
    from tests.conftest import login, make_account

    with app.app_context():
        make_account("logistics", "logistics_head")
        template_id = packs.published("fire.yearly").id
    login(client, "logistics")
    copy = client.post(f"/checks/templates/{template_id}/new-version")
    assert copy.status_code == 303
    draft_url = copy.headers["Location"]
    draft_id = int(draft_url.rstrip("/").split("/")[-1])
    bad = client.post(f"/checks/templates/{draft_id}/add-item", data={"prompt_zh": "", "type": "pass_fail"})
    assert bad.status_code == 422 and "Write the question in Chinese" in bad.text
    added = client.post(f"/checks/templates/{draft_id}/add-item",
                        data={"prompt_zh": "消防控制室值班记录完整", "type": "pass_fail", "evidence": "none",
                              "ticket": "suggest", "required": "y"})
    assert added.status_code == 303
    assert client.post(f"/checks/templates/{draft_id}/publish").status_code == 303
    refused = client.post(f"/checks/templates/{draft_id}/add-item", data={"prompt_zh": "x", "type": "pass_fail"})
    assert refused.status_code == 422 and "never changes" in refused.text
    page = client.get(f"/checks/templates/{draft_id}")
    assert "消防控制室值班记录完整" in page.text


def test_meal_times_are_the_schools_and_keep_their_keys(ctx):
    from schoolhq.core import settings

    settings.update({"checks.meals": "早餐 Breakfast 07:00-08:00\n午餐 Lunch 11:00-12:30\n晚餐 Supper 17:00-18:00"})
    assert [m["key"] for m in schedules.meals()] == ["breakfast", "lunch", "meal1"]
    for bad in ("午餐 11:00", "午餐 12:00-11:00", ""):
        with pytest.raises(ServiceError):
            settings.update({"checks.meals": bad})


def test_the_days_rounds_are_due_done_or_still_open_that_day(ctx):
    from datetime import datetime


    canteen, manager, head, _assets = kitchen()
    _schedule("canteen.daily", canteen, manager)
    _schedule("canteen.monthly", canteen, head)
    schedules.materialise(TUESDAY)
    schedules.materialise(date(2026, 12, 2))
    monthly = _rounds(template_key="canteen.monthly")[0]
    monthly.status, monthly.result = "submitted", "pass"
    monthly.submitted_at = datetime(2026, 12, 1, 3, 0)  # 11:00 in Shanghai on the 1st
    def shown(day):
        return sorted(db.session.get(CheckRound, row.id).period for row in queries.day_rounds(day))

    assert shown(date(2026, 12, 2)) == ["2026-12-02"]  # the monthly round was done the day before
    assert shown(TUESDAY) == ["2026-12", "2026-12-01"]
    assert queries.day_counts(queries.day_rounds(TUESDAY)) == {"open": 1, "submitted": 1}


def test_a_schedule_made_after_todays_window_does_not_count_today_as_missed(ctx):
    from datetime import datetime

    canteen, manager, _head, _assets = kitchen()
    schedule = _schedule("canteen.daily", canteen, manager)
    schedule.created_at = datetime(2026, 12, 1, 10, 0)  # 18:00 in Shanghai, after 06:30–09:30 + 1 h
    made_on(TUESDAY, 0)
    made_on(date(2026, 12, 2), 1)


def test_bad_numbers_in_the_editor_and_in_a_pack_are_refused(ctx):
    draft = packs.new_version(packs.published("canteen.daily").id)
    for bad in ("inf", "1e309", "nan", "-inf"):
        with pytest.raises(ServiceError):
            packs.save_item(draft.id, packs.ItemData(prompt_zh="温度", type="number", max_value=bad))
    for bad in (".inf", ".nan", "soon"):
        text = f"packs:\n  - key: a.b\n    title: x\n    items: [{{key: a, prompt: p, type: number, max: {bad}}}]"
        with pytest.raises(ServiceError, match="not a number"):
            packs.import_packs(text)
    for bad in ("soon", "99999999999", "-1"):
        text = f"packs:\n  - key: a.b\n    title: x\n    items: [{{key: a, prompt: p, type: date_expiry, warn_days: {bad}}}]"
        with pytest.raises(ServiceError, match="warn_days"):
            packs.import_packs(text)
    with pytest.raises(ServiceError, match="options must be a list"):
        packs.import_packs("packs:\n  - key: a.b\n    title: x\n    items: [{key: a, prompt: p, type: select, options: 5}]")


def test_a_refused_schedule_shows_its_message_inside_the_fields_markup(app, client):
    """A checks page form re-rendered with 422: the message beside the field it is about,
    the typed values kept, the labels from the form in the reader's language."""
    from tests.conftest import login, make_account

    with app.app_context():
        make_account("head", "logistics_head")
    login(client, "head")
    page = client.get("/checks/schedules")
    assert page.status_code == 200 and '<label for="grace_minutes">' in page.text
    refused = client.post("/checks/schedules", data={"template_key": "nope.never", "target": "location",
                                                     "grace_minutes": "45", "opens_time": "07:00",
                                                     "due_time": "17:00"})
    assert refused.status_code == 422
    block = re.search(r'<div class="field invalid">\s*<label for="(\w+)">.*?</div>', refused.text, re.S)
    assert block and 'class="field-error"' in block.group(0) and 'aria-invalid="true"' in block.group(0)
    assert 'name="grace_minutes" type="text" value="45"' in refused.text  # what was typed stays


def test_a_revised_shipped_pack_reaches_a_running_school_as_a_draft(app, client):
    """A school seeded from an older pack file: the new pack is offered and published when
    taken, a revised one becomes a draft to read, and the school's own edits stand."""
    from tests.conftest import login

    with app.test_request_context():
        kitchen()  # the school's people
        meal = packs.published("canteen.meal")
        meal.title_en = "Our own title"  # as an older file or the school's own edit left it
        db.session.delete(packs.published("fire.daily"))
        db.session.commit()
        offered = {shipped.key: mine for shipped, mine in packs.shipped_differences()}
        assert set(offered) == {"canteen.meal", "fire.daily"} and offered["fire.daily"] is None
    assert login(client, "logistics").status_code == 303
    page = client.get("/checks/templates").get_data(as_text=True)
    assert "Shipped templates that differ from yours" in page
    added = client.post("/checks/templates/shipped/fire.daily")
    assert added.status_code == 303
    drafted = client.post("/checks/templates/shipped/canteen.meal")
    assert drafted.status_code == 303
    again = client.post("/checks/templates/shipped/canteen.meal")
    assert again.status_code == 422 and "draft waiting" in again.get_data(as_text=True)
    with app.test_request_context():
        assert packs.published("fire.daily").version == 1
        versions = packs.versions("canteen.meal")
        assert [(t.version, t.status, t.title_en) for t in versions] == [
            (2, "draft", "Canteen check, every meal"), (1, "published", "Our own title")]
        assert packs.shipped_differences() == []
