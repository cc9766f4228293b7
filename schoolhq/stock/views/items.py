"""The stock list and each item: its page, ledger, transfers, write-offs, returns and reversals."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import permission_required
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    int_arg,
    redirect_to,
    render,
    search_arg,
    to_int,
)
from schoolhq.core.xlsx import download
from schoolhq.extensions import db
from schoolhq.stock import services
from schoolhq.stock.forms import (
    ItemForm,
    MovementForm,
)
from schoolhq.stock.models import StockItem
from schoolhq.stock.services import UNIT, format_quantity
from schoolhq.stock.views import bp, item_or_404, within


def _filters() -> services.ItemFilters:
    level = request.args.get("level", "")
    return services.ItemFilters(text=search_arg(limit=60), category_id=int_arg("category"),
                                store_id=int_arg("store"), level=level if level in ("low", "reserve") else "")


@bp.get("/")
@permission_required("stock.view", "stock.issue")
def index():
    page = paginate(services.item_rows(_filters(), current_user), per_page=50, rows=True)
    return render("stock/index.html", "stock/_rows.html", page=page, filters=_filters(),
                  categories=services.categories(), stores=services.stores(account=current_user))


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
    item = item_or_404(item_id)
    form = _item_form(item)
    return handle_form(form, lambda: services.save_item(_item_data(form), item.id, photo=request.files.get("photo")),
                       success=lambda _saved: redirect_to("stock.item", item_id=item.id),
                       page="stock/item_form.html", context=lambda: {"item": item})


@bp.post("/items/<int:item_id>/archive")
@permission_required("stock.manage", school_wide=True)
def item_archive(item_id: int):
    services.archive_item(item_or_404(item_id).id)
    return redirect_to("stock.item", item_id=item_id)


def _item_page(item: StockItem, status: int = 200, error: str | None = None, action: str = ""):
    store_id = int_arg("store")
    # page the ids alone (an index walk), then fetch just those rows with their documents
    page = paginate(services.ledger_ids(item.id, store_id, current_user), per_page=30)
    rows = db.session.execute(services.ledger_query(item.id, store_id, current_user).where(
        services.StockMovement.id.in_(page.items))).all() if page.items else []
    page.items = services.with_balances(rows, item.id, store_id, current_user)
    balances = services.balances_of(item.id, current_user)
    total = sum(quantity for _s, quantity, _v in balances)
    return render("stock/item.html", "stock/_ledger.html", status=status, item=item, page=page,
                  balances=balances, total=total, value=sum(v for _s, _q, v in balances),
                  average=services.average_cost_fen(item.id, current_user),
                  stores=services.stores(account=current_user), store_id=store_id,
                  error=error, action=action, form_values=request.form)


@bp.get("/items/<int:item_id>")
@permission_required("stock.view", "stock.issue")
def item(item_id: int):
    return _item_page(item_or_404(item_id))


@bp.get("/items/<int:item_id>/ledger.xlsx")
@permission_required("stock.view", "stock.issue")
def item_ledger_xlsx(item_id: int):
    item = item_or_404(item_id)
    store_id = int_arg("store")
    rows = services.with_balances(db.session.execute(services.ledger_query(item.id, store_id, current_user)).all(),
                                  item.id, store_id, current_user)
    from schoolhq.core.timeutil import to_local

    body = [[to_local(m.occurred_at).replace(tzinfo=None, second=0, microsecond=0), m.store.name,
             services.kind_label(m.kind), m.quantity_milli / UNIT, balance / UNIT, m.value_fen / 100,
             receipt or requisition or "", m.actor.display_name if m.actor else "",
             m.person.name if m.person else "", m.reason]
            for m, balance, receipt, _rid, requisition in reversed(rows)]
    header = [_("Time"), _("Store"), _("Movement"), _("Quantity"), _("Balance"), _("Value (yuan)"),
              _("Document"), _("Operator"), _("Recipient or returner"), _("Reason")]
    return download(f"ledger-{item.id}.xlsx", [(item.name, header, body)])


def _movement_action(item_id: int, action: str, form: MovementForm, perform):
    item = item_or_404(item_id)
    return handle_form(form, lambda: perform(item), success=lambda _moved: redirect_to("stock.item", item_id=item.id),
                       page=lambda status, error, field: _item_page(item, status, error and str(error), action))


@bp.post("/items/<int:item_id>/transfer")
@permission_required("stock.issue")
def item_transfer(item_id: int):
    form = MovementForm()
    within(form.from_store_id.data)
    within(form.to_store_id.data)
    return _movement_action(item_id, "transfer", form, lambda item: services.transfer(
        item.id, to_int(form.from_store_id.data), to_int(form.to_store_id.data), form.quantity.data,
        form.reason.data))


@bp.post("/items/<int:item_id>/write-off")
@permission_required("stock.issue")
def item_write_off(item_id: int):
    form = MovementForm()
    within(form.store_id.data)
    return _movement_action(item_id, "write_off", form, lambda item: services.write_off(
        item.id, to_int(form.store_id.data), form.quantity.data, form.reason.data))


@bp.post("/items/<int:item_id>/return")
@permission_required("stock.issue")
def item_return(item_id: int):
    form = MovementForm()
    within(form.store_id.data)
    return _movement_action(item_id, "return", form, lambda item: services.return_to_store(
        item.id, to_int(form.store_id.data), form.quantity.data, to_int(form.person_id.data), form.reason.data))


@bp.post("/movements/<int:movement_id>/reverse")
@permission_required("stock.manage")
def movement_reverse(movement_id: int):
    movement = get_or_404(services.StockMovement, movement_id)
    within(movement.store_id, "stock.manage")
    form = MovementForm()
    return _movement_action(movement.item_id, "reverse", form,
                            lambda item: services.reverse(movement.id, form.reason.data))
