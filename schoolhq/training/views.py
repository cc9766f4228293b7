"""The training area's pages: the matrix (people × requirements) and who needs what next,
the requirements, sessions with their roster, attendance and confirmation, the printable
sign-in sheet, each person's record, and the monthly 培训记录."""

from __future__ import annotations

from flask import Blueprint, abort, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.permissions import can, permission_required
from schoolhq.core.timeutil import day_from_text, local_today, to_local, utcnow
from schoolhq.core.web import get_or_404, handle_form, month_arg, redirect_to, render, to_int
from schoolhq.training import assessment, services
from schoolhq.training.forms import (
    AmendForm,
    CancelForm,
    DrillForm,
    MatrixFilterForm,
    ObserveForm,
    PracticalForm,
    QuestionForm,
    RequirementForm,
    RosterForm,
    SessionForm,
    SheetForm,
)

bp = Blueprint("training", __name__, url_prefix="/training")


@bp.context_processor
def _names():
    return {"state_label": services.STATES, "state_tone": services.STATE_TONES, "requirement_name":
            services.requirement_name, "mark_label": dict(services.marks()), "kind_label": dict(services.kinds()),
            "session_status": services.SESSION_STATUS, "category_name": services.category_name,
            "validity_label": services.VALIDITY_LABELS, "local": to_local, "stage_label": assessment.STAGE_LABELS}


def _people_choices():
    from schoolhq.people import services as people

    return people.person_choices()


def _department_choices():
    from schoolhq.people import services as people

    return [(str(d.id), d.name) for d in people.departments()]


def _matrix_filters(department_only: bool = False) -> MatrixFilterForm:
    form = MatrixFilterForm(request.args)
    form.department.choices = [("", _l("All departments")), *_department_choices()]
    if department_only:
        return form
    form.role.choices = [("", _l("All roles")), *services.role_choices()]
    form.category.choices = [("", _l("All categories")), *services.categories()]
    return form


@bp.get("/")
@permission_required("training.view")
def matrix():
    """培训矩阵: people × requirements, coloured by standing; A4 landscape, or XLSX."""
    form = _matrix_filters()
    day = day_from_text(request.args.get("day")) or local_today()
    every = request.args.get("format") == "xlsx" or request.args.get("all") == "1"
    page = None if every else max(to_int(request.args.get("page")) or 1, 1)
    shown, rows, total = services.matrix(to_int(form.department.data), form.role.data or "",
                                         form.category.data or "", day, page)
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Person's name"), _("Department"), *(services.requirement_name(r) for r in shown)]
        body = [[row.person.name, row.person.department.name if row.person.department else "",
                 *((f"{services.STATES[c.state]}"
                    + (f" {c.completion.expires_on.isoformat()}" if c.completion and c.completion.expires_on else "")
                    + (f" {c.hours}/{c.requirement.hours_per_year}h" if c.requirement.hours_per_year else ""))
                   if c is not None and c.needed else "—" for c in row.cells)] for row in rows]
        return download(f"training-matrix-{day.isoformat()}.xlsx", [(str(_l("Training matrix")), header, body)])
    # the labels read once, not once a cell
    pages = -(-total // services.MATRIX_PAGE)
    return render("training/matrix.html", form=form, shown=shown, rows=rows, day=day, total=total,
                  page=page, pages=pages,
                  state_label={key: str(label) for key, label in services.STATES.items()},
                  hour_word=str(_l("hours")))


@bp.get("/due")
@permission_required("training.view")
def due():
    form = _matrix_filters(department_only=True)
    # a school's list is hundreds of rows: its links and words worked out once, not per row
    return render("training/due.html", form=form, rows=services.due_next(department_id=to_int(form.department.data)),
                  state_label={key: str(label) for key, label in services.STATES.items()}, hour_word=str(_l("hours")),
                  none_planned=str(_l("none planned")), names={r.id: services.requirement_name(r)
                                                               for r in services.requirements()},
                  person_url=url_for("training.person_page", person_id=0)[:-1],
                  session_url=url_for("training.session_page", session_id=0)[:-1])


# Requirements --------------------------------------------------------------------------------

@bp.get("/requirements")
@permission_required("training.view")
def requirement_list():
    return render("training/requirements.html", rows=services.requirements(active_only=False),
                  may_manage=can(current_user, "training.manage"))


def _requirement_form(form: RequirementForm) -> RequirementForm:
    form.category.choices = services.categories()
    form.roles.choices = services.role_choices()
    form.department_ids.choices = _department_choices()
    form.person_ids.choices = _people_choices()
    form.validity.choices = list(services.VALIDITY_LABELS.items())
    form.duties.choices = services.duties()
    form.stages.choices = list(assessment.STAGE_LABELS.items())
    form.on_job_template.choices = [("", "—"), *services.check_choices()]
    return form


def _requirement_input(form: RequirementForm) -> services.RequirementInput:
    return services.RequirementInput(
        name_zh=form.name_zh.data or "", name_en=form.name_en.data or "", category=form.category.data or "",
        roles=list(form.roles.data or []), department_ids=[to_int(v) for v in form.department_ids.data or []
                                                           if to_int(v)],
        person_ids=[to_int(v) for v in form.person_ids.data or [] if to_int(v)], validity=form.validity.data or "",
        validity_months=form.validity_months.data or "", renews_on=form.renews_on.data or "",
        renew_window_days=form.renew_window_days.data or "", hours_per_year=form.hours_per_year.data or "",
        duties=list(form.duties.data or []), reference=form.reference.data or "", note=form.note.data or "",
        drills_count=bool(form.drills_count.data), active=bool(form.active.data), stages=list(form.stages.data or []),
        pass_mark_percent=form.pass_mark_percent.data or "", retakes=form.retakes.data or "",
        quiz_size=form.quiz_size.data or "", practical_steps=form.practical_steps.data or "",
        on_job_template=form.on_job_template.data or "", on_job_records=form.on_job_records.data or "")


@bp.route("/requirements/new", methods=["GET", "POST"])
@permission_required("training.manage")
def new_requirement():
    form = _requirement_form(RequirementForm())
    return handle_form(form, lambda: services.save_requirement(current_user, None, _requirement_input(form)),
                       success=lambda r: redirect_to("training.requirement_page", requirement_id=r.id),
                       page="training/requirement_form.html", context={"requirement": None})


@bp.route("/requirements/<int:requirement_id>", methods=["GET", "POST"])
@permission_required("training.view")
def requirement_page(requirement_id: int):
    requirement = services.get_requirement(requirement_id)
    if request.method == "POST" and not can(current_user, "training.manage"):
        abort(403)
    form = _requirement_form(RequirementForm(obj=None if request.method == "POST" else requirement))
    if request.method == "GET":
        form.roles.data, form.duties.data = list(requirement.roles or []), list(requirement.duties or [])
        form.department_ids.data = [str(v) for v in requirement.department_ids or []]
        form.person_ids.data = [str(v) for v in requirement.person_ids or []]
        form.validity_months.data = str(requirement.validity_months or "")
        form.renew_window_days.data = str(requirement.renew_window_days)
        form.hours_per_year.data = str(requirement.hours_per_year or "")
        form.stages.data = list(requirement.stages or [])
        form.pass_mark_percent.data, form.retakes.data = str(requirement.pass_mark_percent), str(requirement.retakes)
        form.quiz_size.data, form.on_job_records.data = str(requirement.quiz_size), str(requirement.on_job_records)
        form.practical_steps.data = "\n".join(requirement.practical_steps or [])
    return handle_form(form, lambda: services.save_requirement(current_user, requirement_id, _requirement_input(form)),
                       success=lambda r: redirect_to("training.requirement_page", requirement_id=r.id),
                       page="training/requirement_form.html",
                       context=lambda: {"requirement": services.get_requirement(requirement_id),
                                        "may_manage": can(current_user, "training.manage"),
                                        "needed_by": len(services.needs().of(services.get_requirement(
                                            requirement_id))),
                                        "bank_size": len(assessment.questions(requirement_id))})


# Sessions ------------------------------------------------------------------------------------

@bp.get("/sessions")
@permission_required("training.view")
def session_list():
    return render("training/sessions.html", upcoming=services.sessions(upcoming=True),
                  past=services.sessions(upcoming=False), may_manage=can(current_user, "training.manage"))


def _session_form(form: SessionForm) -> SessionForm:
    from schoolhq.places import services as places

    form.kind.choices = services.kinds()
    form.requirement_id.choices = [("", _l("— none (a drill) —")),
                                   *((str(r.id), services.requirement_name(r)) for r in services.requirements())]
    form.trainer_id.choices = [("", _l("— from outside —")), *_people_choices()]
    form.location_id.choices = [("", "—"), *places.choices()]
    return form


@bp.route("/sessions/new", methods=["GET", "POST"])
@permission_required("training.manage")
def new_session():
    form = _session_form(SessionForm())
    if request.method == "GET":
        form.requirement_id.data = request.args.get("requirement", "")
        form.kind.data = request.args.get("kind", "training")
    return handle_form(form, lambda: services.plan_session(current_user, services.SessionInput(
        title=form.title.data or "", day=form.day.data, starts=form.starts.data or "", ends=form.ends.data or "",
        requirement_id=to_int(form.requirement_id.data), kind=form.kind.data or "", trainer_id=to_int(
            form.trainer_id.data), trainer_external=form.trainer_external.data or "",
        location_id=to_int(form.location_id.data), place=form.place.data or "", content=form.content.data or "",
        materials=form.materials.data, scenario=form.scenario.data or "")),
        success=lambda session: redirect_to("training.session_page", session_id=session.id),
        page="training/session_form.html")


def _session_page(session_id: int, status: int = 200, error=None, forms: dict | None = None):
    session = services.get_session(session_id)
    if not services.may_see(current_user, session):
        abort(403)
    forms = forms or {}
    roster_form = forms.get("roster") or RosterForm(formdata=None)
    on_roster = {line.person_id for line in session.attendance}
    roster_form.person_ids.choices = [(v, t) for v, t in _people_choices() if to_int(v) not in on_roster]
    amend_form = forms.get("amend") or AmendForm(formdata=None)
    amend_form.mark.choices = services.marks()
    mine = next((line for line in session.attendance if line.person_id == current_user.person_id), None)
    return render("training/session.html", status=status, session=session, error=error,
                  refused=next(iter(forms), None), roster_form=roster_form, amend_form=amend_form,
                  cancel_form=forms.get("cancel") or CancelForm(formdata=None),
                  sheet_form=forms.get("sheet") or SheetForm(formdata=None),
                  drill_form=forms.get("drill") or DrillForm(formdata=None, evacuation=_evacuation(session),
                                                            problems=session.problems),
                  may_run=services.may_run(current_user, session), mine=mine, marks=services.marks(),
                  amendments=services.amendments(session), started=session.starts_at <= utcnow())


def _evacuation(session) -> str:
    seconds = session.evacuation_seconds
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds else ""


@bp.get("/sessions/<int:session_id>")
@permission_required()
def session_page(session_id: int):
    return _session_page(session_id)


def _act(session_id: int, name: str, form, action):
    services.get_session(session_id)
    return handle_form(form, action, success=lambda _r: redirect_to("training.session_page", session_id=session_id),
                       page=lambda status, error, field: _session_page(session_id, status, error, {name: form}))


@bp.post("/sessions/<int:session_id>/marks")
@permission_required()
def session_marks(session_id: int):
    session = services.get_session(session_id)
    given = {line.person_id: (request.form.get(f"mark-{line.person_id}", ""),
                              request.form.get(f"minutes-{line.person_id}", "")) for line in session.attendance}
    return _act(session_id, "marks", None, lambda: services.mark_all(current_user, session_id, given))


@bp.post("/sessions/<int:session_id>/confirm")
@permission_required()
def session_confirm(session_id: int):
    return _act(session_id, "confirm", None, lambda: services.confirm(current_user, session_id))


@bp.post("/sessions/<int:session_id>/roster")
@permission_required()
def session_roster(session_id: int):
    form = RosterForm()
    return _act(session_id, "roster", form, lambda: services.add_to_roster(
        current_user, session_id, [to_int(v) for v in form.person_ids.data or [] if to_int(v)]))


@bp.post("/sessions/<int:session_id>/amend")
@permission_required()
def session_amend(session_id: int):
    form = AmendForm()
    form.mark.choices = services.marks()
    return _act(session_id, "amend", form, lambda: services.amend(
        current_user, to_int(form.attendance_id.data) or 0, form.mark.data or "", form.minutes.data,
        form.reason.data or ""))


@bp.post("/sessions/<int:session_id>/understood")
@permission_required()
def session_understood(session_id: int):
    return _act(session_id, "understood", None, lambda: services.understood(current_user, session_id))


@bp.post("/sessions/<int:session_id>/cancel")
@permission_required()
def session_cancel(session_id: int):
    form = CancelForm()
    return _act(session_id, "cancel", form, lambda: services.cancel(current_user, session_id, form.reason.data or ""))


@bp.post("/sessions/<int:session_id>/sheet-scan")
@permission_required()
def session_sheet_scan(session_id: int):
    form = SheetForm()
    return _act(session_id, "sheet", form, lambda: services.attach_sheet(current_user, session_id, form.scan.data))


@bp.post("/sessions/<int:session_id>/drill")
@permission_required()
def session_drill(session_id: int):
    form = DrillForm()
    return _act(session_id, "drill", form, lambda: services.record_drill(
        current_user, session_id, form.evacuation.data or "", form.problems.data or ""))


@bp.get("/sessions/<int:session_id>/code")
@permission_required()
def signin_screen(session_id: int):
    """The trainer's screen: the rotating sign-in code as a QR, redrawn every few seconds,
    and who has signed in."""
    from schoolhq.core.labels import qr_svg, site_url_for

    session = services.get_session(session_id)
    if not services.may_run(current_user, session):
        abort(403)
    code = services.signin_code(session)
    url = site_url_for("training.sign_in", session_id=session.id, code=code)
    return render("training/signin_screen.html", "training/_signin_code.html", session=session, qr=qr_svg(url, 6),
                  url=url, signed=[line for line in session.attendance if line.signed_in_at],
                  seconds=services.SIGNIN_WINDOW_SECONDS)


@bp.route("/in/<int:session_id>/<code>", methods=["GET", "POST"])
@permission_required()
def sign_in(session_id: int, code: str):
    """What a trainee's phone opens from the code: one button that signs them in."""
    session = services.get_session(session_id)
    return handle_form(None, lambda: services.sign_in(current_user, session_id, code),
                       success=lambda _line: redirect_to("training.session_page", session_id=session_id),
                       page="training/sign_in.html", context={"session": session, "code": code})


@bp.get("/sessions/<int:session_id>/sheet")
@permission_required()
def sign_sheet(session_id: int):
    """签到表 (or 消防演练记录): the roster to sign on paper, A4."""
    session = services.get_session(session_id)
    if not services.may_see(current_user, session):
        abort(403)
    return render("training/sign_sheet.html", session=session, evacuation=_evacuation(session),
                  retention=services.domain()["retention"])


# Assessment ----------------------------------------------------------------------------------

@bp.route("/requirements/<int:requirement_id>/questions", methods=["GET", "POST"])
@permission_required("training.manage")
def question_bank(requirement_id: int):
    requirement = services.get_requirement(requirement_id)
    form = QuestionForm()
    form.kind.choices = list(assessment.QUESTION_KINDS.items())
    return handle_form(form, lambda: assessment.add_question(current_user, requirement_id, form.kind.data or "",
                                                             form.text.data or "", form.options.data or "",
                                                             form.answer.data or ""),
                       success=lambda _q: redirect_to("training.question_bank", requirement_id=requirement_id),
                       page="training/questions.html",
                       context=lambda: {"requirement": requirement, "rows": assessment.questions(requirement_id),
                                        "letters": assessment.LETTERS, "kind_names": assessment.QUESTION_KINDS})


@bp.route("/tests/<int:requirement_id>", methods=["GET", "POST"])
@permission_required()
def quiz(requirement_id: int):
    """The theory test of a requirement: what it asks, the sittings left, and a start."""
    requirement = services.get_requirement(requirement_id)
    return handle_form(None, lambda: assessment.start_quiz(current_user, requirement_id),
                       success=lambda attempt: redirect_to("training.attempt_page", attempt_id=attempt.id),
                       page="training/quiz.html",
                       context=lambda: {"requirement": requirement, "left": assessment.sittings_left(
                           current_user.person_id or -1, requirement), "bank": len(assessment.questions(requirement_id)),
                           "past": assessment.attempts(current_user.person_id or -1, requirement_id, this_cycle=False)})


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@permission_required()
def attempt_page(attempt_id: int):
    from schoolhq.training.models import QuizAttempt

    attempt = get_or_404(QuizAttempt, attempt_id)
    if attempt.person_id != current_user.person_id and not can(current_user, "training.view"):
        abort(403)

    def given() -> dict[int, list[int]]:
        return {item.question.id: [to_int(v) for v in request.form.getlist(f"q{item.question.id}")
                                   if to_int(v) is not None] for item in assessment.shown(attempt)}

    return handle_form(None, lambda: assessment.submit_quiz(current_user, attempt_id, given()),
                       success=lambda _a: redirect_to("training.attempt_page", attempt_id=attempt_id),
                       page="training/attempt.html",
                       context=lambda: {"attempt": attempt, "items": assessment.shown(attempt),
                                        "requirement": services.get_requirement(attempt.requirement_id),
                                        "letters": assessment.LETTERS, "kept": request.form})


@bp.route("/requirements/<int:requirement_id>/practical/<int:person_id>", methods=["GET", "POST"])
@permission_required("training.assess")
def practical(requirement_id: int, person_id: int):
    from schoolhq.people.models import Person

    requirement = services.get_requirement(requirement_id)
    person = get_or_404(Person, person_id)
    form, observe_form = PracticalForm(), ObserveForm()
    which = request.form.get("which", "practical")

    def act():
        if which == "paper":
            return assessment.record_paper_test(current_user, person_id, requirement_id, request.form.get("score", ""))
        if which == "observe":
            return assessment.observe(current_user, person_id, requirement_id, observe_form.note.data or "",
                                      observe_form.signature.data or "")
        steps = [({"pass": True, "not_yet": False}.get(request.form.get(f"step-{n}", "")),
                  request.form.get(f"note-{n}", "")) for n in range(len(requirement.practical_steps or []))]
        return assessment.assess_practical(current_user, person_id, requirement_id, steps, form.reason.data or "",
                                           form.retry_on.data, form.signature.data or "")

    return handle_form(observe_form if which == "observe" else form, act,
                       success=lambda _r: redirect_to("training.person_page", person_id=person_id),
                       page="training/practical.html",
                       context=lambda: {"requirement": requirement, "person": person, "observe_form": observe_form,
                                        "which": which, "kept": request.form,
                                        "stages": assessment.stage_rows(person_id, requirement)})


# Past records -------------------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@permission_required("training.manage")
def import_start():
    """Upload the school's spreadsheet of past training; a readable one goes to its check."""
    from schoolhq.assets import importer
    from schoolhq.core.forms import ActionForm

    if request.method == "POST" and not ActionForm().validate_on_submit():
        abort(400)
    return handle_form(None, lambda: importer.store(request.files.get("file")), page="training/import.html",
                       success=lambda token: _import_check(token))


def _import_check(token: str, status: int = 200, error=None, written: int | None = None, plan=None):
    from schoolhq.core.errors import ServiceError
    from schoolhq.training import history

    try:
        plan = plan or history.prepare(token)
    except ServiceError as exc:
        return render("training/import.html", status=422, error=str(exc.message))
    return render("training/import_check.html", status=status, token=token, plan=plan, error=error,
                  written=written, fields=history.FIELDS)


@bp.post("/import/<token>")
@permission_required("training.manage")
def import_run(token: str):
    from schoolhq.core.forms import ActionForm
    from schoolhq.training import history

    if not ActionForm().validate_on_submit():
        abort(400)
    if request.form.get("action") != "import":
        return _import_check(token)
    return handle_form(None, lambda: history.run(current_user, token, request.files.getlist("evidence")),
                       success=lambda done: _import_check(token, written=done[1], plan=done[0]),
                       page=lambda status, error, field: _import_check(token, status, error))


# People and the ledger -----------------------------------------------------------------------

@bp.get("/people/<int:person_id>")
@permission_required()
def person_page(person_id: int):
    from schoolhq.people.models import Person

    get_or_404(Person, person_id)
    if not services.may_see_person(current_user, person_id):
        abort(403)
    record = services.person_record(person_id)
    stages = assessment.stage_table(person_id, [s.requirement for s in record.standings])
    staged = [(s, stages[s.requirement.id]) for s in record.standings if s.requirement.stages]
    return render("training/person.html", record=record, staged=staged,
                  may_assess=assessment.may_assess(current_user, person_id),
                  is_self=current_user.person_id == person_id,
                  names={r.id: services.requirement_name(r) for r in services.requirements(active_only=False)},
                  session_url=url_for("training.session_page", session_id=0)[:-1])


@bp.get("/ledger")
@permission_required("training.view")
def ledger():
    """培训记录 of a month: every confirmed session and drill with who attended; A4, or XLSX."""
    first = month_arg()
    rows = services.month_sessions(first)
    title = str(_l("Training record"))
    if request.args.get("format") == "xlsx":
        from flask_babel import gettext as _

        from schoolhq.core.xlsx import download

        header = [_("Day"), _("Number"), _("Session title"), _("Training"), _("Trainer"), _("Minutes"), _("Attended"),
                  _("Absent or excused")]
        body = [[to_local(s.starts_at).strftime("%Y-%m-%d %H:%M"), s.number, s.title,
                 services.requirement_name(s.requirement), s.trainer.name if s.trainer else s.trainer_external,
                 s.minutes, "、".join(a.person.name for a in s.attendance if a.mark in ("present", "late")),
                 "、".join(a.person.name for a in s.attendance if a.mark in ("excused", "absent"))] for s in rows]
        return download(f"training-{first:%Y-%m}.xlsx", [(title, header, body)])
    return render("training/ledger.html", first=first, rows=rows, title=title,
                  retention=services.domain()["retention"])
