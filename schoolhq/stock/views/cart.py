"""The requester's pages: the cart with its pinyin search, submitting, and one's own requisitions."""

from __future__ import annotations

from flask_login import current_user
from sqlalchemy import select

from schoolhq.core.permissions import permission_required
from schoolhq.core.web import (
    handle_form,
    redirect_to,
    render,
    search_arg,
    to_int,
)
from schoolhq.extensions import db
from schoolhq.stock import requisitions, services
from schoolhq.stock.forms import (
    CartForm,
    SubmitRequisitionForm,
)
from schoolhq.stock.services import ledger_sum
from schoolhq.stock.views import bp, store_choices


def _request_page(status: int = 200, form: SubmitRequisitionForm | None = None, error: str | None = None):
    cart = requisitions.cart_of(current_user) if current_user.person_id else None
    form = form or SubmitRequisitionForm()
    form.store_id.choices = store_choices()
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
    text = search_arg(limit=60)
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
    form.store_id.choices = store_choices()
    return handle_form(form, lambda: requisitions.submit(current_user, requisitions.Submission(
        form.purpose.data or "", form.for_department.data, to_int(form.store_id.data))),
        success=lambda requisition: redirect_to("stock.requisition", requisition_id=requisition.id),
        page=lambda status, error, field: _request_page(status, form=form))


@bp.get("/requests")
@permission_required("stock.request")
def my_requests():
    return render("stock/my_requests.html", rows=requisitions.for_person(current_user.person_id or 0, 200))
