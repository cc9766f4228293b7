"""The stock pages: the blueprint and what its pages share; the routes are in one module
per topic."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.permissions import require
from schoolhq.core.web import get_or_404, to_int
from schoolhq.extensions import db
from schoolhq.stock import counts, requisitions, services
from schoolhq.stock.models import StockItem, Store
from schoolhq.stock.services import format_quantity

bp = Blueprint("stock", __name__, url_prefix="/stock")


@bp.app_template_filter("qty")
def _qty(milli):
    return format_quantity(milli)


@bp.context_processor
def _names():
    return {"kind_label": services.kind_label, "requisition_status": requisitions.status_label,
            "count_status": counts.status_label, "level_of": services.level_of}


def item_or_404(item_id: int) -> StockItem:
    item = get_or_404(StockItem, item_id)
    return item


def store_choices(blank: bool = False, permissions: tuple[str, ...] | None = None):
    """The stores to choose from: every store, or with `permissions` those the signed-in
    person reaches with them."""
    account = current_user if permissions else None
    choices = [(str(s.id), s.name) for s in services.stores(account=account, permissions=permissions or ())]
    return ([("", _l("— all stores —"))] if blank else []) + choices


def readable(store: Store) -> Store:
    """A store whose stock the signed-in person may read; another store's answers 403."""
    if not services.may_read(current_user, store):
        abort(403)
    return store


def within(store_id, permission: str = "stock.issue") -> None:
    """A keeper whose role is scoped to a place acts only on the stores kept there."""
    store = db.session.get(Store, to_int(store_id) or 0)
    if store is not None:
        require(permission, store)


# The pages, by topic: each module adds its routes to bp.
from schoolhq.stock.views import (  # noqa: E402,F401
    cart,
    counter,
    counting,
    items,
    printouts,
    receiving,
    stores,
    window,
)
