"""The page forms of checks: each field's label, the attributes of its input, and the
names the views and tests post. Choices come from the views (the school's own templates,
places and people); the services check the values and name the field a refusal is about,
which handle_form shows beside that field. An answer to one item is not a page form: it
stays judging.AnswerInput, one small htmx save each."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from schoolhq.core.forms import MultiCheckboxField


def _text(label=None, **kwargs):
    return StringField(label, default="", **kwargs)


def _choice(label=None, default="", **kwargs):
    """A select whose choices the view fills; the service judges the value."""
    return SelectField(label, default=default, coerce=str, validate_choice=False, **kwargs)


class StartForm(FlaskForm):
    """An ad-hoc check of a template at a place (or of one asset)."""

    template_key = _choice(_l("Template"))
    location_id = _choice(_l("Place"))
    asset_id = HiddenField(default="")


class SubmitForm(FlaskForm):
    signature = HiddenField(_l("Signature"), default="", id="round-signature")


class AmendForm(FlaskForm):
    reason = _text(_l("Why it needs amending"), render_kw={"maxlength": 300, "required": True})


class FindingForm(FlaskForm):
    note = _text(_l("What was done"), render_kw={"maxlength": 500, "required": True})
    photo = FileField(_l("Photo"), render_kw={"accept": "image/*", "capture": "environment"})


class NewTemplateForm(FlaskForm):
    """A new draft template, or a file of packs to import."""

    title_zh = _text(_l("Title (Chinese)"), render_kw={"maxlength": 120, "required": True})
    title_en = _text(_l("Title (English)"), render_kw={"maxlength": 120})
    key = _text(_l("Key"), render_kw={"maxlength": 60, "placeholder": "canteen.daily", "required": True})
    frequency = _choice(_l("How often"))
    area = HiddenField(default="")
    pack_file = FileField(_l("File"), render_kw={"accept": ".yaml,.yml,text/yaml"})


class TemplateEditForm(FlaskForm):
    """Every action on a draft template: its title and note, and one item at a time."""

    title_zh = _text(_l("Title (Chinese)"), render_kw={"maxlength": 120, "required": True})
    title_en = _text(_l("Title (English)"), render_kw={"maxlength": 120})
    frequency = _choice(_l("How often"))
    note = _text(_l("Note"))
    item_id = HiddenField(default="")
    prompt_zh = TextAreaField(_l("Question (Chinese)"), default="",
                              render_kw={"rows": 2, "maxlength": 300, "required": True})
    prompt_en = TextAreaField(_l("Question (English)"), default="", render_kw={"rows": 2, "maxlength": 300})
    type = _choice(_l("Kind of answer"))
    section = _text(_l("Section"), render_kw={"maxlength": 60})
    unit = _text(_l("Unit"), render_kw={"maxlength": 20})
    min_value = _text(_l("Lowest"), render_kw={"inputmode": "decimal"})
    max_value = _text(_l("Highest"), render_kw={"inputmode": "decimal"})
    options = TextAreaField(_l("Options (a choice): one per line; start a failing one with !"), default="",
                            render_kw={"rows": 3})
    warn_days = _text(_l("Warn days before expiry (a date)"), render_kw={"inputmode": "numeric"})
    per_kind = _choice(_l("Ask once for each asset of a kind"))
    required = BooleanField(_l("Required"), default=True)
    evidence = _choice(_l("Evidence"))
    critical = BooleanField(_l("Critical: a failure fails the round and alerts the logistics head"))
    ticket = _choice(_l("When it fails"))
    reference = _text(_l("Reference"), render_kw={"maxlength": 200})
    confidence = _choice(_l("Confidence"), choices=[(k, k or "—") for k in ("", "P", "S", "G")])

    @classmethod
    def of_item(cls, item) -> TemplateEditForm:
        """The item form filled with a saved item, as its editor shows it."""
        form = cls(formdata=None)

        def number(value) -> str:
            return "" if value is None else str(value)

        form.process(data={
            "item_id": str(item.id), "prompt_zh": item.prompt_zh, "prompt_en": item.prompt_en, "type": item.type,
            "section": item.section, "unit": item.unit, "min_value": number(item.min_value),
            "max_value": number(item.max_value), "warn_days": number(item.warn_days),
            "options": "".join(f"{'!' if o.fails else ''}{o.zh}\n" for o in item.options),
            "per_kind": item.per.split(":", 1)[1] if item.per and item.per.startswith("asset_kind:") else "",
            "required": item.required, "evidence": item.evidence, "critical": item.critical, "ticket": item.ticket,
            "reference": item.reference, "confidence": item.confidence or ""})
        return form

    @classmethod
    def of_template(cls, template) -> TemplateEditForm:
        form = cls(formdata=None)
        form.process(data={"title_zh": template.title_zh, "title_en": template.title_en,
                           "frequency": template.frequency, "note": template.note or ""})
        return form


class ScheduleForm(FlaskForm):
    template_key = _choice(_l("Template"))
    target = _choice(_l("Covers"), default="location")
    location_id = _choice(_l("Place"))
    kind_key = _choice(_l("Kind of asset (for “each asset of a kind”)"))
    frequency = _choice(_l("How often"))
    meals = MultiCheckboxField(_l("Meals (every meal)"), choices=[], validate_choice=False)
    opens_time = StringField(_l("Opens at"), default="07:00", render_kw={"type": "time"})
    due_time = StringField(_l("Due at"), default="17:00", render_kw={"type": "time"})
    grace_minutes = StringField(_l("Grace after due (minutes)"), default="60", render_kw={"inputmode": "numeric"})
    #: "person:<id>" or "role:<code>"
    assignee = _choice(_l("Named person"))

    @property
    def assignee_id(self):
        """The service names a missing person "assignee_id", after what it checks."""
        return self.assignee


class MealsForm(FlaskForm):
    meals = TextAreaField(_l("Meal times"), default="", id="meal-times", render_kw={"rows": 4})
