from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.assets import disposals as _disposals  # noqa: F401  (registers its file access rule)
from schoolhq.assets import reservations, services
from schoolhq.assets.forms import (
    AssetForm,
    AssetSettingsForm,
    CheckinForm,
    CheckoutForm,
    CustodianForm,
    MoveForm,
    StatusForm,
)
from schoolhq.assets.models import Asset
from schoolhq.core.errors import ServiceError
from schoolhq.core.forms import apply_error
from schoolhq.core.money import parse_yuan, yuan
from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import can, permission_required, require
from schoolhq.core.web import int_arg, redirect_to, render, to_int
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.places import services as places

bp = Blueprint("assets", __name__, url_prefix="/assets")


@bp.context_processor
def _names():
    return {"status_name": services.status_name, "tier_name": services.tier_name,
            "kind_name": services.kind_name, "event_label": services.event_label}


def _asset_or_404(asset_id: int, permission: str = "assets.view") -> Asset:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        abort(404)
    require(permission, asset)
    return asset


def _filters() -> services.Filters:
    return services.Filters(
        text=request.args.get("q", "").strip()[:100],
        category_id=int_arg("category"), location_id=int_arg("location"),
        status=request.args.get("status", "") if request.args.get("status", "") in services.statuses() else "",
        custodian_id=int_arg("custodian"),
        tier=request.args.get("tier", "") if request.args.get("tier", "") in services.TIERS else "",
        include_retired=request.args.get("retired") == "1")


def _choices():
    return {
        "categories": [(str(c.id), f"{c.code} {c.name}") for c in services.categories()],
        "locations": places.choices(),
        "statuses": [(key, services.status_name(key)) for key in services.statuses()],
        "tiers": [(key, services.tier_name(key)) for key in services.TIERS],
        "people": people.person_choices(),
    }


@bp.get("/")
@permission_required("assets.view")
def index():
    filters = _filters()
    page = paginate(services.search(filters, current_user), per_page=50)
    return render("assets/index.html", "assets/_rows.html", page=page, filters=filters, choices=_choices())


@bp.get("/export.xlsx")
@permission_required("assets.view")
def export():
    from schoolhq.core.xlsx import download

    return download("assets.xlsx", [(_("Assets"), _asset_header(), _export_rows(services.search(_filters(), current_user)))])


def _export_rows(query):
    """Plain columns streamed in batches: a whole register as objects would cost the
    server more than its memory budget (bench/)."""
    from sqlalchemy.orm import aliased

    from schoolhq.assets.models import AssetCategory
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

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


def _asset_header() -> list:
    return [_("Asset number"), _("Asset name"), _("Category code"), _("Category"), _("Brand"), _("Model"),
            _("Serial number"), _("Quantity"), _("Unit price (yuan)"), _("Amount (yuan)"), _("Purchase date"),
            _("Kept in"), _("Custodian"), _("Status"), _("Tier")]


def _asset_row(a: Asset) -> list:
    return [a.number, a.name, a.category.code, a.category.name, a.brand, a.model, a.serial, a.quantity,
            a.unit_price_fen / 100, a.amount_fen / 100, a.purchased_on, a.location.full_name,
            a.custodian.name if a.custodian else "", services.status_name(a.status), services.tier_name(a.tier)]


# Reports -----------------------------------------------------------------------------

@bp.get("/reports")
@permission_required("assets.view")
def reports():
    return render("assets/reports.html", locations=places.choices(exclude_kind="room"))


@bp.get("/reports/rooms")
@permission_required("assets.view")
def report_rooms():
    """分室明细账: one page per room, to hang in the room with the keeper's signature."""
    from schoolhq.assets.reports import first_building, room_ledgers
    from schoolhq.core.xlsx import download

    within = places.get_location(int_arg("location")) if int_arg("location") else None
    xlsx = request.args.get("format") == "xlsx"
    # the whole school only when asked for by name (location=all): one building by default
    default = None if within or xlsx or request.args.get("location") == "all" else first_building(current_user)
    groups = room_ledgers(within or default, current_user)
    if xlsx:
        return download("room-ledgers.xlsx", [(g.title.rsplit(" / ", 1)[-1], _asset_header(),
                                               (_asset_row(a) for a in g.assets)) for g in groups][:200])
    return render("assets/report_rooms.html", groups=groups, within=within or default, default=default)


@bp.get("/reports/categories")
@permission_required("assets.view")
def report_categories():
    """分类明细账 with totals by category and by top-level class."""
    from schoolhq.assets.reports import category_ledgers
    from schoolhq.core.xlsx import download

    categories, classes, total = category_ledgers(current_user)
    if request.args.get("format") == "xlsx":
        summary = [[g.title, g.count, g.amount_fen / 100, g.net_fen / 100] for g in classes]
        summary.append([_("Total"), total.count, total.amount_fen / 100, total.net_fen / 100])
        detail = [[g.title, g.count, g.amount_fen / 100, g.net_fen / 100] for g in categories]
        header = [_("Category"), _("Quantity"), _("Amount (yuan)"), _("Net value (yuan)")]
        return download("category-ledgers.xlsx", [(_("By class"), header, summary),
                                                  (_("By category"), header, detail)])
    return render("assets/report_categories.html", categories=categories, classes=classes, total=total)


@bp.get("/reports/unaudited")
@permission_required("assets.view")
def report_unaudited():
    """Assets never audited or past their next audit date."""
    from schoolhq.assets.audits import due_for_audit

    rows = [a for a in due_for_audit(limit=2000) if can(current_user, "assets.view", a)]
    return render("assets/report_unaudited.html", rows=rows)


@bp.get("/reports/idle")
@permission_required("assets.view")
def report_idle():
    """Assets nobody moved, lent, audited or changed for N months."""
    from schoolhq.assets.reports import idle_assets, idle_count
    from schoolhq.core.xlsx import download

    months = min(max(int_arg("months") or 12, 1), 120)
    if request.args.get("format") == "xlsx":
        return download("idle-assets.xlsx", [(_("Idle assets"), _asset_header() + [_("Last change")],
                                              (_asset_row(a) + [a.last_at] for a in idle_assets(months, current_user)))])
    return render("assets/report_idle.html", rows=idle_assets(months, current_user, limit=200),
                  total=min(idle_count(months, current_user), 5000), months=months)


@bp.get("/labels")
@permission_required("assets.view")
def labels():
    """QR labels for the assets the list's filters select (a room, a category …) on an A4
    sticker sheet; labels never change, so print them once."""
    from schoolhq.core import labels as sheets

    filters = _filters()
    rows = list(db.session.scalars(services.search(filters, current_user).limit(2000)))
    layout = sheets.get_layout(int_arg("layout"))
    skip = int_arg("skip") or 0
    items = [(asset, sheets.qr_svg(sheets.label_url(asset.token))) for asset in rows]
    keep = {k: v for k, v in request.args.items() if k not in ("layout", "skip")}
    return render("assets/labels.html", count=len(rows), layout=layout, layouts=sheets.layouts(), skip=skip,
                  pages=sheets.sheets(layout, items, skip), keep=keep)


@bp.get("/<int:asset_id>")
@permission_required("assets.view")
def detail(asset_id: int):
    return _detail_with(_asset_or_404(asset_id), 200)


def _action_forms(asset: Asset, **override):
    choices = _choices()
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

    asset = _asset_or_404(asset_id)
    return render("assets/card.html", asset=asset, value=services.value_of(asset),
                  history=services.history(asset.id), qr=qr_svg(label_url(asset.token)))


def _asset_form(asset: Asset | None = None) -> AssetForm:
    form = AssetForm(obj=asset if request.method == "GET" and asset else None)
    choices = _choices()
    form.category_id.choices = choices["categories"]
    form.kind_id.choices = [("", _l("— none —"))] + [(str(k.id), services.kind_name(k)) for k in services.kinds()]
    # Choosing a kind brings in its own fields (a water point's filter model, …).
    form.kind_id.render_kw = {"hx-get": url_for("assets.kind_fields"), "hx-target": "#kind-fields",
                              "hx-swap": "outerHTML", "hx-trigger": "change"}
    form.location_id.choices = [("", _l("— choose a place —"))]
    form.tier.choices = [("", _l("Suggest from the price"))] + choices["tiers"]
    form.funding_source.choices = [("", "")] + [(o, o) for o in services.options("funding_sources")]
    form.acquisition_method.choices = [("", "")] + [(o, o) for o in services.options("acquisition_methods")]
    form.use_direction.choices = [("", "")] + [(o, o) for o in services.options("use_directions")]
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
    if form.validate_on_submit():
        try:
            location = places.get_location(to_int(form.location_id.data) or 0)
            require("assets.manage", location)
            asset = services.register_asset(
                _values(form), location.id,
                to_int(form.custodian_id.data),
                form.status.data, form.number.data or None, _extra())
            return redirect_to("assets.detail", asset_id=asset.id)
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render("assets/form.html", status=status, form=form, asset=None,
                  kind=_kind_for(form.kind_id.data), extra=_extra())


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
    asset = _asset_or_404(asset_id, "assets.manage")
    form = _asset_form(asset)
    if form.validate_on_submit():
        try:
            services.update_asset(asset.id, _values(form), _extra())
            return redirect_to("assets.detail", asset_id=asset.id)
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render("assets/form.html", status=status, form=form, asset=asset,
                  kind=_kind_for(form.kind_id.data) or asset.kind,
                  extra=_extra() if request.method == "POST" else asset.extra)


HISTORY_SHOWN = 50


def _detail_with(asset: Asset, status: int, **forms):
    """The asset page; a long history shows its latest events unless all are asked for."""
    from schoolhq.repairs import services as repairs

    show_all = request.args.get("history") == "all"
    tickets = repairs.for_asset(asset.id)
    repair_cost = sum(t.outside_cost_fen + t.parts_cost_fen for t in tickets)
    return render("assets/detail.html", status=status, asset=asset, value=services.value_of(asset),
                  history=services.history(asset.id, None if show_all else HISTORY_SHOWN),
                  history_total=services.history_count(asset.id), loans=services.loans_of(asset.id),
                  tickets=tickets, repair_cost=repair_cost, ownership_cost=asset.amount_fen + repair_cost,
                  ticket_status=repairs.status_label, **_action_forms(asset, **forms))


@bp.post("/<int:asset_id>/move")
@permission_required("assets.manage")
def move(asset_id: int):
    asset = _asset_or_404(asset_id, "assets.manage")
    form = MoveForm(prefix="move")
    form.location_id.choices = _choices()["locations"]
    if form.validate_on_submit():
        try:
            target = places.get_location(to_int(form.location_id.data) or 0)
            require("assets.manage", target)
            services.move_asset(asset.id, target.id, form.note.data or "")
            return redirect_to("assets.detail", asset_id=asset.id)
        except ServiceError as error:
            apply_error(form, error)
    return _detail_with(asset, 422, move_form=form)


@bp.post("/<int:asset_id>/custodian")
@permission_required("assets.manage")
def custodian(asset_id: int):
    asset = _asset_or_404(asset_id, "assets.manage")
    form = CustodianForm(prefix="custodian")
    if form.validate_on_submit():
        try:
            person_id = to_int(form.custodian_id.data)
            services.change_custodian(asset.id, person_id, form.note.data or "")
            return redirect_to("assets.detail", asset_id=asset.id)
        except ServiceError as error:
            apply_error(form, error)
    form.custodian_id.choices = [("", _l("— nobody —"))] + people.person_choices()
    return _detail_with(asset, 422, custodian_form=form)


@bp.post("/<int:asset_id>/photo")
@permission_required("assets.manage")
def photo(asset_id: int):
    from schoolhq.core.forms import ActionForm

    asset = _asset_or_404(asset_id, "assets.manage")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.set_photo(asset.id, request.files.get("photo"))
    except ServiceError as error:
        return _detail_with(asset, 422, photo_error=str(error.message))
    return redirect_to("assets.detail", asset_id=asset.id)


@bp.post("/<int:asset_id>/status")
@permission_required("assets.manage")
def change_status(asset_id: int):
    asset = _asset_or_404(asset_id, "assets.manage")
    form = StatusForm(prefix="status")
    if form.validate_on_submit():
        try:
            services.change_status(asset.id, form.status.data, form.note.data or "")
            return redirect_to("assets.detail", asset_id=asset.id)
        except ServiceError as error:
            apply_error(form, error)
    form.status.choices = [(k, services.status_name(k)) for k in services.MANUAL_STATUSES]
    return _detail_with(asset, 422, status_form=form)


# Loans -------------------------------------------------------------------------------

def _cart_ids() -> list[int]:
    return [i for i in (to_int(v) for v in request.form.getlist("asset_id")) if i is not None]


def _cart(ids: list[int]) -> list[Asset]:
    """The listed items this desk may handle; a posted id outside its scope shows nothing."""
    return [a for a in (db.session.get(Asset, i) for i in ids)
            if a is not None and can(current_user, "assets.loan", a)]


def _listed(ids: list[int]) -> list[Asset]:
    """The posted list for a write: every id must be an asset this desk may handle."""
    cart = _cart(ids)
    if not cart:
        raise ServiceError(_l("Scan at least one item."), "tags")
    if len(cart) != len(ids):
        raise ServiceError(_l("The list holds an item outside the places you manage; scan again."), "tags")
    return cart


def _checkout_form() -> CheckoutForm:
    form = CheckoutForm()
    form.due.choices = [(key, f"{label}") for key, label, _at in services.due_choices()] + [("date", _l("A date"))]
    return form


def _desk(status: int = 200, form=None, cart=None, scan_error: str | None = None):
    return render("assets/desk.html", "assets/_cart.html", status=status, form=form or _checkout_form(),
                  cart=cart or [], scan_error=scan_error, due_choices=services.due_choices())


@bp.get("/desk")
@permission_required("assets.loan")
def desk():
    return _desk()


@bp.post("/desk/scan")
@permission_required("assets.loan")
def desk_scan():
    """A scanned tag joins the list; the list travels in the form, not the session."""
    ids, error = _scan_into_list(services.why_not_lendable)
    return render("assets/_cart.html", status=422 if error else 200, cart=_cart(ids), scan_error=error)


def _scan_into_list(refusal):
    """The posted list plus the scanned tag, or the list and why the tag was refused."""
    ids = _cart_ids()
    asset = services.resolve_tag(request.form.get("tag", ""))
    if asset is None:
        return ids, _("No asset has the tag “%(tag)s”.", tag=request.form.get("tag", "").strip()[:40])
    if asset.id in ids:
        return ids, _("%(number)s is already in the list.", number=asset.number)
    if not can(current_user, "assets.loan", asset):
        return ids, _("%(number)s is outside the places you manage.", number=asset.number)
    reason = refusal(asset)
    if reason is not None:
        return ids, str(reason)
    return [*ids, asset.id], None


@bp.post("/desk/checkout")
@permission_required("assets.loan")
def desk_checkout():
    form = _checkout_form()
    ids = _cart_ids()
    if form.validate_on_submit():
        try:
            borrower_id = to_int(form.borrower_id.data) or 0
            if not borrower_id:
                raise ServiceError(_l("Choose the borrower."), "borrower_id")
            cart = _listed(ids)
            due_at = services.due_from(form.due.data, form.due_date.data)
            loans = services.checkout([a.id for a in cart], borrower_id, due_at, form.condition.data or "", form.signature.data)
            return redirect_to("assets.slip", slip=loans[0].slip)
        except ServiceError as error:
            apply_error(form, error)
    return _desk(422, form=form, cart=_cart(ids))


@bp.get("/slip/<slip>")
@permission_required("assets.loan", "assets.view", "assets.borrow")
def slip(slip: str):
    """The printable A5 借用单 with the borrower's signature."""
    loans = services.slip_loans(slip)
    if not loans:
        abort(404)
    asset = loans[0].asset
    if not (can(current_user, "assets.loan", asset) or can(current_user, "assets.view", asset)
            or loans[0].borrower_id == current_user.person_id):
        abort(403)
    return render("assets/slip.html", loans=loans, first=loans[0])


def _checkin_page(status: int = 200, cart=None, scan_error=None, form=None):
    return render("assets/checkin.html", "assets/_return_list.html", status=status, cart=cart or [],
                  scan_error=scan_error, form=form or CheckinForm(), open_loan=services.open_loan)


@bp.get("/checkin")
@permission_required("assets.loan")
def checkin():
    return _checkin_page()


@bp.post("/checkin/scan")
@permission_required("assets.loan")
def checkin_scan():
    def not_on_loan(asset):
        if services.open_loan(asset.id) is None:
            return _("%(number)s %(name)s is not on loan.", number=asset.number, name=asset.name)
        return None

    ids, error = _scan_into_list(not_on_loan)
    return render("assets/_return_list.html", status=422 if error else 200, cart=_cart(ids), scan_error=error,
                  form=CheckinForm(), open_loan=services.open_loan)


@bp.post("/checkin")
@permission_required("assets.loan")
def checkin_submit():
    form = CheckinForm()
    ids = _cart_ids()
    if form.validate_on_submit():
        try:
            for asset in _listed(ids):
                checklist = {item["zh"]: request.form.get(f"check-{asset.id}-{n}") == "1"
                             for n, item in enumerate(asset.kind.return_checklist if asset.kind else [])}
                services.checkin(asset.id, form.condition.data or "", checklist, form.damaged.data,
                                 request.files.get(f"photo-{asset.id}") or None)
            return redirect_to("assets.checkin", done=len(ids))
        except ServiceError as error:
            apply_error(form, error)
    return _checkin_page(422, cart=_cart(ids), form=form)


@bp.get("/loans")
@permission_required("assets.loan")
def loans():
    overdue = request.args.get("overdue") == "1"
    rows = (services.overdue_loans if overdue else services.open_loans)(account=current_user)
    return render("assets/loans.html", loans=rows, overdue=overdue)


def _loanable_choices():
    from sqlalchemy import select as _select

    rows = db.session.execute(_select(Asset.id, Asset.name, Asset.number).where(
        Asset.loanable.is_(True), Asset.status.in_(("in_use", "in_storage", "on_loan")))
        .order_by(Asset.name, Asset.number))
    return [(str(row.id), f"{row.name} · {row.number}") for row in rows]


def _request_form():
    from schoolhq.assets.forms import BorrowRequestForm

    return BorrowRequestForm()


@bp.get("/pick")
@permission_required("assets.borrow", "assets.view")
def pick():
    """Loanable items by name or number, for a picker (a select of every item would be
    a thousand options on a phone)."""
    from sqlalchemy import or_
    from sqlalchemy import select as _select

    text = request.args.get("q", "").strip()[:40]
    found = []
    if text:
        found = db.session.execute(_select(Asset.id, Asset.name, Asset.number, Asset.status).where(
            Asset.loanable.is_(True), Asset.status.in_(("in_use", "in_storage", "on_loan")),
            or_(Asset.name.contains(text), Asset.number.contains(text))).order_by(Asset.name, Asset.number)
            .limit(12)).all()
    return render("assets/_pick.html", found=found, q=text)


def _mine(form=None, status=200):
    person_id = current_user.person_id
    return render("assets/mine.html", status=status, loans=services.open_loans(person_id),
                  held=services.held_by(person_id), bookings=reservations.of_person(person_id),
                  form=form or _request_form())


@bp.get("/mine")
@permission_required("assets.borrow")
def mine():
    return _mine()


@bp.post("/requests")
@permission_required("assets.borrow")
def request_borrow():
    form = _request_form()
    if form.validate_on_submit():
        try:
            reservations.request_borrow(to_int(form.asset_id.data) or 0, current_user.person_id,
                                        form.first_day.data, form.last_day.data, form.purpose.data)
            return redirect_to("assets.mine")
        except ServiceError as error:
            apply_error(form, error)
    return _mine(form, 422)


@bp.get("/requests")
@permission_required("assets.loan")
def requests_pending():
    return render("assets/requests.html", pending=[r for r in reservations.pending()
                                                   if can(current_user, "assets.loan", r.asset)])


@bp.post("/requests/<int:reservation_id>/<decision>")
@permission_required("assets.loan")
def request_decide(reservation_id: int, decision: str):
    from schoolhq.core.forms import ActionForm

    if decision not in ("approve", "reject") or not ActionForm().validate_on_submit():
        abort(404 if decision not in ("approve", "reject") else 400)
    try:
        reservation = reservations.get(reservation_id)
    except ServiceError:
        abort(404)
    require("assets.loan", reservation.asset)
    reservations.decide(reservation.id, decision == "approve", request.form.get("note", ""))
    return redirect_to("assets.requests_pending")


@bp.post("/reservations/<int:reservation_id>/cancel")
@permission_required("assets.borrow", "assets.loan")
def reservation_cancel(reservation_id: int):
    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        reservation = reservations.get(reservation_id)
    except ServiceError:
        abort(404)
    if reservation.person_id != current_user.person_id:
        require("assets.loan", reservation.asset)
    reservations.cancel(reservation.id)
    back = request.form.get("back", "")
    if back.startswith("/assets/") and not back.startswith("//"):
        from flask import redirect

        return redirect(back, code=303)
    return redirect_to("assets.mine")


def _monday(text: str | None):
    from datetime import date, timedelta

    try:
        day = date.fromisoformat(text) if text else None
    except ValueError:
        day = None
    from schoolhq.core.timeutil import local_today

    day = day or local_today()
    if day.weekday() >= 5:  # at the weekend the coming week is the one to book
        day += timedelta(days=7 - day.weekday())
    return day - timedelta(days=day.weekday())


def _week_page(asset_id: int | None, monday, status=200, error=None):
    from datetime import timedelta

    asset = db.session.get(Asset, asset_id) if asset_id else None
    if asset is not None and not asset.loanable:
        asset = None
    grid = reservations.week(asset.id, monday) if asset else {}
    days = [monday + timedelta(days=n) for n in range(5)]
    from schoolhq.core.timeutil import local_today

    return render("assets/reserve.html", "assets/_week.html", status=status, asset=asset, monday=monday, days=days,
                  today=local_today(),
                  periods=reservations.periods(), grid=grid, choices=_loanable_choices(), error=error,
                  prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7))


@bp.get("/reserve")
@permission_required("assets.borrow")
def reserve():
    return _week_page(int_arg("asset"), _monday(request.args.get("week")))


@bp.post("/reserve")
@permission_required("assets.borrow")
def reserve_slot():
    from datetime import date

    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    asset_id = to_int(request.form.get("asset_id"))
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        abort(400)
    try:
        reservations.reserve_slot(asset_id or 0, current_user.person_id, day, request.form.get("period", ""),
                                  request.form.get("purpose", ""))
    except ServiceError as error:
        return _week_page(asset_id, _monday(day.isoformat()), 422, str(error.message))
    return _week_page(asset_id, _monday(day.isoformat()))


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def settings_page():
    """The asset rules a school sets itself: thresholds (财政部令 rules as defaults), numbering."""
    from schoolhq.core import settings

    form = AssetSettingsForm()
    if request.method == "GET":
        form.fixed_asset_threshold.data = yuan(settings.get("assets.fixed_asset_threshold_fen"))
        form.special_equipment_threshold.data = yuan(settings.get("assets.special_equipment_threshold_fen"))
        form.number_pattern.data = settings.get("assets.number_pattern")
        form.disposal_threshold.data = yuan(settings.get("assets.disposal_principal_threshold_fen"))
        form.after_school.data = settings.get("assets.after_school")
        form.public_label_info.data = settings.get("assets.public_label_info")
    elif form.validate_on_submit():
        try:
            settings.update({
                "assets.fixed_asset_threshold_fen": parse_yuan(form.fixed_asset_threshold.data, "fixed_asset_threshold"),
                "assets.special_equipment_threshold_fen": parse_yuan(form.special_equipment_threshold.data,
                                                                     "special_equipment_threshold"),
                "assets.number_pattern": form.number_pattern.data,
                "assets.disposal_principal_threshold_fen": parse_yuan(form.disposal_threshold.data,
                                                                      "disposal_threshold"),
                "assets.after_school": form.after_school.data,
                "assets.public_label_info": bool(form.public_label_info.data),
            })
            return redirect_to("assets.settings_page", saved=1)
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render("assets/settings.html", status=status, form=form, saved=request.args.get("saved"))


# Stocktakes (资产清查) -------------------------------------------------------------------

def _campaign_or_404(campaign_id: int, permission: str = "assets.audit"):
    from schoolhq.assets import audits

    try:
        campaign = audits.get_campaign(campaign_id)
    except ServiceError:
        abort(404)
    require(permission, campaign)
    return campaign


def _stocktake_form():
    from schoolhq.assets.forms import StocktakeForm

    form = StocktakeForm()
    form.location_id.choices = [("", _l("The whole school"))] + places.choices(exclude_kind="room")
    form.category_id.choices = [("", _l("All categories"))] + _choices()["categories"]
    return form


@bp.route("/audits", methods=["GET", "POST"])
@permission_required("assets.audit")
def audits_index():
    from schoolhq.assets import audits
    from schoolhq.core.permissions import require_within

    form = _stocktake_form()
    if form.validate_on_submit():
        try:
            location_id = to_int(form.location_id.data)
            require_within("assets.audit", places.get_location(location_id) if location_id else None)
            campaign = audits.start(form.name.data, location_id, to_int(form.category_id.data))
            return redirect_to("assets.audit_detail", campaign_id=campaign.id)
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    visible = [c for c in audits.campaigns() if can(current_user, "assets.audit", c)]
    return render("assets/audits.html", status=status, form=form, campaigns=visible)


@bp.get("/audits/<int:campaign_id>")
@permission_required("assets.audit", "assets.approve")
def audit_detail(campaign_id: int):
    from schoolhq.assets import audits

    permission = "assets.audit" if can(current_user, "assets.audit") else "assets.approve"
    campaign = _campaign_or_404(campaign_id, permission)
    return render("assets/audit.html", campaign=campaign, rooms=audits.progress(campaign),
                  summary=audits.report(campaign))


@bp.get("/audits/<int:campaign_id>/report")
@permission_required("assets.audit", "assets.approve")
def audit_report(campaign_id: int):
    from schoolhq.assets import audits

    permission = "assets.audit" if can(current_user, "assets.audit") else "assets.approve"
    campaign = _campaign_or_404(campaign_id, permission)
    return render("assets/audit_report.html", campaign=campaign, summary=audits.report(campaign))


def _room_page(campaign, location_id: int, status: int = 200, scan=None, error=None):
    from schoolhq.assets import audits

    try:
        room = places.get_location(location_id, include_archived=True)
    except ServiceError:
        abort(404)
    expected, scans, found_ids = audits.room_view(campaign, room.id)
    return render("assets/audit_room.html", "assets/_audit_room.html", status=status, campaign=campaign,
                  room=room, expected=expected, scans=scans, found_ids=found_ids, last=scan, error=error)


@bp.get("/audits/<int:campaign_id>/rooms/<int:location_id>")
@permission_required("assets.audit")
def audit_room(campaign_id: int, location_id: int):
    return _room_page(_campaign_or_404(campaign_id), location_id)


@bp.post("/audits/<int:campaign_id>/rooms/<int:location_id>/scan")
@permission_required("assets.audit")
def audit_scan(campaign_id: int, location_id: int):
    from schoolhq.assets import audits
    from schoolhq.core.forms import ActionForm

    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        scan = audits.record_scan(campaign.id, location_id, request.form.get("tag", ""))
    except ServiceError as error:
        return _room_page(campaign, location_id, 422, error=str(error.message))
    return _room_page(campaign, location_id, scan=scan)


@bp.post("/audits/<int:campaign_id>/scans/<int:scan_id>/move")
@permission_required("assets.audit")
def audit_confirm_move(campaign_id: int, scan_id: int):
    from schoolhq.assets import audits
    from schoolhq.core.forms import ActionForm

    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    scan = audits.confirm_move(scan_id, campaign.id)
    return _room_page(campaign, scan.location_id)


@bp.post("/audits/<int:campaign_id>/close")
@permission_required("assets.audit")
def audit_close(campaign_id: int):
    from schoolhq.assets import audits
    from schoolhq.core.forms import ActionForm

    campaign = _campaign_or_404(campaign_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    audits.close(campaign.id)
    return redirect_to("assets.audit_detail", campaign_id=campaign.id)


@bp.post("/audits/<int:campaign_id>/approve")
@permission_required("assets.approve")
def audit_approve(campaign_id: int):
    from schoolhq.assets import audits
    from schoolhq.core.forms import ActionForm

    campaign = _campaign_or_404(campaign_id, "assets.approve")
    if not ActionForm().validate_on_submit():
        abort(400)
    audits.approve_losses(campaign.id)
    return redirect_to("assets.audit_detail", campaign_id=campaign.id)


# Disposal (报废) ---------------------------------------------------------------------------

def _disposal_or_404(disposal_id: int):
    from schoolhq.assets import disposals

    try:
        disposal = disposals.get(disposal_id)
    except ServiceError:
        abort(404)
    if not all(can(current_user, "assets.view", item.asset) for item in disposal.items):
        abort(403)
    return disposal


@bp.route("/disposals", methods=["GET", "POST"])
@permission_required("assets.manage", "assets.approve")
def disposals_index():
    from schoolhq.assets import disposals
    from schoolhq.assets.forms import DisposalForm

    form = DisposalForm()
    if form.validate_on_submit():
        try:
            if not can(current_user, "assets.manage"):
                abort(403)
            lines = [line.strip() for line in (form.tags.data or "").splitlines() if line.strip()]
            found, unknown = [], []
            for line in lines:
                asset = services.resolve_tag(line)
                (found if asset is not None else unknown).append(asset or line)
            if unknown:
                raise ServiceError(_l("Unknown tags: %(tags)s", tags=", ".join(unknown[:10])), "tags")
            for asset in found:
                require("assets.manage", asset)
            disposal = disposals.request_disposal([a.id for a in found], form.reason.data,
                                                  request.files.getlist("photos"))
            return redirect_to("assets.disposal_detail", disposal_id=disposal.id)
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render("assets/disposals.html", status=status, form=form, disposals=disposals.listing())


def _disposal_page(disposal, status=200, error=None):
    from schoolhq.assets import disposals

    return render("assets/disposal.html", status=status, disposal=disposal, error=error,
                  needs_principal=disposals.needs_principal(disposal))


@bp.get("/disposals/<int:disposal_id>")
@permission_required("assets.manage", "assets.approve")
def disposal_detail(disposal_id: int):
    return _disposal_page(_disposal_or_404(disposal_id))


@bp.get("/disposals/<int:disposal_id>/print")
@permission_required("assets.manage", "assets.approve")
def disposal_print(disposal_id: int):
    return render("assets/disposal_print.html", disposal=_disposal_or_404(disposal_id))


@bp.post("/disposals/<int:disposal_id>/<step>")
@permission_required("assets.manage", "assets.approve")
def disposal_step(disposal_id: int, step: str):
    """One route per decision keeps the page simple: appraise, approve, reject, document, execute."""
    from schoolhq.assets import disposals
    from schoolhq.core.forms import ActionForm

    disposal = _disposal_or_404(disposal_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if step in ("appraise", "document", "execute"):
        for item in disposal.items:
            require("assets.manage", item.asset)
    try:
        if step == "appraise":
            disposals.appraise(disposal.id, request.form.get("appraisal", ""))
        elif step in ("approve", "reject"):
            disposals.decide(disposal.id, step == "approve", request.form.get("note", ""))
        elif step == "document":
            disposals.attach_document(disposal.id, request.files.get("document"), request.form.get("document_ref", ""))
        elif step == "execute":
            disposals.execute(disposal.id, request.form.get("method", ""))
        else:
            abort(404)
    except ServiceError as error:
        return _disposal_page(disposal, 422, error=str(error.message))
    return redirect_to("assets.disposal_detail", disposal_id=disposal.id)


# Import of an existing register --------------------------------------------------------

def _mapping_from_form(header_len: int) -> dict[str, int]:
    from schoolhq.assets import importer

    mapping = {}
    for key in importer.FIELDS:
        index = to_int(request.form.get(f"map-{key}"))
        if index is not None and index < header_len:
            mapping[key] = index
    return mapping


@bp.route("/import", methods=["GET", "POST"])
@permission_required("assets.manage", school_wide=True)
def import_start():
    from schoolhq.assets import importer

    error = None
    if request.method == "POST":
        from schoolhq.core.forms import ActionForm

        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            token = importer.store(request.files.get("file"))
            header, _rows = importer.read_table(token)
            return _import_page(token, header, importer.guess_mapping(header))
        except ServiceError as exc:
            error = str(exc.message)
    return render("assets/import.html", status=422 if error else 200, error=error)


def _import_page(token: str, header: list[str], mapping: dict[str, int], status: int = 200, error=None, done=None):
    from schoolhq.assets import importer

    results = None
    if error is None and done is None:
        try:
            results = importer.check(token, mapping)
        except ServiceError as exc:
            error, status = str(exc.message), 422
    return render("assets/import_check.html", status=status, token=token, header=header, mapping=mapping,
                  fields=importer.FIELDS, required=importer.REQUIRED, results=results, error=error)


@bp.post("/import/<token>")
@permission_required("assets.manage", school_wide=True)
def import_run(token: str):
    from schoolhq.assets import importer
    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        header, _rows = importer.read_table(token)
    except ServiceError as exc:
        return render("assets/import.html", status=422, error=str(exc.message))
    mapping = _mapping_from_form(len(header))
    action = request.form.get("action", "check")
    if action in ("all", "valid"):
        try:
            registered, skipped = importer.run(token, mapping, only_valid=action == "valid")
            return redirect_to("assets.index", imported=registered, skipped=skipped)
        except ServiceError as exc:
            return _import_page(token, header, mapping, status=422, error=str(exc.message))
    return _import_page(token, header, mapping)


@bp.get("/import/template.xlsx")
@permission_required("assets.manage")
def import_template():
    from schoolhq.assets import importer
    from schoolhq.core.xlsx import download

    header, rows = importer.template_rows()
    return download("asset-import-template.xlsx", [(_("Assets"), header, rows)])


# The catalogue: categories and kinds ----------------------------------------------------

def _class_choices():
    from schoolhq.assets.catalogue import domain

    return [("", "—")] + [(row["code"], f"{row['code']} {row['zh']}") for row in domain()["gbt14885_2010_classes"]]


def _category_form(category=None):
    from schoolhq.assets.forms import CategoryForm

    form = CategoryForm(obj=category if request.method == "GET" and category else None)
    form.class_2010.choices = _class_choices()
    if category is not None:
        del form.code
    return form


def _kind_text(kind) -> tuple[str, str]:
    fields = "\n".join(f"{f['key']} | {f['zh']} | {f.get('en', '')} | {f.get('type', 'text')}" for f in kind.fields)
    checklist = "\n".join(f"{c['zh']} | {c.get('en', '')}" for c in kind.return_checklist)
    return fields, checklist


@bp.route("/catalogue", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def catalogue():
    from schoolhq.assets import catalogue as cat
    from schoolhq.assets.forms import KindForm

    category_form, kind_form = _category_form(), KindForm(prefix="kind")
    status = 200
    if request.method == "POST":
        status = 422
        which = request.form.get("which")
        try:
            if which == "category" and category_form.validate_on_submit():
                cat.save_category(category_form.code.data, category_form.name.data,
                                  category_form.depreciation_years.data, category_form.class_2010.data)
                return redirect_to("assets.catalogue")
            if which == "kind" and kind_form.validate_on_submit():
                cat.save_kind(kind_form.key.data, kind_form.name_zh.data, kind_form.name_en.data,
                              kind_form.loanable.data, kind_form.fields.data, kind_form.checklist.data)
                return redirect_to("assets.catalogue")
        except ServiceError as error:
            apply_error(category_form if which == "category" else kind_form, error)
    return render("assets/catalogue.html", status=status, categories=services.categories(),
                  kinds=services.kinds(), category_form=category_form, kind_form=kind_form,
                  depth=lambda c: c.path.count("/") - 2)


@bp.route("/catalogue/categories/<int:category_id>", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def category_edit(category_id: int):
    from schoolhq.assets import catalogue as cat
    from schoolhq.assets.models import AssetCategory

    category = db.session.get(AssetCategory, category_id)
    if category is None:
        abort(404)
    form = _category_form(category)
    if form.validate_on_submit():
        try:
            cat.save_category(category.code, form.name.data, form.depreciation_years.data, form.class_2010.data,
                              category_id=category.id)
            return redirect_to("assets.catalogue")
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render("assets/catalogue_edit.html", status=status, form=form, title=f"{category.code} {category.name}")


@bp.route("/catalogue/kinds/<int:kind_id>", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def kind_edit(kind_id: int):
    from schoolhq.assets import catalogue as cat
    from schoolhq.assets.forms import KindForm
    from schoolhq.assets.models import AssetKind

    kind = db.session.get(AssetKind, kind_id)
    if kind is None:
        abort(404)
    form = KindForm()
    del form.key
    if request.method == "GET":
        form.name_zh.data, form.name_en.data, form.loanable.data = kind.name_zh, kind.name_en, kind.loanable_default
        form.fields.data, form.checklist.data = _kind_text(kind)
    elif form.validate_on_submit():
        try:
            cat.save_kind(kind.key, form.name_zh.data, form.name_en.data, form.loanable.data, form.fields.data,
                          form.checklist.data, kind_id=kind.id)
            return redirect_to("assets.catalogue")
        except ServiceError as error:
            apply_error(form, error)
    status = 422 if request.method == "POST" else 200
    return render("assets/catalogue_edit.html", status=status, form=form, title=f"{kind.key} · {kind.name_zh}")
