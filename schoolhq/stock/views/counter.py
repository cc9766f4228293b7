"""Issue at the counter: scan barcodes into a list and hand the items over in one go."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from schoolhq.core.errors import ServiceError
from schoolhq.core.permissions import permission_required
from schoolhq.core.web import (
    handle_form,
    redirect_to,
    render,
    to_int,
)
from schoolhq.extensions import db
from schoolhq.stock import requisitions, services
from schoolhq.stock.forms import (
    CounterForm,
)
from schoolhq.stock.models import StockItem
from schoolhq.stock.services import UNIT, format_quantity
from schoolhq.stock.views import bp, store_choices, within


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
    form.store_id.choices = store_choices(permissions=("stock.issue",))
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
        within(form.store_id.data)
        return requisitions.issue_at_counter(
            current_user, to_int(form.store_id.data), to_int(form.recipient_id.data),
            [requisitions.CounterLine(item.id, quantity) for item, quantity in lines], form.purpose.data or "",
            form.signature.data, form.on_paper.data)

    return handle_form(form, issue,
                       success=lambda requisition: redirect_to("stock.requisition", requisition_id=requisition.id),
                       page="stock/counter.html", context={"lines": lines})
