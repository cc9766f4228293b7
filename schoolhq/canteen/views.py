"""The canteen's pages: today's morning check on the kitchen tablet, the staff roster,
and the printed 从业人员晨检记录 of a month."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.canteen import companion, hygiene, meals, morning, receiving, samples, services
from schoolhq.canteen.forms import (
    AdditiveForm,
    CompanionForm,
    DeclarationForm,
    DeliveryForm,
    DisinfectionForm,
    LicenceForm,
    MenuForm,
    MorningCheckForm,
    SampleForm,
    SignSheetForm,
    StaffForm,
    SupplierForm,
    SwapForm,
    WasteForm,
)
from schoolhq.core.errors import NotFound
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import local_today, month_bounds, utcnow
from schoolhq.core.web import handle_form, month_arg, redirect_to, render, to_int, wants_fragment

bp = Blueprint("canteen", __name__, url_prefix="/canteen")


@bp.context_processor
def _names():
    from schoolhq.people import certificates

    return {"symptom_name": services.symptom_name, "show_temperature": services.show_temperature,
            "certificate_states": certificates.STATES, "certificate_tones": certificates.STATE_TONES}


def _day_arg() -> date:
    from schoolhq.core.timeutil import day_from_text

    day = day_from_text(request.args.get("day"))
    return day if day and day <= local_today() else local_today()


def _check_form(line=None, formdata=None) -> MorningCheckForm:
    form = MorningCheckForm(formdata=formdata, prefix=f"p{line.member.person_id}" if line else "")
    form.symptoms.choices = services.symptoms()
    form.action.choices = [(a, a) for a in services.domain()["morning_check"]["actions"]]
    if formdata is None and line is not None and line.check is not None:
        check = line.check
        form.clothing_ok.data, form.hygiene_ok.data = "1" if check.clothing_ok else "0", "1" if check.hygiene_ok else "0"
        form.symptoms.data = list(check.symptoms or [])
        form.temperature.data = services.show_temperature(check.temperature_dc)
        form.remarks.data, form.action.data = check.remarks, check.action or None
    return form


def _morning_page(day: date, status: int = 200, error=None, refused: tuple[int, MorningCheckForm] | None = None,
                  sign_form: SignSheetForm | None = None):
    lines = morning.lines(day)
    # a form for each person not yet seen; one already checked is corrected on asking
    # (the row's Correct fetches its form), so a checked-in kitchen renders no forms
    editing = to_int(request.args.get("edit"))
    forms = {}
    for line in lines:
        person_id = line.member.person_id
        if refused and refused[0] == person_id:
            forms[person_id] = refused[1]
        elif line.check is None or person_id == editing:
            forms[person_id] = _check_form(line)
    return render("canteen/morning.html", status=status, day=day, today=local_today(), lines=lines, forms=forms,
                  sheet=morning.sheet_of(day), error=error, sign_form=sign_form or SignSheetForm(),
                  may_record=can(current_user, "canteen.record") and day == local_today(),
                  may_sign=can(current_user, "canteen.manage"), reference=services.domain()["morning_check"])


@bp.get("/morning")
@permission_required("canteen.view")
def morning_page():
    return _morning_page(_day_arg())


@bp.post("/morning/all-well")
@permission_required("canteen.record")
def morning_all_well():
    from schoolhq.core.forms import ActionForm

    return handle_form(ActionForm(), lambda: morning.all_well(current_user),
                       success=lambda _n: redirect_to("canteen.morning_page"),
                       page=lambda status, error, field: _morning_page(local_today(), status, error))


@bp.post("/morning/<int:person_id>")
@permission_required("canteen.record")
def morning_record(person_id: int):
    line = next(iter(morning.lines(local_today(), person_id)), None)
    if line is None:
        raise NotFound(_l("That person is not on the canteen's staff."))
    form = _check_form(line, formdata=request.form)

    def save():
        return morning.record(current_user, person_id, morning.Answers(
            clothing_ok=form.clothing_ok.data != "0", hygiene_ok=form.hygiene_ok.data != "0",
            symptoms=list(form.symptoms.data or []), temperature=form.temperature.data or "",
            remarks=form.remarks.data or "", action=form.action.data or ""))

    def answer(_check):
        if wants_fragment():
            return _row(person_id)
        return redirect_to("canteen.morning_page")

    def refused(status, error, field):
        if wants_fragment():
            return _row(person_id, status=status, form=form)
        return _morning_page(local_today(), status, error, refused=(person_id, form))

    return handle_form(form, save, success=answer, page=refused)


def _row(person_id: int, status: int = 200, form: MorningCheckForm | None = None, editing: bool = False):
    """One person's row: with its form when refused, asked to correct, or not yet seen."""
    day = local_today()
    line = morning.lines(day, person_id)[0]
    if form is None and (editing or line.check is None):
        form = _check_form(line)
    return render("canteen/_morning_row.html", status=status, line=line, form=form, day=day,
                  may_record=True, sheet=morning.sheet_of(day), editing=editing)


@bp.get("/morning/<int:member_id>")
@permission_required("canteen.record")
def morning_row(member_id: int):
    """A checked person's row opened for correction (the row's Correct, on the tablet);
    `member_id` is the person's id, as the row's POST takes it."""
    if not morning.lines(local_today(), member_id):
        raise NotFound(_l("That person is not on the canteen's staff."))
    if not wants_fragment():  # opened as a page: the day's page with that row open
        from flask import redirect, url_for

        return redirect(url_for("canteen.morning_page", edit=member_id, _anchor=f"mc-{member_id}"))
    return _row(member_id, editing=True)


@bp.post("/morning/sign")
@permission_required("canteen.manage")
def morning_sign():
    form = SignSheetForm()
    day = _day_arg() if request.args.get("day") else local_today()
    return handle_form(form, lambda: morning.sign(current_user, form.signature.data, day),
                       success=lambda _sheet: redirect_to("canteen.morning_page", day=day.isoformat()),
                       page=lambda status, error, field: _morning_page(day, status, error, sign_form=form))


@bp.route("/staff", methods=["GET", "POST"])
@permission_required("canteen.manage")
def staff():
    form = StaffForm()

    def page(status=200, error=None, field=None):
        return render("canteen/staff.html", status=status, form=form, error=error,
                      members=services.roster(include_inactive=True), posts=services.domain()["morning_check"]["posts"])

    return handle_form(form, lambda: services.add_staff(to_int(form.person_id.data), form.post.data),
                       success=lambda _m: redirect_to("canteen.staff"), page=page)


@bp.post("/staff/<int:staff_id>/end")
@permission_required("canteen.manage")
def staff_end(staff_id: int):
    from schoolhq.core.forms import ActionForm

    return handle_form(ActionForm(), lambda: services.end_staff(staff_id), success=lambda _m: redirect_to("canteen.staff"),
                       page=lambda status, error, field: redirect_to("canteen.staff"))


@bp.get("/ledgers/morning")
@permission_required("canteen.view")
def morning_ledger():
    """从业人员晨检记录 of a month: A4, or XLSX with typed cells."""
    first = month_arg()
    checks = morning.month_checks(first.year, first.month)
    if request.args.get("format") == "xlsx":
        return _morning_xlsx(first, checks)
    return render("canteen/morning_ledger.html", first=first, checks=checks,
                  sheets={s.day: s for s in morning.month_sheets(first.year, first.month)},
                  reference=services.domain()["morning_check"],
                  title=services.words(services.domain()["morning_check"]["title"]))


def _morning_xlsx(first: date, checks):
    from flask_babel import gettext as _

    from schoolhq.core.xlsx import download

    header = [_("Date"), _("Name"), _("Post"), _("Work clothes and cap"), _("Personal hygiene"), _("Health"),
              _("Temperature (℃)"), _("Health certificate until"), _("On duty"), _("Reason and action"), _("Remarks"),
              _("Morning check by")]
    rows = [[c.day, c.person.name, c.post, "✓" if c.clothing_ok else "✗", "✓" if c.hygiene_ok else "✗",
             "、".join(services.symptom_name(s) for s in c.symptoms) or _("No symptoms"),
             c.temperature_dc / 10 if c.temperature_dc is not None else None, c.certificate_until,
             _("On duty") if c.fit else _("Off duty"), "；".join(x for x in (c.reason, c.action) if x), c.remarks,
             c.checked_by.display_name if c.checked_by else ""] for c in checks]
    return download(f"morning-checks-{first:%Y-%m}.xlsx", [(_("Morning checks"), header, rows)])


# The menu --------------------------------------------------------------------------------

def _week_arg() -> date:
    from schoolhq.core.timeutil import day_from_text

    return meals.monday_of(day_from_text(request.args.get("week")) or local_today())


def _menu_page(monday: date, status: int = 200, error=None, refused: tuple[date, str, MenuForm] | None = None):
    days = meals.week_days(monday)
    found = meals.meals_between(monday, monday + timedelta(days=6))
    forms = {}
    for day in days:
        for kind in meals.kinds():
            if refused and refused[:2] == (day, kind.key):
                forms[(day, kind.key)] = refused[2]
                continue
            form = MenuForm(formdata=None, prefix=f"m{day:%Y%m%d}{kind.key}")
            meal = found.get((day, kind.key))
            form.dishes.data = "\n".join(d.name for d in meal.dishes if not d.removed) if meal else ""
            forms[(day, kind.key)] = form
    return render("canteen/menus.html", status=status, monday=monday, days=days, kinds=meals.kinds(), meals=found,
                  forms=forms, error=error, today=local_today(), may_manage=can(current_user, "canteen.manage"),
                  previous=monday - timedelta(days=7), following=monday + timedelta(days=7))


@bp.get("/menus")
@permission_required("canteen.view")
def menus():
    return _menu_page(_week_arg())


@bp.post("/menus/<day>/<kind>")
@permission_required("canteen.manage")
def menu_save(day: str, kind: str):
    from schoolhq.core.timeutil import day_from_text

    parsed = day_from_text(day)
    if parsed is None:
        raise NotFound(_l("That meal does not exist."))
    form = MenuForm(prefix=f"m{parsed:%Y%m%d}{kind}")
    return handle_form(form, lambda: meals.set_dishes(parsed, kind, form.dishes.data or ""),
                       success=lambda _m: redirect_to("canteen.menus", week=meals.monday_of(parsed).isoformat()),
                       page=lambda status, error, field: _menu_page(meals.monday_of(parsed), status, error,
                                                                    refused=(parsed, kind, form)))


@bp.post("/menus/copy")
@permission_required("canteen.manage")
def menu_copy():
    from schoolhq.core.forms import ActionForm

    monday = _week_arg()
    return handle_form(ActionForm(), lambda: meals.copy_week(monday),
                       success=lambda _n: redirect_to("canteen.menus", week=monday.isoformat()),
                       page=lambda status, error, field: _menu_page(monday, status, error))


# Food samples ------------------------------------------------------------------------------

def _sample_form(dish, formdata=None, sampler_choices=(), fridge_choices=()) -> SampleForm:
    form = SampleForm(formdata=formdata, prefix=f"d{dish.id}")
    form.sampler_id.choices = [("", "—"), *sampler_choices]
    form.fridge_id.choices = list(fridge_choices) or [("", "—")]
    if formdata is None and current_user.person_id and any(v == str(current_user.person_id) for v, _ in sampler_choices):
        form.sampler_id.data = str(current_user.person_id)
    return form


def _staff_on_duty(day: date) -> list[tuple[str, str]]:
    """The canteen's staff who may be recorded working on `day`, as choices."""
    return [(str(line.member.person_id), line.member.person.name) for line in morning.lines(day)
            if line.member.active and not (line.check and not line.check.fit) and not line.certificate_problem]


def _sample_choices(day: date):
    return _staff_on_duty(day), [(str(asset.id), f"{asset.number} {asset.name} · {asset.location.name}")
                     for asset in samples.fridges()]


def _samples_page(day: date, status: int = 200, error=None, refused: tuple[int, SampleForm] | None = None):
    sampler_choices, fridge_choices = _sample_choices(day)
    if refused:
        refused[1].sampler_id.choices = [("", "—"), *sampler_choices]
        refused[1].fridge_id.choices = list(fridge_choices) or [("", "—")]
    found = samples.of_day(day)
    forms = {dish.id: (refused[1] if refused and refused[0] == dish.id
                       else _sample_form(dish, None, sampler_choices, fridge_choices))
             for meal in found for dish, sample in meal.dishes if sample is None}
    return render("canteen/samples.html", status=status, day=day, today=local_today(), meals=found, forms=forms,
                  error=error, may_record=can(current_user, "canteen.record") and day == local_today(),
                  may_manage=can(current_user, "canteen.manage"), minimum=samples.minimum_grams(),
                  keep_hours=samples.keep_hours(), now=utcnow(), reference=services.domain()["food_sample"])


@bp.get("/samples")
@permission_required("canteen.view")
def samples_page():
    return _samples_page(_day_arg())


@bp.post("/samples/<int:dish_id>")
@permission_required("canteen.record")
def sample_record(dish_id: int):
    from schoolhq.canteen.models import Dish
    from schoolhq.core.web import get_or_404

    dish = get_or_404(Dish, dish_id)
    from werkzeug.datastructures import CombinedMultiDict

    # the choices are not validated here (the service judges the sampler and the fridge):
    # they are read only if the page is shown again
    form = _sample_form(dish, CombinedMultiDict((request.files, request.form)))
    def answer(_sample):
        return _sample_row(dish.id) if wants_fragment() else redirect_to("canteen.samples_page")

    def refused(status, error, field):
        if wants_fragment():
            return _sample_row(dish.id, status, form)
        return _samples_page(local_today(), status, error, refused=(dish.id, form))

    return handle_form(form, lambda: samples.record(current_user, dish.id, form.weight.data or "",
                                                    to_int(form.sampler_id.data), to_int(form.fridge_id.data),
                                                    photo=form.photo.data),
                       success=answer, page=refused)


def _sample_row(dish_id: int, status: int = 200, form: SampleForm | None = None):
    """One dish's row on the tablet after a save, with its meal's heading out of band
    (it says whether every dish is sampled now)."""
    day = local_today()
    meal = next(m for m in samples.of_day(day) if any(d.id == dish_id for d, _s in m.dishes))
    dish, sample = next((d, s) for d, s in meal.dishes if d.id == dish_id)
    if sample is None:
        sampler_choices, fridge_choices = _sample_choices(day)
        if form is None:
            form = _sample_form(dish, None, sampler_choices, fridge_choices)
        else:
            form.sampler_id.choices = [("", "—"), *sampler_choices]
            form.fridge_id.choices = list(fridge_choices) or [("", "—")]
    return render("canteen/_sample_fragment.html", status=status, dish=dish, sample=sample, m=meal, form=form,
                  may_record=True, now=utcnow(), day=day, oob=True)


@bp.post("/samples/<int:sample_id>/discard")
@permission_required("canteen.record")
def sample_discard(sample_id: int):
    from schoolhq.core.forms import ActionForm

    day = _day_arg()
    return handle_form(ActionForm(), lambda: samples.discard(current_user, sample_id),
                       success=lambda _s: redirect_to("canteen.samples_page", day=day.isoformat()),
                       page=lambda status, error, field: _samples_page(day, status, error))


@bp.post("/meals/<int:meal_id>/review")
@permission_required("canteen.manage")
def meal_review(meal_id: int):
    from schoolhq.core.forms import ActionForm

    day = _day_arg()
    return handle_form(ActionForm(), lambda: samples.review(current_user, meal_id),
                       success=lambda _n: redirect_to("canteen.samples_page", day=day.isoformat()),
                       page=lambda status, error, field: _samples_page(day, status, error))


@bp.get("/ledgers/samples")
@permission_required("canteen.view")
def sample_ledger():
    """食品留样记录 of a month: A4, or XLSX with typed cells."""
    first = month_arg()
    rows = samples.month_rows(first.year, first.month)
    reference = services.domain()["food_sample"]
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.timeutil import to_local
        from schoolhq.core.xlsx import download

        header = [_("Date"), _("Meal"), _("Dish sampled"), _("Taken at"), _("Weight (g)"), _("Kept in"),
                  _("Kept until"), _("Container"), _("Sampled by"), _("Reviewed by"), _("Discarded at")]
        table = [[r.dish.meal.day, meals.kind_name(r.dish.meal.kind), r.dish.name,
                  to_local(r.sampled_at).replace(tzinfo=None), r.weight_g, reference["storage_condition"],
                  to_local(r.keep_until).replace(tzinfo=None), r.container_code, r.sampler.name,
                  r.reviewed_by.display_name if r.reviewed_by else "",
                  to_local(r.discarded_at).replace(tzinfo=None) if r.discarded_at else None] for r in rows]
        return download(f"food-samples-{first:%Y-%m}.xlsx", [(_("Food samples"), header, table)])
    return render("canteen/sample_ledger.html", first=first, rows=rows, reference=reference,
                  title=services.words(reference["title"]), meal_name=meals.kind_name)


# Suppliers --------------------------------------------------------------------------------

def _supplier_form(formdata=None, supplier=None) -> SupplierForm:
    from schoolhq.canteen import suppliers

    form = SupplierForm(formdata=formdata, obj=supplier, prefix="s")
    form.kind.choices = suppliers.kinds()
    return form


def _supplier_data(form: SupplierForm):
    from schoolhq.canteen import suppliers

    return suppliers.SupplierData(form.name.data or "", form.kind.data or "", form.address.data or "",
                                  form.contact.data or "", form.blacklist_checked_on.data, form.incidents.data or "",
                                  form.contract_until.data)


def _suppliers_page(form: SupplierForm, status=200, error=None):
    from schoolhq.canteen import suppliers

    rows = [(supplier, suppliers.standing(supplier)) for supplier in suppliers.listed(include_inactive=True)]
    return render("canteen/suppliers.html", status=status, form=form, error=error, rows=rows,
                  may_manage=can(current_user, "canteen.manage"), kind_name=suppliers.kind_name,
                  states=suppliers.STATES, tones=suppliers.STATE_TONES, reference=services.domain()["supplier"])


@bp.get("/suppliers")
@permission_required("canteen.view")
def supplier_list():
    return _suppliers_page(_supplier_form())


@bp.post("/suppliers")
@permission_required("canteen.manage")
def supplier_add():
    from schoolhq.canteen import suppliers

    form = _supplier_form(request.form)
    return handle_form(form, lambda: suppliers.add_supplier(_supplier_data(form)),
                       success=lambda supplier: redirect_to("canteen.supplier_page", supplier_id=supplier.id),
                       page=lambda status, error, field: _suppliers_page(form, status, error))


def _supplier_page(supplier, status=200, error=None, form=None, licence_form=None):
    from schoolhq.canteen import suppliers

    licence_form = licence_form or LicenceForm(formdata=None, prefix="l")
    licence_form.kind.choices = suppliers.licence_kinds()
    current = {licence.id for licence in suppliers.current_licences(supplier)}
    return render("canteen/supplier.html", status=status, supplier=supplier, error=error,
                  form=form or _supplier_form(None, supplier), licence_form=licence_form,
                  standing=suppliers.standing(supplier), current=current, licence_state=suppliers.licence_state,
                  licence_kind_name=suppliers.licence_kind_name, kind_name=suppliers.kind_name,
                  states=suppliers.STATES, tones=suppliers.STATE_TONES, may_manage=can(current_user, "canteen.manage"),
                  deliveries=receiving.of_supplier(supplier.id))


@bp.get("/suppliers/<int:supplier_id>")
@permission_required("canteen.view")
def supplier_page(supplier_id: int):
    from schoolhq.canteen.models import Supplier
    from schoolhq.core.web import get_or_404

    return _supplier_page(get_or_404(Supplier, supplier_id))


@bp.post("/suppliers/<int:supplier_id>")
@permission_required("canteen.manage")
def supplier_edit(supplier_id: int):
    from schoolhq.canteen import suppliers
    from schoolhq.canteen.models import Supplier
    from schoolhq.core.web import get_or_404

    supplier = get_or_404(Supplier, supplier_id)
    form = _supplier_form(request.form)
    return handle_form(form, lambda: suppliers.update_supplier(supplier.id, _supplier_data(form)),
                       success=lambda _s: redirect_to("canteen.supplier_page", supplier_id=supplier.id),
                       page=lambda status, error, field: _supplier_page(supplier, status, error, form=form))


@bp.post("/suppliers/<int:supplier_id>/licences")
@permission_required("canteen.manage")
def licence_add(supplier_id: int):
    from werkzeug.datastructures import CombinedMultiDict

    from schoolhq.canteen import suppliers
    from schoolhq.canteen.models import Supplier
    from schoolhq.core.web import get_or_404

    supplier = get_or_404(Supplier, supplier_id)
    form = LicenceForm(formdata=CombinedMultiDict((request.files, request.form)), prefix="l")
    form.kind.choices = suppliers.licence_kinds()
    data = suppliers.LicenceData(form.kind.data or "", form.number.data or "", form.issued_on.data,
                                 form.expires_on.data)
    return handle_form(form, lambda: suppliers.add_licence(current_user, supplier.id, data, scan=form.scan.data),
                       success=lambda _l: redirect_to("canteen.supplier_page", supplier_id=supplier.id),
                       page=lambda status, error, field: _supplier_page(supplier, status, error, licence_form=form))


def _supplier_active(supplier_id: int, active: bool):
    from schoolhq.canteen import suppliers
    from schoolhq.canteen.models import Supplier
    from schoolhq.core.forms import ActionForm
    from schoolhq.core.web import get_or_404

    supplier = get_or_404(Supplier, supplier_id)
    return handle_form(ActionForm(), lambda: suppliers.set_active(supplier.id, active),
                       success=lambda _s: redirect_to("canteen.supplier_page", supplier_id=supplier.id),
                       page=lambda status, error, field: _supplier_page(supplier, status, error))


@bp.post("/suppliers/<int:supplier_id>/stop")
@permission_required("canteen.manage")
def supplier_stop(supplier_id: int):
    return _supplier_active(supplier_id, False)


@bp.post("/suppliers/<int:supplier_id>/resume")
@permission_required("canteen.manage")
def supplier_resume(supplier_id: int):
    return _supplier_active(supplier_id, True)


# Goods receiving ------------------------------------------------------------------------

def _delivery_form(formdata=None) -> DeliveryForm:
    """The form with what its lines choose from; who and from whom are added only when
    it is shown (`_delivery_choices`): the service judges them on a save."""
    form = DeliveryForm(formdata=formdata, prefix="g")
    _delivery_form_choices(form)
    return form


def _delivery_choices(form: DeliveryForm) -> None:
    """The suppliers (one that may not supply shown, but not choosable) and the receivers."""
    from schoolhq.canteen import suppliers

    today = local_today()
    choices = []
    for supplier in suppliers.listed(collectors=False):
        found = suppliers.standing(supplier, today)
        label = supplier.name + (f"（{found.why()}）" if found.blocked else "")
        choices.append((str(supplier.id), label, {"disabled": True} if found.blocked else {}))
    form.supplier_id.choices = [("", "—", {}), *choices]
    people = [(str(person_id), name) for person_id, name in receiving.receivers(today)]
    form.receiver_id.choices = [("", "—"), *people]
    form.co_receiver_id.choices = [("", "—"), *people]
    if form.receiver_id.data is None and current_user.person_id and \
            any(v == str(current_user.person_id) for v, _ in people):
        form.receiver_id.data = str(current_user.person_id)


def _delivery_data(form: DeliveryForm):
    return receiving.DeliveryData(
        supplier_id=to_int(form.supplier_id.data), receiver_id=to_int(form.receiver_id.data),
        co_receiver_id=to_int(form.co_receiver_id.data), co_signature=form.signature.data, remarks=form.remarks.data,
        lines=[receiving.LineData(
            category=entry.category.data or "", product=entry.product.data or "", spec=entry.spec.data or "",
            quantity=entry.quantity.data or "", unit=entry.unit.data or "", production_date=entry.production_date.data,
            batch=entry.batch.data or "", shelf_life=entry.shelf_life.data or "", producer=entry.producer.data or "",
            documents=list(entry.documents.data or []), look_ok=entry.look_ok.data != "0",
            temperature=entry.temperature.data or "", test_result=entry.test_result.data or "",
            accepted=entry.accepted.data != "0", rejected_reason=entry.rejected_reason.data or "")
            for entry in form.lines])


@bp.get("/deliveries")
@permission_required("canteen.view")
def deliveries():
    day = _day_arg()
    return render("canteen/deliveries.html", day=day, today=local_today(), rows=receiving.of_day(day),
                  may_record=can(current_user, "canteen.record"), category_name=receiving.category_name,
                  document_name=receiving.document_name, format_quantity=_quantity)


def _quantity(milli: int) -> str:
    from schoolhq.stock.services import format_quantity

    return format_quantity(milli)


@bp.route("/deliveries/new", methods=["GET", "POST"])
@permission_required("canteen.record")
def delivery_new():
    from werkzeug.datastructures import CombinedMultiDict

    form = _delivery_form(CombinedMultiDict((request.files, request.form)) if request.method == "POST" else None)

    def page(status=200, error=None, field=None):
        _delivery_choices(form)
        return render("canteen/delivery_new.html", status=status, form=form, error=error, today=local_today(),
                      staples=[key for key, _name in receiving.categories() if receiving.is_staple(key)],
                      reference=services.domain()["goods_receiving"])

    if request.method == "POST" and form.more.data:
        # another empty line, keeping what was typed; nothing is written
        if len(form.lines) < (form.lines.max_entries or 30):
            form.lines.append_entry()
            _delivery_form_choices(form)
        return page()
    return handle_form(form, lambda: receiving.receive(current_user, _delivery_data(form),
                                                       voucher_photo=form.voucher_photo.data),
                       success=lambda delivery: redirect_to("canteen.delivery_page", delivery_id=delivery.id),
                       page=page)


def _delivery_form_choices(form: DeliveryForm) -> None:
    for entry in form.lines:
        entry.category.choices = receiving.categories()
        entry.unit.choices = [(unit, unit) for unit in receiving.units()]
        entry.documents.choices = receiving.documents()


@bp.get("/deliveries/<int:delivery_id>")
@permission_required("canteen.view")
def delivery_page(delivery_id: int, status: int = 200, error=None):
    from schoolhq.canteen.models import Delivery
    from schoolhq.core.web import get_or_404

    delivery = get_or_404(Delivery, delivery_id)
    return render("canteen/delivery.html", status=status, error=error, delivery=delivery, today=local_today(),
                  category_name=receiving.category_name, document_name=receiving.document_name,
                  format_quantity=_quantity, may_manage=can(current_user, "canteen.manage"),
                  show_temperature=_food_temperature)


def _food_temperature(tenths: int | None) -> str:
    if tenths is None:
        return ""
    return f"{'-' if tenths < 0 else ''}{abs(tenths) // 10}.{abs(tenths) % 10}"


@bp.post("/deliveries/<int:delivery_id>/delete")
@permission_required("canteen.manage")
def delivery_delete(delivery_id: int):
    from schoolhq.canteen.models import Delivery
    from schoolhq.core.forms import ActionForm
    from schoolhq.core.web import get_or_404

    delivery = get_or_404(Delivery, delivery_id)
    return handle_form(ActionForm(), lambda: receiving.delete(current_user, delivery.id),
                       success=lambda _none: redirect_to("canteen.deliveries"),
                       page=lambda status, error, field: delivery_page(delivery.id, status, error))


@bp.get("/ledgers/deliveries")
@permission_required("canteen.view")
def delivery_ledger():
    """进货查验记录 of a month: A4 landscape, or XLSX with typed cells."""
    first = month_arg()
    rows = receiving.month_rows(first.year, first.month)
    reference = services.domain()["goods_receiving"]
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("No."), _("Delivered on"), _("Product"), _("Kind of food"), _("Specification"), _("Quantity"),
                  _("Unit"), _("Production date"), _("Batch number"), _("Shelf life"), _("Use by"),
                  _("Producer, address and phone"), _("Supplier"), _("Supplier's address and contact"),
                  *[document for _key, document in receiving.documents()], _("Look"),
                  _("Temperature on arrival (℃)"), _("Own or lab test"), _("Acceptance"), _("Why rejected on arrival"),
                  _("Received by"), _("Second receiver"), _("Record kept until")]
        table = [[number, delivery.received_on, line.product, receiving.category_name(line.category), line.spec,
                  line.quantity_milli / 1000, line.unit, line.production_date, line.batch, line.shelf_life, line.use_by,
                  line.producer, delivery.supplier.name,
                  "；".join(x for x in (delivery.supplier.address, delivery.supplier.contact) if x),
                  *["✓" if key in line.documents else "" for key, _document in receiving.documents()],
                  "✓" if line.look_ok else "✗", line.temperature_dc / 10 if line.temperature_dc is not None else None,
                  line.test_result, _("Accepted") if line.accepted else _("Rejected on arrival"), line.rejected_reason,
                  delivery.receiver.name, delivery.co_receiver.name if delivery.co_receiver else "", delivery.keep_until]
                 for number, (delivery, line) in enumerate(rows, start=1)]
        return download(f"goods-receiving-{first:%Y-%m}.xlsx", [(_("Goods received"), header, table)])
    return render("canteen/delivery_ledger.html", first=first, rows=rows, reference=reference,
                  title=services.words(reference["title"]), documents=receiving.documents(),
                  category_name=receiving.category_name, format_quantity=_quantity, show_temperature=_food_temperature)


# Accompanied meals -------------------------------------------------------------------------

def _companion_form(formdata=None, meal_id: int | None = None) -> CompanionForm:
    form = CompanionForm(formdata=formdata, prefix=f"c{meal_id}" if meal_id else "c")
    for key, _name in companion.aspects():
        getattr(form, key).choices = companion.grades()
    return form


def _companion_page(day: date, status: int = 200, error=None, refused: tuple[int, CompanionForm] | None = None,
                    swap_form: SwapForm | None = None):
    from schoolhq.core.forms import WEEKDAYS

    slots = companion.of_day(day)
    may_accompany = can(current_user, companion.PERMISSION) and bool(current_user.person_id) and day == local_today()
    forms = {}
    if may_accompany:
        now = utcnow()
        for slot in slots:
            if now >= meals.starts_at(day, slot.meal.kind) and \
                    not any(r.person_id == current_user.person_id for r in slot.records):
                forms[slot.meal.id] = refused[1] if refused and refused[0] == slot.meal.id \
                    else _companion_form(None, slot.meal.id)
    may_manage = can(current_user, "canteen.manage")
    if swap_form is None:
        swap_form = SwapForm(formdata=None, prefix="w")
        swap_form.day.data = local_today()
    leaders = companion.leaders()
    swap_form.meal_kind.choices = [(kind.key, meals.kind_name(kind.key)) for kind in meals.kinds()]
    swap_form.person_id.choices = [("", _l("— back to the rota —")), *((str(pid), name) for pid, name in leaders)]
    return render("canteen/companion.html", status=status, error=error, day=day, today=local_today(), slots=slots,
                  forms=forms, now=utcnow(), may_manage=may_manage, rota=companion.rota(), leaders=leaders,
                  weekdays=WEEKDAYS[:5] if not any(k[0] >= 5 for k in companion.rota()) else WEEKDAYS,
                  kinds=meals.kinds(), swap_form=swap_form, grade_name=companion.grade_name,
                  aspects=companion.aspects(), may_report=can(current_user, "repairs.report"),
                  reference=services.domain()["accompanied_meal"])


@bp.get("/companion")
@permission_required("canteen.view", companion.PERMISSION)
def companion_page():
    return _companion_page(_day_arg())


@bp.post("/companion/<int:meal_id>")
@permission_required(companion.PERMISSION)
def companion_record(meal_id: int):
    from werkzeug.datastructures import CombinedMultiDict

    from schoolhq.canteen.models import Meal
    from schoolhq.core.web import get_or_404

    meal = get_or_404(Meal, meal_id)
    form = _companion_form(CombinedMultiDict((request.files, request.form)), meal.id)

    def save():
        return companion.record(current_user, meal.id, companion.Record(
            companion.Grades(form.food_quality.data or "", form.hygiene.data or "", form.order.data or "",
                             form.service.data or ""),
            teachers=form.teachers.data or "", notes=form.notes.data or "",
            adverse_reactions=form.adverse_reactions.data == "1", pupils_opinions=form.pupils_opinions.data or "",
            problems=form.problems.data or "", follow_up=form.follow_up.data or ""),
            form.signature.data, photo=form.photo.data)

    return handle_form(form, save, success=lambda _r: redirect_to("canteen.companion_page"),
                       page=lambda status, error, field: _companion_page(local_today(), status, error,
                                                                         refused=(meal.id, form)))


@bp.post("/companion/rota")
@permission_required("canteen.manage")
def companion_rota():
    from schoolhq.core.forms import ActionForm

    def save():
        slots = {}
        for weekday in range(7):
            for kind in meals.kinds():
                name = f"slot-{weekday}-{kind.key}"
                if name in request.form:
                    slots[(weekday, kind.key)] = to_int(request.form.get(name))
        return companion.set_rota(slots)

    return handle_form(ActionForm(), save, success=lambda _n: redirect_to("canteen.companion_page"),
                       page=lambda status, error, field: _companion_page(local_today(), status, error))


@bp.post("/companion/swap")
@permission_required("canteen.manage")
def companion_swap():
    form = SwapForm(prefix="w")
    return handle_form(form, lambda: companion.swap(form.day.data, form.meal_kind.data or "",
                                                    to_int(form.person_id.data), form.reason.data or ""),
                       success=lambda _s: redirect_to("canteen.companion_page"),
                       page=lambda status, error, field: _companion_page(local_today(), status, error,
                                                                         swap_form=form))


@bp.get("/ledgers/companion")
@permission_required("canteen.view")
def companion_ledger():
    """陪餐记录 of a month: A4, or XLSX with typed cells."""
    from schoolhq.core.forms import WEEKDAYS

    first = month_arg()
    rows = companion.month_rows(first.year, first.month)
    reference = services.domain()["accompanied_meal"]
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Date"), _("Meal"), _("Menu"), _("Leader"), _("Teachers who ate too"),
                  *[name for _key, name in companion.aspects()], _("How the meal went, and any adverse reactions"),
                  _("Adverse reactions"), _("What pupils said"), _("Problems found"), _("What was done about them")]
        table = [[r.meal.day, meals.kind_name(r.meal.kind), "、".join(d.name for d in r.meal.dishes if not d.removed),
                  r.person.name, r.teachers, *[companion.grade_name(getattr(r, key)) for key, _n in companion.aspects()],
                  r.notes, _("Some") if r.adverse_reactions else _("None"), r.pupils_opinions, r.problems, r.follow_up]
                 for r in rows]
        return download(f"accompanied-meals-{first:%Y-%m}.xlsx", [(_("Accompanied meals"), header, table)])
    return render("canteen/companion_ledger.html", first=first, rows=rows, reference=reference,
                  title=services.words(reference["title"]), meal_name=meals.kind_name, grade_name=companion.grade_name,
                  aspects=companion.aspects(), weekday_names=dict(WEEKDAYS))


@bp.get("/rates")
@permission_required("canteen.view")
def rates_page():
    """The bureau's five rates for the month and each of its days: A4, or XLSX."""
    from schoolhq.canteen import rates

    first = month_arg()
    month = rates.of_month(first.year, first.month)
    days = rates.by_day(first.year, first.month)
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Date"), *[rate.name for rate in month]]
        table = [[day, *[rate.percent for rate in row]] for day, row in days]
        table.append([_("Month"), *[rate.percent for rate in month]])
        return download(f"canteen-rates-{first:%Y-%m}.xlsx", [(_("Canteen rates"), header, table)])
    return render("canteen/rates.html", first=first, month=month, days=days,
                  title=_l("Canteen rates"), links=rates.LINKS)


# Disinfection, additives, kitchen waste ----------------------------------------------------

def _hygiene_forms(formdata=None, which: str = ""):
    """The page's three forms, the one posted (`which`) reading `formdata`."""
    from schoolhq.canteen import suppliers

    staff = [("", "—"), *_staff_on_duty(local_today())]
    disinfection = DisinfectionForm(formdata=formdata if which == "disinfection" else None, prefix="d")
    disinfection.method.choices = hygiene.methods()
    disinfection.meal_kind.choices = [("", "—"), *((k.key, k.name) for k in meals.kinds())]
    disinfection.operator_id.choices = disinfection.checker_id.choices = staff
    additive = AdditiveForm(formdata=formdata if which == "additive" else None, prefix="a")
    additive.user_id.choices = staff
    declaration = DeclarationForm(formdata=formdata if which == "declaration" else None, prefix="n")
    waste = WasteForm(formdata=formdata if which == "waste" else None, prefix="w")
    waste.kind.choices = hygiene.waste_kinds()
    waste.collector_id.choices = [("", "—")] + [
        (str(c.id), c.name + (f"（{found.why()}）" if found.blocked else ""), {"disabled": True} if found.blocked else {})
        for c in suppliers.listed(collectors=True) for found in [suppliers.standing(c)]]
    waste.recorder_id.choices = staff
    mine = str(current_user.person_id or "")
    if any(value == mine for value, _ in staff):  # the forms not posted start with whoever is signed in
        for key, form, name in (("disinfection", disinfection, "operator_id"), ("additive", additive, "user_id"),
                                ("waste", waste, "recorder_id")):
            if key != which:
                getattr(form, name).data = mine
    return {"disinfection": disinfection, "additive": additive, "declaration": declaration, "waste": waste}


def _hygiene_page(day: date, status: int = 200, error=None, forms=None):
    first, after = day, day + timedelta(days=1)
    return render("canteen/hygiene.html", status=status, error=error, day=day, today=local_today(),
                  forms=forms or _hygiene_forms(), batches=hygiene.batches(first, after),
                  uses=hygiene.additive_uses(first, after), handovers=hygiene.handovers(first, after),
                  declaration=hygiene.latest_declaration(), may_record=can(current_user, "canteen.record")
                  and day == local_today(), method_name=hygiene.method_name, show_reading=hygiene.show_reading,
                  waste_kind_name=hygiene.waste_kind_name, format_quantity=_quantity,
                  reference=services.domain()["tableware_disinfection"])


@bp.get("/hygiene")
@permission_required("canteen.view")
def hygiene_page():
    return _hygiene_page(_day_arg())


def _hygiene_post(which: str, save):
    forms = _hygiene_forms(request.form, which)
    return handle_form(forms[which], lambda: save(forms[which]),
                       success=lambda _r: redirect_to("canteen.hygiene_page"),
                       page=lambda status, error, field: _hygiene_page(local_today(), status, error, forms))


@bp.post("/hygiene/disinfection")
@permission_required("canteen.record")
def disinfection_record():
    return _hygiene_post("disinfection", lambda f: hygiene.record_disinfection(current_user, hygiene.Disinfection(
        f.method.data or "", f.started.data or "", f.ended.data or "", f.reading.data or "", f.items.data or "",
        f.quantity.data or "", f.place.data or "", f.meal_kind.data or "", to_int(f.operator_id.data),
        to_int(f.checker_id.data), f.central_firm.data or "", f.central_certificate.data or "", f.remarks.data or "")))


@bp.post("/hygiene/additive")
@permission_required("canteen.record")
def additive_record():
    return _hygiene_post("additive", lambda f: hygiene.record_additive(current_user, hygiene.Additive(
        f.additive.data or "", f.amount.data or "", f.food.data or "", to_int(f.user_id.data), f.producer.data or "",
        f.production_date.data, f.function.data or "", f.food_amount.data or "", f.remarks.data or "")))


@bp.post("/hygiene/no-additives")
@permission_required("canteen.manage")
def additive_declare():
    return _hygiene_post("declaration", lambda f: hygiene.declare_no_additives(current_user, f.text.data or ""))


@bp.post("/hygiene/waste")
@permission_required("canteen.record")
def waste_record():
    return _hygiene_post("waste", lambda f: hygiene.record_waste(current_user, hygiene.Waste(
        f.kind.data or "", f.quantity.data or "", f.handed.data or "", to_int(f.collector_id.data),
        to_int(f.recorder_id.data), f.collector_person.data or "", f.remarks.data or "")))


def _log_ledger(first: date, reference_key: str, endpoint: str, header: list, rows: list[list], filename: str,
                note: str = ""):
    """A monthly log as A4 landscape or XLSX from one table of typed cells."""
    from flask_babel import gettext as _

    reference = services.domain()[reference_key]
    if request.args.get("format") == "xlsx":
        from schoolhq.core.xlsx import download

        return download(f"{filename}-{first:%Y-%m}.xlsx", [(services.words(reference["title"])[:30], header, rows)])
    def shown(value):
        """A cell in print; times come already in the school's time (to_local_naive)."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "✓" if value else "✗"
        if isinstance(value, datetime):
            return f"{value:%H:%M}"
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, float):
            return f"{value:g}"
        return str(value)

    return render("canteen/log_ledger.html", first=first, header=header, rows=[[shown(c) for c in r] for r in rows],
                  reference=reference, title=services.words(reference["title"]), ledger_endpoint=endpoint,
                  note=note, empty=_("Nothing recorded this month."))


@bp.get("/ledgers/disinfection")
@permission_required("canteen.view")
def disinfection_ledger():
    """餐（饮）用具清洗消毒记录 of a month."""
    from flask_babel import gettext as _

    first = month_arg()
    rows = hygiene.batches(*month_bounds(first))
    header = [_("Date"), _("Batch"), _("Meal"), _("Started at"), _("Ended at"), _("Method"), _("Reading"),
              _("Disinfected"), _("Pieces"), _("Disinfection room"), _("Disinfected by"), _("Checked by"),
              _("Up to the limit"), _("Remarks")]
    table = [[b.day, b.batch_no, meals.kind_name(b.meal_kind) if b.meal_kind else "", to_local_naive(b.started_at),
              to_local_naive(b.ended_at), hygiene.method_name(b.method)
              + (f"（{b.central_firm} {b.central_certificate}）" if b.central_firm else ""),
              hygiene.show_reading(b), b.items, b.quantity, b.place, b.operator.name, b.checker.name if b.checker else "",
              b.meets_limit, b.remarks] for b in rows]
    return _log_ledger(first, "tableware_disinfection", "canteen.disinfection_ledger", header, table, "disinfection")


@bp.get("/ledgers/additives")
@permission_required("canteen.view")
def additive_ledger():
    """食品添加剂使用记录 of a month, with the declaration when none were used."""
    from flask_babel import gettext as _

    first = month_arg()
    rows = hygiene.additive_uses(*month_bounds(first))
    header = [_("No."), _("Date"), _("Additive"), _("Producer"), _("Production date"), _("Amount used (g)"),
              _("Function"), _("Food made"), _("Amount of food made"), _("Used by"), _("Remarks")]
    table = [[n, u.used_on, u.additive, u.producer, u.production_date, u.amount_mg / 1000, u.function, u.food,
              u.food_amount, u.user.name, u.remarks] for n, u in enumerate(rows, start=1)]
    declaration = hygiene.latest_declaration()
    note = "" if rows or declaration is None else \
        f"{declaration.text}（{declaration.declared_on.isoformat()} " \
        f"{declaration.declared_by.display_name if declaration.declared_by else ''}）"
    return _log_ledger(first, "additive_use", "canteen.additive_ledger", header, table, "additives", note)


@bp.get("/ledgers/waste")
@permission_required("canteen.view")
def waste_ledger():
    """餐厨废弃物处置记录 of a month."""
    from flask_babel import gettext as _

    first = month_arg()
    rows = hygiene.handovers(*month_bounds(first))
    header = [_("Date"), _("Kind of waste"), _("Weight (kg)"), _("Handed over at"), _("Collector"),
              _("Who came, and their phone"), _("Recorded by"), _("Remarks")]
    table = [[h.day, hygiene.waste_kind_name(h.kind), h.quantity_g / 1000, to_local_naive(h.handed_at),
              h.collector.name, h.collector_person, h.recorder.name, h.remarks] for h in rows]
    return _log_ledger(first, "kitchen_waste", "canteen.waste_ledger", header, table, "kitchen-waste")


def to_local_naive(value: datetime) -> datetime:
    """An instant in the school's time without its zone, as a spreadsheet cell takes it."""
    from schoolhq.core.timeutil import to_local

    return to_local(value).replace(tzinfo=None)
