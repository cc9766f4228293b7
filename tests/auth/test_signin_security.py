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
