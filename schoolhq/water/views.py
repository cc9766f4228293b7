"""The water area's pages: the points with their state, a point's sheet (its kind, permit,
lab results and history), entering a lab report, and taking a point out of use."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from schoolhq.core.permissions import can, permission_required
from schoolhq.core.web import handle_form, redirect_to, render
from schoolhq.water import services
from schoolhq.water.forms import OutOfUseForm, PointForm, lab_form_class

bp = Blueprint("water", __name__, url_prefix="/water")


@bp.context_processor
def _names():
    return {"point_status": services.STATUS_LABELS, "kind_name": services.kind_name,
            "result_label": services.RESULT_LABELS, "event_label": services.EVENT_LABELS,
            "parameters": services.parameters(), "limit_text": services.limit_text, "param_name": services.words}


@bp.get("/")
@permission_required("water.view")
def point_list():
    return render("water/points.html", rows=services.points())


def _point_page(asset_id: int, status: int = 200, error=None, forms: dict | None = None):
    asset = services._water_asset(asset_id)
    point = services.point_of(asset_id)
    tests, events = services.history(point) if point else ([], [])
    forms = forms or {}
    point_form = forms.get("point") or PointForm(formdata=None)
    point_form.kind.choices = services.kinds()
    if "point" not in forms and point is not None:
        point_form.kind.data, point_form.permit_number.data = point.kind, point.permit_number
        point_form.permit_expires_on.data = point.permit_expires_on
    from schoolhq.extensions import db
    from schoolhq.repairs.models import Ticket
    from schoolhq.repairs.services import may_open

    ticket = db.session.get(Ticket, point.ticket_id) if point and point.ticket_id else None
    return render("water/point.html", status=status, asset=asset, point=point, tests=tests, events=events,
                  ticket=ticket, may_open_ticket=ticket is not None and may_open(current_user, ticket),
                  error=error, refused=next(iter(forms), None), point_form=point_form,
                  out_form=forms.get("out") or OutOfUseForm(formdata=None),
                  may_record=can(current_user, "water.record"), may_manage=can(current_user, "water.manage"))


@bp.get("/points/<int:asset_id>")
@permission_required("water.view")
def point_page(asset_id: int):
    return _point_page(asset_id)


@bp.post("/points/<int:asset_id>/details")
@permission_required("water.manage")
def point_details(asset_id: int):
    services._water_asset(asset_id)
    form = PointForm()
    form.kind.choices = services.kinds()
    return handle_form(form, lambda: services.set_up(current_user, asset_id, form.kind.data, form.permit_number.data,
                                                     form.permit_expires_on.data),
                       success=lambda _point: redirect_to("water.point_page", asset_id=asset_id),
                       page=lambda status, error, field: _point_page(asset_id, status, error, {"point": form}))


@bp.post("/points/<int:asset_id>/out-of-use")
@permission_required("water.record")
def point_out(asset_id: int):
    services._water_asset(asset_id)
    form = OutOfUseForm()
    return handle_form(form, lambda: services.take_out_of_use(current_user, asset_id, form.reason.data),
                       success=lambda _point: redirect_to("water.point_page", asset_id=asset_id),
                       page=lambda status, error, field: _point_page(asset_id, status, error, {"out": form}))


@bp.route("/points/<int:asset_id>/tests/new", methods=["GET", "POST"])
@permission_required("water.record")
def new_test(asset_id: int):
    asset = services._water_asset(asset_id)
    form = lab_form_class()()

    def record():
        values = {p["key"]: getattr(form, f"p_{p['key']}").data or "" for p in services.parameters()}
        return services.record_test(current_user, asset_id, services.LabInput(
            sampled_on=form.sampled_on.data, reported_on=form.reported_on.data, laboratory=form.laboratory.data,
            report_number=form.report_number.data, report_file=form.report_file.data, values=values))

    return handle_form(form, record, success=lambda test: redirect_to("water.test_page", test_id=test.id),
                       page="water/test_form.html", context={"asset": asset})


@bp.get("/tests/<int:test_id>")
@permission_required("water.view")
def test_page(test_id: int):
    test = services.get_test(test_id)
    return render("water/test.html", test=test, asset=test.point.asset,
                  reference=services.domain()["water"]["lab_tests"]["ref"])
