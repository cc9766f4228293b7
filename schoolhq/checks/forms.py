"""The page forms of checks. The templates draw their own inputs (the field names here are
theirs); the services check the values and name the field a refusal is about. An answer to
one item is not a page form: it stays judging.AnswerInput, one small htmx save each."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField


def _text(**kwargs):
    return StringField(default="", **kwargs)


class StartForm(FlaskForm):
    """An ad-hoc check of a template at a place (or of one asset)."""

    template_key = _text()
    location_id = _text()
    asset_id = _text()


class SubmitForm(FlaskForm):
    signature = _text()


class AmendForm(FlaskForm):
    reason = _text()


class FindingForm(FlaskForm):
    note = _text()
    photo = FileField()


class NewTemplateForm(FlaskForm):
    """A new draft template, or a file of packs to import."""

    title_zh = _text()
    title_en = _text()
    key = _text()
    frequency = _text()
    area = _text()
    pack_file = FileField()


class TemplateEditForm(FlaskForm):
    """Every action on a draft template: its title and note, and one item at a time."""

    title_zh = _text()
    title_en = _text()
    frequency = _text()
    note = TextAreaField(default="")
    item_id = _text()
    prompt_zh = _text()
    prompt_en = _text()
    type = _text()
    section = _text()
    unit = _text()
    min_value = _text()
    max_value = _text()
    options = TextAreaField(default="")
    warn_days = _text()
    per_kind = _text()
    required = BooleanField()
    evidence = _text()
    critical = BooleanField()
    ticket = _text()
    reference = _text()
    confidence = _text()


class ScheduleForm(FlaskForm):
    template_key = _text()
    target = StringField(default="location")
    location_id = _text()
    kind_key = _text()
    frequency = _text()
    meals = SelectMultipleField(choices=[], validate_choice=False)
    opens_time = _text()
    due_time = _text()
    grace_minutes = _text()
    #: "person:<id>" or "role:<code>"
    assignee = _text()


class MealsForm(FlaskForm):
    meals = TextAreaField(default="")
