"""The canteen's pages: today's morning check on the kitchen tablet, the staff roster,
and the printed 从业人员晨检记录 of a month."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.canteen import meals, morning, samples, services
from schoolhq.canteen.forms import MenuForm, MorningCheckForm, SampleForm, SignSheetForm, StaffForm
from schoolhq.core.errors import NotFound
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import local_today, utcnow
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
    forms = {line.member.person_id: (refused[1] if refused and refused[0] == line.member.person_id
                                     else _check_form(line)) for line in lines}
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
    line = next((line for line in morning.lines(local_today()) if line.member.person_id == person_id), None)
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


def _row(person_id: int, status: int = 200, form: MorningCheckForm | None = None):
    day = local_today()
    line = next(line for line in morning.lines(day) if line.member.person_id == person_id)
    return render("canteen/_morning_row.html", status=status, line=line, form=form or _check_form(line), day=day,
                  may_record=True, sheet=morning.sheet_of(day))


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


def _sample_choices(day: date):
    on_duty = [(str(line.member.person_id), line.member.person.name) for line in morning.lines(day)
               if line.member.active and not (line.check and not line.check.fit) and not line.certificate_problem]
    return on_duty, [(str(asset.id), f"{asset.number} {asset.name} · {asset.location.name}")
                     for asset in samples.fridges()]


def _samples_page(day: date, status: int = 200, error=None, refused: tuple[int, SampleForm] | None = None):
    sampler_choices, fridge_choices = _sample_choices(day)
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
    sampler_choices, fridge_choices = _sample_choices(local_today())
    from werkzeug.datastructures import CombinedMultiDict

    form = _sample_form(dish, CombinedMultiDict((request.files, request.form)), sampler_choices, fridge_choices)
    return handle_form(form, lambda: samples.record(current_user, dish.id, form.weight.data or "",
                                                    to_int(form.sampler_id.data), to_int(form.fridge_id.data),
                                                    photo=form.photo.data),
                       success=lambda _s: redirect_to("canteen.samples_page"),
                       page=lambda status, error, field: _samples_page(local_today(), status, error,
                                                                       refused=(dish.id, form)))


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
