"""Stocktakes (资产清查): a campaign, room by room on a tablet, closing and approval, the report."""

from __future__ import annotations

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.assets.views import (
    bp,
    register_choices,
)
from schoolhq.core.permissions import can, permission_required, require
from schoolhq.core.web import get_or_404, handle_form, redirect_to, render, to_int
from schoolhq.places import services as places
from schoolhq.places.models import Location


def _campaign_or_404(campaign_id: int, permission: str = "assets.audit"):
    from schoolhq.assets import audits

    campaign = audits.get_campaign(campaign_id)
    require(permission, campaign)
    return campaign


def _stocktake_form():
    from schoolhq.assets.forms import StocktakeForm

    form = StocktakeForm()
    form.location_id.choices = [("", _l("The whole school"))] + places.choices()  # a building down to one office
    form.category_id.choices = [("", _l("All categories"))] + register_choices()["categories"]
    return form


@bp.route("/audits", methods=["GET", "POST"])
@permission_required("assets.audit")
def audits_index():
    from schoolhq.assets import audits
    from schoolhq.core.permissions import require_within

    form = _stocktake_form()

    def start():
        location_id = to_int(form.location_id.data)
        require_within("assets.audit", places.get_location(location_id) if location_id else None)
        return audits.start(form.name.data, location_id, to_int(form.category_id.data))

    return handle_form(form, start, success=lambda campaign: redirect_to("assets.audit_detail", campaign_id=campaign.id),
                       page="assets/audits.html",
                       context=lambda: {"campaigns": [c for c in audits.campaigns()
                                                      if can(current_user, "assets.audit", c)]})


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

    room = get_or_404(Location, location_id)
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
    # the room answers every scan with itself, the refused ones with why
    return handle_form(None, lambda: audits.record_scan(campaign.id, location_id, request.form.get("tag", "")),
                       success=lambda scan: _room_page(campaign, location_id, scan=scan),
                       page=lambda status, error, field: _room_page(campaign, location_id, status, error=str(error)))


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
