"""Sign-in security (issue #12, section 2): counting failures under a lock, throttling
per client address, the way back for a locked administrator, same-site `next` only,
logout ending the session server-side, refusing common passwords, HSTS over HTTPS."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.extensions import db
from tests.conftest import TEST_PASSWORD, login, make_account

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _account(username):
    return db.session.scalar(select(Account).where(Account.username == username))


# Only same-site `next` -----------------------------------------------------------------

OFF_SITE = ["/%09/evil.example/", "//evil.example/", "/\\evil.example/", "/%5Cevil.example/",
            "https://evil.example/", "http:/evil.example/", "javascript:alert(1)", " //evil.example/",
            "/%0a/evil.example/", "%2F%2Fevil.example/", "/%2F/evil.example/", "\\\\evil.example/"]


def _raw_next(target: str) -> str:
    """The target as the query string carries it: a %xx already in it is sent as is."""
    return "".join(part if part.startswith("%") else quote(part, safe="/:")
                   for part in re.split(r"(%[0-9A-Fa-f]{2})", target))


@pytest.mark.parametrize("target", OFF_SITE)
def test_a_signed_in_visit_to_the_login_page_goes_only_to_our_own_pages(app, client, target):
    with app.app_context():
        make_account("wangfang")
    login(client, "wangfang")
    response = client.get(f"/auth/login?next={_raw_next(target)}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_goes_only_to_our_own_pages(app, client, target):
    from urllib.parse import unquote

    with app.app_context():
        make_account("wangfang")
    response = client.post("/auth/login", data={"username": "wangfang", "password": TEST_PASSWORD,
                                                "next": unquote(target)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_switching_language_goes_only_to_our_own_pages(app, client, target):
    from urllib.parse import unquote

    response = client.post("/lang", data={"language": "en", "next": unquote(target)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_same_site_paths_keep_their_path_and_query(app, client):
    with app.app_context():
        make_account("wangfang")
    response = client.post("/auth/login", data={"username": "wangfang", "password": TEST_PASSWORD,
                                                "next": "/people/?q=%E7%8E%8B&page=2#top"})
    assert response.headers["Location"] == "/people/?q=%E7%8E%8B&page=2"
    switched = client.post("/lang", data={"language": "en", "next": "/repairs/?status=open"})
    assert switched.headers["Location"] == "/repairs/?status=open"


# Logout ends the session server-side ---------------------------------------------------

def _cookie(client, name):
    cookie = client.get_cookie(name, domain="school.test") or client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie


def test_logout_ends_a_copied_session_cookie(app, client):
    with app.app_context():
        make_account("admin", "admin")
    login(client, "admin")
    assert client.get("/audit").status_code == 200  # the account's columns are now cached
    copied = _cookie(client, "session")
    thief = app.test_client()
    thief.set_cookie(copied.key, copied.value, domain=copied.domain)
    assert thief.get("/audit").status_code == 200
    assert client.post("/auth/logout").status_code == 303
    # at once, in this same process, though the columns were cached: the logout changed
    # the account, and that replaces the cache's stamp
    assert thief.get("/audit").status_code == 302


def test_logout_ends_a_copied_remember_cookie(app, client):
    with app.app_context():
        make_account("admin", "admin")
    client.post("/auth/login", data={"username": "admin", "password": TEST_PASSWORD, "remember": "y"})
    copied = _cookie(client, "remember_token")
    thief = app.test_client()
    thief.set_cookie(copied.key, copied.value, domain=copied.domain)
    assert thief.get("/audit").status_code == 200
    thief.delete_cookie("session", domain=copied.domain)
    assert client.post("/auth/logout").status_code == 303
    assert thief.get("/audit").status_code == 302


def test_a_password_change_ends_a_remembered_sign_in_on_another_device(app, client):
    with app.app_context():
        make_account("wangfang")
    phone = app.test_client()
    phone.post("/auth/login", data={"username": "wangfang", "password": TEST_PASSWORD, "remember": "y"})
    remembered = _cookie(phone, "remember_token")
    login(client, "wangfang")
    assert client.post("/auth/password", data={"old_password": TEST_PASSWORD,
                                               "new_password": "new-pass-456"}).status_code == 303
    copy = app.test_client()
    copy.set_cookie(remembered.key, remembered.value, domain=remembered.domain)
    assert copy.get("/").status_code == 302
    assert client.get("/").status_code == 200  # the device that changed it stays in


# Common passwords are refused ----------------------------------------------------------

COMMON = ["12345678", "password", "Password", "aaaaaaaa", "11111111", "qwertyui", "QWERTYUIOP",
          "87654321", "abcdefgh", "asdfghjk", "1qaz2wsx", "iloveyou", "abababab", "wangfang"]


@pytest.mark.parametrize("password", COMMON)
def test_common_passwords_are_refused_by_the_rule(ctx, password):
    from schoolhq.auth.services import check_new_password
    from schoolhq.core.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        check_new_password(password, "new_password", username="wangfang")
    assert refused.value.field == "new_password"


@pytest.mark.parametrize("password", ["test-pass-123", "demo1234", "晴天-阅览室-2027", "Kx7#pL9q"])
def test_ordinary_passwords_pass_the_rule(ctx, password):
    from schoolhq.auth.services import check_new_password

    check_new_password(password, "new_password", username="wangfang")


def test_a_common_new_password_is_refused_with_a_chinese_message_and_changes_nothing(app, client):
    with app.app_context():
        make_account("wangfang")
        before = _account("wangfang").password_hash
    login(client, "wangfang")
    for password, message in (("qwertyui", "太容易被猜到"), ("wangfang", "不能与用户名相同")):
        refused = client.post("/auth/password", data={"old_password": TEST_PASSWORD, "new_password": password})
        assert refused.status_code == 422
        assert message in refused.get_data(as_text=True)
    with app.app_context():
        assert _account("wangfang").password_hash == before


def test_a_common_password_is_refused_in_english_too(app, client):
    with app.app_context():
        make_account("wangfang", language="en")
    login(client, "wangfang")
    refused = client.post("/auth/password", data={"old_password": TEST_PASSWORD, "new_password": "11111111"})
    assert refused.status_code == 422
    assert "too easy to guess" in refused.get_data(as_text=True)


def test_an_administrator_cannot_give_a_common_password(app, admin_client):
    with app.app_context():
        account_id = make_account("wangfang").id
        before = _account("wangfang").password_hash
    refused = admin_client.post(f"/auth/accounts/{account_id}/password", data={"new_password": "password"})
    assert refused.status_code == 422
    assert "太容易被猜到" in refused.get_data(as_text=True)
    with app.app_context():
        assert _account("wangfang").password_hash == before


def test_the_forms_that_set_a_password_say_the_rule(app, admin_client):
    with app.app_context():
        account_id = make_account("wangfang").id
    hint = "不能是常见密码"
    assert hint in admin_client.get("/auth/password").get_data(as_text=True)
    assert hint in admin_client.get("/auth/accounts/new").get_data(as_text=True)
    assert hint in admin_client.get(f"/auth/accounts/{account_id}").get_data(as_text=True)


# HSTS over HTTPS -----------------------------------------------------------------------

def test_strict_transport_security_only_when_served_over_https(app, client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    app.config["SCHOOLHQ_HTTPS"] = True
    try:
        header = client.get("/auth/login").headers.get("Strict-Transport-Security", "")
    finally:
        app.config["SCHOOLHQ_HTTPS"] = False
    assert re.fullmatch(r"max-age=\d{7,}", header), header


def test_schoolhq_https_marks_the_cookies_secure(monkeypatch, tmp_path):
    from schoolhq.config import load_config

    monkeypatch.setenv("SCHOOLHQ_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SCHOOLHQ_HTTPS", "1")
    settings = load_config()
    assert settings["SCHOOLHQ_HTTPS"] is True
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setenv("SCHOOLHQ_HTTPS", "0")
    assert load_config()["SCHOOLHQ_HTTPS"] is False
