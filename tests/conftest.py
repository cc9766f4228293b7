"""Shared fixtures: a real database (an SQLite file, or the PostgreSQL server named by
SCHOOLHQ_TEST_DATABASE_URL), emptied before every test; a held clock; helpers to sign in."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select, text

from schoolhq import create_app
from schoolhq.areas import AREAS
from schoolhq.core import process_cache
from schoolhq.extensions import db

#: each area's test factories (tests/factories/<area>.py), as plugins so they may offer fixtures
pytest_plugins = [f"tests.factories.{area}" for area in AREAS
                  if (Path(__file__).parent / "factories" / f"{area}.py").exists()]

TEST_PASSWORD = "test-pass-123"
PG_URL = os.environ.get("SCHOOLHQ_TEST_DATABASE_URL", "").strip()


def engine_name() -> str:
    return "postgresql" if PG_URL else "sqlite"


# ---------------------------------------------------------------------------------------
# The held clock. Every test runs at one instant of the school's day, held for the whole
# session: SCHOOLHQ_TEST_NOW ("2027-01-31" or "2027-01-31T07:45", school time), or else
# today at 10:00 in the school's zone. CI runs the tests marked `dated` again at other days
# of the school year (a weekend, a holiday, a month's last day), so no test may assume
# what kind of day today is. A test that needs a particular day says so with
# `@pytest.mark.clock("2026-12-01 06:00")`, or moves the clock with `clock.set(...)`.
# Time still flows from the held instant (tick=True): records made one after another in a
# test keep their order, as they would in the running app.
# ---------------------------------------------------------------------------------------
SCHOOL_ZONE = ZoneInfo("Asia/Shanghai")


def _held_instant() -> datetime:
    wanted = os.environ.get("SCHOOLHQ_TEST_NOW", "").strip()
    if not wanted:
        today = datetime.now(SCHOOL_ZONE).date()
        return datetime(today.year, today.month, today.day, 10, 0, tzinfo=SCHOOL_ZONE)
    return _school_time(wanted)


def _school_time(text_value: str) -> datetime:
    value = datetime.fromisoformat(text_value.strip().replace(" ", "T"))
    if len(text_value.strip()) == 10:
        value = value.replace(hour=10)
    return value.replace(tzinfo=SCHOOL_ZONE) if value.tzinfo is None else value


HELD_NOW = _held_instant()


def pytest_report_header(config):
    return f"held clock: {HELD_NOW:%Y-%m-%d %H:%M %Z} ({HELD_NOW:%A}), school time"


@dataclass
class Clock:
    """The held clock as a test sees it: `today` is the school's date, `now` naive UTC as
    the app stores it."""

    traveller: time_machine.Coordinates

    @property
    def local_now(self) -> datetime:
        return datetime.now(SCHOOL_ZONE)

    @property
    def today(self) -> date:
        return self.local_now.date()

    @property
    def now(self) -> datetime:
        return datetime.now(UTC).replace(tzinfo=None)

    def set(self, when: str | datetime) -> None:
        """Move to a school-time instant ("2026-12-01 06:00")."""
        self.traveller.move_to(_school_time(when) if isinstance(when, str) else when)

    def shift(self, delta: timedelta) -> None:
        self.traveller.shift(delta)

    def weekday_on_or_after(self, day: date, weekday: int) -> date:
        return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture(autouse=True)
def clock(request) -> Clock:
    marker = request.node.get_closest_marker("clock")
    start = _school_time(marker.args[0]) if marker else HELD_NOW
    with time_machine.travel(start, tick=True) as traveller:
        yield Clock(traveller)


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instance")
    url = PG_URL or f"sqlite:///{folder / 'test.db'}"
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "INSTANCE_DIR": str(folder),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "school.test",
    })
    with app.app_context():
        _drop_everything()
        db.create_all()
        from flask_migrate import stamp

        stamp()  # as a migrated database would be (test_migrations proves they agree)
    return app


def _drop_everything() -> None:
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            return
    # SQLite ignores the foreign-key switch inside a transaction: use the raw connection.
    # The append-only triggers refuse deletes, so they step aside while the test empties.
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        triggers = cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        cursor.execute("PRAGMA foreign_keys=OFF")
        cursor.execute("BEGIN")
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')
        for _name, sql in triggers:
            cursor.execute(sql)
        cursor.execute("COMMIT")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()


@pytest.fixture(autouse=True)
def _clean_db(request, clock):
    if "app" not in request.fixturenames and "client" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        _empty_tables()
        process_cache.forget()  # the database was emptied underneath the cache
        from schoolhq.core.seeding import seed_all

        seed_all()
        db.session.commit()
    app.config["WTF_CSRF_ENABLED"] = False
    yield
    with app.app_context():
        db.session.remove()


@pytest.fixture
def ctx(app):
    """An application context inside a test request, for calling services directly."""
    with app.test_request_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


_HASH_CACHE: dict[str, str] = {}


def password_hash(password: str = TEST_PASSWORD) -> str:
    if password not in _HASH_CACHE:
        from schoolhq.auth.services import hash_password

        _HASH_CACHE[password] = hash_password(password)
    return _HASH_CACHE[password]


def make_account(username: str, role: str | None = "staff", *, name: str | None = None,
                 department_id: int | None = None, location_id: int | None = None,
                 scope_department_id: int | None = None, language: str = ""):
    """A person with a sign-in and (optionally) one role; call inside an app context."""
    from schoolhq.auth import services as auth
    from schoolhq.people import services as people

    person = people.create_person(name or username, department_id)
    account = auth.create_account(person.id, username, "", language=language, password_hash=password_hash())
    if role:
        role_obj = next(r for r in auth.roles() if r.code == role)
        auth.assign_role(account.id, role_obj.id, department_id=scope_department_id, location_id=location_id)
    db.session.commit()
    return account


def login(client, username: str, password: str = TEST_PASSWORD):
    return client.post("/auth/login", data={"username": username, "password": password})


@pytest.fixture
def admin_client(app, client):
    with app.app_context():
        make_account("admin", "admin", name="管理员")
    assert login(client, "admin").status_code == 303
    return client


@pytest.fixture
def everything_client(app, client):
    """Signed in with every permission there is, so a record that does not exist is the
    only reason left for refusing a page."""
    from schoolhq.auth import services as auth
    from schoolhq.core.permissions import PERMISSIONS

    with app.app_context():
        account = make_account("everything", None)
        role = auth.create_role("everything", "Everything")
        auth.update_role(role.id, "Everything", sorted(PERMISSIONS))
        auth.assign_role(account.id, role.id)
        db.session.commit()
    assert login(client, "everything").status_code == 303
    return client


#: the demo school's rows, read once a session after the first load: every later test that
#: asks for the demo gets the same rows put back (a second each on SQLite instead of three)
_DEMO: dict = {}


@pytest.fixture
def demo(app, clock):
    """The demo school, loaded as `schoolhq serve --demo` loads it: once a session for each
    held start of the clock, put back from its rows after that, the clock then moved on to
    where the load left it (as if it had just run). Its files stay in the session's upload
    folder."""
    from schoolhq import demo as demo_module

    start = clock.now.replace(second=0, microsecond=0)
    with app.test_request_context():
        saved = _DEMO.get(start)
        if saved and _put_back(saved["rows"]):
            process_cache.forget()
            _put_back_files(saved["files"])
            clock.set(saved["after"])
            return saved["logins"]
        logins = demo_module.load(small=True)
        db.session.commit()
        _DEMO[start] = {"logins": logins, "rows": _rows_of_every_table(), "files": _demo_files(),
                        "after": datetime.now(UTC)}
    return logins


def _demo_files() -> dict[str, bytes]:
    """The uploaded files the demo's rows name (signatures, photos: a few KB), kept with its
    rows: the upload cleanup of a later test may have removed them from the folder."""
    from schoolhq.core.models import Attachment
    from schoolhq.core.uploads import PENDING, upload_folder

    folder = upload_folder()
    files = {}
    for name in db.session.scalars(select(Attachment.stored_name)):
        # written outside a request, a file keeps its pending name until the sweep names it
        for path in (folder / name, folder / (name + PENDING)):
            if path.exists():
                files[name] = path.read_bytes()
                break
    return files


def _put_back_files(files: dict[str, bytes]) -> None:
    from schoolhq.core.uploads import upload_folder

    folder = upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        if not (folder / name).exists():
            (folder / name).write_bytes(data)


def _rows_of_every_table() -> list[tuple]:
    with db.engine.connect() as conn:
        return [(table, [dict(row) for row in conn.execute(
            select(table).order_by(*table.primary_key.columns)).mappings()])
            for table in db.metadata.sorted_tables]


def _put_back(rows: list[tuple]) -> bool:
    """Empty the tables and insert the saved rows, with the foreign keys and the append-only
    triggers stepped aside while they go in (rows of a table refer to each other, and two
    tables to each other); PostgreSQL's sequences then start after the highest id. False
    when the engine will not let the triggers step aside (not a superuser): load it anew."""
    _empty_tables()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            try:
                with conn.begin_nested():
                    conn.execute(text("SET LOCAL session_replication_role = replica"))
            except Exception:
                return False
        else:
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        triggers = [] if conn.dialect.name == "postgresql" else conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
        for name, _sql in triggers:
            conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
        for table, table_rows in rows:
            if table_rows:
                conn.execute(table.insert(), table_rows)
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)
        if conn.dialect.name == "postgresql":
            for table, table_rows in rows:
                if table_rows and list(table.primary_key.columns.keys()) == ["id"]:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                                      f"(SELECT MAX(id) FROM \"{table.name}\"))"))
    return True


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


ROOT = Path(__file__).resolve().parent.parent


#: areas whose tests match the services' messages in English; tests/test_i18n.py checks
#: that every one of them has its Chinese translation
ENGLISH_AREAS = ("stock", "repairs", "checks")


@pytest.fixture(autouse=True)
def _english_areas(request, _clean_db):
    if request.node.path.parent.name not in ENGLISH_AREAS or not {"app", "ctx"} & set(request.fixturenames):
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        from schoolhq.core import settings

        settings.update({"default_language": "en"})
        db.session.commit()


def at_once(app, *actions) -> list[str]:
    """Run each action (a function of no arguments that calls a service) in a thread of its
    own, as a POST request would (on SQLite its transaction opens with BEGIN IMMEDIATE),
    all released at the same moment; each commits or rolls back. What each one ended in:
    "ok", a ServiceError's message, or "crash: …" (a lock timeout would show there)."""
    import threading

    from schoolhq.core.database import begin_writing
    from schoolhq.core.errors import ServiceError

    results: list[str] = []
    barrier = threading.Barrier(len(actions))

    def run(action):
        with app.test_request_context(method="POST"):
            begin_writing()
            barrier.wait()
            try:
                action()
                db.session.commit()
                results.append("ok")
            except ServiceError as error:
                db.session.rollback()
                results.append(str(error.message))
            except Exception as error:
                db.session.rollback()
                results.append(f"crash: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@contextmanager
def served_in_thread(app, threads: int = 4):
    """The app served by waitress on a free port of 127.0.0.1, in a thread, with the
    settings `schoolhq serve` uses; yields the port."""
    import threading

    import waitress
    from waitress import wasyncore

    from schoolhq.cli import waitress_options

    server = waitress.create_server(app, **waitress_options(app, "127.0.0.1", 0, threads))
    thread = threading.Thread(target=server.run, name="test-waitress", daemon=True)
    thread.start()
    try:
        yield server.effective_port
    finally:
        # Closing the sockets from this thread would pull them from under the select()
        # of the serving thread (EBADF): let the serving thread close them itself.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)
        server.task_dispatcher.shutdown()


@pytest.fixture
def restore_logging():
    """Commands and apps made outside TESTING set the process's logging up; undo it."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            handler.close()
    root.handlers[:] = handlers
    root.setLevel(level)
