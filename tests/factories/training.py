"""Training for tests: a canteen department with its head and two cooks, the logistics
head who runs training, and the seeded requirements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from schoolhq.extensions import db
from tests.conftest import make_account

#: pages a signed-in person opens only for their own sessions and record (tests/test_routes.py)
OWN_RECORDS_ONLY = {"training.signin_screen", "training.session_page", "training.sign_sheet", "training.person_page",
                    "training.attempt_page"}


@dataclass
class School:
    head: object  # logistics head (training.manage)
    manager: object  # canteen manager, head of the canteen department
    cook: object
    helper: object
    teacher: object


def school() -> School:
    from schoolhq.people import services as people

    kitchen = people.create_department("食堂")
    office = people.create_department("语文组")
    head = make_account("logistics", "logistics_head", name="王海涛")
    manager = make_account("canteen", "canteen_manager", name="陈红梅", department_id=kitchen.id)
    people.update_department(kitchen.id, "食堂", manager.person_id)
    cook = make_account("cook", "canteen_staff", name="刘大勇", department_id=kitchen.id)
    helper = make_account("helper", "canteen_staff", name="钱阿姨", department_id=kitchen.id)
    teacher = make_account("teacher", "staff", name="王芳", department_id=office.id)
    db.session.commit()
    return School(head, manager, cook, helper, teacher)


def requirement(key: str):
    from schoolhq.training.models import Requirement

    return db.session.scalar(select(Requirement).where(Requirement.key == key))


def session_on(head, key: str, day: date, starts: str = "14:00", ends: str = "15:30", **changes):
    from schoolhq.training import services

    data = services.SessionInput(title="食品安全培训", day=day, starts=starts, ends=ends,
                                 requirement_id=requirement(key).id, trainer_id=head.person_id)
    for name, value in changes.items():
        setattr(data, name, value)
    return services.plan_session(head, data)


def route_values() -> dict:
    """A requirement and a session of the demo school for the route walk."""
    from schoolhq.training.models import QuizAttempt, Requirement, TrainingSession

    return {"requirement_id": db.session.scalar(select(Requirement.id).order_by(Requirement.id)),
            "session_id": db.session.scalar(select(TrainingSession.id).order_by(TrainingSession.id)),
            "code": "0123456789ab", "attempt_id": db.session.scalar(select(QuizAttempt.id).order_by(QuizAttempt.id))}
