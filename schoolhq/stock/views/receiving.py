"""Receiving goods (入库单) and the receipts."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import select

from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import permission_required
from schoolhq.core.timeutil import local_today
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    redirect_to,
    render,
    to_int,
)
from schoolhq.extensions import db
from schoolhq.stock import services
from schoolhq.stock.forms import (
    ReceiptForm,
)
from schoolhq.stock.models import StockItem, StockReceipt
from schoolhq.stock.views import bp, readable, store_choices, within


def _receipt_lines() -> list[services.ReceiptLine]:
    items, quantities, prices = (request.form.getlist(name) for name in ("item_id", "quantity", "unit_price"))
    return [services.ReceiptLine(to_int(i), q, p) for i, q, p in zip(items, quantities, prices, strict=False)]


def _item_choices():
    return [(str(i.id), f"{i.name} {i.spec} ({i.unit})".replace("  ", " "))
            for i in db.session.scalars(select(StockItem).where(StockItem.archived_at.is_(None))
                                        .order_by(StockItem.category_id, StockItem.pinyin, StockItem.name))]


@bp.route("/receive", methods=["GET", "POST"])
@permission_required("stock.issue")
def receive():
    form = ReceiptForm()
    form.store_id.choices = store_choices(permissions=("stock.issue",))
    if request.method == "GET":
        form.received_on.data = local_today()
    lines = _receipt_lines() if request.method == "POST" else [services.ReceiptLine(None, "", "")] * 3
    def receive_goods():
        within(form.store_id.data)
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
    page = paginate(services.receipts_query(current_user), per_page=50)
    return render("stock/receipts.html", page=page)


@bp.get("/receipts/<int:receipt_id>")
@permission_required("stock.view", "stock.issue")
def receipt(receipt_id: int):
    note = get_or_404(StockReceipt, receipt_id)
    readable(note.store)
    lines = services.receipt_lines(note.id)
    return render("stock/receipt.html", receipt=note, lines=lines, total=sum(m.value_fen for m in lines),
                  reversed_ids=services.reversed_ids([m.id for m in lines]))
