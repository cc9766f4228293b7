"""The per-process caches of the signed-in account, its grants and the settings
(core.process_cache): used while nothing changed, and gone on the very next request after
a change, whichever process or connection made it."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text

from schoolhq import create_app
from schoolhq.auth import services as auth
from schoolhq.auth.models import Account, RoleAssignment
from schoolhq.core import process_cache, settings
from schoolhq.extensions import db
from tests.conftest import login, make_account

ACCOUNTS = "/auth/accounts"  # needs admin.users school-wide


@contextmanager
def statements(app):
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def boss(app, client):
    """A signed-in administrator whose cache is warm."""
    with app.app_context():
        make_account("boss", "admin", name="校长")
    assert login(client, "boss").status_code == 303
    assert client.get(ACCOUNTS).status_code == 200
    with app.app_context():  # the sign-in changed the account: there is a stamp to cache under
        assert db.session.scalar(text("SELECT value FROM counter WHERE scope = :scope"),
                                 {"scope": process_cache.SCOPE}) is not None
    return client


def _admin_assignment(username: str = "boss") -> int:
    return db.session.scalar(select(RoleAssignment.id).join(Account, Account.id == RoleAssignment.account_id)
                             .where(Account.username == username))


def test_a_warm_request_reads_neither_the_stamp_nor_the_account_or_its_grants(app, boss):
    assert boss.get("/people/?q=nobody").status_code == 200
    with statements(app) as sent:
        assert boss.get("/people/?q=nobody").status_code == 200
    assert not any("counter" in s for s in sent), sent
    assert not any("FROM role_assignment" in s and "account_id = " in s for s in sent), sent
    assert not any(s.startswith("SELECT account.id, account.username, account.password_hash") for s in sent)
    assert not any("FROM setting" in s for s in sent)


def test_a_role_removed_is_gone_on_the_very_next_request(app, boss):
    with app.app_context():
        auth.unassign_role(_admin_assignment())
        db.session.commit()
    assert boss.get(ACCOUNTS).status_code == 403


def test_a_role_given_counts_on_the_very_next_request(app, client):
    with app.app_context():
        make_account("clerk", "staff")
    assert login(client, "clerk").status_code == 303
    assert client.get(ACCOUNTS).status_code == 403
    with app.app_context():
        clerk = db.session.scalar(select(Account.id).where(Account.username == "clerk"))
        auth.assign_role(clerk, next(r.id for r in auth.roles() if r.code == "admin"))
        db.session.commit()
    assert client.get(ACCOUNTS).status_code == 200


def test_a_permission_taken_from_the_role_is_gone_at_once(app, boss):
    with app.app_context():
        role = next(r for r in auth.roles() if r.code == "admin")
        auth.update_role(role.id, str(auth.BUILTIN_ROLES["admin"]), sorted(role.permission_names - {"admin.users"}))
        db.session.commit()
    assert boss.get(ACCOUNTS).status_code == 403


def test_a_deactivated_account_is_signed_out_at_once(app, boss):
    with app.app_context():
        make_account("other", "admin")
        other = db.session.scalar(select(Account).where(Account.username == "other"))
        boss_id = db.session.scalar(select(Account.id).where(Account.username == "boss"))
        auth.set_active(boss_id, False, acting=other)
        db.session.commit()
    answer = boss.get(ACCOUNTS)
    assert answer.status_code == 302 and "/auth/login" in answer.headers["Location"]


def test_a_setting_changed_shows_at_once(app, boss):
    assert "阳光小学" not in boss.get(ACCOUNTS).get_data(as_text=True)
    with app.app_context():
        settings.update({"school_name": "阳光小学"})
        db.session.commit()
    assert "阳光小学" in boss.get(ACCOUNTS).get_data(as_text=True)


def test_a_change_rolled_back_leaves_the_cache_right(app, boss):
    with app.test_request_context():
        auth.unassign_role(_admin_assignment())
        db.session.rollback()
    assert boss.get(ACCOUNTS).status_code == 200
    with app.app_context():
        auth.unassign_role(_admin_assignment())
        db.session.commit()
    assert boss.get(ACCOUNTS).status_code == 403


def test_a_change_made_by_another_process_is_seen_at_once(app, boss):
    """A second app instance on the same database stands for a second serving process."""
    other = create_app({key: app.config[key] for key in (
        "TESTING", "SECRET_KEY", "INSTANCE_DIR", "UPLOAD_FOLDER", "SQLALCHEMY_DATABASE_URI", "SERVER_NAME")})
    with other.app_context():
        auth.unassign_role(_admin_assignment())
        db.session.commit()
        db.engine.dispose()
    assert boss.get(ACCOUNTS).status_code == 403


def test_sql_written_by_hand_counts_within_a_second_of_replacing_the_stamp(app, boss, clock):
    """Another connection, outside the ORM and without the signal file (a second server,
    say): its change shows once the process reads the stamp again, within TRUST_SECONDS."""
    with app.app_context():
        assignment = _admin_assignment()
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM role_assignment WHERE id = :id"), {"id": assignment})
            connection.execute(text("UPDATE counter SET value = value + 1 WHERE scope = :scope"),
                               {"scope": process_cache.SCOPE})
    clock.shift(timedelta(seconds=process_cache.TRUST_SECONDS + 0.5))
    assert boss.get(ACCOUNTS).status_code == 403


def test_a_change_signalled_is_seen_at_once(app, boss):
    """SQL written by hand, then the signal every committed change sends (bump() does both)."""
    with app.app_context():
        assignment = _admin_assignment()
        db.session.execute(text("DELETE FROM role_assignment WHERE id = :id"), {"id": assignment})
        process_cache.bump()
        db.session.commit()
    assert boss.get(ACCOUNTS).status_code == 403


def test_settings_handed_out_cannot_change_what_others_read(app, ctx):
    weekdays = settings.get("school_weekdays")
    weekdays.append(6)
    assert 6 not in settings.get("school_weekdays")
