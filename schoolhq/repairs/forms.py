"""The page forms of repairs. The templates draw their own inputs (the field names here are
theirs); the services check the values and name the field a refusal is about."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, SelectMultipleField, StringField, TextAreaField


def _text(default: str | None = "", **kwargs):
    return StringField(default=default, **kwargs)


def _list():
    return SelectMultipleField(choices=[], validate_choice=False)


class ReportForm(FlaskForm):
    location_id = _text()
    category_id = _text()
    priority = _text("normal")
    description = TextAreaField(default="")
    asset_id = _text()
    under_repair = BooleanField()
    photos = MultipleFileField()


class TicketActionForm(FlaskForm):
    """Every step of a ticket's flow posts here; each step reads its own fields."""

    #: "queue" when the tap came from the worker's queue, which wants just the row back
    back = _text()
    assignee_id = _text()
    helper_ids = _list()
    contractor = _text()
    note = _text()
    reason = _text()
    work_done = TextAreaField(default="")
    labour_minutes = _text()
    parts_used = _text()
    outside_cost = _text()
    after_photo = FileField()
    evidence = FileField()
    part_item_id = _list()
    part_quantity = _list()
    store_id = _text()
    rating = _text(None)
    comment = _text()
    text = TextAreaField(default="")


class PlanForm(FlaskForm):
    title = _text()
    category_id = _text()
    assignee_id = _text()
    first_due_on = _text()
    every = _text("1")
    unit = _text("month")
    mode = _text("fixed")
    target = _text("location")
    location_id = _text()
    asset_id = _text()
    kind_key = _text()
    steps = TextAreaField(default="")
    lead_days = _text("7")
    skip_holidays = BooleanField()
    statutory = BooleanField()
    evidence_required = BooleanField()
    reference = _text()


class RepairSettingsForm(FlaskForm):
    """A priority's target hours, or a category to add or rename."""

    priority = _text()
    hours = _text()
    name = _text()
    category_id = _text()
