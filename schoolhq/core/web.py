"""htmx helpers shared by every area's views (DESIGN.md §5)."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for


def refuse_nul_characters() -> None:
    """No value may carry the NUL character: PostgreSQL refuses it in text (a 500 on 26
    forms and the sign-in page before this) and SQLite cuts the text there. Refused before
    any view runs, with one message, so nothing is half-written."""
    from flask_babel import lazy_gettext as _l

    from schoolhq.core.database import SAFE_METHODS
    from schoolhq.core.errors import ServiceError

    writes = request.method not in SAFE_METHODS
    sources = [request.args, request.form] if writes else [request.args]
    carries = any("\x00" in key or any("\x00" in value for value in values)
                  for source in sources for key, values in source.lists())
    if not carries and writes:
        carries = any("\x00" in (upload.filename or "") for upload in request.files.values())
    if carries:
        raise ServiceError(_l("What was entered contains an invisible control character (NUL) that cannot be "
                              "saved. Remove it and try again."))


def wants_fragment() -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str | None = None, /, status: int = 200, **context):
    """The full page normally, or only its fragment for an htmx request. The page
    includes the very same fragment file, so the two cannot drift apart."""
    template = fragment if fragment and wants_fragment() else page
    response = make_response(render_template(template, **context), status)
    response.headers["Vary"] = "HX-Request"
    return response


def redirect_to(endpoint: str, **values):
    """303 after a successful form post; htmx follows it as a full navigation."""
    target = url_for(endpoint, **values)
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)


def get_or_404(model, record_id, options=()):
    """The record a URL names, or a 404 (a toast for htmx) when there is none."""
    from schoolhq.core.errors import get_or_raise

    return get_or_raise(model, record_id, options=options)


def to_int(value) -> int | None:
    """A form or query value as an id, or None for anything that is not one."""
    value = str(value or "").strip()
    # ASCII digits only ("²" is a digit to Python), within the database's integer
    if not (value.isascii() and value.isdigit() and len(value) < 11) or int(value) > 2**31 - 1:
        return None
    return int(value)


def int_arg(name: str) -> int | None:
    return to_int(request.args.get(name))


#: the longest search anyone types; SQLite refuses a LIKE pattern past 50,000 bytes
SEARCH_LIMIT = 100


def search_arg(name: str = "q", limit: int = SEARCH_LIMIT) -> str:
    """What someone typed into a search box, trimmed, and cut to `limit` characters."""
    return request.args.get(name, "").strip()[:limit]


def month_arg(name: str = "month"):
    """The first day of the month a report asks for ("2026-11"), or of this month when
    the value is missing, malformed or outside 2000–2100."""
    from datetime import date

    from schoolhq.core.timeutil import EARLIEST_DAY, LATEST_DAY, local_today

    try:
        year, month = (int(part) for part in request.args.get(name, "").split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        return local_today().replace(day=1)
    return chosen if EARLIEST_DAY <= chosen <= LATEST_DAY else local_today().replace(day=1)


def date_arg(name: str, default):
    """A date from the query string; nonsense and dates outside 2000–2100 give `default`."""
    from schoolhq.core.timeutil import day_from_text

    return day_from_text(request.args.get(name)) or default


def handle_form(form, action, *, success, page, fragment: str | None = None, context=None):
    """The one way a form post is answered.

    `form` (a FlaskForm, or None for a bare button) is validated, then `action()` calls the
    service. When the service refuses with a ServiceError, what it may have written is rolled
    back, its message goes on the field it names (or above the form), and the page is
    rendered again with 422: `fragment` for an htmx request, `page` otherwise. On success
    `success` answers: an endpoint to redirect to (303, or HX-Redirect for htmx), or a
    function of the action's result returning the response. A GET only renders the page.

    `page` is a template, rendered with `form`, `error`, `field` and `context` (a dict, or a
    function giving one, read after the rollback so nothing half-written is shown), or the
    area's own page function, called as page(status=…, error=…, field=…). A NotFound is not a
    ServiceError: a missing record still answers 404."""
    from schoolhq.core.errors import ServiceError
    from schoolhq.core.forms import apply_error
    from schoolhq.extensions import db

    status, failure = 200, None
    if request.method == "POST":
        status = 422
        if form is None or form.validate_on_submit():
            try:
                result = action()
            except ServiceError as error:
                db.session.rollback()
                failure = error
                if form is not None:
                    apply_error(form, error)
            else:
                return redirect_to(success) if isinstance(success, str) else success(result)
    error = {"error": failure.message if failure else None, "field": failure.field if failure else None}
    if callable(page):
        return page(status=status, **error)
    values = context() if callable(context) else dict(context or {})
    return render(page, fragment, status=status, form=form, **error, **values)
