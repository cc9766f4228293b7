"""Concurrent writers through the real server: every write lands, none fails with a
locked database, and each request is one transaction."""

from __future__ import annotations

import http.client
import threading
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from schoolhq.core.models import AuditEntry
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.places.models import Location
from tests.conftest import TEST_PASSWORD, make_account, served_in_thread


@pytest.fixture
def served(app):
    app.config["SERVER_NAME"], saved = None, app.config["SERVER_NAME"]
    with served_in_thread(app, threads=8) as port:
        yield port
    app.config["SERVER_NAME"] = saved


def _session(port: int, username: str) -> tuple[http.client.HTTPConnection, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urlencode({"username": username, "password": TEST_PASSWORD})
    conn.request("POST", "/auth/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
    response = conn.getresponse()
    response.read()
    assert response.status == 303
    cookie = response.getheader("Set-Cookie").split(";")[0]
    return conn, cookie


def test_concurrent_writers_all_succeed(app, served):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        db.session.commit()
        campus_id = campus.id
        for n in range(8):
            make_account(f"head{n}", "logistics_head")
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(n: int):
        conn, cookie = _session(served, f"head{n}")
        for i in range(10):
            body = urlencode({"kind": "building", "name": f"楼{n}-{i}", "code": "", "sort_order": "0",
                              "responsible_person_id": ""})
            conn.request("POST", f"/places/new?parent={campus_id}", body,
                         {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
            response = conn.getresponse()
            response.read()
            with lock:
                statuses.append(response.status)
        conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert statuses.count(303) == 80, sorted(set(statuses))
    with app.app_context():
        assert db.session.scalar(select(func.count(Location.id)).where(Location.kind == "building")) == 80
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "location.created")) == 81


def test_a_failing_request_leaves_no_half_written_record(app):
    """The account is created and then the role assignment fails: neither is kept."""
    from schoolhq.auth.models import Account
    from tests.conftest import login

    with app.app_context():
        make_account("admin", "admin")
    client = app.test_client()
    login(client, "admin")
    response = client.post("/auth/accounts/new", data={"person_id": "", "name": "新老师", "department_id": "",
                                                       "username": "admin", "password": "long-enough-1"})
    assert response.status_code == 422  # user name taken, after the person was created
    with app.app_context():
        from schoolhq.people.models import Person

        assert db.session.scalar(select(func.count(Person.id)).where(Person.name == "新老师")) == 0
        assert db.session.scalar(select(func.count(Account.id))) == 1
