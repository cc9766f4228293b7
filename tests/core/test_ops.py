"""Running SchoolHQ as server software: the health check answers JSON, 503 while the
database is away; an access-log line per request; behind a reverse proxy the
X-Forwarded-* headers of the configured proxies count (also through waitress) and
labels carry the configured site address; logs with timestamps to stderr or a rotating
file; recurring work logs a failure once, then short lines, then its recovery."""

from __future__ import annotations

import logging
import socket
import threading
import time
import urllib.request

import pytest

from schoolhq import create_app
from schoolhq.config import load_config
from schoolhq.core import labels, logs, recurring
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def another_app(app):
    """A second app on the test database, with settings of the test's choosing."""
    made = []

    def make(**settings):
        other = create_app({
            "TESTING": True, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False,
            "INSTANCE_DIR": app.config["INSTANCE_DIR"], "UPLOAD_FOLDER": app.config["UPLOAD_FOLDER"],
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], **settings,
        })
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()



def test_health_answers_json(client):
    response = client.get("/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("url", ["sqlite:////nonexistent-folder/nowhere/schoolhq.db",
                                 "postgresql+psycopg://schoolhq@127.0.0.1:{port}/schoolhq"])
def test_health_answers_json_503_while_the_database_is_unreachable(another_app, url, caplog):
    broken = another_app(SQLALCHEMY_DATABASE_URI=url.format(port=_closed_port()))
    response = broken.test_client().get("/health")
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert response.get_json() == {"status": "error", "database": "unreachable"}
    assert "database unreachable" in caplog.text and "Traceback" not in caplog.text


def test_one_access_log_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, "schoolhq.access"):
        client.get("/health", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        client.get("/no/such/page")
    lines = [r.getMessage() for r in caplog.records if r.name == "schoolhq.access"]
    assert len(lines) == 2
    assert lines[0].startswith("203.0.113.9 GET /health 200 ") and lines[0].endswith("ms")
    assert lines[1].startswith("127.0.0.1 GET /no/such/page 404 ")


def test_forwarded_headers_count_only_with_configured_proxies(app, client, another_app, caplog):
    with app.app_context():
        make_account("admin", "admin")
        room = places.create_location("campus", "阳光小学")
        db.session.commit()
        room_id, token = room.id, room.token
    forwarded = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https",
                 "X-Forwarded-Host": "hq.example.edu.cn", "X-Forwarded-Prefix": "/schoolhq"}
    proxied = another_app(SCHOOLHQ_PROXIES=1).test_client()
    assert login(proxied, "admin").status_code == 303
    with caplog.at_level(logging.INFO, "schoolhq.access"):
        page = proxied.get(f"/places/{room_id}", headers=forwarded).get_data(as_text=True)
    assert f"<code>https://hq.example.edu.cn/schoolhq/t/{token}</code>" in page
    assert caplog.records[-1].getMessage().startswith(f"203.0.113.7 GET /schoolhq/places/{room_id} 200")

    # Without SCHOOLHQ_PROXIES anyone could send them: ignored.
    login(client, "admin")
    page = client.get(f"/places/{room_id}", headers=forwarded).get_data(as_text=True)
    assert f"<code>http://school.test/t/{token}</code>" in page


def test_labels_carry_the_site_url(app, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "SCHOOLHQ_SITE_URL", "https://hq.example.edu.cn/schoolhq")
    with app.app_context():
        room = places.create_location("campus", "阳光小学")
        db.session.commit()
        room_id, token = room.id, room.token
    page = admin_client.get(f"/places/{room_id}").get_data(as_text=True)
    assert f"<code>https://hq.example.edu.cn/schoolhq/t/{token}</code>" in page
    with app.app_context():  # outside a request too (a sheet printed from a command)
        assert labels.label_url("abcd1234") == "https://hq.example.edu.cn/schoolhq/t/abcd1234"
    monkeypatch.setitem(app.config, "SCHOOLHQ_SITE_URL", "")
    with app.test_request_context():
        assert labels.label_url("abcd1234") == "http://school.test/t/abcd1234"


def test_waitress_hands_the_proxy_headers_on(another_app, caplog):
    """waitress drops X-Forwarded-* unless told otherwise; `schoolhq serve` tells it."""
    from waitress import create_server

    from schoolhq.cli import waitress_options

    proxied = another_app(SCHOOLHQ_PROXIES=1)
    options = {**waitress_options(proxied, "127.0.0.1", 0, 2), "port": 0}
    server = create_server(proxied, **options)
    answers = []

    def ask():
        request = urllib.request.Request(f"http://127.0.0.1:{server.effective_port}/health",
                                         headers={"X-Forwarded-For": "203.0.113.8"})
        with urllib.request.urlopen(request, timeout=10) as response:
            answers.append(response.status)

    client = threading.Thread(target=ask, daemon=True)
    try:
        with caplog.at_level(logging.INFO, "schoolhq.access"):
            client.start()
            deadline = time.monotonic() + 10
            while client.is_alive() and time.monotonic() < deadline:  # the server's loop, here
                server.asyncore.loop(timeout=0.05, map=server._map, count=1)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
    assert answers == [200]
    line = next(r.getMessage() for r in caplog.records if r.name == "schoolhq.access")
    assert line.startswith("203.0.113.8 GET /health 200")


def test_settings_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SCHOOLHQ_INSTANCE", str(tmp_path))
    monkeypatch.setenv("SCHOOLHQ_PROXIES", "2")
    monkeypatch.setenv("SCHOOLHQ_SITE_URL", "https://hq.example.edu.cn/")
    monkeypatch.setenv("SCHOOLHQ_LOG_FILE", str(tmp_path / "schoolhq.log"))
    monkeypatch.setenv("SCHOOLHQ_LOG_LEVEL", "warning")
    config = load_config()
    assert config["SCHOOLHQ_PROXIES"] == 2 and config["SCHOOLHQ_SITE_URL"] == "https://hq.example.edu.cn"
    assert config["SCHOOLHQ_LOG_LEVEL"] == "WARNING" and config["SCHOOLHQ_ACCESS_LOG"] is True
    for bad in ("hq.example.edu.cn", "ftp://hq.example.edu.cn", "https://", "https://hq.example.edu.cn/?a=1"):
        monkeypatch.setenv("SCHOOLHQ_SITE_URL", bad)
        with pytest.raises(ValueError, match="SCHOOLHQ_SITE_URL"):
            load_config()
    monkeypatch.setenv("SCHOOLHQ_SITE_URL", "")
    monkeypatch.setenv("SCHOOLHQ_PROXIES", "one")
    with pytest.raises(ValueError, match="SCHOOLHQ_PROXIES must be a whole number"):
        load_config()


def test_logs_go_to_a_rotating_file_with_timestamps(tmp_path, restore_logging):
    path = tmp_path / "logs" / "schoolhq.log"
    settings = {"SCHOOLHQ_LOG_FILE": str(path), "SCHOOLHQ_LOG_LEVEL": "INFO", "SCHOOLHQ_LOG_MAX_MB": 1,
                "SCHOOLHQ_LOG_BACKUPS": 2}
    first = logs.configure(settings)
    second = logs.configure(settings)  # again, as `serve` does after the migrations
    assert [h for h in logging.getLogger().handlers if getattr(h, "schoolhq", False)] == [second] != [first]
    log = logging.getLogger("schoolhq.test")
    log.debug("not at INFO")
    log.info("盘点 started")
    text = path.read_text(encoding="utf-8")
    assert "not at INFO" not in text
    assert text.count("\n") == 1
    assert text.split(" ", 2)[2] == "INFO [schoolhq.test] 盘点 started\n"
    time.strptime(text[:19], "%Y-%m-%d %H:%M:%S")
    for _ in range(4000):  # past 1 MB: the file rotates, two old ones are kept
        log.info("x" * 600)
    assert sorted(p.name for p in path.parent.iterdir()) == ["schoolhq.log", "schoolhq.log.1", "schoolhq.log.2"]
    with pytest.raises(ValueError, match="SCHOOLHQ_LOG_LEVEL"):
        logs.configure({"SCHOOLHQ_LOG_LEVEL": "LOUD"})


def test_logs_go_to_stderr_by_default(capsys, restore_logging):
    root = logging.getLogger()
    alembics = logging.StreamHandler()  # what a migration run's logging set-up leaves
    root.addHandler(alembics)
    others = [h for h in root.handlers if type(h) is not logging.StreamHandler]  # pytest's own stay
    logs.configure({"SCHOOLHQ_LOG_LEVEL": "INFO"})
    assert alembics not in root.handlers and all(h in root.handlers for h in others)
    logging.getLogger("waitress").info("Serving on http://127.0.0.1:8000")
    err = capsys.readouterr().err
    assert err.endswith(" INFO [waitress] Serving on http://127.0.0.1:8000\n") and err[:4].isdigit()


def test_a_failing_job_is_logged_once_then_briefly_then_its_recovery(app, monkeypatch, caplog):
    state = {"fail": True, "runs": 0}

    def flaky():
        state["runs"] += 1
        if state["fail"]:
            raise RuntimeError(f"database is locked\n[parameters: run {state['runs']}]")
        return 2

    monkeypatch.setattr(recurring, "jobs", lambda: {"test.flaky": flaky, "test.idle": lambda: 0})
    monkeypatch.setattr(recurring, "_failing", {})
    with caplog.at_level(logging.INFO, "schoolhq.recurring"):
        for _ in range(3):
            assert recurring.run_all(app) == {"test.flaky": -1, "test.idle": 0}
        state["fail"] = False
        assert recurring.run_all(app) == {"test.flaky": 2, "test.idle": 0}
        assert recurring.run_all(app)["test.flaky"] == 2
    records = [r for r in caplog.records if r.name == "schoolhq.recurring"]
    assert [r.levelname for r in records] == ["ERROR", "WARNING", "WARNING", "INFO", "INFO", "INFO"]
    assert records[0].exc_info and not any(r.exc_info for r in records[1:])
    assert records[2].getMessage() == ("recurring job test.flaky still failing (3 runs in a row): "
                                       "RuntimeError: database is locked")
    assert records[3].getMessage() == "recurring job test.flaky works again after 3 failed runs"
    assert records[4].getMessage() == records[5].getMessage() == "recurring work done: test.flaky 2"


def test_a_different_error_gets_its_traceback(app, monkeypatch, caplog):
    errors = iter([KeyError("a"), KeyError("a"), ValueError("b")])

    def job():
        raise next(errors)

    monkeypatch.setattr(recurring, "jobs", lambda: {"test.job": job})
    monkeypatch.setattr(recurring, "_failing", {})
    with caplog.at_level(logging.INFO, "schoolhq.recurring"):
        for _ in range(3):
            recurring.run_all(app)
    assert [bool(r.exc_info) for r in caplog.records if r.name == "schoolhq.recurring"] == [True, False, True]


def test_the_background_ticker_survives_a_failing_run(app, monkeypatch, caplog):
    calls = []

    def broken_run_all(_app):
        calls.append(1)
        raise RuntimeError("no database")

    monkeypatch.setattr(recurring, "run_all", broken_run_all)
    monkeypatch.setattr(recurring, "_failing", {})
    with caplog.at_level(logging.INFO, "schoolhq.recurring"):
        thread = recurring.start_background(app, every_seconds=0.01)
        deadline = time.monotonic() + 5
        while len(calls) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        thread.stop()
        thread.join(2)
    assert len(calls) >= 4 and not thread.is_alive()
    records = [r for r in caplog.records if r.name == "schoolhq.recurring"]
    assert records[0].getMessage().startswith("recurring work runs every")
    assert sum(bool(r.exc_info) for r in records) == 1


def test_a_new_school_without_terms_runs_every_job(app):
    """A freshly initialised school has no term in its calendar yet: no job may fail
    (counting back school days used to run off the calendar's start)."""
    results = recurring.run_all(app)
    assert results and all(count >= 0 for count in results.values()), results


def test_a_job_writes_through_the_same_write_path_as_a_request(app, monkeypatch):
    """The scheduler's job read, then wrote after a sign-in had written meanwhile, and
    SQLite answered "database is locked" at once. Now a job's transaction holds the
    write lock from its start: another writer waits, and the job's write goes through."""
    import sqlite3
    import threading

    from sqlalchemy import func, select, text

    from schoolhq.core.models import Setting
    from schoolhq.extensions import db

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the database: there a reading job never blocks a writer")
    read_done, go_on = threading.Event(), threading.Event()

    def read_then_write():
        db.session.scalar(select(func.count(Setting.key)))
        read_done.set()
        go_on.wait(10)
        db.session.execute(text("INSERT INTO setting (key, value) VALUES ('test.job_wrote', '1')"))
        return 1

    monkeypatch.setattr(recurring, "jobs", lambda: {"test.read_then_write": read_then_write})
    results = {}
    runner = threading.Thread(target=lambda: results.update(recurring.run_all(app)))
    runner.start()
    assert read_done.wait(10)
    other = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=0.2, isolation_level=None)
    try:
        with pytest.raises(sqlite3.OperationalError, match="locked"):  # the job holds the write lock
            other.execute("INSERT INTO setting (key, value) VALUES ('test.signed_in', '1')")
    finally:
        go_on.set()
        runner.join(10)
    other.execute("INSERT INTO setting (key, value) VALUES ('test.signed_in', '1')")  # now it may
    other.close()
    assert results == {"test.read_then_write": 1}
    with app.app_context():
        assert db.session.scalar(select(Setting.value).where(Setting.key == "test.job_wrote")) is not None
