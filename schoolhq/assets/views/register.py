"""The register: the list and its export, an asset's page and card, registering and editing,
moving, custodians, photos, statuses, and the label sheets."""

from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from schoolhq.assets import services
from schoolhq.assets.forms import (
    AssetForm,
    CustodianForm,
    MoveForm,
    StatusForm,
)
from schoolhq.assets.models import Asset
from schoolhq.assets.views import (
    asset_header,
    asset_or_404,
    bp,
    export_rows,
    filters_from_request,
    register_choices,
)
from schoolhq.core.money import parse_yuan, yuan
from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import permission_required, require
from schoolhq.core.web import handle_form, int_arg, redirect_to, render, to_int
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.places import services as places


@bp.get("/")
@permission_required("assets.view")
def index():
    filters = filters_from_request()
    page = paginate(services.search(filters, current_user).options(
        joinedload(Asset.category), joinedload(Asset.location), joinedload(Asset.custodian)), per_page=50)
    return render("assets/index.html", "assets/_rows.html", page=page, filters=filters, choices=register_choices())


@bp.get("/export.xlsx")
@permission_required("assets.view")
def export():
    from schoolhq.core.xlsx import download

    return download("assets.xlsx", [(_("Assets"), asset_header(), export_rows(services.search(filters_from_request(), current_user)))])


@bp.get("/labels")
@permission_required("assets.view")
def labels():
    """QR labels for the assets the list's filters select (a room, a category …) on an A4
    sticker sheet; labels never change, so print them once."""
    from schoolhq.core import labels as sheets

    filters = filters_from_request()
    rows = list(db.session.scalars(services.search(filters, current_user).limit(2000)))
    layout = sheets.get_layout(int_arg("layout"))
    skip = int_arg("skip") or 0
    chosen = sheets.batch(layout, rows, skip, int_arg("batch") or 1)
    items = [(asset, sheets.qr_svg(sheets.label_url(asset.token))) for asset in chosen.items]
    keep = {k: v for k, v in request.args.items() if k not in ("layout", "skip", "batch")}
    return render("assets/labels.html", count=len(rows), layout=layout, layouts=sheets.layouts(), skip=skip,
                  pages=sheets.sheets(layout, items, chosen.skip), keep=keep, batch=chosen)


@bp.get("/<int:asset_id>")
@permission_required("assets.view")
def detail(asset_id: int):
    return _detail_with(asset_or_404(asset_id), 200)


def _action_forms(asset: Asset, **override):
    choices = register_choices()
    move = MoveForm(prefix="move")
    move.location_id.choices = choices["locations"]
    custodian = CustodianForm(prefix="custodian")
    custodian.custodian_id.choices = [("", _l("— nobody —"))] + choices["people"]
    status = StatusForm(prefix="status")
    status.status.choices = [(k, services.status_name(k)) for k in services.MANUAL_STATUSES]
    forms = {"move_form": move, "custodian_form": custodian, "status_form": status, "photo_error": None}
    forms.update(override)
    return forms


@bp.get("/<int:asset_id>/card")
@permission_required("assets.view")
def card(asset_id: int):
    """The printable A5 资产卡片."""
    from schoolhq.core.labels import label_url, qr_svg

    asset = asset_or_404(asset_id)
    return render("assets/card.html", asset=asset, value=services.value_of(asset),
                  history=services.history(asset.id), qr=qr_svg(label_url(asset.token)))


def _asset_form(asset: Asset | None = None) -> AssetForm:
    form = AssetForm(obj=asset if request.method == "GET" and asset else None)
    choices = register_choices()
    form.category_id.choices = choices["categories"]
    form.kind_id.choices = [("", _l("— none —"))] + [(str(k.id), services.kind_name(k)) for k in services.kinds()]
    # Choosing a kind brings in its own fields (a water point's filter model, …).
    form.kind_id.render_kw = {"data-hx-get": url_for("assets.kind_fields"), "data-hx-target": "#kind-fields",
                              "data-hx-swap": "outerHTML", "data-hx-trigger": "change"}
    form.location_id.choices = [("", _l("— choose a place —"))]
    form.tier.choices = [("", _l("Suggest from the price"))] + choices["tiers"]
    form.funding_source.choices = [("", "—")] + [(o, o) for o in services.options("funding_sources")]
    form.acquisition_method.choices = [("", "—")] + [(o, o) for o in services.options("acquisition_methods")]
    form.use_direction.choices = [("", "—")] + [(o, o) for o in services.options("use_directions")]
    form.department_id.choices = [("", _l("— none —"))] + [(str(d.id), d.name) for d in people.departments()]
    form.location_id.choices += choices["locations"]
    form.custodian_id.choices = [("", _l("— nobody —"))] + choices["people"]
    form.status.choices = [(k, services.status_name(k)) for k in services.MANUAL_STATUSES]
    if asset is not None:
        for name in ("number", "location_id", "custodian_id", "status"):
            delattr(form, name)
        if request.method == "GET":
            form.unit_price.data = yuan(asset.unit_price_fen)
            for name in ("category_id", "kind_id", "department_id"):
                getattr(form, name).data = str(getattr(asset, name) or "")
    return form


def _values(form: AssetForm) -> dict:
    number = to_int
    return {
        "name": form.name.data, "category_id": number(form.category_id.data), "kind_id": number(form.kind_id.data),
        "tier": form.tier.data, "brand": form.brand.data, "model": form.model.data, "spec": form.spec.data,
        "serial": form.serial.data, "unit": form.unit.data, "quantity": form.quantity.data or 1,
        "unit_price_fen": parse_yuan(form.unit_price.data, "unit_price"),
        "funding_source": form.funding_source.data, "acquisition_method": form.acquisition_method.data,
        "purchased_on": form.purchased_on.data, "booked_on": form.booked_on.data,
        "voucher_no": form.voucher_no.data, "invoice_no": form.invoice_no.data, "supplier": form.supplier.data,
        "warranty_until": form.warranty_until.data, "use_direction": form.use_direction.data,
        "department_id": number(form.department_id.data), "loanable": form.loanable.data, "note": form.note.data,
    }


def _extra() -> dict:
    return {key[len("extra-"):]: value for key, value in request.form.items() if key.startswith("extra-")}


@bp.route("/new", methods=["GET", "POST"])
@permission_required("assets.manage")
def create():
    form = _asset_form()

    def register():
        location = places.get_location(to_int(form.location_id.data) or 0)
        require("assets.manage", location)
        return services.register_asset(_values(form), location.id, to_int(form.custodian_id.data),
                                       form.status.data, form.number.data or None, _extra())

    return handle_form(form, register, success=lambda asset: redirect_to("assets.detail", asset_id=asset.id),
                       page="assets/form.html",
                       context=lambda: {"asset": None, "kind": _kind_for(form.kind_id.data), "extra": _extra()})


def _kind_for(kind_id):
    from schoolhq.assets.models import AssetKind

    return db.session.get(AssetKind, to_int(kind_id)) if to_int(kind_id) else None


@bp.get("/kind-fields")
@permission_required("assets.manage")
def kind_fields():
    """The extra fields of the chosen kind, swapped into the form."""
    return render("assets/_kind_fields.html", kind=_kind_for(request.args.get("kind_id")), extra={})


@bp.route("/<int:asset_id>/edit", methods=["GET", "POST"])
@permission_required("assets.manage")
def edit(asset_id: int):
    asset = asset_or_404(asset_id, "assets.manage")
    form = _asset_form(asset)
    return handle_form(form, lambda: services.update_asset(asset.id, _values(form), _extra()),
                       success=lambda _asset: redirect_to("assets.detail", asset_id=asset.id),
                       page="assets/form.html",
                       context=lambda: {"asset": asset, "kind": _kind_for(form.kind_id.data) or asset.kind,
                                        "extra": _extra() if request.method == "POST" else asset.extra})


HISTORY_SHOWN = 50


def _detail_with(asset: Asset, status: int, **forms):
    """The asset page; a long history shows its latest events unless all are asked for."""
    show_all = request.args.get("history") == "all"
    return render("assets/detail.html", status=status, asset=asset, value=services.value_of(asset),
                  history=services.history(asset.id, None if show_all else HISTORY_SHOWN),
                  history_total=services.history_count(asset.id), loans=services.loans_of(asset.id),
                  **_action_forms(asset, **forms))


@bp.post("/<int:asset_id>/move")
@permission_required("assets.manage")
def move(asset_id: int):
    asset = asset_or_404(asset_id, "assets.manage")
    form = MoveForm(prefix="move")
    form.location_id.choices = register_choices()["locations"]

    def move_asset():
        target = places.get_location(to_int(form.location_id.data) or 0)
        require("assets.manage", target)
        services.move_asset(asset.id, target.id, form.note.data or "")

    return _asset_form_post(asset, form, move_asset, lambda _error: {"move_form": form})


def _asset_form_post(asset: Asset, form, action, forms):
    """A form on the asset's page: back to the page when done, the page again when refused."""
    return handle_form(form, action, success=lambda _done: redirect_to("assets.detail", asset_id=asset.id),
                       page=lambda status, error, field: _detail_with(asset, status, **forms(error)))


@bp.post("/<int:asset_id>/custodian")
@permission_required("assets.manage")
def custodian(asset_id: int):
    asset = asset_or_404(asset_id, "assets.manage")
    form = CustodianForm(prefix="custodian")

    def refused(_error):
        form.custodian_id.choices = [("", _l("— nobody —"))] + people.person_choices()
        return {"custodian_form": form}

    return _asset_form_post(asset, form, lambda: services.change_custodian(
        asset.id, to_int(form.custodian_id.data), form.note.data or ""), refused)


@bp.post("/<int:asset_id>/photo")
@permission_required("assets.manage")
def photo(asset_id: int):
    from schoolhq.core.forms import ActionForm

    asset = asset_or_404(asset_id, "assets.manage")
    if not ActionForm().validate_on_submit():
        abort(400)
    return _asset_form_post(asset, None, lambda: services.set_photo(asset.id, request.files.get("photo")),
                            lambda error: {"photo_error": str(error)})


@bp.post("/<int:asset_id>/status")
@permission_required("assets.manage")
def change_status(asset_id: int):
    asset = asset_or_404(asset_id, "assets.manage")
    form = StatusForm(prefix="status")

    def refused(_error):
        form.status.choices = [(k, services.status_name(k)) for k in services.MANUAL_STATUSES]
        return {"status_form": form}

    return _asset_form_post(asset, form, lambda: services.change_status(asset.id, form.status.data,
                                                                        form.note.data or ""), refused)
