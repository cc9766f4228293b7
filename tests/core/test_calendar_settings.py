"""The school calendar, settings, the audit viewer and notifications."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.core import calendar, notifications, settings
from schoolhq.core.errors import ServiceError
from schoolhq.core.models import AuditEntry, SchoolTerm, Setting
from schoolhq.extensions import db
from tests.conftest import login, make_account

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def test_is_school_day(ctx):
    calendar.add_term("秋季学期", date(2026, 9, 1), date(2027, 1, 22))
    calendar.set_day(date(2026, 10, 1), "holiday", "国庆节")
    calendar.set_day(date(2026, 9, 27), "school_day", "调休")
    assert calendar.is_school_day(date(2026, 9, 1))  # a Tuesday in term
    assert not calendar.is_school_day(date(2026, 9, 5))  # Saturday
    assert calendar.is_school_day(date(2026, 9, 27))  # Sunday, made up
    assert not calendar.is_school_day(date(2026, 10, 1))  # a Thursday holiday
    assert not calendar.is_school_day(date(2026, 8, 31))  # summer holidays
    settings.update({"school_weekdays": [0, 1, 2, 3, 4, 5]})
    assert calendar.is_school_day(date(2026, 9, 5))


def test_bad_terms_are_refused(ctx):
    calendar.add_term("秋季学期", date(2026, 9, 1), date(2027, 1, 22))
    for name, start, end in [("", date(2027, 3, 1), date(2027, 7, 1)),
                             ("倒序", date(2027, 7, 1), date(2027, 3, 1)),
                             ("重叠", date(2027, 1, 1), date(2027, 3, 1))]:
        with pytest.raises(ServiceError):
            calendar.add_term(name, start, end)
    assert db.session.scalar(select(func.count(SchoolTerm.id))) == 1
    with pytest.raises(ServiceError):
        calendar.set_day(date(2026, 10, 2), "party")


def test_settings_validate_everything_before_writing_anything(ctx):
    with pytest.raises(ServiceError):
        settings.update({"school_name": "新名字", "timezone": "Mars/Olympus"})
    assert db.session.scalar(select(func.count()).select_from(Setting)) == 0
    settings.update({"school_name": "  阳光小学 ", "timezone": "Asia/Shanghai"})
    assert settings.get("school_name") == "阳光小学"


def test_settings_and_calendar_pages(app, client):
    with app.app_context():
        make_account("admin", "admin")
    login(client, "admin")
    assert client.post("/settings", data={"school_name": "阳光小学", "timezone": "Asia/Shanghai",
                                          "default_language": "zh_CN", "school_weekdays": ["0", "1", "2", "3", "4"]}).status_code == 303
    assert "阳光小学" in client.get("/").get_data(as_text=True)
    bad = client.post("/settings", data={"school_name": "x", "timezone": "Nowhere/City",
                                         "default_language": "zh_CN", "school_weekdays": ["0"]})
    assert bad.status_code == 422
    assert client.post("/settings", data={"school_name": "x", "timezone": "Asia/Shanghai",
                                          "default_language": "zh_CN", "school_weekdays": []}).status_code == 422
    assert client.post("/calendar/terms", data={"term-name": "秋季", "term-starts_on": "2026-09-01",
                                                "term-ends_on": "2027-01-20"}).status_code == 303
    assert client.post("/calendar/terms", data={"term-name": "坏", "term-starts_on": "2026-13-01",
                                                "term-ends_on": "2027-01-20"}).status_code == 422
    assert client.post("/calendar/days", data={"day-day": "2026-10-01", "day-kind": "holiday",
                                               "day-name": "国庆"}).status_code == 303
    assert "国庆" in client.get("/calendar").get_data(as_text=True)
    assert client.post("/calendar/days/2026-13-45/remove").status_code == 404
    assert client.post("/calendar/days/2026-10-02/remove").status_code == 422


def test_the_audit_viewer_filters_by_person_area_and_date(app, client):
    with app.test_request_context():
        admin = make_account("admin", "admin")
        admin_id = admin.id
    login(client, "admin")
    client.post("/places/new", data={"kind": "campus", "name": "本部", "sort_order": "0", "responsible_person_id": ""})
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "location.created"))
        assert entry.account_id == admin_id and entry.client == "127.0.0.1"
    page = client.get("/audit?area=places").get_data(as_text=True)
    assert "新增场所" in page and "本部" in page
    assert "新增场所" not in client.get("/audit?area=auth").get_data(as_text=True)
    assert "新增场所" in client.get(f"/audit?account_id={admin_id}").get_data(as_text=True)
    assert "新增场所" not in client.get("/audit?day_to=2000-01-01").get_data(as_text=True)
    assert client.get("/audit?day_from=garbage&page=-3").status_code == 200


def test_notifications_count_and_mark_read(app, client):
    with app.test_request_context():
        account = make_account("someone")
        other = make_account("other")
        for n in range(3):
            notifications.notify(account.id, "core", f"消息{n}")
        notifications.notify(other.id, "core", "别人的")
        db.session.commit()
        other_note = notifications.for_account(other.id)[0].id
    login(client, "someone")
    assert 'id="unread-count">3<' in client.get("/").get_data(as_text=True)
    client.post("/notifications/read", data={"id": str(other_note)})
    with app.app_context():
        assert notifications.unread_count(other.id) == 1  # not theirs to mark
    fragment = client.post("/notifications/read", data={}, headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<section id="notifications"')
    assert "unread-count" not in client.get("/").get_data(as_text=True)


def test_a_school_without_a_school_year_counts_weekdays_and_is_asked_to_add_one(app, client):
    """A fresh school (`schoolhq init`, no term yet): a teacher's repair report got 422
    "no school days ahead". Every school weekday counts until the school year is added,
    and the administrator's dashboard says so."""
    from schoolhq.core import workhours
    from schoolhq.core.timeutil import local_today, utcnow

    with app.test_request_context():
        today = local_today()
        monday = today - timedelta(days=today.weekday())
        assert calendar.is_school_day(monday) and not calendar.is_school_day(monday + timedelta(days=6))
        assert workhours.add_working_minutes(utcnow(), 8 * 60) > utcnow()  # no "no school days ahead"
        make_account("admin", "admin")
    assert login(client, "admin").status_code == 303
    assert "添加本学年" in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    with app.test_request_context():
        calendar.add_term("本学年", today.replace(month=1, day=1), today.replace(month=12, day=31))
        db.session.commit()
    assert "添加本学年" not in client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
