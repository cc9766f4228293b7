from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from schoolhq.core.charts import bar_chart
from schoolhq.core.errors import ServiceError
from schoolhq.core.money import yuan
from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import can, permission_required, require, require_within
from schoolhq.core.timeutil import local_today
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    int_arg,
    month_arg,
    redirect_to,
    render,
    to_int,
)
from schoolhq.core.xlsx import download
from schoolhq.extensions import db
from schoolhq.stock import counts, reports, requisitions, services
from schoolhq.stock.forms import (
    CartForm,
    CounterForm,
    CountStartForm,
    DecisionForm,
    IssueForm,
    ItemForm,
    MovementForm,
    ReceiptForm,
    StockCategoryForm,
    StoreForm,
    SubmitRequisitionForm,
)
from schoolhq.stock.models import StockItem, StockReceipt, Store
from schoolhq.stock.services import UNIT, format_quantity, ledger_sum

bp = Blueprint("stock", __name__, url_prefix="/stock")


@bp.app_template_filter("qty")
def _qty(milli):
    return format_quantity(milli)


@bp.context_processor
def _names():
    return {"kind_label": services.kind_label, "requisition_status": requisitions.status_label,
            "count_status": counts.status_label, "level_of": services.level_of}


def _item_or_404(item_id: int) -> StockItem:
    item = get_or_404(StockItem, item_id)
    return item


def _store_choices(blank: bool = False):
    choices = [(str(s.id), s.name) for s in services.stores()]
    return ([("", _l("— all stores —"))] if blank else []) + choices


def _within(store_id, permission: str = "stock.issue") -> None:
    """A keeper whose role is scoped to a place acts only on the stores kept there."""
    store = db.session.get(Store, to_int(store_id) or 0)
    if store is not None:
        require(permission, store)


# Stock list and items -----------------------------------------------------------------

def _filters() -> services.ItemFilters:
    level = request.args.get("level", "")
    return services.ItemFilters(text=request.args.get("q", "").strip()[:60], category_id=int_arg("category"),
                                store_id=int_arg("store"), level=level if level in ("low", "reserve") else "")


@bp.get("/")
@permission_required("stock.view", "stock.issue")
def index():
    page = paginate(services.item_rows(_filters()), per_page=50, rows=True)
    return render("stock/index.html", "stock/_rows.html", page=page, filters=_filters(),
                  categories=services.categories(), stores=services.stores())


def _item_form(item: StockItem | None = None) -> ItemForm:
    form = ItemForm(obj=item)
    form.category_id.choices = [(str(c.id), c.name) for c in services.categories()]
    if item is not None and request.method == "GET":
        form.category_id.data = str(item.category_id)
        form.barcode.data = item.barcode or ""
        for field in ("min_level", "target_level", "reserve_level", "quota_person", "quota_department"):
            getattr(form, field).data = format_quantity(getattr(item, f"{field}_milli") or 0) \
                if getattr(item, f"{field}_milli") else ""
    return form


def _item_data(form: ItemForm) -> services.ItemData:
    return services.ItemData(
        name=form.name.data, category_id=to_int(form.category_id.data), unit=form.unit.data, spec=form.spec.data or "",
        decimal_unit=form.decimal_unit.data, barcode=form.barcode.data or "", min_level=form.min_level.data,
        target_level=form.target_level.data, reserve_level=form.reserve_level.data,
        quota_person=form.quota_person.data, quota_department=form.quota_department.data,
        needs_approval=form.needs_approval.data, note=form.note.data or "")


@bp.route("/items/new", methods=["GET", "POST"])
@permission_required("stock.manage", school_wide=True)
def item_new():
    form = _item_form()
    return handle_form(form, lambda: services.save_item(_item_data(form), photo=request.files.get("photo")),
                       success=lambda item: redirect_to("stock.item", item_id=item.id),
                       page="stock/item_form.html", context={"item": None})


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@permission_required("stock.manage", school_wide=True)
def item_edit(item_id: int):
    item = _item_or_404(item_id)
    form = _item_form(item)
    return handle_form(form, lambda: services.save_item(_item_data(form), item.id, photo=request.files.get("photo")),
                       success=lambda _saved: redirect_to("stock.item", item_id=item.id),
                       page="stock/item_form.html", context=lambda: {"item": item})


@bp.post("/items/<int:item_id>/archive")
@permission_required("stock.manage", school_wide=True)
def item_archive(item_id: int):
    services.archive_item(_item_or_404(item_id).id)
    return redirect_to("stock.item", item_id=item_id)


def _item_page(item: StockItem, status: int = 200, error: str | None = None, action: str = ""):
    store_id = int_arg("store")
    # page the ids alone (an index walk), then fetch just those rows with their documents
    page = paginate(services.ledger_ids(item.id, store_id), per_page=30)
    rows = db.session.execute(services.ledger_query(item.id, store_id).where(
        services.StockMovement.id.in_(page.items))).all() if page.items else []
    page.items = services.with_balances(rows, item.id, store_id)
    balances = services.balances_of(item.id)
    total = sum(quantity for _s, quantity, _v in balances)
    return render("stock/item.html", "stock/_ledger.html", status=status, item=item, page=page,
                  balances=balances, total=total, value=sum(v for _s, _q, v in balances),
                  average=services.average_cost_fen(item.id), stores=services.stores(), store_id=store_id,
                  error=error, action=action, form_values=request.form)


@bp.get("/items/<int:item_id>")
@permission_required("stock.view", "stock.issue")
def item(item_id: int):
    return _item_page(_item_or_404(item_id))


@bp.get("/items/<int:item_id>/ledger.xlsx")
@permission_required("stock.view", "stock.issue")
def item_ledger_xlsx(item_id: int):
    item = _item_or_404(item_id)
    rows = services.with_balances(db.session.execute(services.ledger_query(item.id, int_arg("store"))).all(),
                                  item.id, int_arg("store"))
    from schoolhq.core.timeutil import to_local

    body = [[to_local(m.occurred_at).strftime("%Y-%m-%d %H:%M"), m.store.name, services.kind_label(m.kind),
             m.quantity_milli / UNIT, balance / UNIT, m.value_fen / 100, receipt or requisition or "",
             m.person.name if m.person else "", m.reason]
            for m, balance, receipt, _rid, requisition in reversed(rows)]
    header = [_("Time"), _("Store"), _("Movement"), _("Quantity"), _("Balance"), _("Value (yuan)"),
              _("Document"), _("Person"), _("Reason")]
    return download(f"ledger-{item.id}.xlsx", [(item.name, header, body)])


def _movement_action(item_id: int, action: str, form: MovementForm, perform):
    item = _item_or_404(item_id)
    return handle_form(form, lambda: perform(item), success=lambda _moved: redirect_to("stock.item", item_id=item.id),
                       page=lambda status, error, field: _item_page(item, status, error and str(error), action))


@bp.post("/items/<int:item_id>/transfer")
@permission_required("stock.issue")
def item_transfer(item_id: int):
    form = MovementForm()
    _within(form.from_store_id.data)
    _within(form.to_store_id.data)
    return _movement_action(item_id, "transfer", form, lambda item: services.transfer(
        item.id, to_int(form.from_store_id.data), to_int(form.to_store_id.data), form.quantity.data,
        form.reason.data))


@bp.post("/items/<int:item_id>/write-off")
@permission_required("stock.issue")
def item_write_off(item_id: int):
    form = MovementForm()
    _within(form.store_id.data)
    return _movement_action(item_id, "write_off", form, lambda item: services.write_off(
        item.id, to_int(form.store_id.data), form.quantity.data, form.reason.data))


@bp.post("/items/<int:item_id>/return")
@permission_required("stock.issue")
def item_return(item_id: int):
    form = MovementForm()
    _within(form.store_id.data)
    return _movement_action(item_id, "return", form, lambda item: services.return_to_store(
        item.id, to_int(form.store_id.data), form.quantity.data, to_int(form.person_id.data), form.reason.data))


@bp.post("/movements/<int:movement_id>/reverse")
@permission_required("stock.manage")
def movement_reverse(movement_id: int):
    movement = get_or_404(services.StockMovement, movement_id)
    _within(movement.store_id, "stock.manage")
    form = MovementForm()
    return _movement_action(movement.item_id, "reverse", form,
                            lambda item: services.reverse(movement.id, form.reason.data))


# Stores and categories ----------------------------------------------------------------

def _store_form(store: Store | None = None) -> StoreForm:
    from schoolhq.people import services as people
    from schoolhq.places import services as places

    form = StoreForm(obj=store)
    form.location_id.choices = places.choices()
    form.keeper_id.choices = [("", _l("— nobody —"))] + people.person_choices()
    if store is not None and request.method == "GET":
        form.location_id.data, form.keeper_id.data = str(store.location_id), str(store.keeper_id or "")
    return form


@bp.route("/stores", methods=["GET", "POST"])
@permission_required("stock.view", "stock.issue", "stock.manage")
def store_list():
    form = _store_form()
    if request.method == "POST":
        # stores and items are school-wide rules: a keeper scoped to one place cannot change them
        require_within("stock.manage")
    return handle_form(form, lambda: services.save_store(form.name.data, to_int(form.location_id.data),
                                                         to_int(form.keeper_id.data)),
                       success="stock.store_list", page="stock/stores.html",
                       context=lambda: {"stores": services.stores()})


@bp.route("/stores/<int:store_id>/edit", methods=["GET", "POST"])
@permission_required("stock.manage", school_wide=True)
def store_edit(store_id: int):
    store = get_or_404(Store, store_id)
    form = _store_form(store)
    return handle_form(form, lambda: services.save_store(form.name.data, to_int(form.location_id.data),
                                                         to_int(form.keeper_id.data), store.id),
                       success="stock.store_list", page="stock/store_form.html", context=lambda: {"store": store})


@bp.get("/stores/<int:store_id>/shelf-sheet")
@permission_required("stock.view", "stock.issue")
def shelf_sheet(store_id: int):
    store = get_or_404(Store, store_id)
    return render("stock/shelf_sheet.html", store=store, rows=reports.shelf_sheet(store.id), today=local_today())


@bp.route("/categories", methods=["GET", "POST"])
@permission_required("stock.manage", school_wide=True)
def category_list():
    form = StockCategoryForm()
    return handle_form(form, lambda: services.save_category(form.name.data, to_int(form.category_id.data)),
                       success="stock.category_list", page="stock/categories.html",
                       context=lambda: {"categories": services.categories()})


# Receiving ----------------------------------------------------------------------------

def _receipt_lines() -> list[services.ReceiptLine]:
    items, quantities, prices = (request.form.getlist(name) for name in ("item_id", "quantity", "unit_price"))
    return [services.ReceiptLine(to_int(i), q, p) for i, q, p in zip(items, quantities, prices, strict=False)]


def _item_choices():
    return [(str(i.id), f"{i.name} {i.spec} ({i.unit})".replace("  ", " "))
            for i in db.session.scalars(select(StockItem).where(StockItem.archived_at.is_(None))
                                        .order_by(StockItem.category_id, StockItem.name))]


@bp.route("/receive", methods=["GET", "POST"])
@permission_required("stock.issue")
def receive():
    form = ReceiptForm()
    form.store_id.choices = _store_choices()
    if request.method == "GET":
        form.received_on.data = local_today()
    lines = _receipt_lines() if request.method == "POST" else [services.ReceiptLine(None, "", "")] * 3
    def receive_goods():
        _within(form.store_id.data)
        return services.receive(to_int(form.store_id.data), lines, form.supplier.data, form.invoice_no.data,
                                form.received_on.data, form.note.data)

    return handle_form(form, receive_goods, success=lambda receipt: redirect_to("stock.receipt", receipt_id=receipt.id),
                       page="stock/receive.html", context=lambda: {"lines": lines, "item_choices": _item_choices()})


@bp.get("/receive/line")
@permission_required("stock.issue")
def receive_line():
    return render("stock/_receipt_line.html", line=services.ReceiptLine(None, "", ""), item_choices=_item_choices())


@bp.get("/receipts")
@permission_required("stock.view", "stock.issue")
def receipts():
    page = paginate(select(StockReceipt).order_by(StockReceipt.id.desc()), per_page=50)
    return render("stock/receipts.html", page=page)


@bp.get("/receipts/<int:receipt_id>")
@permission_required("stock.view", "stock.issue")
def receipt(receipt_id: int):
    note = get_or_404(StockReceipt, receipt_id)
    lines = services.receipt_lines(note.id)
    return render("stock/receipt.html", receipt=note, lines=lines, total=sum(m.value_fen for m in lines),
                  reversed_ids=services.reversed_ids([m.id for m in lines]))


# Requisitions: the requester ----------------------------------------------------------

def _request_page(status: int = 200, form: SubmitRequisitionForm | None = None, error: str | None = None):
    cart = requisitions.cart_of(current_user) if current_user.person_id else None
    form = form or SubmitRequisitionForm()
    form.store_id.choices = _store_choices()
    if cart is not None and not form.store_id.data:
        form.store_id.data = str(cart.store_id)
    return render("stock/request.html", "stock/_request_cart.html", status=status, cart=cart, form=form,
                  error=error, warnings=requisitions.quota_warnings(cart) if cart else [],
                  on_hand=_on_hand_of(cart.lines if cart else []), mine=requisitions.for_person(current_user.person_id or 0, 20))


def _on_hand_of(lines) -> dict[int, int]:

    from schoolhq.stock.models import StockBalance

    ids = [line.item_id for line in lines]
    if not ids:
        return {}
    return dict(db.session.execute(select(StockBalance.item_id, ledger_sum(StockBalance.quantity_milli))
                                   .where(StockBalance.item_id.in_(ids)).group_by(StockBalance.item_id)).all())


@bp.get("/request")
@permission_required("stock.request")
def request_page():
    return _request_page()


@bp.get("/request/search")
@permission_required("stock.request")
def request_search():
    text = request.args.get("q", "").strip()[:60]
    rows = db.session.execute(services.item_rows(services.ItemFilters(text=text)).limit(15)).all() if text else []
    return render("stock/_request_search.html", rows=rows, q=text)


@bp.post("/request/add")
@permission_required("stock.request")
def request_add():
    form = CartForm()
    return _cart_change(form, lambda: requisitions.add_to_cart(current_user, to_int(form.item_id.data),
                                                               form.quantity.data))


@bp.post("/request/lines/<int:line_id>")
@permission_required("stock.request")
def request_line(line_id: int):
    form = CartForm()
    return _cart_change(form, lambda: requisitions.set_cart_line(current_user, line_id, form.quantity.data))


def _cart_change(form: CartForm, change):
    """The cart answers every change with itself (the fragment for htmx)."""
    return handle_form(form, change, success=lambda _line: _request_page(),
                       page=lambda status, error, field: _request_page(status, error=error and str(error)))


@bp.post("/request/submit")
@permission_required("stock.request")
def request_submit():
    form = SubmitRequisitionForm()
    form.store_id.choices = _store_choices()
    return handle_form(form, lambda: requisitions.submit(current_user, requisitions.Submission(
        form.purpose.data or "", form.for_department.data, to_int(form.store_id.data))),
        success=lambda requisition: redirect_to("stock.requisition", requisition_id=requisition.id),
        page=lambda status, error, field: _request_page(status, form=form))


@bp.get("/requests")
@permission_required("stock.request")
def my_requests():
    return render("stock/my_requests.html", rows=requisitions.for_person(current_user.person_id or 0, 200))


# Requisitions: approval and the window ------------------------------------------------

def _requisition_or_404(requisition_id: int):
    requisition = db.session.get(requisitions.Requisition, requisition_id)
    if requisition is None or requisition.status == "draft":
        abort(404)
    if not (requisition.requester_id == current_user.person_id or can(current_user, "stock.issue", requisition.store)
            or can(current_user, "stock.view", requisition) or requisitions.may_approve_department(current_user, requisition)
            or requisitions.may_release_reserve(current_user, requisition)):
        abort(403)
    return requisition


def _requisition_page(requisition, status: int = 200, error: str | None = None, form: IssueForm | None = None):
    issued = requisitions.issued_by_line(requisition.id)
    form = form or IssueForm()
    from schoolhq.stock.models import StockIssue

    hand_overs = list(db.session.scalars(select(StockIssue).where(StockIssue.requisition_id == requisition.id)
                                         .order_by(StockIssue.id)))
    store_has = services.on_hand_in(requisition.store_id, [line.item_id for line in requisition.lines])
    return render("stock/requisition.html", status=status, requisition=requisition, issued=issued, form=form,
                  error=error, store_has=store_has, hand_overs=hand_overs,
                  warnings=requisitions.quota_warnings(requisition),
                  may_issue=can(current_user, "stock.issue", requisition.store),
                  may_approve=requisitions.may_approve_department(current_user, requisition),
                  may_release=requisitions.may_release_reserve(current_user, requisition),
                  held=requisitions.held_by_reserve(requisition) if requisition.status in ("ready", "partly_issued")
                  else [],
                  entered=request.form)


@bp.get("/requisitions/<int:requisition_id>")
@permission_required("stock.request", "stock.view", "stock.issue")
def requisition(requisition_id: int):
    return _requisition_page(_requisition_or_404(requisition_id))


def _requisition_action(requisition_id: int, perform, form: DecisionForm | None = None):
    item = _requisition_or_404(requisition_id)
    return handle_form(form or DecisionForm(), lambda: perform(item),
                       success=lambda _done: redirect_to("stock.requisition", requisition_id=item.id),
                       page=lambda status, error, field: _requisition_page(item, status, error and str(error)))


@bp.post("/requisitions/<int:requisition_id>/approve")
@permission_required("stock.request")
def requisition_approve(requisition_id: int):
    form = DecisionForm()
    return _requisition_action(requisition_id, lambda r: requisitions.approve(
        current_user, r.id, form.which.data, form.note.data), form)


@bp.post("/requisitions/<int:requisition_id>/reject")
@permission_required("stock.request")
def requisition_reject(requisition_id: int):
    form = DecisionForm()
    return _requisition_action(requisition_id, lambda r: requisitions.reject(current_user, r.id, form.note.data),
                               form)


@bp.post("/requisitions/<int:requisition_id>/cancel")
@permission_required("stock.request")
def requisition_cancel(requisition_id: int):
    return _requisition_action(requisition_id, lambda r: requisitions.cancel(current_user, r.id))


@bp.get("/requisitions/<int:requisition_id>/lines/<int:line_id>/check")
@permission_required("stock.issue")
def requisition_check_line(requisition_id: int, line_id: int):
    """The window types a quantity: the line answers at once whether it can go out."""
    item = _requisition_or_404(requisition_id)
    require("stock.issue", item.store)
    line = next((line for line in item.lines if line.id == line_id), None)
    if line is None:
        abort(404)
    typed = request.args.get(f"line-{line.id}", "")
    problem = requisitions.check_line(current_user, item, line, typed)
    return render("stock/_issue_line.html", status=422 if problem else 200, requisition=item, line=line,
                  issued=requisitions.issued_by_line(item.id), can_hand_out=True, line_error=problem,
                  store_has=services.on_hand_in(item.store_id, [line.item_id]), entered={f"line-{line.id}": typed})


@bp.post("/requisitions/<int:requisition_id>/ask-reserve")
@permission_required("stock.issue")
def requisition_ask_reserve(requisition_id: int):
    def ask(r):
        require("stock.issue", r.store)
        requisitions.ask_reserve_release(current_user, r.id)

    return _requisition_action(requisition_id, ask)


@bp.post("/requisitions/<int:requisition_id>/close")
@permission_required("stock.issue")
def requisition_close(requisition_id: int):
    form = DecisionForm()

    def close(r):
        require("stock.issue", r.store)
        requisitions.close_remaining(current_user, r.id, form.note.data)

    return _requisition_action(requisition_id, close, form)


@bp.post("/requisitions/<int:requisition_id>/issue")
@permission_required("stock.issue")
def requisition_issue(requisition_id: int):
    item = _requisition_or_404(requisition_id)
    require("stock.issue", item.store)
    form = IssueForm()
    # one quantity per line: "line-<id>", as many as the requisition has lines
    quantities = {line.id: request.form.get(f"line-{line.id}", "") for line in item.lines}
    return handle_form(form, lambda: requisitions.issue(current_user, item.id, quantities,
                                                        to_int(form.recipient_id.data), form.signature.data,
                                                        form.on_paper.data),
                       success=lambda _issued: redirect_to("stock.requisition", requisition_id=item.id),
                       page=lambda status, error, field: _requisition_page(item, status, error and str(error), form))


@bp.get("/requisitions/<int:requisition_id>/print")
@permission_required("stock.request", "stock.view", "stock.issue")
def requisition_print(requisition_id: int):
    item = _requisition_or_404(requisition_id)
    return render("stock/requisition_print.html", requisition=item, issued=requisitions.issued_by_line(item.id))


@bp.get("/window")
@permission_required("stock.issue")
def window():
    return render("stock/window.html", rows=requisitions.window_queue(current_user))


@bp.get("/approvals")
@permission_required("stock.request")
def approvals():
    return render("stock/approvals.html", rows=requisitions.waiting_for(current_user))


# Direct issue at the counter ----------------------------------------------------------

def _counter_lines() -> list[tuple[StockItem, str]]:
    ids, quantities = request.form.getlist("item_id"), request.form.getlist("quantity")
    found = []
    for item_id, quantity in zip(ids, quantities, strict=False):
        item = db.session.get(StockItem, to_int(item_id) or 0)
        if item is not None:
            found.append((item, quantity))
    return found


def _counter_form() -> CounterForm:
    form = CounterForm()
    form.store_id.choices = _store_choices()
    return form


@bp.get("/counter")
@permission_required("stock.issue")
def counter():
    return render("stock/counter.html", form=_counter_form(), lines=[])


@bp.post("/counter/scan")
@permission_required("stock.issue")
def counter_scan():
    lines = _counter_lines()
    code = request.form.get("tag", "").strip()
    item = services.find_by_barcode(code)
    matches = []
    if item is None:
        matches = db.session.execute(services.item_rows(services.ItemFilters(text=code)).limit(2)).all() if code else []
        item = matches[0][0] if len(matches) == 1 else None
    error = None
    if item is None and len(matches) > 1:
        error = _("“%(code)s” matches several items; scan the barcode or type more of the name.", code=code[:40])
    elif item is None:
        error = _("No stock item has the barcode “%(code)s”.", code=code[:40])
    elif any(existing.id == item.id for existing, _q in lines):
        lines = [(existing, _plus_one(existing, q) if existing.id == item.id else q) for existing, q in lines]
    else:
        lines.append((item, "1"))
    return render("stock/_counter_lines.html", status=422 if error else 200, lines=lines, scan_error=error)


def _plus_one(item: StockItem, typed: str) -> str:
    """Scanning an item again adds one; a quantity typed wrongly is left for the issue to refuse."""
    try:
        return format_quantity(services.parse_quantity(typed, item) + UNIT).replace(",", "")
    except ServiceError:
        return typed


@bp.post("/counter/issue")
@permission_required("stock.issue")
def counter_issue():
    form = _counter_form()
    lines = _counter_lines()
    def issue():
        _within(form.store_id.data)
        return requisitions.issue_at_counter(
            current_user, to_int(form.store_id.data), to_int(form.recipient_id.data),
            [requisitions.CounterLine(item.id, quantity) for item, quantity in lines], form.purpose.data or "",
            form.signature.data, form.on_paper.data)

    return handle_form(form, issue,
                       success=lambda requisition: redirect_to("stock.requisition", requisition_id=requisition.id),
                       page="stock/counter.html", context={"lines": lines})


# Registers and lists for print --------------------------------------------------------

@bp.get("/register")
@permission_required("stock.view", "stock.issue")
def register():
    month = month_arg()
    store_id = int_arg("store")
    rows = requisitions.register_rows(month, store_id)
    return render("stock/register.html", rows=rows, month=month, stores=services.stores(), store_id=store_id,
                  previous=(month - timedelta(days=1)).replace(day=1),
                  following=(month + timedelta(days=32)).replace(day=1))


@bp.get("/purchase-list")
@permission_required("stock.view", "stock.issue")
def purchase_list():
    rows = services.purchase_list()
    if request.args.get("format") == "xlsx":
        header = [_("Item"), _("Specification"), _("Unit"), _("On hand"), _("Minimum"), _("Target"), _("To buy"),
                  _("Estimated cost (yuan)")]
        body = [[i.name, i.spec, i.unit, q / UNIT, i.min_level_milli / UNIT, i.target_level_milli / UNIT, b / UNIT,
                 c / 100] for i, q, b, c in rows]
        return download(f"purchase-list-{local_today()}.xlsx", [(_("Purchase list"), header, body)])
    return render("stock/purchase_list.html", rows=rows, total=sum(c for *_r, c in rows), today=local_today())


# Counts -------------------------------------------------------------------------------

@bp.route("/counts", methods=["GET", "POST"])
@permission_required("stock.issue", "stock.approve")
def count_list():
    form = CountStartForm()
    if request.method == "POST":
        _within(form.store_id.data)
    return handle_form(form, lambda: counts.start(current_user, to_int(form.store_id.data)),
                       success=lambda count: redirect_to("stock.count", count_id=count.id), page="stock/counts.html",
                       context=lambda: {"rows": counts.recent(), "stores": services.stores()})


def _count_or_404(count_id: int, *also: str):
    count = get_or_404(counts.StockCount, count_id)
    if not any(can(current_user, permission, count) for permission in ("stock.issue", "stock.approve", *also)):
        abort(403)
    return count


def _count_page(count, status: int = 200, error: str | None = None):
    rows = counts.variances(count)
    counted, total = counts.progress(count)
    return render("stock/count.html", status=status, count=count, rows=rows, counted=counted, total=total,
                  error=error, **_count_line_context(count), gains=sum(r.value_fen for r in rows if r.value_fen > 0),
                  losses=sum(r.value_fen for r in rows if r.value_fen < 0))


@bp.get("/counts/<int:count_id>")
@permission_required("stock.issue", "stock.approve")
def count(count_id: int):
    return _count_page(_count_or_404(count_id))


@bp.post("/counts/<int:count_id>/items/<int:item_id>")
@permission_required("stock.issue")
def count_line(count_id: int, item_id: int):
    """One counted quantity, saved as it is typed; answers the line."""
    count = _count_or_404(count_id)
    require("stock.issue", count)
    try:
        line = counts.record(current_user, count.id, item_id, request.form.get("counted", ""))
        if "reason" in request.form:
            counts.set_reason(count.id, line.id, request.form.get("reason", ""))
        return _line_fragment(count, line.id)
    except ServiceError as error:
        line = db.session.scalar(select(counts.StockCountLine).where(counts.StockCountLine.count_id == count.id,
                                                                     counts.StockCountLine.item_id == item_id))
        if line is None:
            raise
        return _line_fragment(count, line.id, str(error.message), request.form.get("counted", ""), 422)


def _line_fragment(count, line_id: int, error: str | None = None, typed: str | None = None, status: int = 200,
                   focus: bool = False):
    row = counts.variances(count, line_id)[0]
    return render("stock/_count_line.html", status=status, count=count, row=row, line_error=error, typed=typed,
                  focus=focus, **_count_line_context(count))


def _count_line_context(count) -> dict:
    """What every line of a count sheet shares, worked out once, not per line."""
    from flask_wtf.csrf import generate_csrf

    return {"may_count": count.status == "open" and can(current_user, "stock.issue", count),
            "line_url": url_for("stock.count_line", count_id=count.id, item_id=0)[:-1],
            # translated once for the whole sheet: hundreds of lines each asking again cost more than the data
            "labels": {"counted": _("Counted"), "reason": _("Reason"), "why": _("Why it differs"), "save": _("Save"),
                       "expected": _("Expected"), "csrf": generate_csrf()}}


@bp.post("/counts/<int:count_id>/scan")
@permission_required("stock.issue")
def count_scan(count_id: int):
    """A scanned barcode brings its line up, ready to type the quantity."""
    count = _count_or_404(count_id)
    code = request.form.get("tag", "")

    def line_brought_up(line):
        from htmx_flask import make_response

        return make_response(_line_fragment(count, line.id, focus=True), retarget=f"#count-line-{line.id}",
                             reswap="outerHTML")

    return handle_form(None, lambda: counts.line_for(count, services.find_by_barcode(code)), success=line_brought_up,
                       page=lambda status, error, field: render("stock/_count_scan.html", status=status, count=count,
                                                                scan_error=str(error)))


def _count_action(count_id: int, perform):
    count = _count_or_404(count_id)
    return handle_form(None, lambda: perform(count), success=lambda _done: redirect_to("stock.count", count_id=count.id),
                       page=lambda status, error, field: _count_page(count, status, error and str(error)))


@bp.post("/counts/<int:count_id>/submit")
@permission_required("stock.issue")
def count_submit(count_id: int):
    def submit(count):
        require("stock.issue", count)
        counts.submit(current_user, count.id)

    return _count_action(count_id, submit)


@bp.post("/counts/<int:count_id>/approve")
@permission_required("stock.approve")
def count_approve(count_id: int):
    return _count_action(count_id, lambda c: counts.approve(current_user, c.id))


@bp.post("/counts/<int:count_id>/send-back")
@permission_required("stock.approve")
def count_send_back(count_id: int):
    return _count_action(count_id, lambda c: counts.send_back(current_user, c.id))


@bp.post("/counts/<int:count_id>/cancel")
@permission_required("stock.issue", "stock.approve")
def count_cancel(count_id: int):
    return _count_action(count_id, lambda c: counts.cancel(current_user, c.id))


@bp.get("/counts/<int:count_id>/report")
@permission_required("stock.issue", "stock.approve", "stock.view")
def count_report(count_id: int):
    count = _count_or_404(count_id, "stock.view")
    rows = [r for r in counts.variances(count) if r.variance_milli]
    return render("stock/count_report.html", count=count, rows=rows,
                  gains=sum(r.value_fen for r in rows if r.value_fen > 0),
                  losses=sum(r.value_fen for r in rows if r.value_fen < 0))


# Reports ------------------------------------------------------------------------------

def _date_arg(name: str, default: date) -> date:
    """A date from the query string; nonsense and dates outside 2000–2100 fall back to the default."""
    try:
        chosen = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return default
    return chosen if date(2000, 1, 1) <= chosen <= date(2100, 12, 31) else default


@bp.get("/reports/consumption")
@permission_required("stock.view")
def consumption():
    today = local_today()
    start = _date_arg("start", today.replace(month=1, day=1))
    end = _date_arg("end", today)
    error = None
    if end < start:
        error = _("The end date is before the start date.")
        start, end = end, start
    group = request.args.get("group", "department")
    group = group if group in reports.GROUPS else "department"
    rows = reports.consumption(start, end, group, int_arg("store"))
    if request.args.get("format") == "xlsx":
        header = [str(reports.GROUPS[group]), _("Quantity"), _("Unit"), _("Value (yuan)")]
        body = [[r.label, r.quantity_milli / UNIT if r.quantity_milli is not None else "", r.unit, r.value_fen / 100]
                for r in rows]
        return download(f"consumption-{start}-{end}.xlsx", [(_("Consumption"), header, body)])
    chart = bar_chart([(r.label, r.value_fen, yuan(r.value_fen)) for r in rows[:24]])
    return render("stock/consumption.html", rows=rows, chart=chart, start=start, end=end, group=group,
                  groups=reports.GROUPS, total=sum(r.value_fen for r in rows), error=error,
                  stores=services.stores(), store_id=int_arg("store"))


@bp.get("/reports/valuation")
@permission_required("stock.view")
def valuation():
    rows, by_category, total = reports.valuation(int_arg("store"))
    if request.args.get("format") == "xlsx":
        header = [_("Category"), _("Item"), _("Specification"), _("Unit"), _("On hand"), _("Average cost (yuan)"),
                  _("Value (yuan)")]
        body = [[r.category, r.item.name, r.item.spec, r.item.unit, r.quantity_milli / UNIT, r.average_fen / 100,
                 r.value_fen / 100] for r in rows]
        return download(f"stock-valuation-{local_today()}.xlsx", [(_("Stock valuation"), header, body)])
    return render("stock/valuation.html", rows=rows, by_category=by_category, total=total, today=local_today(),
                  stores=services.stores(), store_id=int_arg("store"))
