from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from schoolhq.core.errors import ServiceError


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """A value not among the boxes, in the reader's language (WTForms' own message for
        this has no Chinese)."""
        from wtforms.validators import ValidationError

        if not self.validate_choice or not self.data:
            return
        allowed = {choice[0] for choice in self.iter_choices()}
        unknown = [str(value) for value in self.data if value not in allowed]
        if unknown:
            raise ValidationError(_l("Tick only the boxes shown (%(values)s is not one of them).",
                                     values="、".join(unknown)[:40]))


class ActionForm(FlaskForm):
    """A submit-only form: CSRF for a button that posts."""

    submit = SubmitField(_l("Confirm"))


def apply_error(form: FlaskForm, error: ServiceError) -> None:
    """Show a service's message on the field it names, or above the form."""
    field = _named_field(form, error.field) if error.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, str(error.message)] if isinstance(field.errors, list) else [str(error.message)]
    else:
        form.form_errors.append(str(error.message))


def _named_field(form: FlaskForm, name: str):
    """A form's field by name, or a field of one entry of a list of sub-forms
    (`lines-2-product`, as WTForms names it)."""
    field = getattr(form, name, None)
    if field is None and name.count("-") >= 2:
        head, index, rest = name.split("-", 2)
        entries = getattr(form, head, None)
        try:
            field = entries[int(index)][rest]
        except (TypeError, ValueError, IndexError, KeyError):
            return None
    return field


WEEKDAYS = [
    ("0", _l("Monday")), ("1", _l("Tuesday")), ("2", _l("Wednesday")), ("3", _l("Thursday")),
    ("4", _l("Friday")), ("5", _l("Saturday")), ("6", _l("Sunday")),
]

TIMEZONES = ["Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "Asia/Macau", "Asia/Taipei", "UTC"]


#: a date field left empty or holding something that is not a date
_DATE_LIKE = _l("Enter the date like 2026-09-01.")


def plausible_day(_form, field) -> None:
    """A date between 2000 and 2100 (core.timeutil): outside them it is a typo."""
    from wtforms.validators import ValidationError

    from schoolhq.core.timeutil import EARLIEST_DAY, LATEST_DAY

    if field.data and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError(_l("Choose a date between %(first)s and %(last)s.", first=EARLIEST_DAY.isoformat(),
                                 last=LATEST_DAY.isoformat()))


class SettingsForm(FlaskForm):
    school_name = StringField(_l("School name"), validators=[Length(max=100)])
    timezone = SelectField(_l("Time zone"), choices=[(z, z) for z in TIMEZONES])
    default_language = SelectField(_l("Default language"), choices=[("zh_CN", "简体中文"), ("en", "English")])
    school_weekdays = MultiCheckboxField(_l("School weekdays"), choices=WEEKDAYS)
    submit = SubmitField(_l("Save"))


class TermForm(FlaskForm):
    name = StringField(_l("Term"), validators=[DataRequired(), Length(max=60)])
    starts_on = DateField(_l("First day"), validators=[DataRequired(_DATE_LIKE), plausible_day])
    ends_on = DateField(_l("Last day"), validators=[DataRequired(_DATE_LIKE), plausible_day])
    submit = SubmitField(_l("Add term"))


class CalendarDayForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(_DATE_LIKE), plausible_day])
    kind = SelectField(_l("Kind"), choices=[("holiday", _l("Holiday")), ("school_day", _l("Make-up school day"))])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=60)])
    submit = SubmitField(_l("Save day"))


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    account_id = SelectField(_l("Person"), coerce=str, validate_choice=False)
    area = SelectField(_l("Area"), validate_choice=False)
    day_from = DateField(_l("From"), validators=[Optional(), plausible_day])
    day_to = DateField(_l("To"), validators=[Optional(), plausible_day])


class CalibrationForm(FlaskForm):
    name = StringField(_l("Save as"), validators=[DataRequired(), Length(max=60)])
    offset_x = StringField(_l("Move right by (mm, negative: left)"), validators=[DataRequired(), Length(max=10)])
    offset_y = StringField(_l("Move down by (mm, negative: up)"), validators=[DataRequired(), Length(max=10)])
    submit = SubmitField(_l("Save layout"))
