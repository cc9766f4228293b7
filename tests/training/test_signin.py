"""Self sign-in by the rotating code on the trainer's screen: the code of now (or the
half-minute before) signs the scanning person in, present or late; an older code — a photo
of yesterday's screen — signs nobody in; sign-in is open only around the session; a second
scan changes nothing; someone who came without being on the roster is added."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.training import services
from schoolhq.training.models import Attendance
from tests.conftest import login
from tests.factories.training import school, session_on

pytestmark = pytest.mark.dated


def _session(s, clock):
    clock.set(f"{local_today().isoformat()} 13:50")
    session = session_on(s.head, "food_safety", local_today(), "14:00", "15:30")
    db.session.commit()
    return session


def test_the_code_of_now_signs_in_and_an_old_one_does_not(ctx, clock):
    s = school()
    session = _session(s, clock)
    yesterday = services.signin_code(session, at=services.utcnow() - timedelta(days=1))
    code = services.signin_code(session)
    line = services.sign_in(s.cook, session.id, code)
    assert (line.mark, line.signed_in_how, line.minutes) == ("present", "qr", 90)
    assert services.sign_in(s.cook, session.id, code).id == line.id, "a second scan changes nothing"
    with pytest.raises(ServiceError, match="已过期|expired"):
        services.sign_in(s.manager, session.id, yesterday)
    with pytest.raises(ServiceError, match="已过期|expired"):
        services.sign_in(s.manager, session.id, "0123456789ab")
    clock.set(f"{local_today().isoformat()} 13:50:40")  # the next half-minute: the code before still works
    services.sign_in(s.manager, session.id, code)
    clock.set(f"{local_today().isoformat()} 13:52")
    with pytest.raises(ServiceError, match="已过期|expired"):
        services.sign_in(s.helper, session.id, code)


def test_late_scans_and_walk_ins(ctx, clock):
    s = school()
    session = _session(s, clock)
    clock.set(f"{local_today().isoformat()} 14:20")
    line = services.sign_in(s.helper, session.id, services.signin_code(session))
    assert line.mark == "late"
    walk_in = services.sign_in(s.teacher, session.id, services.signin_code(session))
    assert walk_in.mark == "late" and walk_in.person_id == s.teacher.person_id, "not on the roster, but came"
    clock.set(f"{local_today().isoformat()} 15:45")
    with pytest.raises(ServiceError, match="30"):
        services.sign_in(s.cook, session.id, services.signin_code(session))


def test_sign_in_from_the_phone_and_the_trainers_screen(app, client, clock):
    with app.test_request_context():
        s = school()
        session = _session(s, clock)
        session_id = session.id
        code = services.signin_code(session)
    login(client, "logistics")
    screen = client.get(f"/training/sessions/{session_id}/code")
    assert screen.status_code == 200 and "<svg" in screen.get_data(as_text=True)
    assert f"/training/in/{session_id}/{code}" in screen.get_data(as_text=True)
    client.get("/auth/logout")
    login(client, "cook")
    assert client.get(f"/training/sessions/{session_id}/code").status_code == 403, "the trainer's screen only"
    page = client.get(f"/training/in/{session_id}/{code}").get_data(as_text=True)
    assert "刘大勇" in page
    assert client.post(f"/training/in/{session_id}/{code}").status_code == 303
    stale = client.post(f"/training/in/{session_id}/000000000000")
    assert stale.status_code == 422 and "已过期" in stale.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id)).where(Attendance.signed_in_how == "qr")) == 1
