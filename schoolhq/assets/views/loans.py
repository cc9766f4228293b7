"""The lending desk (借用登记台), returns, loans, borrow requests and lesson bookings."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from schoolhq.assets import loans as lending
from schoolhq.assets import reservations, services
from schoolhq.assets.forms import (
    CheckinForm,
    CheckoutForm,
)
from schoolhq.assets.models import Asset
from schoolhq.assets.views import (
    bp,
)
from schoolhq.core.errors import ServiceError
from schoolhq.core.permissions import can, permission_required, require
from schoolhq.core.timeutil import day_from_text
from schoolhq.core.web import handle_form, int_arg, redirect_to, render, search_arg, to_int
from schoolhq.extensions import db


def _cart_ids() -> list[int]:
    return [i for i in (to_int(v) for v in request.form.getlist("asset_id")) if i is not None]


def _cart(ids: list[int]) -> list[Asset]:
    """The listed items this desk may handle; a posted id outside its scope shows nothing."""
    # the scope check reads the place and department, the returns list the kind
    options = (joinedload(Asset.location), joinedload(Asset.department), joinedload(Asset.kind))
    return [a for a in (db.session.get(Asset, i, options=options) for i in ids)
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
    form.due.choices = [(key, f"{label}") for key, label, _at in lending.due_choices()] + [("date", _l("A date"))]
    return form


def _desk(status: int = 200, form=None, cart=None, scan_error: str | None = None):
    return render("assets/desk.html", "assets/_cart.html", status=status, form=form or _checkout_form(),
                  cart=cart or [], scan_error=scan_error, due_choices=lending.due_choices())


@bp.get("/desk")
@permission_required("assets.loan")
def desk():
    return _desk()


@bp.post("/desk/scan")
@permission_required("assets.loan")
def desk_scan():
    """A scanned tag joins the list; the list travels in the form, not the session."""
    ids, error = _scan_into_list(lending.why_not_lendable)
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

    def checkout():
        borrower_id = to_int(form.borrower_id.data) or 0
        if not borrower_id:
            raise ServiceError(_l("Choose the borrower."), "borrower_id")
        cart = _listed(ids)
        due_at = lending.due_from(form.due.data, form.due_date.data)
        return lending.checkout([a.id for a in cart], borrower_id, due_at, form.condition.data or "",
                                 form.signature.data, require_signature=not form.on_paper.data)

    return handle_form(form, checkout, success=lambda loans: redirect_to("assets.slip", slip=loans[0].slip),
                       page=lambda status, error, field: _desk(status, form=form, cart=_cart(ids)))


@bp.get("/slip/<slip>")
@permission_required("assets.loan", "assets.view", "assets.borrow")
def slip(slip: str):
    """The printable A5 借用单 with the borrower's signature."""
    loans = lending.slip_loans(slip)
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

    def check_in():
        # each returned item has its own checklist and photo: "check-<asset>-<n>", "photo-<asset>"
        for asset in _listed(ids):
            checklist = {item["zh"]: request.form.get(f"check-{asset.id}-{n}") == "1"
                         for n, item in enumerate(asset.kind.return_checklist if asset.kind else [])}
            # each item its own condition and damage; the form's own apply to those without
            condition = (request.form.get(f"condition-{asset.id}") or "").strip()[:300] or form.condition.data or ""
            damaged = request.form.get(f"damaged-{asset.id}") == "1" or bool(form.damaged.data)
            lending.checkin(asset.id, condition, checklist, damaged, request.files.get(f"photo-{asset.id}") or None)

    return handle_form(form, check_in, success=lambda _none: redirect_to("assets.checkin", done=len(ids)),
                       page=lambda status, error, field: _checkin_page(status, cart=_cart(ids), form=form))


@bp.get("/loans")
@permission_required("assets.loan")
def loans():
    overdue = request.args.get("overdue") == "1"
    rows = (lending.overdue_loans if overdue else lending.open_loans)(account=current_user)
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

    text = search_arg(limit=40)
    found = []
    if text:
        found = db.session.execute(_select(Asset.id, Asset.name, Asset.number, Asset.status).where(
            Asset.loanable.is_(True), Asset.status.in_(("in_use", "in_storage", "on_loan")),
            or_(Asset.name.contains(text), Asset.number.contains(text))).order_by(Asset.name, Asset.number)
            .limit(12)).all()
    return render("assets/_pick.html", found=found, q=text)


def _mine(form=None, status=200):
    person_id = current_user.person_id
    return render("assets/mine.html", status=status, loans=lending.open_loans(person_id),
                  held=lending.held_by(person_id), bookings=reservations.of_person(person_id),
                  form=form or _request_form())


@bp.get("/mine")
@permission_required("assets.borrow")
def mine():
    return _mine()


@bp.post("/requests")
@permission_required("assets.borrow")
def request_borrow():
    form = _request_form()
    return handle_form(form, lambda: reservations.request_borrow(
        to_int(form.asset_id.data) or 0, current_user.person_id, form.first_day.data, form.last_day.data,
        form.purpose.data), success="assets.mine", page=lambda status, error, field: _mine(form, status))


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
    reservation = reservations.get(reservation_id)
    require("assets.loan", reservation.asset)
    reservations.decide(reservation.id, decision == "approve", request.form.get("note", ""))
    return redirect_to("assets.requests_pending")


@bp.post("/reservations/<int:reservation_id>/cancel")
@permission_required("assets.borrow", "assets.loan")
def reservation_cancel(reservation_id: int):
    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    reservation = reservations.get(reservation_id)
    if reservation.person_id != current_user.person_id:
        require("assets.loan", reservation.asset)
    reservations.cancel(reservation.id)
    back = request.form.get("back", "")
    if back.startswith("/assets/") and not back.startswith("//"):
        from flask import redirect

        return redirect(back, code=303)
    return redirect_to("assets.mine")


def _monday(text: str | None):
    from datetime import timedelta

    from schoolhq.core.timeutil import local_today

    day = day_from_text(text) or local_today()
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

    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    asset_id = to_int(request.form.get("asset_id"))
    day = day_from_text(request.form.get("day"))
    if day is None:
        abort(400)
    # the week answers every booking with itself, refused or not
    return handle_form(None, lambda: reservations.reserve_slot(
        asset_id or 0, current_user.person_id, day, request.form.get("period", ""), request.form.get("purpose", "")),
        success=lambda _booked: _week_page(asset_id, _monday(day.isoformat())),
        page=lambda status, error, field: _week_page(asset_id, _monday(day.isoformat()), status, str(error)))
