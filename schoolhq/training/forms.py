"""The training area's page forms; choices come from the views, the services judge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from schoolhq.core.forms import MultiCheckboxField, plausible_day


def _choice(label, **kwargs):
    return SelectField(label, default="", coerce=str, validate_choice=False, **kwargs)


class RequirementForm(FlaskForm):
    name_zh = StringField(_l("Training (Chinese name)"), render_kw={"maxlength": 100, "required": True})
    name_en = StringField(_l("English name"), render_kw={"maxlength": 120})
    category = _choice(_l("Category"))
    roles = MultiCheckboxField(_l("Roles that need it"), choices=[], coerce=str)
    department_ids = SelectMultipleField(_l("Departments that need it"), choices=[], coerce=str,
                                         validate_choice=False)
    person_ids = SelectMultipleField(_l("People who need it by name"), choices=[], coerce=str, validate_choice=False)
    validity = RadioField(_l("A completion lasts"), default="months", validate_choice=False)
    validity_months = StringField(_l("Months"), render_kw={"inputmode": "numeric", "maxlength": 3})
    renews_on = StringField(_l("Until this day each year (MM-DD)"), render_kw={"maxlength": 5, "placeholder": "08-31"})
    renew_window_days = StringField(_l("Renewal opens (days before expiry)"), default="30",
                                    render_kw={"inputmode": "numeric", "maxlength": 3})
    hours_per_year = StringField(_l("Hours a year (where a rule asks)"),
                                 render_kw={"inputmode": "numeric", "maxlength": 3})
    duties = MultiCheckboxField(_l("Duties it is needed for"), choices=[], coerce=str)
    drills_count = BooleanField(_l("A fire drill attended counts for it"))
    stages = MultiCheckboxField(_l("Assessment stages completion needs"), choices=[], coerce=str)
    pass_mark_percent = StringField(_l("Theory pass mark (%)"), default="80",
                                    render_kw={"inputmode": "numeric", "maxlength": 3})
    retakes = StringField(_l("Retakes allowed"), default="2", render_kw={"inputmode": "numeric", "maxlength": 2})
    quiz_size = StringField(_l("Questions a test draws (0: all)"), default="0",
                            render_kw={"inputmode": "numeric", "maxlength": 3})
    practical_steps = TextAreaField(_l("Practical checklist, one step per line"), render_kw={"rows": 4})
    on_job_template = _choice(_l("Check whose rounds assess the work on the job"))
    on_job_records = StringField(_l("Rounds in a row needed"), default="5",
                                 render_kw={"inputmode": "numeric", "maxlength": 2})
    reference = StringField(_l("Reference (law, rule)"), render_kw={"maxlength": 300})
    note = StringField(_l("Note"), render_kw={"maxlength": 300})
    active = BooleanField(_l("In use"), default=True)


class SessionForm(FlaskForm):
    kind = RadioField(_l("Kind"), default="training", validate_choice=False)
    title = StringField(_l("Session title"), render_kw={"maxlength": 120, "required": True})
    requirement_id = _choice(_l("Training requirement it meets"))
    day = DateField(_l("Day"), validators=[Optional(), plausible_day])
    starts = StringField(_l("Starts (HH:MM)"), render_kw={"maxlength": 5, "placeholder": "14:00", "required": True})
    ends = StringField(_l("Ends (HH:MM)"), render_kw={"maxlength": 5, "placeholder": "15:30", "required": True})
    trainer_id = _choice(_l("Trainer (staff)"))
    trainer_external = StringField(_l("…or a trainer from outside"), render_kw={"maxlength": 100})
    location_id = _choice(_l("Place"))
    place = StringField(_l("…or the place in words"), render_kw={"maxlength": 100})
    content = TextAreaField(_l("Content"), render_kw={"rows": 3, "maxlength": 2000})
    scenario = StringField(_l("Drill scenario"), render_kw={"maxlength": 200})
    materials = FileField(_l("Materials (PDF, slides, photo)"))


class RosterForm(FlaskForm):
    person_ids = SelectMultipleField(_l("Add people"), choices=[], coerce=str, validate_choice=False)


class AmendForm(FlaskForm):
    attendance_id = HiddenField()
    mark = _choice(_l("Attendance"))
    minutes = StringField(_l("Minutes credited"), render_kw={"inputmode": "numeric", "maxlength": 4})
    reason = StringField(_l("Why it is changed"), render_kw={"maxlength": 300, "required": True})


class CancelForm(FlaskForm):
    reason = StringField(_l("Why it is cancelled"), render_kw={"maxlength": 300, "required": True})


class SheetForm(FlaskForm):
    scan = FileField(_l("Scan of the signed sign-in sheet"), render_kw={"accept": "application/pdf,image/*"})


class DrillForm(FlaskForm):
    evacuation = StringField(_l("Evacuation time (minutes:seconds)"), render_kw={"maxlength": 6, "placeholder": "3:20"})
    problems = TextAreaField(_l("Problems found"), render_kw={"rows": 3, "maxlength": 2000})


class MatrixFilterForm(FlaskForm):
    class Meta:
        csrf = False

    department = _choice(_l("Department"))
    role = _choice(_l("Role"))
    category = _choice(_l("Category"))
    day = DateField(_l("On"), validators=[Optional(), plausible_day])


class QuestionForm(FlaskForm):
    kind = RadioField(_l("Kind"), default="single", validate_choice=False)
    text = TextAreaField(_l("Question"), render_kw={"rows": 2, "maxlength": 500, "required": True})
    options = TextAreaField(_l("Options, one per line (not for true or false)"), render_kw={"rows": 4})
    answer = StringField(_l("Right answer (letters such as B or A,C; 对 or 错)"),
                         render_kw={"maxlength": 20, "required": True})


class PracticalForm(FlaskForm):
    reason = StringField(_l("Why not yet (when a step is not yet right)"), render_kw={"maxlength": 300})
    retry_on = DateField(_l("Retry on"), validators=[Optional(), plausible_day])
    signature = HiddenField(default="")


class ObserveForm(FlaskForm):
    note = TextAreaField(_l("What you saw the person do during the round"), render_kw={"rows": 2, "maxlength": 300})
    signature = HiddenField(default="", id="observe-signature")
