"""The hazard register's pages: the list, a hazard with its rectification and re-check,
a hazard registered by hand, and the 隐患整改台账 of a month (A4 landscape and XLSX)."""

from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.messages import data_words
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.web import get_or_404, handle_form, month_arg, redirect_to, render, to_int
from schoolhq.extensions import db
from schoolhq.hazards import services
from schoolhq.hazards.forms import HazardForm, RecheckForm, RectifyForm
from schoolhq.hazards.models import Hazard

bp = Blueprint("hazards", __name__, url_prefix="/hazards")

LIST_FILTERS = {"unclosed": _l("Not closed"), "overdue": _l("Past the deadline"), "mine": _l("Mine to rectify"),
                "rectified": _l("Awaiting re-check"), "closed": _l("Closed off"), "all": _l("All")}


@bp.context_processor
def _names():
    return {"level_label": services.LEVEL_LABELS, "hazard_status": services.STATUS_LABELS,
            "source_label": services.SOURCE_LABELS, "event_label": services.EVENT_LABELS,
            "is_overdue": services.is_overdue}


@bp.get("/")
@permission_required("hazards.view")
def hazard_list():
    from schoolhq.core.pagination import paginate

    status = request.args.get("status", "unclosed")
    if status not in LIST_FILTERS:
        status = "unclosed"
    query = services.listed(status, mine_of=(current_user.person_id or -1) if status == "mine" else None)
    return render("hazards/list.html", page=paginate(query), chosen=status, filters=LIST_FILTERS)


def _fill(form: HazardForm) -> HazardForm:
    from schoolhq.people import services as people
    from schoolhq.places import services as places

    form.location_id.choices = [("", _l("— choose the place —")), *places.choices()]
    form.responsible_id.choices = [("", _l("— choose —")), *people.person_choices()]
    form.level.choices = list(services.LEVEL_LABELS.items())
    form.source.choices = [(key, label) for key, label in services.SOURCE_LABELS.items() if key != "check"]
    return form


def _data(form: HazardForm, source: str = "other") -> services.HazardData:
    level = form.level.data or "general"
    found_on = form.found_on.data
    deadline = form.deadline.data
    if deadline is None and level in services.LEVEL_LABELS:
        from schoolhq.core.timeutil import local_today

        deadline = services.default_deadline(level, found_on or local_today())
    return services.HazardData(location_id=to_int(form.location_id.data), description=form.description.data or "",
                               responsible_id=to_int(form.responsible_id.data), deadline=deadline, level=level,
                               measures=form.measures.data or "", found_on=found_on,
                               source=form.source.data or source, photo=form.photo.data,
                               ticket_id=to_int(form.ticket_id.data))


@bp.route("/new", methods=["GET", "POST"])
@permission_required("hazards.register")
def new_hazard():
    form = _fill(HazardForm())
    if request.method == "GET" and request.args.get("place"):
        form.location_id.data = request.args["place"]
    if request.method == "GET" and request.args.get("ticket"):
        from schoolhq.repairs.models import Ticket

        ticket = get_or_404(Ticket, to_int(request.args["ticket"]) or 0)
        form.ticket_id.data, form.location_id.data = str(ticket.id), str(ticket.location_id)
        form.description.data, form.source.data = ticket.shown_description, "report"
    return handle_form(form, lambda: services.register(current_user, _data(form)),
                       success=lambda hazard: redirect_to("hazards.hazard_page", hazard_id=hazard.id),
                       page="hazards/new.html",
                       context=lambda: {**_deadline_days(), "ticket": _ticket(to_int(form.ticket_id.data))})


def _ticket(ticket_id: int | None):
    from schoolhq.repairs.models import Ticket

    return db.session.get(Ticket, ticket_id) if ticket_id else None


def _deadline_days() -> dict:
    from schoolhq.core import settings

    return {"general_days": settings.get("hazards.general_days"), "major_days": settings.get("hazards.major_days")}


def _hazard_page(hazard: Hazard, status: int = 200, error=None, forms: dict | None = None):
    from schoolhq.repairs.models import Ticket

    forms = forms or {}
    edit = forms.get("edit") or _fill(HazardForm(formdata=None, obj=None))
    if "edit" not in forms:
        edit.location_id.data, edit.description.data = str(hazard.location_id), hazard.description
        edit.level.data, edit.responsible_id.data = hazard.level, str(hazard.responsible_id)
        edit.deadline.data, edit.measures.data = hazard.deadline, hazard.measures
    ticket = db.session.get(Ticket, hazard.ticket_id) if hazard.ticket_id else None
    from schoolhq.repairs.services import may_open

    return render("hazards/hazard.html", status=status, hazard=hazard, error=error, ticket=ticket,
                  may_open_ticket=ticket is not None and may_open(current_user, ticket),
                  edit_form=edit, rectify_form=forms.get("rectify") or RectifyForm(formdata=None),
                  recheck_form=forms.get("recheck") or RecheckForm(formdata=None), refused=next(iter(forms), None),
                  may_manage=can(current_user, "hazards.manage"),
                  may_rectify=services.may_rectify(current_user, hazard),
                  may_recheck=can(current_user, "hazards.recheck") and current_user.id != hazard.rectified_by_id
                  and current_user.person_id != hazard.responsible_id)


@bp.get("/<int:hazard_id>")
@permission_required("hazards.view")
def hazard_page(hazard_id: int):
    return _hazard_page(services.get_hazard(hazard_id))


ACTIONS = {
    "edit": (HazardForm, lambda hazard_id, form: services.change(current_user, hazard_id, _data(form))),
    "rectify": (RectifyForm, lambda hazard_id, form: services.rectify(current_user, hazard_id, form.note.data,
                                                                      form.photo.data)),
    "recheck": (RecheckForm, lambda hazard_id, form: services.recheck(
        current_user, hazard_id, form.result.data == "pass", form.note.data, form.signature.data, form.deadline.data)),
}


@bp.post("/<int:hazard_id>/<action>")
@permission_required("hazards.view")
def hazard_action(hazard_id: int, action: str):
    if action not in ACTIONS:
        abort(404)
    services.get_hazard(hazard_id)
    form_class, act = ACTIONS[action]
    form = form_class()
    if action == "edit":
        _fill(form)
    return handle_form(form, lambda: act(hazard_id, form),
                       success=lambda _hazard: redirect_to("hazards.hazard_page", hazard_id=hazard_id),
                       page=lambda status, error, field: _hazard_page(services.get_hazard(hazard_id), status, error,
                                                                      {action: form}))


@bp.get("/ledger")
@permission_required("hazards.view")
def ledger():
    """隐患排查整改台账 of a month: the hazards found in it and where each stands."""
    first = month_arg()
    rows = services.month_rows(first)
    data = services.domain()["hazards"]
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.timeutil import to_local
        from schoolhq.core.xlsx import download

        header = [_("No."), _("Found on"), _("Found by"), _("Where the hazard is"), _("The hazard"), _("Hazard level"),
                  _("Responsible for rectifying it"), _("Rectify by"), _("Measures, interim ones included"),
                  _("Rectified on"), _("What was done"), _("Re-checked by"), _("Re-check"), _("Closed on"),
                  _("Status")]
        table = [[n, h.found_on, h.found_by.name if h.found_by else "", h.location.full_name, h.shown_description,
                  str(services.LEVEL_LABELS[h.level]), h.responsible.name, h.deadline, h.measures, h.rectified_on,
                  h.rectification, h.rechecked_by.person.name if h.rechecked_by and h.rechecked_by.person else "",
                  h.recheck_note or (str(services.RECHECK_LABELS[h.recheck_result]) if h.recheck_result else ""),
                  to_local(h.closed_at).date() if h.closed_at else None, str(services.STATUS_LABELS[h.status])]
                 for n, h in enumerate(rows, start=1)]
        return download(f"hazards-{first:%Y-%m}.xlsx", [(data_words(data["title"]), header, table)])
    return render("hazards/ledger.html", first=first, rows=rows, title=data_words(data["title"]),
                  rules=data["rules"])
