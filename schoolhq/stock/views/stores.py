"""Stores and stock categories, and a store's shelf sheet."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.permissions import permission_required, require_within
from schoolhq.core.timeutil import local_today
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    render,
    to_int,
)
from schoolhq.stock import reports, services
from schoolhq.stock.forms import (
    StockCategoryForm,
    StoreForm,
)
from schoolhq.stock.models import Store
from schoolhq.stock.views import bp, readable


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
                       context=lambda: {"stores": services.stores(
                           account=current_user, permissions=("stock.view", "stock.issue", "stock.manage"))})


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
    store = readable(get_or_404(Store, store_id))
    return render("stock/shelf_sheet.html", store=store, rows=reports.shelf_sheet(store.id), today=local_today())


@bp.route("/categories", methods=["GET", "POST"])
@permission_required("stock.manage", school_wide=True)
def category_list():
    form = StockCategoryForm()
    return handle_form(form, lambda: services.save_category(form.name.data, to_int(form.category_id.data)),
                       success="stock.category_list", page="stock/categories.html",
                       context=lambda: {"categories": services.categories()})
