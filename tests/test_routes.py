"""Every route declares its permission, and every built-in role can open every page it
should (and none it should not) without a server error."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from schoolhq.areas import AREAS
from schoolhq.auth.models import Account
from schoolhq.core.permissions import PUBLIC, SIGNED_IN, can
from schoolhq.demo import DEMO_LOGINS, DEMO_PASSWORD
from schoolhq.extensions import db
from tests.conftest import login

#: the roles whose walk CI repeats at other days of the school year: between them they open
#: every page a day's data changes (the others see subsets of the same pages; the
#: permission and 404 walks do not depend on the day)
DATED_ROLES = {"principal", "logistics_head", "canteen_manager", "maintenance", "staff"}

#: the only routes open without sign-in
PUBLIC_ENDPOINTS = {"static", "core.health", "auth.login", "core.switch_language", "core.label"}


def test_every_route_declares_a_permission(app):
    missing, public = [], set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        declared = getattr(view, "required_permission", None)
        if not declared:
            missing.append(f"{rule.rule} ({rule.endpoint})")
        elif PUBLIC in declared:
            public.add(rule.endpoint)
    assert not missing, "routes without a declared permission: " + ", ".join(missing)
    assert public == PUBLIC_ENDPOINTS


def _area_factories():
    """Each area's test factories (tests/factories/<area>.py), in the order of areas.py."""
    from importlib import import_module
    from pathlib import Path

    folder = Path(__file__).parent / "factories"
    return [import_module(f"tests.factories.{area}") for area in AREAS if (folder / f"{area}.py").exists()]


#: routes that also narrow by the record: a borrower sees their own loan slip, a file its owner
OWN_RECORDS_ONLY = set().union(*(getattr(f, "OWN_RECORDS_ONLY", set()) for f in _area_factories()))


def _real_values(app) -> dict[str, object]:
    """Real values for every route argument, each area's from its factories' route_values()."""
    values: dict[str, object] = {}
    with app.test_request_context():
        for factories in _area_factories():
            if hasattr(factories, "route_values"):
                values.update(factories.route_values())
        db.session.commit()
    return values


def _get_routes(app, values):
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        args = {name: values[name] for name in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **args)
        yield rule.endpoint, url.replace("http://school.test", "")


@pytest.mark.parametrize("role", [pytest.param(role, marks=pytest.mark.dated) if role in DATED_ROLES else role
                                  for role in DEMO_LOGINS])
def test_each_role_sees_what_it_may_and_nothing_else(app, demo, role):
    values = _real_values(app)
    client = app.test_client()
    username = DEMO_LOGINS[role][0]
    assert login(client, username, DEMO_PASSWORD).status_code == 303
    with app.test_request_context():
        account = db.session.scalar(select(Account).where(Account.username == username))
        problems = []
        for endpoint, url in _get_routes(app, values):
            declared = app.view_functions[endpoint].required_permission
            response = client.get(url)
            if response.status_code >= 500:
                problems.append(f"{url}: {response.status_code}")
                continue
            if PUBLIC in declared or SIGNED_IN in declared:
                allowed = True
            else:
                allowed = any(can(account, p) for p in declared)
            expected = {200, 302} if allowed else {403}
            if allowed and endpoint in OWN_RECORDS_ONLY:
                expected.add(403)
            if response.status_code not in expected:
                problems.append(f"{url}: {response.status_code}, expected {sorted(expected)}")
    assert not problems, f"{role}: " + "; ".join(problems)


def test_signed_out_visitors_are_sent_to_sign_in(app, demo):
    values = _real_values(app)
    client = app.test_client()
    for endpoint, url in _get_routes(app, values):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url


@pytest.mark.parametrize("role", ["staff", "canteen_staff", "accountant"])
def test_no_role_can_post_to_a_route_it_lacks_the_permission_for(app, demo, role):
    """Writes are guarded like pages: a POST without the route's permission is refused
    before anything is read from the form."""
    values = _real_values(app)
    client = app.test_client()
    username = DEMO_LOGINS[role][0]
    assert login(client, username, DEMO_PASSWORD).status_code == 303
    problems, checked = [], 0
    with app.test_request_context():
        account = db.session.scalar(select(Account).where(Account.username == username))
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods:
                continue
            declared = app.view_functions[rule.endpoint].required_permission
            if PUBLIC in declared or SIGNED_IN in declared or any(can(account, p) for p in declared):
                continue
            from flask import url_for

            # the permission is checked before the record is looked up: any id will do
            url = url_for(rule.endpoint, **{name: values.get(name, 1) for name in rule.arguments})
            response = client.post(url.replace("http://school.test", ""), data={})
            checked += 1
            if response.status_code != 403:
                problems.append(f"{url}: {response.status_code}")
    assert checked > 10
    assert not problems, f"{role}: " + "; ".join(problems)


#: an id no record has (ids start at 1 and stay far below it in a test database)
MISSING_ID = 2_147_483_000

#: routes with a record id in the URL that answer something other than 404 for a missing
#: one, and why
MISSING_ID_EXCEPTIONS: dict[str, str] = {}


def _missing_record_urls(app, method: str):
    """Every route taking a record id, with ids no record has (and placeholder text for
    the other parts of its URL)."""
    from flask import url_for

    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            converters = rule._converters
            ids = [name for name, converter in converters.items() if isinstance(converter, IntegerConverter)]
            if method not in rule.methods or not ids or rule.endpoint in MISSING_ID_EXCEPTIONS:
                continue
            values = {name: MISSING_ID if name in ids else "appraise" for name in rule.arguments}
            yield rule.endpoint, url_for(rule.endpoint, **values).replace("http://school.test", "")


def test_a_missing_record_is_not_found_on_every_page(app, everything_client):
    """404, whichever area and however the id is used; htmx gets it as a toast."""
    admin_client = everything_client
    problems, checked = [], 0
    for _endpoint, url in _missing_record_urls(app, "GET"):
        checked += 1
        response = admin_client.get(url)
        if response.status_code != 404:
            problems.append(f"{url}: {response.status_code}")
        htmx = admin_client.get(url, headers={"HX-Request": "true"})
        if htmx.status_code != 404 or not htmx.headers.get("X-Message"):
            problems.append(f"{url} (htmx): {htmx.status_code}")
    assert checked > 30
    assert not problems, "; ".join(problems)


def test_a_missing_record_is_never_written_to(app, everything_client):
    """Posting to a record that does not exist is 404 too, never a server error."""
    admin_client = everything_client
    problems, checked = [], 0
    for _endpoint, url in _missing_record_urls(app, "POST"):
        checked += 1
        response = admin_client.post(url, data={})
        if response.status_code != 404:
            problems.append(f"{url}: {response.status_code}")
    assert checked > 30
    assert not problems, "; ".join(problems)

