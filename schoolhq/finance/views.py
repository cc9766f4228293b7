"""The finance pages: the budget lines of a year with what each has committed and spent,
a line's history, purchase requests with their approvals and acceptance, and the
expenditure journal with payments and their reversals."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import local_today
from schoolhq.core.web import get_or_404, handle_form, redirect_to, render, to_int
from schoolhq.finance import purchasing, services
from schoolhq.finance.forms import (
    REQUEST_ROWS,
    AcceptanceForm,
    AdjustmentForm,
    CancelForm,
    DecisionForm,
    ExpenditureForm,
    LineForm,
    RequestForm,
    ReverseForm,
)
from schoolhq.finance.models import BudgetLine, Expenditure, PurchaseRequest

bp = Blueprint("finance", __name__, url_prefix="/finance")

REQUEST_FILTERS = {"open": _l("Open requests"), "pending": _l("Awaiting approval"), "mine": _l("My requests"),
                   "paid": _l("Paid"), "all": _l("All")}


@bp.context_processor
def _names():
    return {"request_status": services.REQUEST_STATUS_LABELS, "request_tone": services.REQUEST_TONES,
            "level_label": purchasing.LEVEL_LABELS, "kind_label": purchasing.KIND_LABELS}


def _year_arg() -> int:
    year = to_int(request.args.get("year"))
    return year if year and 2000 <= year <= 2100 else services.fiscal_year()


# Budget lines ---------------------------------------------------------------------------------

@bp.get("/")
@permission_required("finance.view")
def line_list():
    year = _year_arg()
    rows = services.figures_of(services.lines(year))
    if request.args.get("format") == "xlsx":
        return _lines_xlsx(year, rows)
    chart = _month_chart([r.line.id for r in rows], year)
    return render("finance/lines.html", year=year, years=services.years(), rows=rows, total=services.totals(rows),
                  chart=chart, may_manage=can(current_user, "finance.manage"))


def _month_chart(line_ids: list[int], year: int):
    """The lines' spending in each month of the year, as a server-drawn bar chart."""
    from schoolhq.core.charts import bar_chart
    from schoolhq.core.money import yuan

    months = services.monthly_spend(line_ids, year)
    return bar_chart([(str(_l("Month %(m)s", m=n)), fen, yuan(fen).split(".")[0]) for n, fen in enumerate(months, 1)])


def _lines_xlsx(year: int, rows):
    """预算执行情况 for the accountant."""
    from flask_babel import gettext as _

    from schoolhq.core.xlsx import download

    def rate(value):
        return round(value * 100, 1) if value is not None else ""

    header = [_("Line code"), _("Line name"), _("Department"), _("Budget"), _("Committed"), _("Spent"),
              _("Available"), _("Spent of budget"), _("Spent and committed of budget")]
    body = [[r.line.code, r.line.name, r.line.department.name if r.line.department else "", r.budget_fen / 100,
             r.committed_fen / 100, r.spent_fen / 100, r.available_fen / 100, rate(r.spent_rate),
             rate(r.committed_rate)] for r in rows]
    total = services.totals(rows)
    body.append([_("Total"), "", "", total.budget_fen / 100, total.committed_fen / 100, total.spent_fen / 100,
                 total.available_fen / 100, rate(total.spent_rate), rate(total.committed_rate)])
    return download(f"budget-{year}.xlsx", [(_("Budget execution"), header, body)])


def _department_choices():
    from schoolhq.people import services as people

    return [("", _l("— none —")), *((str(d.id), d.name) for d in people.departments())]


def _line_data(form: LineForm) -> services.LineInput:
    return services.LineInput(fiscal_year=form.fiscal_year.data, code=form.code.data or "", name=form.name.data or "",
                              original=form.original.data or "", department_id=to_int(form.department_id.data),
                              emergency=bool(form.emergency.data), note=form.note.data or "")


@bp.route("/lines/new", methods=["GET", "POST"])
@permission_required("finance.manage")
def new_line():
    form = LineForm()
    form.department_id.choices = _department_choices()
    if request.method == "GET":
        form.fiscal_year.data = str(_year_arg())
    return handle_form(form, lambda: services.save_line(current_user, None, _line_data(form)),
                       success=lambda line: redirect_to("finance.line_page", budget_line_id=line.id),
                       page="finance/line_form.html", context={"line": None})


@bp.route("/lines/<int:budget_line_id>/edit", methods=["GET", "POST"])
@permission_required("finance.manage")
def edit_line(budget_line_id: int):
    from schoolhq.core.money import yuan

    line = get_or_404(BudgetLine, budget_line_id)
    form = LineForm()
    form.department_id.choices = _department_choices()
    if request.method == "GET":
        form.fiscal_year.data, form.code.data, form.name.data = str(line.fiscal_year), line.code, line.name
        form.original.data, form.department_id.data = yuan(line.original_fen), str(line.department_id or "")
        form.emergency.data, form.note.data = line.emergency, line.note
    return handle_form(form, lambda: services.save_line(current_user, line.id, _line_data(form)),
                       success=lambda saved: redirect_to("finance.line_page", budget_line_id=saved.id),
                       page="finance/line_form.html", context={"line": line})


def _line_page(line: BudgetLine, status: int = 200, error=None, field=None, adjust_form=None):
    return render("finance/line.html", status=status, error=error, line=line, chart=_month_chart([line.id],
                                                                                                  line.fiscal_year),
                  figures=services.figures_of([line])[0], adjustments=services.adjustments(line.id),
                  requests=list(_requests_of_line(line.id)), spending=services.journal(line.fiscal_year,
                                                                                      line_id=line.id),
                  adjust_form=adjust_form or AdjustmentForm(formdata=None),
                  may_manage=can(current_user, "finance.manage"))


def _requests_of_line(line_id: int):
    from sqlalchemy import select

    from schoolhq.extensions import db

    return db.session.scalars(select(PurchaseRequest).where(PurchaseRequest.line_id == line_id)
                              .order_by(PurchaseRequest.id.desc()))


@bp.get("/lines/<int:budget_line_id>")
@permission_required("finance.view")
def line_page(budget_line_id: int):
    return _line_page(get_or_404(BudgetLine, budget_line_id))


@bp.post("/lines/<int:budget_line_id>/adjust")
@permission_required("finance.manage")
def adjust_line(budget_line_id: int):
    line = get_or_404(BudgetLine, budget_line_id)
    form = AdjustmentForm()
    return handle_form(form, lambda: services.adjust(current_user, line.id, form.amount.data or "",
                                                     form.reason.data or "", form.approved_by.data or ""),
                       success=lambda _a: redirect_to("finance.line_page", budget_line_id=line.id),
                       page=lambda **state: _line_page(line, adjust_form=form, **state))


# Purchase requests ----------------------------------------------------------------------------

@bp.get("/requests")
@permission_required("finance.view", "finance.request")
def request_list():
    from schoolhq.core.pagination import paginate
    from schoolhq.extensions import db

    sees_all = can(current_user, "finance.view")
    status = request.args.get("status", "open" if sees_all else "mine")
    if status not in REQUEST_FILTERS or not sees_all:
        status = "mine" if not sees_all else "open"
    if request.args.get("format") == "xlsx" and sees_all:
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Number"), _("What is to be bought"), _("Budget line"), _("Requested by"), _("Total"), _("Status"),
                  _("Approval needed")]
        body = [[r.number, r.title, f"{r.line.code} {r.line.name}", r.requester.display_name, r.total_fen / 100,
                 services.request_status_label(r.status), " → ".join(str(purchasing.LEVEL_LABELS[lv]) for lv in r.levels)]
                for r in db.session.scalars(purchasing.listed(status, current_user))]
        return download(f"purchase-requests-{status}.xlsx", [(_("Purchase requests"), header, body)])
    return render("finance/requests.html", page=paginate(purchasing.listed(status, current_user)), chosen=status,
                  filters=REQUEST_FILTERS if sees_all else {"mine": REQUEST_FILTERS["mine"]},
                  awaiting=purchasing.awaiting(current_user), may_request=can(current_user, "finance.request"))


def _request_choices(form: RequestForm) -> dict:
    from schoolhq.assets.views import register_choices

    form.line_id.choices = [("", _l("— choose the line —")), *services.line_choices()]
    return {"stock_items": purchasing.stock_item_choices(), "categories": register_choices()["categories"],
            "rows": REQUEST_ROWS, "kinds": purchasing.KIND_LABELS, "kept": request.form}


def _items() -> list[purchasing.LineItem]:
    got = request.form.get
    return [purchasing.LineItem(kind=got(f"kind-{n}", "other"), description=got(f"description-{n}", ""),
                                quantity=got(f"quantity-{n}", ""), unit_price=got(f"price-{n}", ""),
                                stock_item_id=to_int(got(f"item-{n}")), asset_category_id=to_int(got(f"category-{n}")))
            for n in range(REQUEST_ROWS)]


@bp.route("/requests/new", methods=["GET", "POST"])
@permission_required("finance.request")
def new_request():
    form = RequestForm()
    context = _request_choices(form)
    if request.method == "GET" and request.args.get("line"):
        form.line_id.data = request.args["line"]
    data = lambda: purchasing.RequestInput(line_id=to_int(form.line_id.data), title=form.title.data or "",  # noqa: E731
                                           justification=form.justification.data or "", items=_items(),
                                           supplier=form.supplier.data or "")
    return handle_form(form, lambda: purchasing.submit(current_user, data()),
                       success=lambda made: redirect_to("finance.request_page", request_id=made.id),
                       page="finance/request_form.html", context=context)


def _may_see(purchase: PurchaseRequest) -> bool:
    return can(current_user, "finance.view") or purchase.requester_id == current_user.id


def _request_page(purchase: PurchaseRequest, status: int = 200, error=None, field=None, forms: dict | None = None):
    from schoolhq.places import services as places
    from schoolhq.stock.services import stores

    forms = forms or {}
    may_accept = purchasing.refusal_to_accept(current_user, purchase) is None
    accept_form = forms.get("accept") or AcceptanceForm(formdata=None)
    if may_accept:  # the stores and places are read only for the form that offers them
        accept_form.store_id.choices = [("", _l("— choose the store —")), *((str(s.id), s.name) for s in stores())]
        accept_form.location_id.choices = [("", _l("— choose the place —")), *places.choices()]
    if "accept" not in forms:
        accept_form.accepted_on.data = local_today()
    return render("finance/request.html", status=status, error=error, purchase=purchase, refused=next(iter(forms), None),
                  decision_form=forms.get("decide") or DecisionForm(formdata=None),
                  cancel_form=forms.get("cancel") or CancelForm(formdata=None), accept_form=accept_form,
                  figures=services.figures_of([purchase.line])[0], next_level=purchasing.next_level(purchase),
                  may_decide=purchasing.refusal_to_approve(current_user, purchase) is None,
                  may_accept=may_accept,
                  may_cancel=purchase.status in ("pending", "approved") and (
                      purchase.requester_id == current_user.id or can(current_user, "finance.manage")),
                  may_pay=purchase.status == "accepted" and can(current_user, "finance.manage"),
                  payments=services.payments_of(purchase.id),
                  assets=purchasing.registered_assets(purchase), split_warnings=_split_warnings(purchase))


def _split_warnings(purchase: PurchaseRequest) -> list:
    from schoolhq.finance import splitting

    return splitting.warnings_for(purchase) if purchase.status in splitting.COUNTED else []


def _whole_request():
    """A request with what its page and packet show, loaded with it (not a query each)."""
    from sqlalchemy.orm import joinedload, selectinload

    from schoolhq.auth.models import Account
    from schoolhq.finance.models import Acceptance, Approval

    return (joinedload(PurchaseRequest.line), joinedload(PurchaseRequest.requester).joinedload(Account.person),
            selectinload(PurchaseRequest.lines),
            selectinload(PurchaseRequest.approvals).joinedload(Approval.by).joinedload(Account.person),
            selectinload(PurchaseRequest.acceptances).joinedload(Acceptance.by).joinedload(Account.person))


@bp.get("/requests/<int:request_id>")
@permission_required("finance.view", "finance.request")
def request_page(request_id: int):
    purchase = get_or_404(PurchaseRequest, request_id, options=_whole_request())
    if not _may_see(purchase):
        abort(403)
    return _request_page(purchase)


@bp.post("/requests/<int:request_id>/decide")
@permission_required("finance.approve", "finance.approve_principal")
def decide(request_id: int):
    purchase = get_or_404(PurchaseRequest, request_id)
    form = DecisionForm()
    return handle_form(form, lambda: purchasing.decide(current_user, purchase.id, form.decision.data != "reject",
                                                       form.note.data or "", form.minutes.data or ""),
                       success=lambda _a: redirect_to("finance.request_page", request_id=purchase.id),
                       page=lambda **state: _request_page(purchase, forms={"decide": form}, **state))


@bp.post("/requests/<int:request_id>/cancel")
@permission_required("finance.request", "finance.manage")
def cancel_request(request_id: int):
    purchase = get_or_404(PurchaseRequest, request_id)
    if not _may_see(purchase):
        abort(403)
    form = CancelForm()
    return handle_form(form, lambda: purchasing.cancel(current_user, purchase.id, form.reason.data or ""),
                       success=lambda _r: redirect_to("finance.request_page", request_id=purchase.id),
                       page=lambda **state: _request_page(purchase, forms={"cancel": form}, **state))


@bp.post("/requests/<int:request_id>/accept")
@permission_required("finance.accept")
def accept_request(request_id: int):
    purchase = get_or_404(PurchaseRequest, request_id)
    form = AcceptanceForm()
    data = lambda: purchasing.AcceptanceInput(  # noqa: E731
        passed={"passed": True, "refused": False}.get(form.result.data), accepted_on=form.accepted_on.data,
        witness=form.witness.data or "", note=form.note.data or "", store_id=to_int(form.store_id.data),
        location_id=to_int(form.location_id.data))
    return handle_form(form, lambda: purchasing.accept(current_user, purchase.id, data()),
                       success=lambda _a: redirect_to("finance.request_page", request_id=purchase.id),
                       page=lambda **state: _request_page(purchase, forms={"accept": form}, **state))


# Expenditures ---------------------------------------------------------------------------------

@bp.get("/expenditures")
@permission_required("finance.view")
def journal():
    year = _year_arg()
    month = to_int(request.args.get("month"))
    month = month if month and 1 <= month <= 12 else None
    rows = services.journal(year, month)
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Number"), _("Paid on"), _("Budget line"), _("What it paid for"), _("Supplier"), _("Invoice number"),
                  _("Invoice date"), _("Amount"), _("Purchase request")]
        body = [[e.number, e.paid_on, e.line.code, e.purpose + (f" ({e.reason})" if e.reverses_id else ""), e.supplier,
                 e.invoice_no, e.invoice_date or "", e.amount_fen / 100, e.request.number if e.request else ""]
                for e in rows]
        return download(f"expenditures-{year}{f'-{month:02d}' if month else ''}.xlsx",
                        [(_("Expenditure journal"), header, body)])
    return render("finance/journal.html", year=year, month=month, years=services.years(), rows=rows,
                  reversed_ids=services.reversed_ids(r.id for r in rows), total=sum(r.amount_fen for r in rows),
                  may_manage=can(current_user, "finance.manage"),
                  # /finance/expenditures/<id>/reverse, cut around the id
                  reverse_url=url_for("finance.reverse_expenditure", expenditure_id=0).rsplit("0/reverse", 1)[0],
                  request_url=url_for("finance.request_page", request_id=0)[:-1])


def _expenditure_form(form: ExpenditureForm) -> dict:
    from schoolhq.repairs.plans import plans

    form.line_id.choices = [("", _l("— choose the line —")), *services.line_choices()]
    form.maintenance_plan_id.choices = [("", _l("— none —")), *((str(p.id), p.title) for p in plans())]
    purchase_id = to_int(request.values.get("request"))
    purchase = get_or_404(PurchaseRequest, purchase_id) if purchase_id else None
    return {"purchase": purchase}


@bp.route("/expenditures/new", methods=["GET", "POST"])
@permission_required("finance.manage")
def new_expenditure():
    from schoolhq.core.money import yuan

    form = ExpenditureForm()
    context = _expenditure_form(form)
    purchase = context["purchase"]
    if request.method == "GET":
        form.paid_on.data = local_today()
        if purchase is not None:
            form.line_id.data, form.amount.data = str(purchase.line_id), yuan(purchase.total_fen)
            form.supplier.data, form.purpose.data = purchase.supplier, purchase.title
    data = lambda: services.ExpenditureInput(  # noqa: E731
        line_id=to_int(form.line_id.data), paid_on=form.paid_on.data, amount=form.amount.data or "",
        purpose=form.purpose.data or "", supplier=form.supplier.data or "", invoice_no=form.invoice_no.data or "",
        invoice_date=form.invoice_date.data, request_id=purchase.id if purchase else None,
        ticket_id=_ticket_number(form.ticket_id.data), maintenance_plan_id=to_int(form.maintenance_plan_id.data),
        asset_number=form.asset_number.data or "", receipt_number=form.receipt_number.data or "",
        invoice_scan=form.invoice_scan.data)
    return handle_form(form, lambda: services.record_expenditure(current_user, data()),
                       success=lambda paid: redirect_to("finance.request_page", request_id=paid.request_id)
                       if paid.request_id else redirect_to("finance.journal", year=paid.paid_on.year),
                       page="finance/expenditure_form.html", context=context)


def _ticket_number(text: str | None) -> int | None:
    from schoolhq.core.errors import ServiceError

    cleaned = (text or "").strip().lstrip("#")
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise ServiceError(_l("A repair ticket number is digits, like 1024."), "ticket_id")
    return int(cleaned)


@bp.route("/expenditures/<int:expenditure_id>/reverse", methods=["GET", "POST"])
@permission_required("finance.manage")
def reverse_expenditure(expenditure_id: int):
    """冲销 one payment: its own small page (a journal of hundreds of rows carries a link,
    not a form, on each)."""
    expenditure = get_or_404(Expenditure, expenditure_id)
    form = ReverseForm()
    return handle_form(form, lambda: services.reverse_expenditure(current_user, expenditure.id, form.reason.data or ""),
                       success=lambda _r: redirect_to("finance.journal", year=expenditure.paid_on.year,
                                                      month=expenditure.paid_on.month),
                       page="finance/reverse.html",
                       context=lambda: {"expenditure": expenditure,
                                        "reversed": bool(services.reversed_ids([expenditure.id]))})


# The split-purchase guard, total assets, the 报账 packet -------------------------------------

@bp.get("/split")
@permission_required("finance.view")
def split():
    """What each kind adds up to this year against the tiers, and the clusters flagged."""
    from schoolhq.finance import splitting

    year = _year_arg()
    totals = splitting.year_totals(year)
    names = splitting.kind_names(totals)
    tiers = splitting.tiers()
    rows = sorted(((names[key], fen, next((t for t in tiers if fen < t), None)) for key, fen in totals.items()),
                  key=lambda row: -row[1])
    return render("finance/split.html", year=year, years=services.years(), rows=rows, tiers=tiers,
                  clusters=splitting.clusters(year), near=splitting.NEAR)


@bp.get("/assets")
@permission_required("finance.view")
def assets_summary():
    """资产总额 and the 资产价值 summary of a year: A4, or XLSX."""
    from schoolhq.finance.summary import assets_summary as summary_of

    year = _year_arg()
    summary = summary_of(year)
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Class"), _("Quantity"), _("Original value (yuan)"), _("Depreciation (yuan)"),
                  _("Net value (yuan)"), _("Added in the year (yuan)"), _("Disposed of in the year (yuan)")]
        body = [[r.title, r.count, r.original_fen / 100, r.depreciation_fen / 100, r.net_fen / 100,
                 r.added_fen / 100, r.disposed_fen / 100] for r in [*summary.classes, summary.total]]
        body[-1][0] = _("Total")
        stock = [[name, fen / 100] for name, fen in summary.stock.items()] + [[_("Total"), summary.stock_fen / 100]]
        return download(f"assets-{year}.xlsx", [(_("Fixed assets"), header, body),
                                                (_("Stock on hand"), [_("Category"), _("Value at cost (yuan)")],
                                                 stock)])
    return render("finance/assets.html", year=year, years=services.years(), summary=summary)


@bp.get("/requests/<int:request_id>/packet")
@permission_required("finance.view")
def packet(request_id: int):
    """The 报账 packet for the accounting centre: the request, its approvals, the acceptance,
    the payment with its invoice scan, the receipt or the asset numbers; A4."""
    from sqlalchemy import select

    from schoolhq.core.models import Attachment
    from schoolhq.extensions import db
    from schoolhq.stock.models import StockReceipt

    purchase = get_or_404(PurchaseRequest, request_id, options=_whole_request())
    payments = services.payments_of(purchase.id)
    receipt_ids = [a.receipt_id for a in purchase.acceptances if a.receipt_id]
    receipts = dict(db.session.execute(select(StockReceipt.id, StockReceipt.number)
                                       .where(StockReceipt.id.in_(receipt_ids or [-1]))).all())
    scans = dict(db.session.execute(select(Attachment.id, Attachment.content_type).where(
        Attachment.id.in_([e.invoice_scan_id for e in payments if e.invoice_scan_id] or [-1]))).all())
    return render("finance/packet.html", purchase=purchase, payments=payments, receipts=receipts, scans=scans,
                  assets=purchasing.registered_assets(purchase))
