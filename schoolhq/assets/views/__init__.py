"""The assets pages: the blueprint and what its pages share; the routes are in one module
per topic."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from schoolhq.assets import services
from schoolhq.assets.models import Asset
from schoolhq.core.permissions import require
from schoolhq.core.web import get_or_404, int_arg, search_arg
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.places import services as places
from schoolhq.places.models import Location

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.context_processor
def _names():
    return {"status_name": services.status_name, "tier_name": services.tier_name,
            "kind_name": services.kind_name, "event_label": services.event_label}


def asset_or_404(asset_id: int, permission: str = "assets.view") -> Asset:
    # the page, the card and the scope check read these: one query, not one each
    asset = get_or_404(Asset, asset_id, options=(
        joinedload(Asset.location), joinedload(Asset.custodian), joinedload(Asset.department),
        joinedload(Asset.category), joinedload(Asset.kind), joinedload(Asset.status_row)))
    require(permission, asset)
    return asset


def filters_from_request() -> services.Filters:
    return services.Filters(
        text=search_arg(),
        category_id=int_arg("category"), location_id=int_arg("location"),
        status=request.args.get("status", "") if request.args.get("status", "") in services.statuses() else "",
        custodian_id=int_arg("custodian"),
        tier=request.args.get("tier", "") if request.args.get("tier", "") in services.TIERS else "",
        include_retired=request.args.get("retired") == "1")


def register_choices():
    return {
        "categories": [(str(c.id), f"{c.code} {c.name}") for c in services.categories()],
        "locations": places.choices(),
        "statuses": [(key, services.status_name(key)) for key in services.statuses()],
        "tiers": [(key, services.tier_name(key)) for key in services.TIERS],
        "people": people.person_choices(),
    }


def export_rows(query):
    """Plain columns streamed in batches: a whole register as objects would cost the
    server more than its memory budget (bench/)."""
    from sqlalchemy.orm import aliased

    from schoolhq.assets.models import AssetCategory
    from schoolhq.people.models import Person

    category, custodian, place = aliased(AssetCategory), aliased(Person), aliased(Location)
    ids = query.with_only_columns(Asset.id).order_by(None).subquery()
    columns = (db.select(Asset.number, Asset.name, category.code, category.name, Asset.brand, Asset.model,
                         Asset.serial, Asset.quantity, Asset.unit_price_fen, Asset.purchased_on, place.full_name,
                         custodian.name, Asset.status, Asset.tier)
               .join(ids, ids.c.id == Asset.id).join(category, Asset.category_id == category.id)
               .join(place, Asset.location_id == place.id).outerjoin(custodian, Asset.custodian_id == custodian.id)
               .order_by(Asset.number).execution_options(yield_per=1000))
    for row in db.session.execute(columns):
        (number, name, code, cat_name, brand, model, serial, quantity, price, bought, place_name, person, status,
         tier) = row
        yield [number, name, code, cat_name, brand, model, serial, quantity, price / 100, price * quantity / 100,
               bought, place_name, person or "", services.status_name(status), services.tier_name(tier)]


def asset_header() -> list:
    return [_("Asset number"), _("Asset name"), _("Category code"), _("Category"), _("Brand"), _("Model"),
            _("Serial number"), _("Quantity"), _("Unit price (yuan)"), _("Amount (yuan)"), _("Purchase date"),
            _("Kept in"), _("Custodian"), _("Status"), _("Tier")]


def asset_row(a: Asset) -> list:
    return [a.number, a.name, a.category.code, a.category.name, a.brand, a.model, a.serial, a.quantity,
            a.unit_price_fen / 100, a.amount_fen / 100, a.purchased_on, a.location.full_name,
            a.custodian.name if a.custodian else "", services.status_name(a.status), services.tier_name(a.tier)]


# The pages, by topic: each module adds its routes to bp.
from schoolhq.assets.views import (  # noqa: E402,F401
    catalogue,
    disposal,
    importing,
    loans,
    register,
    reports,
    stocktakes,
)
