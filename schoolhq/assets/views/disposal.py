"""Disposal (报废): the list, its steps from appraisal to the authority's approval, the print."""

from __future__ import annotations

from flask import abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.assets import services
from schoolhq.assets.views import (
    bp,
)
from schoolhq.core.errors import ServiceError
from schoolhq.core.permissions import can, permission_required, require
from schoolhq.core.web import handle_form, redirect_to, render


def _disposal_or_404(disposal_id: int):
    from schoolhq.assets import disposals

    disposal = disposals.get(disposal_id)
    if not all(can(current_user, "assets.view", item.asset) for item in disposal.items):
        abort(403)
    return disposal


@bp.route("/disposals", methods=["GET", "POST"])
@permission_required("assets.manage", "assets.approve")
def disposals_index():
    from schoolhq.assets import disposals
    from schoolhq.assets.forms import DisposalForm

    form = DisposalForm()

    def request_disposal():
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
        return disposals.request_disposal([a.id for a in found], form.reason.data, request.files.getlist("photos"))

    return handle_form(form, request_disposal,
                       success=lambda disposal: redirect_to("assets.disposal_detail", disposal_id=disposal.id),
                       page="assets/disposals.html", context=lambda: {"disposals": disposals.listing()})


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
    form = request.form
    steps = {
        "appraise": lambda: disposals.appraise(disposal.id, form.get("appraisal", "")),
        "approve": lambda: disposals.decide(disposal.id, True, form.get("note", "")),
        "reject": lambda: disposals.decide(disposal.id, False, form.get("note", "")),
        "document": lambda: disposals.attach_document(disposal.id, request.files.get("document"),
                                                      form.get("document_ref", "")),
        "execute": lambda: disposals.execute(disposal.id, form.get("method", "")),
    }
    if step not in steps:
        abort(404)
    return handle_form(None, steps[step],
                       success=lambda _done: redirect_to("assets.disposal_detail", disposal_id=disposal.id),
                       page=lambda status, error, field: _disposal_page(disposal, status, error=str(error)))
