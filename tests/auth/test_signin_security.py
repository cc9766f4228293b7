"""Sign-in security (issue #12, section 2): counting failures under a lock, throttling
per client address, the way back for a locked administrator, same-site `next` only,
logout ending the session server-side, refusing common passwords, HSTS over HTTPS."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import event, inspect, select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from tests.conftest import TEST_PASSWORD, login, make_account


def _account(username):
    return db.session.scalar(select(Account).where(Account.username == username))


@pytest.fixture
def few_failures_per_address(app, monkeypatch):
    """A low limit per address: each failure costs a password hash of time."""
    monkeypatch.setitem(app.config, "SCHOOLHQ_FAILED_SIGNINS_PER_ADDRESS", 6)


def _from(app, address):
    """A browser at this client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# Failures counted under a lock ---------------------------------------------------------

def test_a_parallel_burst_locks_after_exactly_five_failures_and_keeps_the_right_password_out(app):
    with app.app_context():
        make_account("principal", "principal")
    # every write to the account, in the order the writes were flushed: f a counted
    # failure, L the failure that locks, S a sign-in
    writes: list[str] = []
    writes_lock = threading.Lock()

    def note_write(_mapper, _connection, target):
        state = inspect(target)
        if state.attrs.locked_until.history.added not in ((), [None], (None,)):
            kind = "L"
        elif state.attrs.last_login_at.history.has_changes():
            kind = "S"
        elif state.attrs.failed_logins.history.has_changes():
            kind = "f"
        else:
            return
        with writes_lock:
            writes.append(kind)

    event.listen(Account, "before_update", note_write)
    start = threading.Barrier(50)
    answers: dict[int, int] = {}

    def attempt(number: int):
        # each thread its own browser at its own address: only the account's own lock
        # is under test, not the throttle per address
        client = _from(app, f"10.0.{number // 250}.{number % 250 + 1}")
        password = TEST_PASSWORD if number == 25 else f"wrong-guess-{number}"
        start.wait()
        answers[number] = login(client, "principal", password).status_code

    threads = [threading.Thread(target=attempt, args=(number,)) for number in range(50)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    finally:
        event.remove(Account, "before_update", note_write)
    assert len(answers) == 50
    sequence = "".join(writes)
    # at most four failures, then perhaps the right password; then exactly five
    # failures lock the account and nothing is counted after the lock
    assert re.fullmatch(r"(f{0,4}S)?f{4}L", sequence), sequence
    assert answers[25] == (303 if "S" in sequence else 422)
    assert all(code == 422 for number, code in answers.items() if number != 25)
    with app.app_context():
        account = _account("principal")
        assert account.locked_until is not None and account.locked_until > utcnow() + timedelta(minutes=14)
        assert account.failed_logins == 0


# Throttle per client address -----------------------------------------------------------

def test_failures_from_one_address_over_many_accounts_are_throttled_in_the_database(app, clock,
                                                                                     few_failures_per_address):
    from schoolhq.auth.services import MAX_FAILED_LOGINS, failures_allowed_per_address

    with app.app_context():
        for number in range(8):
            make_account(f"teacher{number}")
        make_account("wangfang")
        limit = failures_allowed_per_address()
    sprayer = "192.0.2.7"
    for attempt in range(limit):
        # spread over the accounts so that none of them locks itself
        username = f"teacher{attempt % 8}" if attempt < 8 * (MAX_FAILED_LOGINS - 1) else f"ghost{attempt}"
        assert login(_from(app, sprayer), username, "Spring2027!").status_code == 422
    # the next attempt from that address is refused even with the right password, by a
    # new browser (another process would see the same rows), with its own message
    refused = login(_from(app, sprayer), "wangfang")
    assert refused.status_code == 429
    assert "此设备登录失败次数过多" in refused.get_data(as_text=True)
    # throttled attempts count against no account: nobody was locked by the spraying
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.locked_until.is_not(None))) is None
        assert _account("wangfang").failed_logins == 0
    # another address signs in as usual, and the sprayer may try again after 15 minutes
    assert login(_from(app, "192.0.2.8"), "wangfang").status_code == 303
    clock.shift(timedelta(minutes=16))
    assert login(_from(app, sprayer), "wangfang").status_code == 303


def test_the_throttle_message_is_in_english_for_an_english_browser(app, few_failures_per_address):
    from schoolhq.auth.services import failures_allowed_per_address

    with app.app_context():
        make_account("wangfang")
        limit = failures_allowed_per_address()
    browser = _from(app, "192.0.2.9")
    browser.post("/lang", data={"language": "en"})
    for attempt in range(limit):
        login(browser, f"ghost{attempt}", "whatever-123")
    refused = login(browser, "wangfang")
    assert refused.status_code == 429
    assert "Too many failed sign-ins from this device" in refused.get_data(as_text=True)


def test_schoolhq_unlock_lets_a_locked_out_administrator_back_in(app, monkeypatch):
    from schoolhq import cli

    with app.app_context():
        make_account("itadmin", "admin")
    for _ in range(5):
        login(app.test_client(), "itadmin", "wrong-password")
    assert login(app.test_client(), "itadmin").status_code == 422
    monkeypatch.setattr(cli, "_app", lambda: app)
    unknown = CliRunner().invoke(cli.main, ["unlock", "nobody"])
    assert unknown.exit_code != 0 and "nobody" in unknown.output
    result = CliRunner().invoke(cli.main, ["unlock", "itadmin"])
    assert result.exit_code == 0, result.output
    assert "itadmin" in result.output
    assert login(app.test_client(), "itadmin").status_code == 303


def test_schoolhq_unlock_can_lift_the_throttle_of_every_address(app, monkeypatch, few_failures_per_address):
    from schoolhq import cli
    from schoolhq.auth.services import failures_allowed_per_address

    with app.app_context():
        make_account("itadmin", "admin")
        limit = failures_allowed_per_address()
    for attempt in range(limit):
        login(app.test_client(), f"ghost{attempt}", "whatever-123")
    assert login(app.test_client(), "itadmin").status_code == 429
    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["unlock", "itadmin", "--addresses"])
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "itadmin").status_code == 303


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
