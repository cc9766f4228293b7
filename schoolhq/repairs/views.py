from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from schoolhq.core.errors import ServiceError
from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    int_arg,
    month_arg,
    redirect_to,
    render,
    search_arg,
    to_int,
    wants_fragment,
)
from schoolhq.extensions import db
from schoolhq.repairs import plans, services
from schoolhq.repairs.forms import PlanForm, RepairSettingsForm, ReportForm, TicketActionForm
from schoolhq.repairs.models import Ticket

bp = Blueprint("repairs", __name__, url_prefix="/repairs")


@bp.context_processor
def _names():
    return {"ticket_status": services.status_label, "event_label": services.event_label,
            "priority_name": services.priority_name, "is_overdue": services.is_overdue,
            "may_open_ticket": lambda ticket: services.may_open(current_user, ticket)}


def _ticket_or_404(ticket_id: int) -> Ticket:
    # the scope checks and the ticket page read these
    ticket = get_or_404(Ticket, ticket_id, options=(
        joinedload(Ticket.location), joinedload(Ticket.category), joinedload(Ticket.assignee),
        joinedload(Ticket.reported_by), selectinload(Ticket.helpers)))
    if not services.may_open(current_user, ticket):
        abort(403)
    return ticket


def _report_page(form: ReportForm, status: int = 200, error: str | None = None, field: str | None = None):
    """The report form; from a label's link the place (and the asset) come filled in."""
    from schoolhq.places import services as places

    location_id = to_int(request.values.get("location_id") or request.values.get("location"))
    asset_id = to_int(request.values.get("asset_id") or request.values.get("asset"))
    asset = None
    if asset_id:
        from schoolhq.assets.models import Asset

        asset = db.session.get(Asset, asset_id)
        if asset is not None and not location_id:
            location_id = asset.location_id
    if request.method == "GET":
        form.location_id.data = str(location_id or "")
        form.asset_id.data = str(asset.id) if asset else ""
        # a problem written down elsewhere (an accompanied meal) comes with its words
        form.description.data = form.description.data or (request.args.get("description") or "")[:500]
    priorities = services.priorities()
    form.location_id.choices = [("", _l("— choose the place —")), *places.choices()]
    form.category_id.choices = [(str(c.id), c.name) for c in services.categories()]
    form.priority.choices = [(p.key, services.priority_name(p)) for p in priorities]
    hours = {p.key: _l("%(h)s school hours", h=p.target_hours) for p in priorities if p.target_hours}
    # a refusal shows in the form: beside its field, or above the fields
    return render("repairs/report.html", status=status, form=form, asset=asset, hours=hours)


@bp.route("/report", methods=["GET", "POST"])
@permission_required("repairs.report")
def report_page():
    """Three taps from a room's or an asset's QR label: the place (and asset) come filled in."""
    form = ReportForm()
    return handle_form(form, lambda: services.report(current_user, services.Report(
        location_id=to_int(form.location_id.data), category_id=to_int(form.category_id.data),
        priority=form.priority.data, description=form.description.data, asset_id=to_int(form.asset_id.data),
        set_under_repair=form.under_repair.data, photos=(form.photos.data or [])[:4])),
        success=lambda ticket: redirect_to("repairs.ticket", ticket_id=ticket.id),
        page=lambda status, error, field: _report_page(form, status, error, field))


@bp.get("/")
@permission_required("repairs.manage", "repairs.work")
def index():
    status = request.args.get("status", "open")
    status = status if status in ("open", "", *services.STATUS_LABELS) else "open"
    repeats = services.repeat_places(account=current_user) if request.args.get("repeats") else []
    # page the ids alone, then load those fifty tickets with their places and people
    page = paginate(services.all_tickets(status, bool(request.args.get("overdue")), current_user)
                    .with_only_columns(Ticket.id), per_page=50)
    found = {t.id: t for t in db.session.scalars(select(Ticket).where(Ticket.id.in_(page.items)).options(
        joinedload(Ticket.location), joinedload(Ticket.category), joinedload(Ticket.assignee)))} if page.items else {}
    page.items = [found[ticket_id] for ticket_id in page.items]
    return render("repairs/index.html", page=page, chosen=status, statuses=services.STATUS_LABELS, repeats=repeats,
                  overdue=bool(request.args.get("overdue")))


@bp.get("/queue")
@permission_required("repairs.work")
def queue():
    tickets = list(db.session.scalars(services.queue_for(current_user).options(
        joinedload(Ticket.location), joinedload(Ticket.category))))
    return render("repairs/queue.html", tickets=tickets, flow=services.FLOW)


@bp.get("/mine")
@permission_required("repairs.report")
def mine():
    page = paginate(services.reported_by(current_user).options(
        joinedload(Ticket.location), joinedload(Ticket.category)), per_page=50)
    return render("repairs/mine.html", page=page)


def _ticket_page(ticket: Ticket, status: int = 200, error: str | None = None, action: str = "",
                 form: TicketActionForm | None = None):
    """The ticket and the steps this reader may take; `form` is the step `action` refused,
    shown again with its message (the other steps' forms stay empty)."""
    from schoolhq.people import services as people

    may_manage = can(current_user, "repairs.manage", ticket)
    people_choices = people.person_choices() if may_manage else []
    parts = _parts_choices() if ticket.status in services.FLOW["complete"] else {}

    def step(name: str) -> TicketActionForm:
        step_form = form if form is not None and action == name else TicketActionForm(formdata=None)
        step_form.assignee_id.choices = [("", _l("— nobody (contractor) —")), *people_choices]
        step_form.helper_ids.choices = people_choices
        step_form.store_id.choices = [(str(st.id), st.name) for st in parts.get("stores", [])]
        if step_form is not form and name == "assign":
            step_form.assignee_id.data = str(ticket.assignee_id or "")
            step_form.contractor.data = ticket.contractor or ""
        return step_form

    steps = {name: step(name) for name in ("assign", "hold", "complete", "verify", "decline", "comment")}
    return render("repairs/ticket.html", status=status, ticket=ticket, action=action, steps=steps,
                  error=error if action not in steps else None,
                  events=services.timeline(ticket.id), photos=services.photos(ticket.id),
                  duty_warning=services.assignee_warning(ticket),
                  may_work=services.may_work_on(current_user, ticket), may_manage=may_manage,
                  is_reporter=ticket.reported_by_id == current_user.id,
                  hold_reasons=[(r, r) for r in services.domain()["hold_reasons"]], flow=services.FLOW,
                  has_parts=bool(parts.get("any")), chosen_parts=_chosen_parts(form if action == "complete" else None))


def _chosen_parts(form: TicketActionForm | None) -> list:
    """The parts a refused completion listed, back on the list with their quantities."""
    if form is None:
        return []
    chosen = [(to_int(item_id), quantity) for item_id, quantity
              in zip(form.part_item_id.data or [], form.part_quantity.data or [], strict=False)]
    items = {item.id: item for item, _quantity in services.spare_parts(
        item_ids=[item_id for item_id, _q in chosen if item_id], in_stock_only=False)}
    return [(items[item_id], quantity) for item_id, quantity in chosen if item_id in items]


def _parts_choices() -> dict:
    """Whether any spare part is in stock, and the stores a worker may take one from."""
    from schoolhq.stock import services as stock

    return {"any": services.spare_parts(limit=1), "stores": stock.stores()}


@bp.get("/parts/pick")
@permission_required("repairs.work", "repairs.manage")
def parts_pick():
    """A spare part picked by typing (name, pinyin, initials or a scanned barcode): a phone
    cannot scroll a select of 150 parts."""
    text = search_arg(limit=60)
    return render("repairs/_part_pick.html", found=services.spare_parts(text) if text else [], q=text)


@bp.get("/parts/line")
@permission_required("repairs.work", "repairs.manage")
def parts_line():
    """One chosen part's line; nothing when it is on the list already (the list's ids come along)."""
    item_id = int_arg("item_id")
    listed = {to_int(value) for value in request.args.getlist("part_item_id")}
    found = services.spare_parts(item_ids=[item_id]) if item_id and item_id not in listed else []
    return render("repairs/_part_line.html", lines=[(item, "1") for item, _quantity in found])


@bp.get("/<int:ticket_id>")
@permission_required("repairs.report", "repairs.work", "repairs.manage")
def ticket(ticket_id: int):
    return _ticket_page(_ticket_or_404(ticket_id))


@bp.get("/<int:ticket_id>/sheet")
@permission_required("repairs.work", "repairs.manage")
def sheet(ticket_id: int):
    """派工单: the printable job sheet, for an outside contractor or the worker's pocket."""
    item = _ticket_or_404(ticket_id)
    return render("repairs/sheet.html", ticket=item, photos=services.photos(item.id))


ACTIONS = {
    "assign": lambda t, f: services.assign(current_user, t.id, to_int(f.assignee_id.data),
                                           [to_int(v) for v in f.helper_ids.data or [] if to_int(v)],
                                           f.contractor.data, f.note.data),
    "start": lambda t, f: services.start(current_user, t.id),
    "hold": lambda t, f: services.hold(current_user, t.id, f.reason.data),
    "resume": lambda t, f: services.resume(current_user, t.id),
    "complete": lambda t, f: services.complete(current_user, t.id, services.Completion(
        f.work_done.data, f.labour_minutes.data, f.parts_used.data, f.outside_cost.data,
        f.after_photo.data, evidence=f.evidence.data,
        parts=list(zip([to_int(v) for v in f.part_item_id.data or []], f.part_quantity.data or [], strict=False)),
        store_id=to_int(f.store_id.data))),
    "verify": lambda t, f: services.verify(current_user, t.id, f.rating.data, f.comment.data),
    "decline": lambda t, f: services.decline(current_user, t.id, f.reason.data),
    "cancel": lambda t, f: services.cancel(current_user, t.id),
    "comment": lambda t, f: services.comment(current_user, t.id, f.text.data),
}


@bp.post("/<int:ticket_id>/<action>")
@permission_required("repairs.report", "repairs.work", "repairs.manage")
def act(ticket_id: int, action: str):
    """Every step of the flow; the service decides who may take it and from which status."""
    if action not in ACTIONS:
        abort(404)
    item = _ticket_or_404(ticket_id)
    form = TicketActionForm()
    one_tap = form.back.data == "queue"

    def done(_result):
        if one_tap and wants_fragment():
            # one tap in the worker's queue answers just that row
            return render("repairs/_queue_row.html", t=item, flow=services.FLOW)
        return redirect_to("repairs.queue") if one_tap else redirect_to("repairs.ticket", ticket_id=item.id)

    def refused(status, error, field):
        if one_tap and wants_fragment():
            raise ServiceError(error, field)  # the queue row stays; the message comes as a toast
        return _ticket_page(_ticket_or_404(ticket_id), status, str(error), action, form)

    return handle_form(form, lambda: ACTIONS[action](item, form), success=done, page=refused)



# Maintenance plans and the statutory register ------------------------------------------

def _plan_page(status: int = 200, error: str | None = None, field: str | None = None,
               form: PlanForm | None = None):
    """The plans, and the form for a new one (`form`: the one refused, with its message)."""
    from schoolhq.assets.models import AssetKind
    from schoolhq.people import services as people
    from schoolhq.places import services as places

    rows = plans.plans()
    kinds = list(db.session.scalars(select(AssetKind).order_by(AssetKind.id)))
    zh = str(get_locale() or "").startswith("zh")
    form = form or PlanForm(formdata=None)
    form.category_id.choices = [(str(c.id), c.name) for c in services.categories()]
    form.assignee_id.choices = [("", _l("— choose —")), *people.person_choices()]
    form.location_id.choices = [("", _l("— choose the place —")), *places.choices()]
    form.kind_key.choices = [("", "—"), *((k.key, f"{k.name_zh} {k.name_en}") for k in kinds)]
    form.unit.choices = list(plans.UNITS.items())
    return render("repairs/plans.html", kind_names={k.key: k.name_zh if zh else (k.name_en or k.name_zh) for k in kinds},
                  status=status, error=None if form.errors else error, plans=rows,
                  compliance=plans.compliance([p.id for p in rows]), units=plans.UNITS, form=form)


@bp.route("/plans", methods=["GET", "POST"])
@permission_required("repairs.manage", school_wide=True)
def plan_list():
    form = PlanForm()

    def save():
        try:
            first = date.fromisoformat(form.first_due_on.data)
        except ValueError:
            first = None
        plans.save_plan(current_user, plans.PlanData(
            title=form.title.data, category_id=to_int(form.category_id.data),
            assignee_id=to_int(form.assignee_id.data), first_due_on=first, every=form.every.data,
            unit=form.unit.data, mode=form.mode.data, target=form.target.data,
            location_id=to_int(form.location_id.data), asset_id=to_int(form.asset_id.data),
            kind_key=form.kind_key.data, steps=form.steps.data.splitlines(), lead_days=form.lead_days.data,
            skip_holidays=form.skip_holidays.data, statutory=form.statutory.data,
            evidence_required=form.evidence_required.data, reference=form.reference.data))
        plans.materialise()

    return handle_form(form, save, success="repairs.plan_list",
                       page=lambda status, error, field: _plan_page(status, error, field, form))


@bp.post("/plans/statutory")
@permission_required("repairs.manage", school_wide=True)
def plan_statutory():
    from schoolhq.places import services as places

    campus = next((loc for loc in places.tree() if loc.parent_id is None), None)
    if campus is None:
        return _plan_page(422, str(_l("Add the campus under Places first.")))
    return handle_form(None, lambda: plans.add_statutory_register(current_user, campus.id),
                       success="repairs.plan_list",
                       page=lambda status, error, field: _plan_page(status, error and str(error)))


@bp.post("/plans/<int:plan_id>/deactivate")
@permission_required("repairs.manage", school_wide=True)
def plan_deactivate(plan_id: int):
    plans.deactivate(plan_id)
    return redirect_to("repairs.plan_list")


@bp.get("/summary")
@permission_required("repairs.manage")
def summary():
    """The monthly repair summary, for the principal's desk and the accountant."""
    from schoolhq.core.xlsx import download
    from schoolhq.repairs.reports import month_summary

    chosen = month_arg()
    report = month_summary(chosen, current_user)
    if request.args.get("format") == "xlsx":
        header = [str(_l("Name")), str(_l("Opened")), str(_l("Closed")), str(_l("Done on time")),
                  str(_l("Mean hours to close")), str(_l("Labour (minutes)"))]

        def rows(lines):
            return [[line.name, line.opened, line.closed, line.on_time_percent, line.mean_hours, line.labour_minutes]
                    for line in lines]

        return download(f"repairs-{chosen:%Y-%m}.xlsx", [(str(_l("By category")), header, rows(report.by_category)),
                                                        (str(_l("By worker")), header, rows(report.by_worker))])
    return render("repairs/summary.html", report=report, previous=(chosen - timedelta(days=1)).replace(day=1),
                  following=(chosen + timedelta(days=32)).replace(day=1))


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("repairs.manage", school_wide=True)
def settings_page():
    """The school's own repair categories and each priority's target time."""
    form = RepairSettingsForm()

    def save():
        if form.priority.data:
            return services.set_target_hours(form.priority.data, form.hours.data)
        return services.save_category(form.name.data, to_int(form.category_id.data))

    return handle_form(form, save, success="repairs.settings_page", page="repairs/settings.html",
                       context=lambda: {"categories": services.categories(), "priorities": services.priorities(),
                                        "blank": RepairSettingsForm(formdata=None)})
