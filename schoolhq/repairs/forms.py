"""The page forms of repairs: each field's label, the attributes of its input, and the
names the views and tests post. Choices come from the views (the school's places,
categories, people); the services check the values and name the field a refusal is about,
which handle_form shows beside that field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)


def _text(label=None, default: str | None = "", **kwargs):
    return StringField(label, default=default, **kwargs)


def _choice(label=None, default: str | None = "", **kwargs):
    """A select (or chips) whose choices the view fills; the service judges the value."""
    return SelectField(label, default=default, coerce=str, validate_choice=False, **kwargs)


def _list(label=None, **kwargs):
    return SelectMultipleField(label, choices=[], validate_choice=False, **kwargs)


class ReportForm(FlaskForm):
    location_id = _choice(_l("Place"), id="r-location", render_kw={"required": True})
    category_id = _choice(_l("What kind of repair"), render_kw={"required": True})
    priority = _choice(_l("How urgent"), "normal")
    description = TextAreaField(_l("What is wrong"), default="", id="r-description",
                                render_kw={"rows": 3, "maxlength": 4000, "required": True})
    asset_id = HiddenField(default="")
    under_repair = BooleanField(_l("It cannot be used until it is fixed (mark it under repair)"))
    photos = MultipleFileField(_l("Photos (up to 4)"), id="r-photos",
                               render_kw={"accept": "image/*", "capture": "environment"})


class TicketActionForm(FlaskForm):
    """Every step of a ticket's flow posts here; each step reads its own fields."""

    #: "queue" when the tap came from the worker's queue, which wants just the row back
    back = _text()
    assignee_id = _choice(_l("Responsible worker"), id="a-who")
    helper_ids = _list(_l("Helpers"), id="a-help", render_kw={"size": 3})
    contractor = _text(_l("Outside contractor"), id="a-contractor", render_kw={"maxlength": 100})
    note = _text()
    #: why a ticket waits (a chip of the school's reasons) or why it is declined (typed)
    reason = _text(_l("Reason"), id="d-reason", render_kw={"maxlength": 300})
    work_done = TextAreaField(_l("Work done"), default="", id="c-done", render_kw={"rows": 2})
    labour_minutes = _text(_l("Labour (minutes)"), id="c-min", render_kw={"inputmode": "numeric"})
    parts_used = _text(_l("Other parts used"), id="c-parts", render_kw={"maxlength": 300})
    outside_cost = _text(_l("Outside cost (yuan)"), id="c-cost", render_kw={"inputmode": "decimal"})
    after_photo = FileField(_l("Photo of the finished work"), id="c-photo",
                            render_kw={"accept": "image/*", "capture": "environment"})
    evidence = FileField(_l("Inspection report (PDF or photo)"), id="c-evidence",
                         render_kw={"accept": "application/pdf,image/*"})
    part_item_id = _list(_l("Part"))
    part_quantity = _list(_l("Quantity"))
    store_id = _choice(_l("Store"))
    rating = _choice(_l("Satisfaction"), None, choices=[("3", _l("Good")), ("2", _l("All right")),
                                                         ("1", _l("Not good"))])
    comment = _text(_l("Comment (needed for “not good”)"), id="v-comment", render_kw={"maxlength": 300})
    text = _text(_l("Add a comment"), render_kw={"maxlength": 2000})


class PlanForm(FlaskForm):
    title = _text(_l("Title"), id="p-title", render_kw={"maxlength": 120, "required": True})
    category_id = _choice(_l("What kind of repair"), id="p-cat")
    assignee_id = _choice(_l("Responsible"), id="p-who", render_kw={"required": True})
    first_due_on = _text(_l("First due on"), id="p-first", render_kw={"type": "date", "required": True})
    every = _text(_l("Every"), "1", id="p-every", render_kw={"inputmode": "numeric"})
    unit = _choice(_l("Unit"), "month")
    mode = _choice(_l("Counted from"), "fixed", id="p-mode",
                   choices=[("fixed", _l("by the calendar")), ("floating", _l("from the last completion"))])
    target = _choice(_l("Covers"), "location", id="p-target",
                     choices=[("location", _l("A place")), ("kind", _l("Every asset of a kind"))])
    location_id = _choice(_l("Place"), id="p-loc")
    asset_id = _text()
    kind_key = _choice(_l("Kind of asset"), id="p-kind")
    steps = TextAreaField(_l("Checklist steps, one per line"), default="", id="p-steps", render_kw={"rows": 3})
    lead_days = _text(_l("Ticket opens this many days before"), "7", id="p-lead", render_kw={"inputmode": "numeric"})
    skip_holidays = BooleanField(_l("Move a due day off a holiday to the next school day"), default=True)
    statutory = BooleanField(_l("Statutory inspection"))
    evidence_required = BooleanField(_l("The inspection report must be uploaded"))
    reference = _text(_l("Legal reference"), id="p-ref", render_kw={"maxlength": 200})


class RepairSettingsForm(FlaskForm):
    """A priority's target hours, or a category to add or rename."""

    priority = _text()
    hours = _text(_l("hours"), render_kw={"inputmode": "numeric", "size": 5})
    name = _text(_l("New category"), id="c-new", render_kw={"maxlength": 40})
    category_id = _text()
