"""The demo school's training year: a fire-safety training in the spring and an
evacuation drill this term; the canteen's food-safety training eleven months ago (most of
the kitchen's completions run out within the month: renewal is open, and a renewal
session is planned next week) and a second one in the summer for the two who cook and
manage; one kitchen helper, excused from both, has none on record and is kept off duty at
the morning check; the maintenance worker's equipment safety (his theory test failed once
and passed on the retake, the practical signed off) and the water-hygiene training. Nothing is dated after now but the planned session."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.training import services
from schoolhq.training.models import Requirement

TRAINER_OUTSIDE = "区消防救援大队 宣传科 张警官"
SIGNATURE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/"
             "PchI7wAAAABJRU5ErkJggg==")


def _requirement(key: str) -> Requirement | None:
    return db.session.scalar(select(Requirement).where(Requirement.key == key))


def _held(head, requirement: Requirement | None, day: date, title: str, clock=("14:00", "15:30"),
          absent: set[int] = frozenset(), excused: set[int] = frozenset(), kind: str = "training",
          trainer_id: int | None = None, trainer_external: str = "", extra: list[int] = (), **more):
    """A session on `day` with its roster, marked and confirmed by the head."""
    session = services.plan_session(head, services.SessionInput(
        title=title, day=day, starts=clock[0], ends=clock[1], requirement_id=requirement.id if requirement else None,
        kind=kind, trainer_id=trainer_id, trainer_external=trainer_external, place=more.get("place", "学校报告厅"),
        content=more.get("content", ""), scenario=more.get("scenario", "")))
    if extra:
        services.add_to_roster(head, session.id, list(extra))
    db.session.refresh(session)
    marks = {line.person_id: ("absent" if line.person_id in absent else "excused" if line.person_id in excused
                              else "present", "") for line in session.attendance}
    if marks:
        services.mark_all(head, session.id, marks)
        services.confirm(head, session.id)
    return session


def load(_school_rng: random.Random, small: bool = False) -> None:
    rng = random.Random(1644)
    head = db.session.scalar(select(Account).where(Account.username == "logistics"))
    if head is None:
        return
    today = local_today()
    who = services.needs()
    doctor = db.session.scalar(select(Account).where(Account.username == "doctor"))
    fire, food = _requirement("fire_safety"), _requirement("food_safety")
    if fire is not None:
        everyone = sorted(who.of(fire))
        missed = set(rng.sample(everyone, min(3, len(everyone) // 10 or 1)))
        _held(head, fire, today - timedelta(days=200), "消防安全知识与灭火器使用培训", trainer_external=TRAINER_OUTSIDE,
              absent=missed, content="火灾报警、初起火灾扑救、灭火器和消火栓使用、疏散逃生")
        drill = _held(head, None, today - timedelta(days=70), "秋季学期消防疏散演练", ("10:00", "10:40"), kind="drill",
                      trainer_id=head.person_id, extra=everyone, absent=set(everyone[:2]),
                      scenario="教学楼三楼化学实验室起火，全校师生按疏散路线撤离至操场", place="教学楼、操场")
        services.record_drill(head, drill.id, "3:20", "三楼东侧楼梯口拥堵约30秒；二年级一班清点人数迟报")
    if food is not None:
        kitchen = sorted(who.of(food))
        canteen_accounts = {a.person_id for a in db.session.scalars(
            select(Account).where(Account.username.in_(("canteen", "cook"))))}
        helpers = [person_id for person_id in kitchen if person_id not in canteen_accounts]
        blocked = {helpers[-1]} if helpers else set()
        _held(head, food, today - timedelta(days=340), "食品安全法规与操作规范培训", trainer_id=doctor.person_id if doctor
              else None, trainer_external="" if doctor else "区市场监管局", excused=blocked,
              content="食品安全法、学校食品安全与营养健康管理规定、加工操作规范、留样与晨检")
        _held(head, food, today - timedelta(days=150), "食品安全操作规范（复训）", trainer_id=doctor.person_id if doctor
              else None, trainer_external="" if doctor else "区市场监管局", excused=blocked,
              extra=sorted(canteen_accounts))
        renewal = services.plan_session(head, services.SessionInput(
            title="食品安全知识年度复训", day=today + timedelta(days=7), starts="14:00", ends="16:00",
            requirement_id=food.id, trainer_external="区市场监管局 食品安全科", place="食堂二楼会议室"))
        db.session.refresh(renewal)
    for key, title, back in (("equipment_safety", "电气与燃气设备安全操作培训", 100),
                             ("water_hygiene", "饮用水卫生与直饮机管理培训", 300)):
        requirement = _requirement(key)
        if requirement is not None and who.of(requirement):
            _held(head, requirement, today - timedelta(days=back), title, trainer_external="区疾控中心 卫生科")
    _assessed(head, _requirement("equipment_safety"))
    db.session.flush()


def _assessed(head, requirement: Requirement | None) -> None:
    """The maintenance worker's theory test (failed once, passed on the retake) and the
    practical signed off by the logistics head: his equipment-safety training completes."""
    from schoolhq.training import assessment

    worker = db.session.scalar(select(Account).where(Account.username == "repair"))
    if requirement is None or worker is None or not requirement.stages:
        return
    for wrong in (2, 0):  # the first sitting gets two answers wrong (60%), the retake none
        attempt = assessment.start_quiz(worker, requirement.id)
        given = {}
        for n, item in enumerate(assessment.shown(attempt)):
            right = list(item.question.answer)
            if n < wrong:  # a wrong option, or only part of a multiple choice whose options are all right
                right = [index for index, _text in item.options if index not in right][:1] or right[:1]
            given[item.question.id] = right
        assessment.submit_quiz(worker, attempt.id, given)
    assessment.assess_practical(head, worker.person_id, requirement.id,
                                [(True, "") for _step in requirement.practical_steps], signature=SIGNATURE)
