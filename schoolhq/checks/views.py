from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.checks import findings, judging, packs, queries, reports, schedules, services
from schoolhq.checks.forms import (
    AmendForm,
    FindingForm,
    MealsForm,
    NewTemplateForm,
    ScheduleForm,
    StartForm,
    SubmitForm,
    TemplateEditForm,
)
from schoolhq.checks.models import CheckRound
from schoolhq.core.errors import ServiceError
from schoolhq.core.pagination import Page, paginate
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import local_today, to_local
from schoolhq.core.web import (
    date_arg,
    get_or_404,
    handle_form,
    month_arg,
    redirect_to,
    render,
    to_int,
    wants_fragment,
)
from schoolhq.extensions import db

bp = Blueprint("checks", __name__, url_prefix="/checks")


@bp.context_processor
def _names():
    language = judging.reader_language()
    return {"round_status": services.STATUS_LABELS, "outcome_label": services.OUTCOME_LABELS,
            "finding_status": services.FINDING_LABELS, "range_text": judging.range_text,
            "option_text": judging.option_text, "template_title": lambda t: packs.title_of(t, language),
            "prompt_of": lambda item: item.prompt(language), "is_late": queries.is_late,
            "period_label": queries.period_label,
            # babel's formatting is the costly part of a long list: plain local time
            "local_time": lambda value: to_local(value).strftime("%Y-%m-%d %H:%M") if value else "",
            "frequency_label": packs.FREQUENCY_LABELS, "role_name": _role_name}


def _role_name(code: str) -> str:
    from schoolhq.auth.services import BUILTIN_ROLES

    return str(BUILTIN_ROLES.get(code, code))


def _round_or_404(round_id: int, perform: bool = False) -> CheckRound:
    round_ = get_or_404(CheckRound, round_id, options=(joinedload(CheckRound.location), joinedload(CheckRound.template)))
    allowed = services.may_perform(current_user, round_) if perform else services.may_view(current_user, round_)
    if not allowed:
        abort(403)
    return round_


# Doing rounds ---------------------------------------------------------------------------

def _today_page(status: int = 200, start_form: StartForm | None = None, **extra):
    from schoolhq.places import services as places

    rounds = queries.soonest_first(queries.my_rounds(current_user).options(
        joinedload(CheckRound.template), joinedload(CheckRound.location), joinedload(CheckRound.asset)))
    start_form = start_form or StartForm(formdata=None)
    start_form.template_key.choices = [(key, title) for key, title, _f in
                                       packs.published_choices(judging.reader_language())]
    start_form.location_id.choices = [("", "—"), *places.choices()]
    return render("checks/today.html", status=status, rounds=rounds, progress=services.progress(rounds),
                  start_form=start_form, **extra)


@bp.get("/")
@permission_required("checks.perform")
def today():
    """My checks today, soonest due first; a scan box jumps to the check of a label."""
    return _today_page()


@bp.get("/scan")
@permission_required("checks.perform")
def scan():
    code = request.args.get("code", "").strip()
    round_ = queries.find_by_scan(current_user, code) if code else None
    if round_ is None:
        return _today_page(422 if code else 200, scan_error=_l("No check of yours today for “%(code)s”.",
                                                               code=code[:60]) if code else None)
    return redirect(url_for("checks.round_page", round_id=round_.id))


@bp.post("/start")
@permission_required("checks.perform")
def start():
    form = StartForm()
    return handle_form(
        form, lambda: services.start_adhoc(current_user, form.template_key.data, to_int(form.location_id.data),
                                           to_int(form.asset_id.data)),
        success=lambda round_: redirect_to("checks.round_page", round_id=round_.id),
        page=lambda status, error, field: _today_page(status, form))


def _round_page(round_: CheckRound, status: int = 200, error=None, field=None, form=None):
    """The round; `form` is a refused submission or amendment, shown with its message (a
    refused submission marks the items it names, and keeps the drawn signature)."""
    the_slots = services.slots(round_)
    flagged = set()
    if isinstance(form, SubmitForm) and status == 422:
        flagged = {s.dom_id for group in services.missing(round_, the_slots) for s in group}
    recorded = services.record_answers(round_, the_slots) if round_.status in services.OPEN else {}
    return render("checks/round.html", status=status, round=round_, slots=the_slots, error=error, flagged=flagged,
                  recorded=recorded,
                  field=field, submit_form=form if isinstance(form, SubmitForm) else SubmitForm(formdata=None),
                  amend_form=form if isinstance(form, AmendForm) else AmendForm(formdata=None),
                  may_perform=services.may_perform(current_user, round_),
                  revisions=services.revisions(round_),
                  findings=list(db.session.scalars(select(services.CheckFinding)
                                                   .where(services.CheckFinding.round_id == round_.id))))


@bp.get("/rounds/<int:round_id>")
@permission_required("checks.perform", "checks.view")
def round_page(round_id: int):
    return _round_page(_round_or_404(round_id))


@bp.get("/rounds/<int:round_id>/print")
@permission_required("checks.perform", "checks.view")
def round_print(round_id: int):
    round_ = _round_or_404(round_id)
    return render("checks/round_print.html", round=round_, slots=services.slots(round_),
                  findings=list(db.session.scalars(select(services.CheckFinding)
                                                   .where(services.CheckFinding.round_id == round_id))))


def _slot_response(round_id: int, item_id: int, subject_id: int, action):
    """One answer, one small POST; the answer's fragment comes back marked pass or fail.
    A refused answer comes back as the same fragment with its message, status 422. The
    service locks and loads the round once and says whose it is (the throughput of this
    save is a budget of its own)."""
    try:
        the_slot = action()
    except ServiceError as error:
        db.session.rollback()
        round_ = _round_or_404(round_id, perform=True)
        try:
            the_slot = services.slot(round_, item_id, subject_id)
        except ServiceError:
            raise error from None
        if not wants_fragment():
            return _round_page(round_, 422, error.message, the_slot.dom_id)
        return render("checks/_slot.html", status=422, s=the_slot, round=round_, error=error.message,
                      field=error.field, editable=round_.status in services.OPEN, tried=request.form)
    if the_slot.moved:  # it began on a newer version: show its questions
        return redirect_to("checks.round_page", round_id=round_id)
    if not wants_fragment():
        return redirect(url_for("checks.round_page", round_id=round_id) + f"#{the_slot.dom_id}", code=303)
    return render("checks/_slot.html", s=the_slot, round=the_slot.round, editable=True)


@bp.post("/rounds/<int:round_id>/answer/<int:item_id>/<int:subject_id>")
@permission_required("checks.perform")
def answer(round_id: int, item_id: int, subject_id: int):
    form = request.form
    data = judging.AnswerInput(outcome=form.get("outcome", ""), value=form.get("value", ""),
                                note=form.get("note", ""), photo=request.files.get("photo"),
                                file=request.files.get("file"), signature=form.get("signature", ""))
    account = current_user._get_current_object()  # the proxy resolves once, not per use in the save
    return _slot_response(round_id, item_id, subject_id,
                          lambda: services.answer(account, round_id, item_id, subject_id, data))


@bp.post("/rounds/<int:round_id>/evidence/<int:item_id>/<int:subject_id>")
@permission_required("checks.perform")
def evidence(round_id: int, item_id: int, subject_id: int):
    form = request.form
    return _slot_response(round_id, item_id, subject_id, lambda: services.add_evidence(
        current_user, round_id, item_id, subject_id, form.get("note", ""), request.files.get("photo"),
        corrected=form.get("corrected") == "y"))


def _round_form(round_id: int, form, action):
    """A form on the round's page: back to the page when done, the page again when refused."""
    return handle_form(
        form, action, success=lambda revision: redirect_to("checks.round_page", round_id=getattr(revision, "id", round_id)),
        page=lambda status, error, field: _round_page(_round_or_404(round_id), status, error, field, form))


@bp.post("/rounds/<int:round_id>/all-pass")
@permission_required("checks.perform")
def all_pass(round_id: int):
    round_ = _round_or_404(round_id, perform=True)
    return _round_form(round_id, None, lambda: services.all_remaining_pass(current_user, round_.id))


@bp.post("/rounds/<int:round_id>/submit")
@permission_required("checks.perform")
def submit(round_id: int):
    round_ = _round_or_404(round_id, perform=True)
    form = SubmitForm()
    return _round_form(round_id, form, lambda: services.submit(current_user, round_.id, form.signature.data))


@bp.post("/rounds/<int:round_id>/amend")
@permission_required("checks.perform")
def amend(round_id: int):
    round_ = _round_or_404(round_id, perform=True)
    form = AmendForm()
    return _round_form(round_id, form, lambda: services.amend(current_user, round_.id, form.reason.data))


# Oversight and findings -----------------------------------------------------------------

@bp.get("/oversight")
@permission_required("checks.manage", school_wide=True)
def oversight():
    day = date_arg("day", local_today())
    status = request.args.get("status", "")
    rows = queries.day_rounds(day)
    chosen = [row.id for row in rows if row.status == status] if status in services.STATUS_LABELS else \
        [row.id for row in rows]
    # one page of the day's ids, then those rounds with their places and people
    number = to_int(request.args.get("page")) or 1
    page = Page(items=[], number=1, per_page=50, total=len(chosen))
    page.number = min(number, page.pages)
    ids = chosen[(page.number - 1) * 50:page.number * 50]
    found = {r.id: r for r in db.session.scalars(select(CheckRound).where(CheckRound.id.in_(ids)).options(
        joinedload(CheckRound.template), joinedload(CheckRound.location), joinedload(CheckRound.asset),
        joinedload(CheckRound.assignee)))} if ids else {}
    page.items = [found[round_id] for round_id in ids]
    return render("checks/oversight.html", page=page, day=day, chosen=status, counts=queries.day_counts(rows),
                  findings=list(db.session.scalars(findings.by_status("open").limit(10).options(
                      joinedload(services.CheckFinding.location)))))


def _findings_page(status: str) -> Page:
    """The ids of a page of findings first, then those fifty with their round, place and asset."""
    page = paginate(findings.by_status(status).with_only_columns(services.CheckFinding.id), per_page=50)
    found = {f.id: f for f in db.session.scalars(select(services.CheckFinding)
                                                 .where(services.CheckFinding.id.in_(page.items))
                                                 .options(joinedload(services.CheckFinding.round)
                                                          .joinedload(CheckRound.template),
                                                          joinedload(services.CheckFinding.location),
                                                          joinedload(services.CheckFinding.asset),
                                                          joinedload(services.CheckFinding.item)))} \
        if page.items else {}
    page.items = [found[finding_id] for finding_id in page.items]
    from schoolhq.hazards.services import of_findings

    hazards = of_findings(list(found))
    for finding in page.items:  # a finding not put right on the spot, followed up as a hazard
        finding.hazard_id = hazards.get(finding.id)
    return page


@bp.get("/findings")
@permission_required("checks.manage", "checks.view", school_wide=True)
def finding_list():
    status = request.args.get("status", "open")
    page = _findings_page(status)
    blank = FindingForm(formdata=None)
    return render("checks/findings.html", page=page, chosen=status, form=blank, blank=blank,
                  may_manage=can(current_user, "checks.manage"))


@bp.post("/findings/<int:finding_id>/<action>")
@permission_required("checks.manage")
def finding_action(finding_id: int, action: str):
    form = FindingForm()
    if action == "ticket":
        act, success = (lambda: findings.ticket_for_finding(current_user, finding_id),
                        lambda ticket: redirect_to("repairs.ticket", ticket_id=ticket.id))
    elif action in ("close", "corrected"):
        act, success = (lambda: findings.close_finding(current_user, finding_id, form.note.data, form.photo.data,
                                                       corrected=action == "corrected"), "checks.finding_list")
    else:
        abort(404)
    return handle_form(form, act, success=success, page=lambda status, error, field: render(
        "checks/findings.html", status=status, page=_findings_page("open"), chosen="open", form=form,
        blank=FindingForm(formdata=None), error=error if action == "ticket" else None,
        error_finding=None if action == "ticket" else finding_id, may_manage=True))


# Ledgers and compliance -----------------------------------------------------------------

@bp.get("/ledger")
@permission_required("checks.view", school_wide=True)
def ledger():
    language = judging.reader_language()
    keys = [(t.key, t) for t in packs.templates(include_retired=True)]
    templates_ = dict(reversed(keys))
    extracts = {key: extract for key, extract in packs.ledger_extracts().items() if extract.template in templates_}
    choices = [(key, packs.title_of(template, language)) for key, template in templates_.items()]
    choices += [(key, extract.title(language)) for key, extract in extracts.items()]
    key = request.args.get("key") or (choices[0][0] if choices else "")
    if choices and key not in dict(choices):
        abort(404)
    extract = extracts.get(key)
    template_key = extract.template if extract else key
    month = month_arg()
    places = reports.ledger_places(template_key, month) if key else []
    place = to_int(request.args.get("place"))
    place = place if place in dict(places) else None
    book = reports.ledger(template_key, month, place, extract.items if extract else ()) if key else None
    if book is not None and request.args.get("format") == "xlsx":
        from schoolhq.core.xlsx import download

        header = [str(_l("Date")), str(_l("Meal or period")), str(_l("Place")), *[
            f"{c.number} {c.item.prompt_zh[:30]}{' ' + c.subject_label if c.subject_label else ''}"
            for c in book.columns], str(_l("Result")), str(_l("Inspector")), str(_l("Submitted at"))]

        from schoolhq.core.xlsx import number_or_text

        # dates and times as Excel's own, readings as numbers
        # the day the check was done (a missed round: its period's first day)
        rows = ([to_local(r.round.submitted_at).date() if r.round.submitted_at else r.round.period_start,
                 queries.period_label(r.round), r.round.place_full
                 + (f" · {r.round.asset_number}" if r.round.asset_number else ""),
                 *[number_or_text(text) for text, _outcome, _signature in r.cells],
                 str(services.STATUS_LABELS["missed"]) if r.round.status == "missed" else
                 str(services.OUTCOME_LABELS.get(r.round.result or "", "")),
                 r.round.inspector or "",
                 to_local(r.round.submitted_at).replace(tzinfo=None, second=0, microsecond=0)
                 if r.round.submitted_at else None]
                for r in book.rows)
        title = dict(choices).get(key, key)
        return download(f"checks-{key}-{month:%Y-%m}.xlsx", [(title, header, rows)])
    return render("checks/ledger.html", book=book, key=key, choices=choices, month=month, places=places, place=place,
                  retention=reports.RETENTION, extract=extract)


@bp.get("/compliance")
@permission_required("checks.view", school_wide=True)
def compliance():
    month = month_arg()
    return render("checks/compliance.html", report=reports.compliance(month, judging.reader_language()), month=month)


# Templates ------------------------------------------------------------------------------

def _item_choices(form: TemplateEditForm, kinds) -> TemplateEditForm:
    form.type.choices = list(packs.TYPE_LABELS.items())
    form.per_kind.choices = [("", "—"), *((k.key, k.name_zh) for k in kinds)]
    form.evidence.choices = list(packs.EVIDENCE_LABELS.items())
    form.ticket.choices = list(packs.TICKET_LABELS.items())
    form.frequency.choices = list(packs.FREQUENCY_LABELS.items())
    return form


def _template_page(template, status: int = 200, error=None, field=None, editing: int | None = None,
                   action: str = "", form: TemplateEditForm | None = None):
    """The template and, for a draft, its forms: a new item, the item being edited, the
    title. `form` is the one refused by `action`, shown again with its message."""
    from schoolhq.assets.models import AssetKind

    kinds = list(db.session.scalars(select(AssetKind).order_by(AssetKind.id)))
    item = next((i for i in template.items if i.id == editing), None)
    posted = {"add-item": "add", "edit-item": "edit", "update": "update"}.get(action) if form else None
    forms = {"add": TemplateEditForm(formdata=None), "update": TemplateEditForm.of_template(template),
             "edit": TemplateEditForm.of_item(item) if item else None}
    if posted:
        forms[posted] = form
    forms = {key: _item_choices(f, kinds) if f else None for key, f in forms.items()}
    return render("checks/template.html", status=status, template=template, error=None if posted else error,
                  field=field, editing=editing, versions=packs.versions(template.key), types=packs.TYPE_LABELS,
                  evidence=packs.EVIDENCE_LABELS, tickets=packs.TICKET_LABELS, kinds=kinds, add_form=forms["add"],
                  edit_form=forms["edit"], title_form=forms["update"],
                  frequencies=packs.FREQUENCY_LABELS, template_status=packs.TEMPLATE_STATUS_LABELS)


def _new_template_forms(form: NewTemplateForm) -> dict:
    """The page's two forms, a new draft and a pack file: only the one sent shows its message."""
    imported = form.pack_file.data is not None
    forms = {"create_form": NewTemplateForm(formdata=None) if imported else form,
             "import_form": form if imported else NewTemplateForm(formdata=None)}
    for each in forms.values():
        each.frequency.choices = list(packs.FREQUENCY_LABELS.items())
    return forms


@bp.route("/templates", methods=["GET", "POST"])
@permission_required("checks.manage", school_wide=True)
def template_list():
    form = NewTemplateForm()

    def create_or_import():
        upload = form.pack_file.data
        if upload is None:
            return packs.create_template(form.title_zh.data, form.title_en.data, form.key.data,
                                         form.frequency.data, form.area.data)
        raw = upload.read(1024 * 1024 + 1)
        if len(raw) > 1024 * 1024:
            raise ServiceError(_l("The file is larger than 1 MB."), "pack_file")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ServiceError(_l("The file is not UTF-8 text."), "pack_file") from None
        packs.import_packs(text)
        return None

    return handle_form(
        form, create_or_import,
        success=lambda template: redirect_to("checks.template_page", template_id=template.id) if template
        else redirect_to("checks.template_list"),
        page="checks/templates.html",
        context=lambda: _template_list_context(form))


def _template_list_context(form=None) -> dict:
    return {"templates": packs.templates(True), "template_status": packs.TEMPLATE_STATUS_LABELS,
            "shipped": packs.shipped_differences(), **_new_template_forms(form or NewTemplateForm(formdata=None))}


@bp.post("/templates/shipped/<key>")
@permission_required("checks.manage", school_wide=True)
def take_shipped(key: str):
    """A revised or new shipped pack, taken as a draft (or published when the key is new)."""
    return handle_form(None, lambda: packs.take_shipped(key),
                       success=lambda template: redirect_to("checks.template_page", template_id=template.id),
                       page="checks/templates.html", context=lambda: {**_template_list_context(), "shipped_error": True})


@bp.get("/templates/<int:template_id>")
@permission_required("checks.manage", school_wide=True)
def template_page(template_id: int):
    template = packs.get_template(template_id)
    return _template_page(template, editing=to_int(request.args.get("edit")))


def _item_data(form: TemplateEditForm) -> packs.ItemData:
    return packs.ItemData(
        prompt_zh=form.prompt_zh.data, prompt_en=form.prompt_en.data, type=form.type.data,
        section=form.section.data, unit=form.unit.data, min_value=form.min_value.data,
        max_value=form.max_value.data, options=form.options.data, warn_days=form.warn_days.data,
        per_kind=form.per_kind.data, required=form.required.data, evidence=form.evidence.data,
        critical=form.critical.data, ticket=form.ticket.data, reference=form.reference.data,
        confidence=form.confidence.data)


TEMPLATE_ACTIONS = {
    "add-item": lambda t, f: packs.save_item(t.id, _item_data(f)),
    "edit-item": lambda t, f: packs.save_item(t.id, _item_data(f), to_int(f.item_id.data)),
    "move-up": lambda t, f: packs.move_item(t.id, to_int(f.item_id.data) or 0, -1),
    "move-down": lambda t, f: packs.move_item(t.id, to_int(f.item_id.data) or 0, 1),
    "remove-item": lambda t, f: packs.remove_item(t.id, to_int(f.item_id.data) or 0),
    "update": lambda t, f: packs.update_template(t.id, f.title_zh.data, f.title_en.data, f.frequency.data,
                                                 f.note.data),
    "publish": lambda t, f: packs.publish(t.id),
    "retire": lambda t, f: packs.retire(t.id),
    # these two lead elsewhere: the new version, or the list once the draft is gone
    "new-version": lambda t, f: packs.new_version(t.id),
    "delete": lambda t, f: packs.delete_draft(t.id),
}


@bp.post("/templates/<int:template_id>/<action>")
@permission_required("checks.manage", school_wide=True)
def template_action(template_id: int, action: str):
    template = packs.get_template(template_id)
    if action not in TEMPLATE_ACTIONS:
        abort(404)
    form = TemplateEditForm()
    success = {"new-version": lambda copy: redirect_to("checks.template_page", template_id=copy.id),
               "delete": lambda _none: redirect_to("checks.template_list")}.get(
        action, lambda _result: redirect_to("checks.template_page", template_id=template_id))
    return handle_form(form, lambda: TEMPLATE_ACTIONS[action](template, form), success=success,
                       page=lambda status, error, field: _template_page(packs.get_template(template_id), status, error,
                                                                        field, editing=to_int(form.item_id.data),
                                                                        action=action, form=form))


# Schedules ------------------------------------------------------------------------------

def _schedule_page(status: int = 200, error=None, field=None, form=None):
    """The schedules and the two forms; `form` is the one refused, shown with its message."""
    from schoolhq.assets.models import AssetKind
    from schoolhq.auth.services import BUILTIN_ROLES
    from schoolhq.people import services as people
    from schoolhq.places import services as places

    language = judging.reader_language()
    kinds = list(db.session.scalars(select(AssetKind).order_by(AssetKind.id)))
    kind_names = {k.key: k.name_en if language == "en" and k.name_en else k.name_zh for k in kinds}
    meals = schedules.meals()
    schedule_form = form if isinstance(form, ScheduleForm) else ScheduleForm(formdata=None)
    schedule_form.template_key.choices = [(key, f"{title} · {packs.FREQUENCY_LABELS[frequency]}")
                                          for key, title, frequency in packs.published_choices(language)]
    schedule_form.target.choices = list(schedules.TARGET_LABELS.items())
    schedule_form.location_id.choices = [("", "—"), *places.choices()]
    schedule_form.kind_key.choices = [("", "—"), *((k.key, kind_names[k.key]) for k in kinds)]
    schedule_form.frequency.choices = [("", _l("As the template says")), *packs.FREQUENCY_LABELS.items()]
    schedule_form.meals.choices = [(m["key"], f"{m['zh']} {m['start']}–{m['end']}") for m in meals]
    schedule_form.assignee.choices = {
        None: [("", "—")], str(_l("Roles")): [(f"role:{code}", label) for code, label in BUILTIN_ROLES.items()],
        str(_l("People")): [(f"person:{value}", label) for value, label in people.person_choices()]}
    meals_form = form if isinstance(form, MealsForm) else MealsForm(
        formdata=None, meals="".join(f"{m['zh']} {m['en']} {m['start']}-{m['end']}\n" for m in meals))
    return render("checks/schedules.html", status=status, error=error, field=field,
                  schedules=schedules.schedules(), form=schedule_form, meals_form=meals_form,
                  titles={t.key: packs.title_of(t, language) for t in reversed(packs.templates(True))},
                  kind_names=kind_names, targets=schedules.TARGET_LABELS, roles=BUILTIN_ROLES)


@bp.route("/schedules", methods=["GET", "POST"])
@permission_required("checks.manage", school_wide=True)
def schedule_list():
    form = ScheduleForm()

    def save():
        assignee = form.assignee.data
        schedule = schedules.save_schedule(schedules.ScheduleData(
            template_key=form.template_key.data, target=form.target.data, location_id=to_int(form.location_id.data),
            kind_key=form.kind_key.data, frequency=form.frequency.data, meals=form.meals.data or [],
            opens_time=form.opens_time.data, due_time=form.due_time.data, grace_minutes=form.grace_minutes.data,
            assignee_id=to_int(assignee.removeprefix("person:")) if assignee.startswith("person:") else None,
            assignee_role=assignee.removeprefix("role:") if assignee.startswith("role:") else ""))
        schedules.materialise(schedule_ids=[schedule.id])

    return handle_form(form, save, success="checks.schedule_list",
                       page=lambda status, error, field: _schedule_page(status, error, field, form))


@bp.post("/schedules/<int:schedule_id>/deactivate")
@permission_required("checks.manage", school_wide=True)
def schedule_deactivate(schedule_id: int):
    schedules.deactivate(schedule_id)
    return redirect_to("checks.schedule_list")


@bp.post("/meals")
@permission_required("checks.manage", school_wide=True)
def meals():
    from schoolhq.core import settings

    form = MealsForm()
    return handle_form(form, lambda: settings.update({"checks.meals": form.meals.data}),
                       success="checks.schedule_list",
                       page=lambda status, error, field: _schedule_page(status, error, "meals", form))
