"""The canteen's pages: today's morning check on the kitchen tablet, the staff roster,
and the printed 从业人员晨检记录 of a month."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.canteen import morning, services
from schoolhq.canteen.forms import MorningCheckForm, SignSheetForm, StaffForm
from schoolhq.core.errors import NotFound
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import local_today
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
