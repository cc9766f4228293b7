"""A server one device cannot starve (issue #12, section 3): hundreds of idle connections
leave sign-in and /health answering, idle ones are closed, a lock held elsewhere makes a
save answer "busy, try again" (503) within seconds instead of holding a thread, and a
full disk says so and leaves nothing half-written behind."""

from __future__ import annotations

import errno
import io
import os
import socket
import sqlite3
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from werkzeug.datastructures import FileStorage

from schoolhq import create_app
from schoolhq.core import uploads
from schoolhq.core.models import Attachment
from schoolhq.extensions import db
from schoolhq.people.models import Department
from tests.conftest import login, make_account, served_in_thread


def _get(port: int, path: str, timeout: float = 5) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as response:
        return response.status


# Connections ------------------------------------------------------------------------------

def test_five_hundred_idle_connections_leave_sign_in_and_health_answering(app):
    with served_in_thread(app) as port:
        idle = []
        try:
            for number in range(500):
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
                if number % 2:  # half of them mid-request, as a slow or stuck client
                    conn.sendall(b"GET /health HTTP/1.1\r\nHost: school.test\r\n")
                idle.append(conn)
            time.sleep(0.5)  # let the server accept what it will
            started = time.monotonic()
            assert _get(port, "/health") == 200
            assert _get(port, "/auth/login") == 200
            assert time.monotonic() - started < 5
        finally:
            for conn in idle:
                conn.close()


def test_an_idle_connection_is_closed_after_the_idle_timeout(app, monkeypatch):
    monkeypatch.setitem(app.config, "SCHOOLHQ_IDLE_TIMEOUT_S", 1)
    with served_in_thread(app) as port:
        conn = socket.create_connection(("127.0.0.1", port), timeout=10)
        try:
            started = time.monotonic()
            assert conn.recv(1) == b""  # the server hung up
            assert time.monotonic() - started < 5
        finally:
            conn.close()


def test_the_server_takes_its_limits_from_the_settings(app, monkeypatch):
    from schoolhq.cli import waitress_options

    monkeypatch.setitem(app.config, "SCHOOLHQ_CONNECTION_LIMIT", 300)
    options = waitress_options(app, "0.0.0.0", 8000, 8)
    assert options["connection_limit"] == 300 and options["channel_timeout"] == 30
    assert options["asyncore_use_poll"] is True  # select() stops at 1,024 sockets


# A lock held elsewhere ----------------------------------------------------------------------

@pytest.fixture
def impatient(app):
    """A second app on the same database that waits one second for a lock, not eight."""
    config = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "INSTANCE_DIR", "UPLOAD_FOLDER",
                                               "SQLALCHEMY_DATABASE_URI", "SERVER_NAME")}
    other = create_app({**config, "WTF_CSRF_ENABLED": False, "SQLALCHEMY_ENGINE_OPTIONS": {},
                        "SCHOOLHQ_DB_LOCK_TIMEOUT_S": 1})
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def admin_cookies(app):
    with app.app_context():
        make_account("admin", "admin")
    signed_in = app.test_client()
    assert login(signed_in, "admin").status_code == 303
    return dict(signed_in._cookies)


@contextmanager
def lock_held_elsewhere(url: str):
    """Another process holding the department table (PostgreSQL) or the database's write
    lock (SQLite) until the block ends."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        import psycopg

        holder = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"))
        holder.execute("LOCK TABLE department IN ACCESS EXCLUSIVE MODE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK") if url.startswith("sqlite") else holder.rollback()
        holder.close()


@pytest.fixture
def held_lock(app, admin_cookies):
    with lock_held_elsewhere(app.config["SQLALCHEMY_DATABASE_URI"]):
        yield


def test_a_save_blocked_by_a_lock_answers_busy_in_seconds(impatient, admin_cookies, held_lock):
    client = impatient.test_client()
    client._cookies = dict(admin_cookies)
    started = time.monotonic()
    response = client.post("/people/departments/new", data={"name": "德育处", "parent_id": "", "head_person_id": ""},
                           headers={"Accept-Language": "zh-CN"})
    waited = time.monotonic() - started
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "服务器正忙" in body and "没有保存" in body
    assert waited < 5
    assert client.get("/health").status_code == 200  # the lock does not stop the monitor


def test_the_busy_answer_to_a_tablet_is_a_toast_it_can_resend(impatient, admin_cookies, held_lock):
    client = impatient.test_client()
    client._cookies = dict(admin_cookies)
    response = client.post("/people/departments/new", data={"name": "德育处"},
                           headers={"HX-Request": "true", "Accept-Language": "zh-CN"})
    assert response.status_code == 503 and response.headers["HX-Reswap"] == "none"
    assert "%E6%9C%8D%E5%8A%A1%E5%99%A8%E6%AD%A3%E5%BF%99" in response.headers["X-Message"]  # 服务器正忙


def test_nothing_was_saved_by_the_busy_request(app, impatient, admin_cookies):
    client = impatient.test_client()
    client._cookies = dict(admin_cookies)
    with lock_held_elsewhere(app.config["SQLALCHEMY_DATABASE_URI"]):
        assert client.post("/people/departments/new", data={"name": "德育处"}).status_code == 503
    with app.app_context():
        assert db.session.scalar(select(func.count(Department.id)).where(Department.name == "德育处")) == 0


# A full disk ---------------------------------------------------------------------------------

def _full_disk(monkeypatch):
    real = Path.write_bytes

    def write_half_then_fail(self, data):
        real(self, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", write_half_then_fail)


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def test_a_full_disk_says_so_and_leaves_no_partial_file(app, client, monkeypatch):
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory
    from schoolhq.places import services as places

    with app.test_request_context():
        room = places.create_location("room", "101教室", places.create_location("campus", "阳光小学").id)
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
        asset = assets.register_asset({"name": "电脑", "category_id": category.id, "unit_price_fen": 1}, room.id)
        make_account("store", "storekeeper")
        db.session.commit()
        asset_id = asset.id
    assert login(client, "store").status_code == 303
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.iterdir()) if folder.exists() else set()
    _full_disk(monkeypatch)
    response = client.post(f"/assets/{asset_id}/photo", data={"photo": (io.BytesIO(_png()), "p.png")},
                                 content_type="multipart/form-data", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 422
    assert "磁盘已满" in response.get_data(as_text=True)
    assert (set(folder.iterdir()) if folder.exists() else set()) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_a_full_database_disk_is_not_a_server_error(app, admin_client, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from schoolhq.people import services as people

    def full(*_args, **_kwargs):
        raise OperationalError("INSERT INTO department", {}, sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(people, "create_department", full)
    response = admin_client.post("/people/departments/new", data={"name": "德育处"},
                                 headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 507 and "磁盘已满" in response.get_data(as_text=True)


def test_a_file_of_a_request_that_never_committed_is_swept_and_a_committed_one_kept(app, clock):
    folder = Path(app.config["UPLOAD_FOLDER"])
    with app.test_request_context():
        kept = uploads.save_upload(FileStorage(io.BytesIO(_png()), filename="a.png"), images_only=True)
        orphan = uploads.save_upload(FileStorage(io.BytesIO(_png()), filename="b.png"), images_only=True)
        orphan_name = orphan.stored_name
        db.session.expunge(orphan)
        db.session.execute(text("DELETE FROM attachment WHERE stored_name = :n"), {"n": orphan_name})
        db.session.commit()  # the process died here: neither file took its real name
        kept_name = kept.stored_name
    fresh = folder / (kept_name + uploads.PENDING)
    stale = folder / (orphan_name + uploads.PENDING)
    assert fresh.exists() and stale.exists()
    for other in set(folder.glob("*" + uploads.PENDING)) - {fresh, stale}:
        other.unlink()  # left by tests that called the services inside a bare request context
    for path in (fresh, stale):  # written now, by the clock the test holds
        os.utime(path, (time.time(), time.time()))
    with app.app_context():
        assert uploads.sweep_pending() == 0  # too young: perhaps a request still writing
        hour_ago = time.time() - uploads.ABANDONED_AFTER_SECONDS - 60
        for path in (fresh, stale):
            os.utime(path, (hour_ago, hour_ago))
        assert uploads.sweep_pending() == 2
    assert (folder / kept_name).exists() and not fresh.exists()
    assert not stale.exists() and not (folder / orphan_name).exists()


def test_an_upload_takes_its_real_name_when_the_request_commits(app, client):
    from schoolhq.repairs.models import RepairCategory, TicketPhoto
    from tests.factories.repairs import school

    with app.test_request_context():
        room, _teacher, _worker, _head = school()
        category_id = db.session.scalar(select(RepairCategory.id).where(RepairCategory.name == "电工/照明"))
        db.session.commit()
        room_id = room.id
    assert login(client, "teacher").status_code == 303
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = set(folder.glob("*" + uploads.PENDING)) if folder.exists() else set()
    response = client.post("/repairs/report", data={"location_id": room_id, "category_id": category_id,
                                                    "priority": "normal", "description": "灯不亮",
                                                    "photos": (io.BytesIO(_png()), "p.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        photo = db.session.scalar(select(Attachment).join(TicketPhoto, TicketPhoto.attachment_id == Attachment.id))
        assert (folder / photo.stored_name).exists()
    assert set(folder.glob("*" + uploads.PENDING)) == before
