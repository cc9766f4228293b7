from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request, send_file, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import text

from schoolhq.areas import audit_labels
from schoolhq.core import audit, calendar, notifications, settings, tokens
from schoolhq.core.forms import (
    ActionForm,
    AuditFilterForm,
    CalendarDayForm,
    SettingsForm,
    TermForm,
)
from schoolhq.core.models import Attachment
from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import permission_required, public
from schoolhq.core.uploads import may_open, path_of
from schoolhq.core.web import handle_form, redirect_to, render, to_int
from schoolhq.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/health")
@public
def health():
    """For a monitor or the reverse proxy: JSON 200 while the database answers, JSON 503
    (not an error page) while it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as error:  # the database is down, unreachable or refuses us
        current_app.logger.warning("health check: database unreachable: %s",
                                   (str(error).splitlines() or [""])[0])
        try:
            db.session.rollback()
        except Exception:
            pass
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok"}


@bp.post("/lang")
@public
def switch_language():
    language = request.form.get("language", "")
    if language not in settings.LANGUAGES:
        abort(400)
    session["lang"] = language
    if current_user.is_authenticated:
        from schoolhq.auth.services import set_language

        set_language(current_user, language)
    from schoolhq.auth.services import safe_next_url

    return redirect(safe_next_url(request.form.get("next")) or url_for("dashboard.home"), code=303)


@bp.get("/t/<token>")
@public
def label(token: str):
    """Where a printed QR label leads. Signed in: the record itself; otherwise only a
    short public card, with a sign-in link for acting."""
    target = tokens.resolve(token)
    if target is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(target.url)
    from schoolhq.areas import declared

    # a safety notice (a water point out of use) is for anyone who scans, whatever the card tells
    notices = [notice for area in declared() for notices_of in area.label_notices for notice in notices_of(target)]
    return render("core/label.html", target=target, next_url=request.path, notices=notices)


@bp.get("/scan")
@permission_required()
def scan():
    """One scan box for everything with a label: an asset, a room, a staff badge."""
    code = request.args.get("code", "").strip()
    if code:
        url = tokens.open_scanned(code)
        if url:
            return redirect(url)
        return render("core/scan.html", status=422, code=code[:60],
                      error=_l("Nothing is known by the code “%(code)s”.", code=code[:60]))
    return render("core/scan.html", code="", error=None)


@bp.get("/notifications")
@permission_required()
def notification_list():
    return render("core/notifications.html", "core/_notifications.html",
                  items=notifications.for_account(current_user.id), form=ActionForm())


@bp.post("/notifications/read")
@permission_required()
def notification_read():
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    note_id = to_int(request.form.get("id"))
    notifications.mark_read(current_user.id, note_id)
    return render("core/notifications.html", "core/_notifications.html",
                  items=notifications.for_account(current_user.id), form=form)


@bp.get("/files/<int:attachment_id>")
@permission_required()
def attachment(attachment_id: int):
    item = db.session.get(Attachment, attachment_id)
    if item is None or not path_of(item).exists():
        abort(404)
    if not may_open(item, current_user):
        abort(403)
    return send_file(path_of(item), mimetype=item.content_type, download_name=item.original_name,
                     as_attachment=item.content_type == "application/pdf", max_age=3600)


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("admin.settings", school_wide=True)
def settings_page():
    form = SettingsForm()
    if request.method == "GET":
        values = settings.all_settings()
        form.school_name.data = values["school_name"]
        form.timezone.data = values["timezone"]
        form.default_language.data = values["default_language"]
        form.school_weekdays.data = [str(d) for d in values["school_weekdays"]]
    return handle_form(form, lambda: settings.update({
        "school_name": form.school_name.data,
        "timezone": form.timezone.data,
        "default_language": form.default_language.data,
        "school_weekdays": [int(d) for d in form.school_weekdays.data or []],
    }), success=lambda _saved: redirect_to("core.settings_page", saved=1), page="core/settings.html",
        fragment="core/_settings_form.html", context={"saved": request.args.get("saved")})


def _calendar_page(term_form=None, day_form=None, status=200):
    return render("core/calendar.html", status=status,
                  term_form=term_form or TermForm(prefix="term"),
                  day_form=day_form or CalendarDayForm(prefix="day"),
                  terms=calendar.terms(), days=calendar.days(), action_form=ActionForm())


@bp.get("/calendar")
@permission_required("calendar.manage", school_wide=True)
def calendar_page():
    return _calendar_page()


@bp.post("/calendar/terms")
@permission_required("calendar.manage", school_wide=True)
def calendar_add_term():
    form = TermForm(prefix="term")
    return handle_form(form, lambda: calendar.add_term(form.name.data, form.starts_on.data, form.ends_on.data),
                       success="core.calendar_page",
                       page=lambda status, error, field: _calendar_page(term_form=form, status=status))


@bp.post("/calendar/terms/<int:term_id>/remove")
@permission_required("calendar.manage", school_wide=True)
def calendar_remove_term(term_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    calendar.remove_term(term_id)
    return redirect_to("core.calendar_page")


@bp.post("/calendar/days")
@permission_required("calendar.manage", school_wide=True)
def calendar_set_day():
    form = CalendarDayForm(prefix="day")
    return handle_form(form, lambda: calendar.set_day(form.day.data, form.kind.data, form.name.data),
                       success="core.calendar_page",
                       page=lambda status, error, field: _calendar_page(day_form=form, status=status))


@bp.post("/calendar/days/<day>/remove")
@permission_required("calendar.manage", school_wide=True)
def calendar_clear_day(day: str):
    from datetime import date

    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        abort(404)
    calendar.clear_day(parsed)
    return redirect_to("core.calendar_page")


@bp.get("/audit")
@permission_required("admin.audit", school_wide=True)
def audit_page():
    form = AuditFilterForm(request.args)
    form.account_id.choices = [("", _l("Everyone"))] + audit.people_choices()
    labels = audit_labels()
    form.area.choices = [("", _l("All areas"))] + list(labels.items())
    form.validate()
    query = audit.search(
        account_id=to_int(form.account_id.data),
        area=form.area.data or None,
        day_from=form.day_from.data if not form.day_from.errors else None,
        day_to=form.day_to.data if not form.day_to.errors else None,
    )
    page = paginate(query, per_page=50)
    return render("core/audit.html", "core/_audit_rows.html", form=form, page=page,
                  lines=audit.lines(page.items, current_user))


# Label sheets -------------------------------------------------------------------------

@bp.get("/labels/layout/<int:layout_id>.css")
@permission_required()
def label_css(layout_id: int):
    from flask import make_response

    from schoolhq.core.labels import get_layout, stylesheet

    layout = get_layout(layout_id)
    if layout.id != layout_id:
        abort(404)
    response = make_response(stylesheet(layout))
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    return response


@bp.route("/labels/calibrate", methods=["GET", "POST"])
@permission_required("places.manage", "assets.manage")
def label_calibration():
    """A test grid to print on plain paper and hold against a sticker sheet; nudge the
    offsets until the outlines sit on the stickers, then save the layout under a name."""
    from schoolhq.core.forms import CalibrationForm
    from schoolhq.core.labels import get_layout, layouts, save_calibrated, sheets

    layout = get_layout(to_int(request.values.get("layout")))
    form = CalibrationForm()
    if request.method == "GET":
        form.name.data = layout.name if not layout.builtin else str(_l("%(name)s · calibrated", name=layout.name))
        form.offset_x.data, form.offset_y.data = layout.offset_x, layout.offset_y
    return handle_form(
        form, lambda: save_calibrated(layout.id, form.name.data, form.offset_x.data, form.offset_y.data),
        success=lambda saved: redirect_to("core.label_calibration", layout=saved.id, saved=1),
        page="core/calibrate.html",
        context=lambda: {"layout": layout, "layouts": layouts(),
                         "pages": sheets(layout, list(range(1, layout.per_sheet + 1))),
                         "saved": request.args.get("saved")})
