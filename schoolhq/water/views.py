"""The water area's pages: the points with their state, a point's sheet (its kind, permit,
lab results and history), entering a lab report, and taking a point out of use."""

from __future__ import annotations

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.messages import data_words
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import local_today
from schoolhq.core.web import handle_form, month_arg, redirect_to, render, to_int
from schoolhq.extensions import db
from schoolhq.water import services
from schoolhq.water.forms import (
    CleaningForm,
    DispenserForm,
    FilterForm,
    OutOfUseForm,
    PointForm,
    lab_form_class,
)

bp = Blueprint("water", __name__, url_prefix="/water")


@bp.context_processor
def _names():
    return {"point_status": services.STATUS_LABELS, "kind_name": services.kind_name,
            "result_label": services.RESULT_LABELS, "event_label": services.EVENT_LABELS,
            "parameters": services.parameters(), "limit_text": services.limit_text, "param_name": data_words}


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
    from schoolhq.repairs.models import Ticket
    from schoolhq.repairs.services import may_open

    ticket = db.session.get(Ticket, point.ticket_id) if point and point.ticket_id else None
    filter_form = _filter_choices(forms.get("filter") or FilterForm(formdata=None), asset)
    cleaning_form = forms.get("cleaning") or CleaningForm(formdata=None)
    dispenser_form = forms.get("dispenser") or DispenserForm(formdata=None)
    dispenser_form.done_by_id.choices = _staff_choices()
    kept = services.kept_records(point) if point else ([], [], [])
    return render("water/point.html", status=status, asset=asset, point=point, tests=tests, events=events,
                  filter_form=filter_form, cleaning_form=cleaning_form, filter_changes=kept[0], cleanings=kept[1],
                  staff_cleanings=kept[2], dispenser_form=dispenser_form, dispenser_rule=services.domain()["water"]["dispenser_cleaning"],
                  filter_state=services.filter_state(point) if point else [], clocks=services.clocks(point.kind) if point else [],
                  stage_name=services.stage_name, today=local_today(),
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


def _staff_choices() -> list:
    from schoolhq.people import services as people

    return [("", "—"), *people.person_choices()]


def _filter_choices(form: FilterForm, asset) -> FilterForm:
    from schoolhq.people import services as people
    from schoolhq.stock import services as stock

    form.stage.choices = services.stages()
    form.done_by_id.choices = [("", _l("— the vendor's fitter —")), *people.person_choices()]
    form.stock_item_id.choices = [("", _l("— not from the store —")),
                                  *((str(item.id), f"{item.name} {item.spec}".strip())
                                    for item, _quantity, _value in db.session.execute(
                                        stock.item_rows(stock.ItemFilters(text="滤芯"))).all())]
    form.store_id.choices = [(str(store.id), store.name) for store in stock.stores()]
    if not form.interval_days.data and form.stage.data in dict(services.stages()):
        form.interval_days.data = str(services.default_interval(asset, form.stage.data))
    return form


@bp.post("/points/<int:asset_id>/filters")
@permission_required("water.record")
def filter_change(asset_id: int):
    asset = services._water_asset(asset_id)
    form = _filter_choices(FilterForm(), asset)
    return handle_form(form, lambda: services.record_filter_change(current_user, asset_id, services.FilterInput(
        changed_on=form.changed_on.data, stage=form.stage.data, filter_model=form.filter_model.data,
        batch=form.batch.data, done_by_id=to_int(form.done_by_id.data), vendor=form.vendor.data,
        interval_days=form.interval_days.data, stock_item_id=to_int(form.stock_item_id.data),
        store_id=to_int(form.store_id.data), quantity=form.quantity.data)),
        success=lambda _change: redirect_to("water.point_page", asset_id=asset_id),
        page=lambda status, error, field: _point_page(asset_id, status, error, {"filter": form}))


@bp.post("/points/<int:asset_id>/cleanings")
@permission_required("water.record")
def tank_cleaning(asset_id: int):
    services._water_asset(asset_id)
    form = CleaningForm()
    return handle_form(form, lambda: services.record_cleaning(current_user, asset_id, services.CleaningInput(
        cleaned_on=form.cleaned_on.data, firm=form.firm.data, firm_licence=form.firm_licence.data,
        firm_licence_expires_on=form.firm_licence_expires_on.data, workers_certified=form.workers_certified.data,
        disinfectant=form.disinfectant.data, concentration=form.concentration.data,
        workers_note=form.workers_note.data, report_file=form.report_file.data)),
        success=lambda _cleaning: redirect_to("water.point_page", asset_id=asset_id),
        page=lambda status, error, field: _point_page(asset_id, status, error, {"cleaning": form}))


@bp.post("/points/<int:asset_id>/dispenser-cleanings")
@permission_required("water.record")
def dispenser_cleaning(asset_id: int):
    services._water_asset(asset_id)
    form = DispenserForm()
    form.done_by_id.choices = _staff_choices()
    return handle_form(form, lambda: services.record_dispenser_cleaning(current_user, asset_id, services.DispenserInput(
        cleaned_on=form.cleaned_on.data, done_by_id=to_int(form.done_by_id.data), disinfectant=form.disinfectant.data,
        concentration=form.concentration.data, note=form.note.data)),
        success=lambda _cleaning: redirect_to("water.point_page", asset_id=asset_id),
        page=lambda status, error, field: _point_page(asset_id, status, error, {"dispenser": form}))


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


@bp.get("/ledger")
@permission_required("water.view")
def ledger():
    """饮水设施卫生管理档案 of a month: every point's lab results, filter changes, tank
    cleanings and days out of use; A4 landscape, or XLSX."""
    first = month_arg()
    book = services.month_archive(first)
    title = str(_l("Drinking-water facilities hygiene archive"))
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Date"), _("Place"), _("Water point"), _("Record"), _("Details"), _("Result"), _("Done by")]
        return download(f"water-{first:%Y-%m}.xlsx", [(title, header, [list(row[:7]) for row in book])])
    return render("water/ledger.html", first=first, rows=book, title=title,
                  retention=services.domain()["retention"])
