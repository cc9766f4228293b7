"""Staged assessment: the theory test drawn from the bank in a random order with a pass
mark and a retake limit, the practical signed off by another person step by step (not yet
needs a reason and a retry day), on the job from the person's own rounds or an observation,
and completion only when the session and every named stage are done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_time_utc, local_today
from schoolhq.extensions import db
from schoolhq.training import assessment, services
from schoolhq.training.models import Completion, QuizAttempt, StageResult
from tests.conftest import login, make_account
from tests.factories.training import requirement, school, session_on

pytestmark = pytest.mark.dated

SIGNATURE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def _worker_trained():
    """The maintenance worker, who needs the staged equipment-safety training, after a
    confirmed session of it; (school, worker)."""
    s = school()
    worker = make_account("repair", "maintenance", name="孙师傅")
    session = session_on(s.head, "equipment_safety", local_today() - timedelta(days=3), title="设备安全操作培训")
    db.session.refresh(session)
    assert [line.person_id for line in session.attendance] == [worker.person_id]
    services.mark_all(s.head, session.id, {worker.person_id: ("present", "")})
    services.confirm(s.head, session.id)
    db.session.commit()
    return s, worker


def _answers(attempt, wrong: int = 0) -> dict[int, list[int]]:
    given = {}
    for n, item in enumerate(assessment.shown(attempt)):
        right = list(item.question.answer)
        others = [i for i, _t in item.options if i not in right]
        given[item.question.id] = (others[:1] or right[:1]) if n < wrong else right
    return given


def test_the_test_is_drawn_at_random_and_scored_against_the_pass_mark(ctx):
    _s, worker = _worker_trained()
    equipment = requirement("equipment_safety")
    assert db.session.scalar(select(Completion).where(Completion.person_id == worker.person_id)) is None, \
        "attending is not enough: the stages are still to pass"
    attempt = assessment.start_quiz(worker, equipment.id)
    assert assessment.start_quiz(worker, equipment.id).id == attempt.id, "a second tap takes up the same sitting"
    bank = {q.id for q in assessment.questions(equipment.id)}
    assert {d["id"] for d in attempt.drawn} == bank and all(
        sorted(d["options"]) == list(range(len(d["options"]))) for d in attempt.drawn)
    db.session.commit()
    half = _answers(attempt)
    half.pop(next(iter(half)))
    with pytest.raises(ServiceError, match="1"):  # every question answered first, named by number
        assessment.submit_quiz(worker, attempt.id, half)
    db.session.rollback()
    assert db.session.scalar(select(func.count(StageResult.id))) == 0
    done = assessment.submit_quiz(worker, attempt.id, _answers(attempt, wrong=2))
    assert (done.score_percent, done.passed) == (60, False)


def test_retakes_are_limited(ctx):
    _s, worker = _worker_trained()
    equipment = requirement("equipment_safety")
    for _sitting in range(1 + equipment.retakes):
        attempt = assessment.start_quiz(worker, equipment.id)
        assessment.submit_quiz(worker, attempt.id, _answers(attempt, wrong=3))
    db.session.commit()
    with pytest.raises(ServiceError, match="3"):
        assessment.start_quiz(worker, equipment.id)
    db.session.rollback()
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 3


def test_completion_needs_the_session_and_every_stage(ctx):
    s, worker = _worker_trained()
    equipment = requirement("equipment_safety")
    with pytest.raises(ServiceError, match="理论考试.*实操|实操.*理论考试"):
        assessment.complete(s.head, worker.person_id, equipment)
    db.session.rollback()
    attempt = assessment.start_quiz(worker, equipment.id)
    assessment.submit_quiz(worker, attempt.id, _answers(attempt))
    assert db.session.scalar(select(Completion).where(Completion.person_id == worker.person_id)) is None
    steps = [(True, "")] * len(equipment.practical_steps)
    assessment.assess_practical(s.head, worker.person_id, equipment.id, steps, signature=SIGNATURE)
    done = db.session.scalar(select(Completion).where(Completion.person_id == worker.person_id))
    assert done is not None and done.completed_on == local_today()
    assert done.expires_on == services.expiry_of(equipment, local_today())


@pytest.mark.parametrize("case, message", [
    ("step unmarked", "每一步"),
    ("not yet without a note", "未达到"),
    ("not yet without a reason", "原因"),
    ("retry today", "之后"),
    ("unsigned", "签名"),
    ("own", "本人"),
])
def test_a_bad_practical_is_refused_and_nothing_is_written(ctx, case, message):
    s, worker = _worker_trained()
    equipment = requirement("equipment_safety")
    steps = [(True, "")] * len(equipment.practical_steps)
    assessor, person, reason, retry, signature = s.head, worker.person_id, "", None, SIGNATURE
    if case == "step unmarked":
        steps[1] = (None, "")
    if case == "not yet without a note":
        steps[0] = (False, "")
    if case in ("not yet without a reason", "retry today"):
        steps[0] = (False, "验电步骤遗漏")
        reason = "验电步骤遗漏" if case == "retry today" else ""
        retry = local_today() if case == "retry today" else None
    if case == "unsigned":
        signature = ""
    if case == "own":
        assessor, person = s.head, s.head.person_id
    with pytest.raises(ServiceError, match=message):
        assessment.assess_practical(assessor, person, equipment.id, steps, reason, retry, signature)
    db.session.rollback()
    assert db.session.scalar(select(func.count(StageResult.id))) == 0


def test_not_yet_sets_a_retry_and_tells_the_trainee(ctx):
    from schoolhq.core.notifications import Notification

    s, worker = _worker_trained()
    equipment = requirement("equipment_safety")
    steps = [(True, "")] * len(equipment.practical_steps)
    steps[0] = (False, "未挂禁止合闸牌")
    result = assessment.assess_practical(s.head, worker.person_id, equipment.id, steps, "挂牌步骤遗漏，需复练",
                                         signature=SIGNATURE)
    assert result.passed is False and result.retry_on == local_today() + timedelta(days=7)
    assert db.session.scalar(select(Notification).where(Notification.account_id == worker.id,
                                                        Notification.area == "training")) is not None


@pytest.mark.parametrize("changes, field", [
    ({"stages": ["theory"], "pass_mark_percent": "120"}, "pass_mark_percent"),
    ({"stages": ["theory"], "retakes": "11"}, "retakes"),
    ({"stages": ["practical"], "practical_steps": " \n "}, "practical_steps"),
    ({"stages": ["on_the_job"], "on_job_template": "nothing.such"}, "on_job_template"),
    ({"stages": ["levitation"]}, "stages"),
])
def test_bad_assessment_settings_are_refused(ctx, changes, field):
    school()
    data = services.RequirementInput(name_zh="急救知识培训", category="other", roles=["all_staff"],
                                     validity_months="24")
    for name, value in changes.items():
        setattr(data, name, value)
    with pytest.raises(ServiceError) as refused:
        services.save_requirement(None, None, data)
    assert refused.value.field == field


def test_on_the_job_from_the_persons_own_rounds_on_time_and_clean(ctx):
    from schoolhq.checks import packs
    from schoolhq.checks.models import CheckRound
    from schoolhq.places import services as places

    s = school()
    cleaner = make_account("cleaner", "staff", name="保洁李姐")
    data = services.RequirementInput(name_zh="保洁上岗考核", category="hygiene", person_ids=[cleaner.person_id],
                                     validity_months="12", stages=["on_the_job"], on_job_template="hygiene.daily",
                                     on_job_records="3")
    cleaning = services.save_requirement(s.head, None, data)
    session = services.plan_session(s.head, services.SessionInput(
        title="保洁规范", day=local_today() - timedelta(days=20), starts="14:00", ends="15:00",
        requirement_id=cleaning.id, trainer_id=s.head.person_id))
    services.mark_all(s.head, session.id, {cleaner.person_id: ("present", "")})
    services.confirm(s.head, session.id)
    template = packs.published("hygiene.daily")
    room = places.create_location("campus", "阳光小学")
    for back, late, failed in ((10, False, 0), (9, True, 0), (8, False, 0), (7, False, 1), (6, False, 0),
                               (5, False, 0), (4, False, 0)):
        day = local_today() - timedelta(days=back)
        due = local_time_utc(day, "17:00")
        db.session.add(CheckRound(
            template_id=template.id, template_key="hygiene.daily", period=day.isoformat(), period_start=day,
            location_id=room.id, opens_at=local_time_utc(day, "07:00"), due_at=due,
            closes_at=due + timedelta(hours=12), status="submitted", submitted_by_id=cleaner.id,
            submitted_at=due + (timedelta(hours=1) if late else -timedelta(hours=1)), failed_count=failed,
            result="pass"))
    db.session.flush()
    streak, read = assessment.on_job_progress(cleaner.person_id, cleaning)
    assert streak == 3 and [r["good"] for r in read] == [True, False, True, False, True, True, True]
    assert assessment.evaluate_on_job() == 1
    assert db.session.scalar(select(Completion).where(Completion.person_id == cleaner.person_id)) is not None
    assert assessment.evaluate_on_job() == 0


def test_the_test_on_a_phone_and_the_assessors_page(app, client):
    with app.test_request_context():
        _s, worker = _worker_trained()
        equipment_id, worker_person = requirement("equipment_safety").id, worker.person_id
    login(client, "repair")
    record = client.get(f"/training/people/{worker_person}").get_data(as_text=True)
    assert "参加考试" in record
    assert "开始考试" in client.get(f"/training/tests/{equipment_id}").get_data(as_text=True)
    started = client.post(f"/training/tests/{equipment_id}")
    assert started.status_code == 303
    attempt_url = started.headers["Location"]
    page = client.get(attempt_url).get_data(as_text=True)
    assert "交卷" in page
    refused = client.post(attempt_url, data={})
    assert refused.status_code == 422 and "请先答完所有题目" in refused.get_data(as_text=True)
    with app.app_context():
        attempt = db.session.scalar(select(QuizAttempt))
        given = {f"q{qid}": [str(v) for v in values] for qid, values in _answers(attempt).items()}
    assert client.post(attempt_url, data=given).status_code == 303
    assert "通过" in client.get(attempt_url).get_data(as_text=True)
    client.get("/auth/logout")
    login(client, "logistics")
    practical = client.get(f"/training/requirements/{equipment_id}/practical/{worker_person}")
    assert practical.status_code == 200 and "实操考核清单" in practical.get_data(as_text=True)
    assert "纸质理论考试" not in practical.get_data(as_text=True), "the theory is passed: no paper test offered"
    assert "理论考试 · 通过" in practical.get_data(as_text=True)
    assert client.get(f"/training/requirements/{equipment_id}/questions").status_code == 200
    client.get("/auth/logout")
    login(client, "teacher")
    assert client.get(f"/training/requirements/{equipment_id}/practical/{worker_person}").status_code == 403


def test_a_test_sat_on_paper_counts_within_the_same_limit(ctx):
    s, worker = _worker_trained()
    equipment = requirement("equipment_safety")
    for bad in ("八十五", "120", "-5", ""):
        with pytest.raises(ServiceError, match="0 到 100"):
            assessment.record_paper_test(s.head, worker.person_id, equipment.id, bad)
    with pytest.raises(ServiceError, match="本人"):
        assessment.record_paper_test(worker, worker.person_id, equipment.id, "90")
    db.session.rollback()
    assert db.session.scalar(select(func.count(QuizAttempt.id))) == 0
    assessment.record_paper_test(s.head, worker.person_id, equipment.id, "60分")
    assessment.record_paper_test(s.head, worker.person_id, equipment.id, "70")
    passed = assessment.record_paper_test(s.head, worker.person_id, equipment.id, "85%")
    assert passed.passed and assessment.passed_stages(worker.person_id, equipment) == {"theory"}
    db.session.commit()
    with pytest.raises(ServiceError, match="已通过"):
        assessment.record_paper_test(s.head, worker.person_id, equipment.id, "90")


def test_a_stage_passed_in_this_cycle_is_not_assessed_again(app, client):
    with app.test_request_context():
        s, worker = _worker_trained()
        equipment = requirement("equipment_safety")
        steps = [(True, "")] * len(equipment.practical_steps)
        assessment.assess_practical(s.head, worker.person_id, equipment.id, steps, signature=SIGNATURE)
        db.session.commit()
        with pytest.raises(ServiceError, match="已通过此阶段"):
            assessment.assess_practical(s.head, worker.person_id, equipment.id, steps, signature=SIGNATURE)
        db.session.rollback()
        assert db.session.scalar(select(func.count(StageResult.id))) == 1
        equipment_id, worker_person = equipment.id, worker.person_id
    login(client, "logistics")
    page = client.get(f"/training/requirements/{equipment_id}/practical/{worker_person}").get_data(as_text=True)
    assert "实操考核清单" not in page and "纸质理论考试" in page, "the practical is passed; the theory is still open"
