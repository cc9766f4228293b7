from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from tests.conftest import TEST_PASSWORD, login, make_account

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _account(username):
    return db.session.scalar(select(Account).where(Account.username == username))


def test_sign_in_reaches_a_chinese_dashboard(app, client):
    with app.app_context():
        make_account("wangfang", name="王芳")
    response = login(client, "wangfang")
    assert response.status_code == 303
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "王芳" in html
    assert "lang=\"zh-CN\"" in html


def test_unknown_user_and_wrong_password_get_the_same_message(app, client):
    with app.app_context():
        make_account("wangfang")
    unknown = login(client, "nobody", "whatever-123")
    wrong = login(client, "wangfang", "wrong-password")
    assert unknown.status_code == wrong.status_code == 422
    message = "用户名或密码错误"
    assert message in unknown.get_data(as_text=True)
    assert message in wrong.get_data(as_text=True)


def test_five_failures_lock_the_account_in_the_database(app, client):
    with app.app_context():
        make_account("wangfang")
    for _ in range(5):
        assert login(client, "wangfang", "bad-password").status_code == 422
    # The right password no longer works while locked, and the lock is in the database,
    # so it holds for a new client (another process) as well.
    assert login(app.test_client(), "wangfang").status_code == 422
    with app.app_context():
        account = _account("wangfang")
        assert account.locked_until is not None
        assert account.locked_until > utcnow() + timedelta(minutes=14)
        account.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert login(client, "wangfang").status_code == 303


def test_logout_needs_a_post_and_ends_the_session(app, client):
    with app.app_context():
        make_account("wangfang")
    login(client, "wangfang")
    assert client.get("/auth/logout").status_code == 405
    assert client.post("/auth/logout").status_code == 303
    assert client.get("/").status_code == 302


def test_change_password_needs_the_old_one_and_a_minimum_length(app, client):
    with app.app_context():
        make_account("wangfang")
    login(client, "wangfang")
    wrong_old = client.post("/auth/password", data={"old_password": "nope", "new_password": "new-pass-456"})
    assert wrong_old.status_code == 422
    short = client.post("/auth/password", data={"old_password": TEST_PASSWORD, "new_password": "short"})
    assert short.status_code == 422
    assert "至少" in short.get_data(as_text=True)
    with app.app_context():
        assert _account("wangfang").password_hash and login(app.test_client(), "wangfang").status_code == 303
    ok = client.post("/auth/password", data={"old_password": TEST_PASSWORD, "new_password": "new-pass-456"})
    assert ok.status_code == 303
    assert client.get("/").status_code == 200  # this session carries on
    assert login(app.test_client(), "wangfang").status_code == 422
    assert login(app.test_client(), "wangfang", "new-pass-456").status_code == 303


def test_a_password_change_ends_other_sessions(app, client):
    with app.app_context():
        make_account("wangfang")
    other = app.test_client()
    login(other, "wangfang")
    login(client, "wangfang")
    client.post("/auth/password", data={"old_password": TEST_PASSWORD, "new_password": "new-pass-456"})
    assert other.get("/").status_code == 302


def test_deactivated_accounts_cannot_sign_in_and_lose_their_session(app, admin_client):
    with app.app_context():
        account = make_account("leaver")
        account_id = account.id
    leaver = app.test_client()
    assert login(leaver, "leaver").status_code == 303
    assert admin_client.post(f"/auth/accounts/{account_id}/active", data={"active": "0"}).status_code == 303
    assert leaver.get("/").status_code == 302
    assert login(app.test_client(), "leaver").status_code == 422
    with app.app_context():
        assert _account("leaver") is not None  # deactivated, never deleted


def test_login_redirect_only_goes_to_our_own_pages(app, client):
    with app.app_context():
        make_account("wangfang")
    response = client.post("/auth/login", data={"username": "wangfang", "password": TEST_PASSWORD,
                                                "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_locked_accounts_show_on_the_administrators_dashboard(app, client):
    with app.app_context():
        make_account("admin", "admin")
        make_account("forgetful")
    for _ in range(5):
        login(app.test_client(), "forgetful", "wrong-password")
    login(client, "admin")
    html = client.get("/").get_data(as_text=True)
    assert "登录失败被锁定的账号" in html
    assert "已锁定" in client.get("/auth/accounts").get_data(as_text=True)


def test_a_remembered_sign_in_survives_the_session_but_not_a_password_change(app, client):
    with app.app_context():
        make_account("teacher", "staff", name="王芳")
    response = client.post("/auth/login", data={"username": "teacher", "password": TEST_PASSWORD, "remember": "y"})
    assert response.status_code == 303 and "remember_token" in response.headers.get("Set-Cookie", "") + "".join(
        response.headers.getlist("Set-Cookie"))
    client.delete_cookie("session")
    assert client.get("/").status_code == 200  # back in from the remember cookie
    with app.app_context():
        from schoolhq.auth import services as auth
        from schoolhq.auth.models import Account

        account = db.session.scalar(select(Account).where(Account.username == "teacher"))
        auth.reset_password(account.id, "another-pass-123")
        db.session.commit()
    client.delete_cookie("session")
    assert client.get("/").status_code == 302
