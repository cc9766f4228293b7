"""htmx helpers shared by every area's views (DESIGN.md §5)."""

from __future__ import annotations

from flask import make_response, redirect, render_template, request, url_for


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


def month_arg(name: str = "month"):
    """The first day of the month a report asks for ("2026-11"), or of this month when
    the value is missing, malformed or outside 2000–2100."""
    from datetime import date

    from schoolhq.core.timeutil import local_today

    try:
        year, month = (int(part) for part in request.args.get(name, "").split("-"))
        chosen = date(year, month, 1)
    except ValueError:
        return local_today().replace(day=1)
    return chosen if date(2000, 1, 1) <= chosen <= date(2100, 1, 1) else local_today().replace(day=1)
