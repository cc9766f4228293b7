"""Training: requirements by role with their validity, sessions whose roster is drawn from
who needs them, attendance marked and confirmed by the trainer and changed afterwards only
by an amendment with a reason, completions that start a validity period, the standing of
each person on each requirement, the duties a lapse stops or warns about, reminders, and
the pages in both languages; bad input changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_time_utc, local_today
from schoolhq.extensions import db
from schoolhq.people.models import Department
from schoolhq.training import services
from schoolhq.training.models import (
    Attendance,
    AttendanceAmendment,
    Completion,
    Requirement,
    TrainingSession,
)
from tests.conftest import login
from tests.factories.training import requirement, school, session_on

pytestmark = pytest.mark.dated


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def _held(s, day=None, marks=None, key="food_safety"):
    """A food-safety session a week ago, marked (everyone present by default) and confirmed."""
    session = session_on(s.head, key, day or local_today() - timedelta(days=7))
    db.session.refresh(session)
    given = {line.person_id: ("present", "") for line in session.attendance}
    given.update(marks or {})
    services.mark_all(s.head, session.id, given)
    services.confirm(s.head, session.id)
    return session


def test_the_seeded_requirements_carry_their_references(ctx):
    food = requirement("food_safety")
    assert food.validity_months == 12 and "食品安全法 第44条" in food.reference and food.confidence == "P"
    assert food.duties == ["canteen.morning"] and "canteen_staff" in food.roles
    officer = requirement("food_safety_officer")
    assert (officer.validity, officer.renews_on, officer.hours_per_year) == ("yearly_on", "12-31", 40)
    assert services.expiry_of(food, date(2026, 3, 1)) == date(2027, 2, 28)
    assert services.expiry_of(officer, date(2026, 3, 1)) == date(2026, 12, 31)
    assert services.expiry_of(requirement("fire_safety"), date(2026, 9, 10)) == date(2027, 3, 9)


def test_the_roster_is_who_needs_it_and_is_not_up_to_date(ctx):
    s = school()
    _held(s, marks={s.helper.person_id: ("excused", "")})
    renewal = session_on(s.head, "food_safety", local_today() + timedelta(days=3))
    db.session.refresh(renewal)
    assert {line.person_id for line in renewal.attendance} == {s.helper.person_id}, "the others are valid"
    assert s.teacher.person_id not in services.needs().of(requirement("food_safety"))


def test_confirming_completes_for_those_who_attended_only(ctx):
    s = school()
    session = session_on(s.head, "food_safety", local_today() - timedelta(days=2))
    services.mark_all(s.head, session.id, {s.manager.person_id: ("present", ""), s.cook.person_id: ("late", "60")})
    db.session.commit()
    with pytest.raises(ServiceError, match="钱阿姨"):  # everyone is marked first, named
        services.confirm(s.head, session.id)
    db.session.rollback()
    services.mark(s.head, session.id, s.helper.person_id, "absent")
    services.confirm(s.head, session.id)
    done = {c.person_id: c for c in db.session.scalars(select(Completion))}
    assert set(done) == {s.manager.person_id, s.cook.person_id}
    assert done[s.cook.person_id].expires_on == services.expiry_of(requirement("food_safety"),
                                                                  local_today() - timedelta(days=2))
    lines = {line.person_id: line for line in db.session.scalars(select(Attendance))}
    assert (lines[s.manager.person_id].minutes, lines[s.cook.person_id].minutes, lines[s.helper.person_id].minutes) \
        == (90, 60, 0)
    with pytest.raises(ServiceError):  # confirmed: marks are closed
        services.mark(s.head, session.id, s.helper.person_id, "present")


@pytest.mark.parametrize("marks, message", [
    ({"mark": "asleep"}, "出席"),
    ({"minutes": "200"}, "90"),
    ({"minutes": "-5"}, "90"),
    ({"minutes": "一小时"}, "90"),
])
def test_bad_marks_are_refused_and_nothing_is_written(ctx, marks, message):
    s = school()
    session = session_on(s.head, "food_safety", local_today() - timedelta(days=1))
    db.session.commit()
    given = {s.cook.person_id: (marks.get("mark", "present"), marks.get("minutes", "")),
             s.manager.person_id: ("present", "")}
    with pytest.raises(ServiceError, match=message):
        services.mark_all(s.head, session.id, given)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Attendance.id)).where(Attendance.mark.is_not(None))) == 0


def test_a_session_is_confirmed_once_it_has_taken_place_and_only_by_its_trainer_or_the_office(ctx):
    s = school()
    later = session_on(s.head, "food_safety", local_today() + timedelta(days=2))
    db.session.refresh(later)
    services.mark_all(s.head, later.id, {line.person_id: ("present", "") for line in later.attendance})
    with pytest.raises(ServiceError, match="开始后"):
        services.confirm(s.head, later.id)
    with pytest.raises(ServiceError, match="培训人"):
        services.mark(s.teacher, later.id, s.cook.person_id, "absent")


def test_confirmed_attendance_changes_only_by_an_amendment_with_a_reason(ctx):
    s = school()
    session = _held(s)
    line = db.session.scalar(select(Attendance).where(Attendance.person_id == s.helper.person_id))
    with pytest.raises(ServiceError, match="原因"):
        services.amend(s.head, line.id, "absent", "", " ")
    services.amend(s.head, line.id, "absent", "", "签到表上无本人签名，当天请病假")
    completion = db.session.scalar(select(Completion).where(Completion.person_id == s.helper.person_id))
    assert completion.withdrawn_at is not None and "病假" in completion.withdrawn_reason
    assert services.standings([s.helper.person_id], [requirement("food_safety")])[
        (s.helper.person_id, requirement("food_safety").id)].state == "missing"
    services.amend(s.head, line.id, "late", "45", "补交签到表，迟到45分钟")
    assert db.session.scalar(select(func.count(Completion.id)).where(
        Completion.person_id == s.helper.person_id, Completion.withdrawn_at.is_(None))) == 1
    assert [a.after_mark for a in services.amendments(session)] == ["absent", "late"]
    db.session.commit()
    with pytest.raises((IntegrityError, DBAPIError)):  # the amendments are append-only, in the database too
        db.session.execute(text("UPDATE training_attendance_amendment SET reason = 'x'"))
        db.session.flush()
    db.session.rollback()
    assert _count(AttendanceAmendment) == 2


@pytest.mark.parametrize("changes, field", [
    ({"title": "  "}, "title"),
    ({"day": None}, "day"),
    ({"starts": "25:00"}, "starts"),
    ({"starts": "15:00", "ends": "14:00"}, "ends"),
    ({"trainer_id": None}, "trainer_id"),
    ({"requirement_id": 999999}, "requirement_id"),
])
def test_a_bad_session_is_refused_and_nothing_is_written(ctx, changes, field):
    s = school()
    changes = dict(changes)
    with pytest.raises(ServiceError) as refused:
        session_on(s.head, "food_safety", changes.pop("day", local_today()), **changes)
    assert refused.value.field == field
    db.session.rollback()
    assert _count(TrainingSession) == 0 and _count(Attendance) == 0


@pytest.mark.parametrize("changes, field", [
    ({"name_zh": ""}, "name_zh"),
    ({"validity_months": "twelve"}, "validity_months"),
    ({"validity_months": "0"}, "validity_months"),
    ({"validity": "yearly_on", "renews_on": "13-01"}, "renews_on"),
    ({"validity": "yearly_on", "renews_on": "02-30"}, "renews_on"),
    ({"renew_window_days": "400"}, "renew_window_days"),
    ({"hours_per_year": "0"}, "hours_per_year"),
    ({"roles": []}, "roles"),
    ({"roles": ["astronaut"]}, "roles"),
    ({"duties": ["flying"]}, "duties"),
])
def test_a_bad_requirement_is_refused_and_nothing_is_written(ctx, changes, field):
    school()
    before = _count(Requirement)
    data = services.RequirementInput(name_zh="急救知识培训", category="other", roles=["all_staff"],
                                     validity_months="24")
    for name, value in changes.items():
        setattr(data, name, value)
    with pytest.raises(ServiceError) as refused:
        services.save_requirement(None, None, data)
    assert refused.value.field == field
    db.session.rollback()
    assert _count(Requirement) == before


def test_standing_is_valid_then_expiring_then_expired(ctx):
    s = school()
    food = requirement("food_safety")
    _held(s, day=local_today() - timedelta(days=300))
    key = (s.cook.person_id, food.id)
    today = local_today()
    assert services.standings([s.cook.person_id], [food], today)[key].state == "valid"
    expires = services.standings([s.cook.person_id], [food], today)[key].completion.expires_on
    assert services.standings([s.cook.person_id], [food], expires - timedelta(days=10))[key].state == "expiring"
    assert services.standings([s.cook.person_id], [food], expires + timedelta(days=1))[key].state == "expired"
    assert (s.teacher.person_id, food.id) not in services.standings([s.teacher.person_id], [food], today), \
        "neither needed nor completed: no cell"


def test_what_a_person_holds_is_their_latest_completion_and_longest_validity(ctx):
    """A later record with a shorter validity does not shorten what the person holds; a
    withdrawn one and one made after the day are not counted."""
    s = school()
    food = requirement("food_safety")
    today = local_today()
    rows = [(today - timedelta(days=200), today + timedelta(days=100), None),
            (today - timedelta(days=20), today + timedelta(days=5), None),
            (today - timedelta(days=10), today + timedelta(days=400), "录入错误"),
            (today + timedelta(days=0), today + timedelta(days=900), None)]
    for completed_on, expires_on, withdrawn in rows:
        db.session.add(Completion(person_id=s.cook.person_id, requirement_id=food.id, completed_on=completed_on,
                                  expires_on=expires_on, source="import", withdrawn_reason=withdrawn or "",
                                  withdrawn_at=local_time_utc(today, "08:00") if withdrawn else None))
    db.session.commit()
    held = services.latest_completions([s.cook.person_id], [food.id], today - timedelta(days=1))
    assert held[(s.cook.person_id, food.id)].completed_on == today - timedelta(days=20)
    assert held[(s.cook.person_id, food.id)].expires_on == today + timedelta(days=100), "the longest validity"
    assert services.latest_completions([s.cook.person_id], [food.id], today)[(s.cook.person_id, food.id)] \
        .expires_on == today + timedelta(days=900), "made on the day itself: counted that day"


def test_who_needs_what_next_lists_only_who_is_due_worst_first(ctx):
    s = school()
    food = requirement("food_safety")
    today = local_today()
    db.session.add_all([
        Completion(person_id=s.cook.person_id, requirement_id=food.id, completed_on=today - timedelta(days=400),
                   expires_on=today - timedelta(days=35), source="import"),
        Completion(person_id=s.manager.person_id, requirement_id=food.id, completed_on=today - timedelta(days=300),
                   expires_on=today + timedelta(days=20), source="import"),
        Completion(person_id=s.helper.person_id, requirement_id=food.id, completed_on=today - timedelta(days=10),
                   expires_on=today + timedelta(days=355), source="import")])
    db.session.commit()
    due = [(d.person.id, d.standing.state) for d in services.due_next() if d.standing.requirement.id == food.id]
    assert due.index((s.cook.person_id, "expired")) < due.index((s.manager.person_id, "expiring")), due
    assert s.helper.person_id not in {person for person, _state in due}, "valid and not in the window: not due"
    assert s.teacher.person_id not in {person for person, _state in due}, "does not need food safety"
    office = db.session.scalar(select(Department.id).where(Department.name == "语文组"))
    assert {d.person.id for d in services.due_next(department_id=office)} <= {s.teacher.person_id}


def test_expired_food_safety_training_keeps_a_cook_off_duty_at_the_morning_check(ctx):
    from schoolhq.areas import duty_problems

    s = school()
    today = local_today()
    assert duty_problems("canteen.morning", [s.cook.person_id], today) == {}, \
        "no training kept here yet: nobody is stopped on the day the school upgrades"
    _held(s, day=today - timedelta(days=400), marks={s.helper.person_id: ("excused", "")})
    problems = duty_problems("canteen.morning", [s.cook.person_id, s.helper.person_id, s.teacher.person_id], today)
    assert "已于" in problems[s.cook.person_id] and "食品安全知识培训" in problems[s.cook.person_id]
    assert "无食品安全知识培训记录" in problems[s.helper.person_id]
    assert s.teacher.person_id not in problems
    _held(s, marks={s.helper.person_id: ("absent", "")})
    assert s.cook.person_id not in duty_problems("canteen.morning", [s.cook.person_id], today)


def test_the_canteen_morning_check_names_the_lapsed_training(ctx):
    from schoolhq.canteen import morning
    from tests.conftest import make_account
    from tests.factories.canteen import kitchen

    k = kitchen()
    office = make_account("office", "logistics_head", name="总务处")
    session = services.plan_session(office, services.SessionInput(
        title="食品安全培训", day=local_today() - timedelta(days=400), starts="14:00", ends="15:00",
        requirement_id=requirement("food_safety").id, trainer_external="区市场监管局"))
    db.session.refresh(session)
    assert {line.person_id for line in session.attendance} >= {k.cook.person_id}, "the canteen roster needs it"
    services.mark_all(office, session.id, {line.person_id: ("present", "") for line in session.attendance})
    services.confirm(office, session.id)
    lines = morning.lines(local_today())
    assert lines and all("食品安全知识培训" in line.certificate_problem for line in lines), [
        (line.member.person.name, line.certificate_problem) for line in lines]
    works, why = morning.on_duty(k.cook.person_id)
    assert not works and "食品安全知识培训" in why


def test_an_electrical_repair_assigned_to_a_worker_without_a_valid_certificate_warns(app, client):
    from schoolhq.people import certificates
    from schoolhq.repairs import services as repairs
    from schoolhq.repairs.models import RepairCategory
    from schoolhq.repairs.services import Report
    from tests.factories.hazards import people

    with app.test_request_context():
        building, head, worker, _principal = people()
        electrical = db.session.scalar(select(RepairCategory).where(RepairCategory.name == "电工/照明"))
        ticket = repairs.report(head, Report(location_id=building.id, category_id=electrical.id, priority="normal",
                                             description="走廊灯不亮"))
        repairs.assign(head, ticket.id, worker.person_id)
        certificates.add(head, worker.person_id, certificates.CertificateData(
            "electrician", "T110101198001010011", local_today() - timedelta(days=2200)))
        ticket_id = ticket.id
        db.session.commit()
    login(client, "logistics")
    page = client.get(f"/repairs/{ticket_id}").get_data(as_text=True)
    assert "派工前请核实" in page and "电工特种作业操作证已于" in page


def test_a_drill_counts_for_the_fire_safety_requirement(ctx):
    s = school()
    drill = services.plan_session(s.head, services.SessionInput(
        title="消防疏散演练", day=local_today() - timedelta(days=1), starts="10:00", ends="10:40", kind="drill",
        trainer_id=s.head.person_id, scenario="三楼起火"))
    services.add_to_roster(s.head, drill.id, [s.teacher.person_id, s.cook.person_id])
    with pytest.raises(ServiceError, match="分:秒"):
        services.record_drill(s.head, drill.id, "三分钟", "")
    services.record_drill(s.head, drill.id, "3:20", "东侧楼梯拥堵")
    db.session.refresh(drill)
    services.mark_all(s.head, drill.id, {s.teacher.person_id: ("present", ""), s.cook.person_id: ("absent", "")})
    services.confirm(s.head, drill.id)
    fire = requirement("fire_safety")
    table = services.standings([s.teacher.person_id, s.cook.person_id], [fire])
    assert (table[(s.teacher.person_id, fire.id)].state, table[(s.cook.person_id, fire.id)].state) == \
        ("valid", "missing")
    assert drill.evacuation_seconds == 200


def test_reminders_go_once_to_the_person_and_their_department_head(ctx, clock):
    from schoolhq.core.notifications import Notification

    s = school()
    _held(s, day=local_today() - timedelta(days=340))
    assert services.warn_expiring() == 3, "the three in the kitchen run out within 30 days"
    told = {n.account_id for n in db.session.scalars(select(Notification).where(Notification.area == "training"))}
    assert {s.cook.id, s.helper.id, s.manager.id} <= told
    assert services.warn_expiring() == 0, "each threshold warns once"


def test_the_pages_in_both_languages(app, client):
    with app.test_request_context():
        s = school()
        session = _held(s, marks={s.helper.person_id: ("excused", "")})
        session_id, cook_person, teacher_person = session.id, s.cook.person_id, s.teacher.person_id
        food_id = requirement("food_safety").id
        db.session.commit()
    login(client, "logistics")
    matrix = client.get("/training/").get_data(as_text=True)
    assert "培训矩阵" in matrix and "刘大勇" in matrix and "缺失" in matrix
    assert client.get("/training/?format=xlsx").data[:2] == b"PK"
    assert "钱阿姨" in client.get("/training/due").get_data(as_text=True)
    page = client.get(f"/training/sessions/{session_id}").get_data(as_text=True)
    assert "培训人已确认" in page and "更正已确认的考勤" in page
    sheet = client.get(f"/training/sessions/{session_id}/sheet").get_data(as_text=True)
    assert "培训签到表" in sheet and "刘大勇" in sheet
    month = (local_today() - timedelta(days=7)).strftime("%Y-%m")
    ledger = client.get(f"/training/ledger?month={month}").get_data(as_text=True)
    assert "培训记录" in ledger and "刘大勇" in ledger and "钱阿姨（请假）" in ledger
    assert client.get(f"/training/ledger?month={month}&format=xlsx").data[:2] == b"PK"
    refused = client.post("/training/sessions/new", data={"title": "复训", "day": local_today().isoformat(),
                                                          "starts": "15:00", "ends": "14:00", "kind": "training",
                                                          "requirement_id": str(food_id),
                                                          "trainer_external": "区市场监管局"})
    assert refused.status_code == 422 and "早于开始时间" in refused.get_data(as_text=True)
    client.post("/lang", data={"language": "en"})
    english = client.get("/training/").get_data(as_text=True)
    assert "Training matrix" in english and "Food-safety training" in english
    client.get("/auth/logout")
    login(client, "cook")
    assert client.get("/training/").status_code == 403
    assert client.get(f"/training/people/{cook_person}").status_code == 200, "one's own record"
    assert client.get(f"/training/people/{teacher_person}").status_code == 403
    understood = client.post(f"/training/sessions/{session_id}/understood")
    assert understood.status_code == 303
