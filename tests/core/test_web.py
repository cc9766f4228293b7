"""core.web and core.errors: the one answer to a form post, and the one way to load a record by id."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from wtforms import StringField

from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.core.web import handle_form
from schoolhq.extensions import db
from schoolhq.people.models import Department


class NameForm(FlaskForm):
    name = StringField(default="")


def _page(status, error, field):
    return status, error, field


def test_a_get_only_shows_the_page(app):
    with app.test_request_context("/", method="GET"):
        called = []
        assert handle_form(NameForm(), lambda: called.append(1), success="core.health", page=_page) == (200, None, None)
        assert not called


def test_success_is_a_303_or_an_htmx_redirect(app):
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        response = handle_form(NameForm(), lambda: None, success="core.health", page=_page)
        assert response.status_code == 303 and response.headers["Location"].endswith("/health")
    with app.test_request_context("/", method="POST", data={"name": "x"}, headers={"HX-Request": "true"}):
        response = handle_form(NameForm(), lambda: None, success="core.health", page=_page)
        assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/health")


def test_a_refusal_rolls_back_and_shows_the_message_on_its_field(app):
    def refuse():
        db.session.add(Department(name="half-written"))
        db.session.flush()
        raise ServiceError("Not like that.", "name")

    with app.test_request_context("/", method="POST", data={"name": "x"}):
        form = NameForm()
        assert handle_form(form, refuse, success="core.health", page=_page) == (422, "Not like that.", "name")
        assert form.name.errors == ["Not like that."]
        assert db.session.query(Department).filter_by(name="half-written").count() == 0


def test_a_missing_record_is_not_a_form_error(app):
    def missing():
        raise NotFound("No such thing.")

    with app.test_request_context("/", method="POST", data={}), pytest.raises(NotFound):
        handle_form(None, missing, success="core.health", page=_page)


def test_a_record_named_by_a_url_is_not_found_but_one_chosen_in_a_form_is_a_form_error(app):
    from schoolhq.core.errors import get_or_raise

    with app.test_request_context():
        with pytest.raises(NotFound):
            get_or_raise(Department, 2_147_483_000, "No such department.")
        with pytest.raises(NotFound):  # beyond the database's integers: no record, no overflow error
            get_or_raise(Department, 2**40)
        with pytest.raises(ServiceError) as refused:
            get_or_raise(Department, 2_147_483_000, "That department does not exist.", field="department_id")
        assert refused.value.field == "department_id"


def test_the_app_asks_once_whether_a_function_is_a_coroutine_and_still_refuses_async_views(app):
    """SchoolApp.ensure_sync remembers Flask's answer per function: a plain function comes
    back as it is, every time; an async one is what Flask makes of it (without Flask's
    async extra, its own error), never the coroutine function unwrapped."""
    def plain():
        return "ok"

    async def asynchronous():
        return "ok"

    assert app.ensure_sync(plain) is plain and app.ensure_sync(plain) is plain
    for _ in range(2):
        with pytest.raises(RuntimeError, match="async"):
            app.ensure_sync(asynchronous)
