"""CSRF, headers, cookies, error pages and expired htmx sessions."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import func, select

from schoolhq import create_app
from schoolhq.core.permissions import public
from schoolhq.extensions import db
from schoolhq.places.models import Location
from tests.conftest import TEST_PASSWORD, csrf_from, login, make_account


def test_writes_need_a_csrf_token_and_htmx_sends_it_in_a_header(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        make_account("head", "logistics_head")
    page = client.get("/auth/login")
    token = csrf_from(page.get_data(as_text=True))
    assert client.post("/auth/login", data={"username": "head", "password": "x"}).status_code == 400
    assert login_with(client, token).status_code == 303
    # No token: refused with a clear message, nothing written.
    refused = client.post("/places/new", data={"kind": "campus", "name": "分校", "sort_order": "0"})
    assert refused.status_code == 400
    assert "表单已过期" in refused.get_data(as_text=True)
    stale = client.post("/places/new", data={"kind": "campus", "name": "分校", "sort_order": "0"},
                        headers={"X-CSRFToken": "stale-token", "HX-Request": "true"})
    assert stale.status_code == 400
    assert "表单已过期" in unquote(stale.headers["X-Message"])
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id))) == 0
    token = csrf_from(client.get("/places/new").get_data(as_text=True))
    ok = client.post("/places/new", data={"kind": "campus", "name": "分校", "sort_order": "0",
                                          "responsible_person_id": ""}, headers={"X-CSRFToken": token})
    assert ok.status_code == 303



def test_a_remembered_token_belongs_to_its_own_session_and_https_still_checks_the_referrer(app):
    """The process remembers the token Flask-WTF found valid for a session
    (schoolhq/core/csrf.py): the same page draws the same token again, that token is
    accepted without checking it anew, and it is refused in another session, after
    signing out, altered, and over HTTPS without the referrer Flask-WTF requires there."""
    app.config["WTF_CSRF_ENABLED"] = True
    with app.app_context():
        make_account("head", "logistics_head")
        make_account("other", "logistics_head")
    place = {"kind": "campus", "name": "分校", "sort_order": "0", "responsible_person_id": ""}

    def signed_in(username):
        client = app.test_client()
        token = csrf_from(client.get("/auth/login").get_data(as_text=True))
        assert client.post("/auth/login", data={"username": username, "password": TEST_PASSWORD,
                                                "csrf_token": token}).status_code == 303
        return client, csrf_from(client.get("/places/new").get_data(as_text=True))

    head, token = signed_in("head")
    assert csrf_from(head.get("/places/new").get_data(as_text=True)) == token  # remembered, not signed anew
    other, other_token = signed_in("other")
    assert other_token != token
    assert other.post("/places/new", data=place, headers={"X-CSRFToken": token}).status_code == 400
    assert head.post("/places/new", data=place, headers={"X-CSRFToken": token[:-2] + "xx"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id))) == 0
    assert head.post("/places/new", data=place, headers={"X-CSRFToken": token}).status_code == 303
    head.post("/auth/logout", headers={"X-CSRFToken": token})
    again, _fresh = signed_in("head")
    refused = again.post("/places/new", data={**place, "name": "第二分校"}, headers={"X-CSRFToken": token})
    assert refused.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id))) == 1
    # over HTTPS Flask-WTF's referrer check still applies to a remembered token
    from flask import session
    from flask_wtf.csrf import CSRFError, generate_csrf

    from schoolhq.core import csrf as remembering
    from schoolhq.extensions import csrf

    with app.test_request_context("/places/new"):
        session["csrf_token"] = "raw-token"
        signed = generate_csrf()
    for base_url, refusal in (("http://localhost", None), ("https://localhost", "referrer"), ("http://localhost", None)):
        with app.test_request_context("/places/new", method="POST", base_url=base_url, headers={"X-CSRFToken": signed}):
            session["csrf_token"] = "raw-token"
            if refusal:
                with pytest.raises(CSRFError, match=refusal):
                    csrf.protect()
            else:
                csrf.protect()
            assert remembering._CHECKED["raw-token"] == signed  # found valid once, remembered


def login_with(client, token):
    from tests.conftest import TEST_PASSWORD

    return client.post("/auth/login", data={"username": "head", "password": TEST_PASSWORD, "csrf_token": token})


def test_security_headers_and_cookie_flags(app, client):
    with app.app_context():
        make_account("someone")
    response = login(client, "someone")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"
    html = page.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html and " hx-on" not in html


def test_secure_cookies_when_behind_https(monkeypatch, tmp_path):
    monkeypatch.setenv("SCHOOLHQ_HTTPS", "1")
    monkeypatch.setenv("SCHOOLHQ_INSTANCE", str(tmp_path))
    https_app = create_app()
    assert https_app.config["SESSION_COOKIE_SECURE"] is True
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_expired_session_on_htmx_gets_401_and_a_redirect(client):
    response = client.get("/people/?q=w", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/auth/login"
    assert "<form" not in response.get_data(as_text=True)


def test_error_pages_speak_both_languages(app, client):
    with app.app_context():
        make_account("someone")
    login(client, "someone")
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert "页面或记录不存在" in missing.get_data(as_text=True)
    forbidden = client.get("/auth/accounts")
    assert forbidden.status_code == 403
    assert "没有" in forbidden.get_data(as_text=True)
    client.post("/lang", data={"language": "en", "next": "/"})
    english = client.get("/no/such/page").get_data(as_text=True)
    assert "does not exist" in english
    assert client.post("/lang", data={"language": "klingon"}).status_code == 400


def test_a_server_error_shows_a_page_not_a_traceback(tmp_path):
    broken = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", "SECRET_KEY": "x",
                         "INSTANCE_DIR": str(tmp_path), "TESTING": False})

    @public
    def explode():
        raise RuntimeError("boom with secrets")

    broken.add_url_rule("/explode", "explode", explode)
    response = broken.test_client().get("/explode")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "boom" not in html and "Traceback" not in html
    assert "内容未保存" in html


def test_language_choice_is_remembered_per_user(app, client):
    with app.app_context():
        make_account("someone")
    login(client, "someone")
    client.post("/lang", data={"language": "en", "next": "/"})
    client.post("/auth/logout")
    other = app.test_client()
    login(other, "someone")
    assert 'lang="en"' in other.get("/").get_data(as_text=True)


def test_health_check(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_a_nul_character_is_refused_everywhere_with_a_message_and_changes_nothing(app, client):
    """PostgreSQL cannot store NUL in text: before, 26 forms, the sign-in page and four
    searches answered 500 there."""
    with app.app_context():
        make_account("head", "logistics_head")
    signed = client.post("/auth/login", data={"username": "he\x00ad", "password": "x"})
    assert signed.status_code == 422 and "不可见控制字符" in signed.get_data(as_text=True)
    assert login(client, "head").status_code == 303
    searched = client.get("/places/?q=a%00b", headers={"HX-Request": "true"})
    assert searched.status_code == 422 and "不可见控制字符" in unquote(searched.headers["X-Message"])
    made = client.post("/places/new", data={"kind": "campus", "name": "分\x00校", "sort_order": "0"})
    assert made.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id))) == 0


def test_xlsx_keeps_formula_like_text_as_text_and_makes_sheet_names_excel_accepts(app):
    import io

    from openpyxl import load_workbook

    from schoolhq.core.xlsx import download

    trap = '=HYPERLINK("http://evil.example/","点我")'
    with app.test_request_context():
        answer = download("ledger.xlsx", [("复印纸 A4/80g", ["名称", "数量"], [[trap, 3], ["-5", -5]]),
                                          ("复印纸 A4/80g", ["名称"], [])])
        answer.direct_passthrough = False
        book = load_workbook(io.BytesIO(answer.get_data()))
    assert book.sheetnames == ["复印纸 A4／80g", "复印纸 A4／80g (2)"]
    sheet = book["复印纸 A4／80g"]
    assert sheet["A2"].value == trap and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 3 and sheet["A3"].value == "-5" and sheet["B3"].value == -5


def test_the_audit_trail_keeps_at_most_a_thousand_characters_of_one_text(app):
    from schoolhq.core import audit
    from schoolhq.core.models import AuditEntry

    with app.test_request_context():
        long_text = "漏水" * 50_000  # 100,000 characters pasted into a description
        entry = audit.record("core", "test.long", before={"note": "短"}, after={"note": long_text, "n": 3},
                             summary=long_text)
        db.session.commit()
        stored = db.session.get(AuditEntry, entry.id)
        assert stored.before == {"note": "短"} and stored.after["n"] == 3
        assert stored.after["note"].startswith(long_text[:audit.TEXT_LIMIT])
        assert stored.after["note"].endswith(f"…(+{len(long_text) - audit.TEXT_LIMIT})")
        assert len(stored.summary) <= 200


@pytest.mark.parametrize("url", [
    "/audit?day_from=0001-01-01", "/audit?day_to=9999-12-31", "/assets/reserve?week=0001-01-01",
    "/assets/reserve?week=9999-12-31", "/people/?department=100000000000000000000",
    "/places/?parent=100000000000000000000", "/places/new?parent=100000000000000000000",
])
def test_dates_near_year_one_or_9999_and_ids_past_the_database_are_answered_not_crashed(app, client, url):
    with app.app_context():
        make_account("boss", "admin")
    assert login(client, "boss").status_code == 303
    assert client.get(url).status_code in (200, 404)


def test_the_audit_says_a_date_outside_the_school_years_is_a_typo(app, client):
    with app.app_context():
        make_account("boss", "admin")
    assert login(client, "boss").status_code == 303
    page = client.get("/audit?day_to=9999-12-31").get_data(as_text=True)
    assert "请选择 2000-01-01 至 2100-12-31 之间的日期" in page


# Messages in the reader's language -------------------------------------------------------

def test_a_weekday_that_is_not_a_box_is_refused_in_chinese(app, admin_client):
    response = admin_client.post("/settings", data={"school_name": "阳光小学", "timezone": "Asia/Shanghai",
                                                    "default_language": "zh_CN", "school_weekdays": ["0", "9"]},
                                 headers={"Accept-Language": "zh-CN"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "not a valid choice" not in body
    assert "只能勾选列出的选项" in body and "9" in body


@pytest.mark.parametrize("starts_on, why", [("2026-13-01", "2026-09-01"), ("", "2026-09-01"),
                                            ("9999-09-01", "2000-01-01")])
def test_an_invalid_term_date_says_why_in_chinese(app, admin_client, starts_on, why):
    from schoolhq.core.models import SchoolTerm

    response = admin_client.post("/calendar/terms", data={"term-name": "秋季学期", "term-starts_on": starts_on,
                                                          "term-ends_on": "2027-01-20"},
                                 headers={"Accept-Language": "zh-CN"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and why in body, body[body.find("error"):][:300]
    with app.app_context():
        assert db.session.scalar(select(func.count(SchoolTerm.id))) == 0


#: every page with a search box (each reads it through core.web.search_arg)
SEARCH_PAGES = ("/auth/accounts", "/assets/", "/assets/pick", "/stock/", "/stock/request/search", "/people/",
                "/people/pick")


def test_a_search_of_a_hundred_thousand_characters_is_cut_short_not_a_crash(app, demo):
    """SQLite refuses a LIKE pattern past 50,000 bytes ("pattern too complex"): every
    search box reads at most SEARCH_LIMIT characters."""
    client = app.test_client()
    assert login(client, "admin", "demo1234").status_code == 303
    pasted = "复印纸" * 34_000
    answers = {page: client.get(page, query_string={"q": pasted}).status_code for page in SEARCH_PAGES}
    assert all(code < 500 for code in answers.values()), answers
    assert "管理员" in client.get("/auth/accounts", query_string={"q": "admin" + " " * 200}).get_data(as_text=True)


def test_every_search_box_is_read_through_the_one_helper():
    import re

    from tests.conftest import ROOT

    direct = [f"{path.relative_to(ROOT)}" for path in (ROOT / "schoolhq").rglob("*.py")
              if re.search(r"request\.args\.get\([\"'](q|search)[\"']", path.read_text(encoding="utf-8"))]
    assert not direct, f"read the search text with core.web.search_arg: {direct}"


def test_a_remembered_session_cookie_opens_to_its_own_values_within_its_lifetime(app, monkeypatch):
    """The process remembers the session cookies it verified (schoolhq/core/cookies.py):
    the same cookie opens to the same values without checking its signature again, each
    request gets its own copy of them, an altered cookie opens nothing, and a cookie past
    the session lifetime is refused even though it was verified before."""
    import time

    from schoolhq.core import cookies

    interface = app.session_interface
    assert isinstance(interface, cookies.RememberingSessionInterface)
    cookie = interface.get_signing_serializer(app).dumps({"_user_id": "1:1", "_flashes": [("message", "已保存")]})
    name = interface.get_cookie_name(app)

    def opened(value):
        with app.test_request_context("/", headers={"Cookie": f"{name}={value}"}) as ctx:
            return interface.open_session(app, ctx.request)

    first = opened(cookie)
    assert first["_user_id"] == "1:1" and cookie in interface._verified
    first["_flashes"].append(("message", "再次"))  # a flash changes the list in place
    assert opened(cookie)["_flashes"] == [("message", "已保存")]
    assert dict(opened(cookie[:-3] + "xyz")) == {}
    later = time.time() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(cookies.time, "time", lambda: later)
    assert dict(opened(cookie)) == {}
    assert cookie not in interface._verified
