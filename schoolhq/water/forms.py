"""The water area's page forms. The lab form has one field per parameter of the data file,
made when the form is first needed (the school edits the parameters in the data)."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Optional

from schoolhq.core.forms import plausible_day


class PointForm(FlaskForm):
    kind = SelectField(_l("Kind of water point"), coerce=str, validate_choice=False)
    permit_number = StringField(_l("Hygiene permit (涉水产品卫生许可批件) number"), render_kw={"maxlength": 60})
    permit_expires_on = DateField(_l("Permit valid until"), validators=[Optional(), plausible_day])


class OutOfUseForm(FlaskForm):
    reason = StringField(_l("Why it is taken out of use"), render_kw={"maxlength": 300, "required": True})


class FilterForm(FlaskForm):
    changed_on = DateField(_l("Changed on"), validators=[Optional(), plausible_day])
    stage = SelectField(_l("Which filter"), coerce=str, validate_choice=False)
    filter_model = StringField(_l("Filter model"), render_kw={"maxlength": 60, "required": True})
    batch = StringField(_l("Batch"), render_kw={"maxlength": 60})
    done_by_id = SelectField(_l("Changed by (staff)"), coerce=str, validate_choice=False)
    vendor = StringField(_l("…or the vendor's fitter"), render_kw={"maxlength": 100})
    interval_days = StringField(_l("Next change after (days)"), render_kw={"inputmode": "numeric", "maxlength": 4})
    stock_item_id = SelectField(_l("Filter taken from the store"), coerce=str, validate_choice=False)
    store_id = SelectField(_l("Store"), coerce=str, validate_choice=False)
    quantity = StringField(_l("How many"), default="1", render_kw={"inputmode": "numeric", "maxlength": 6})


class CleaningForm(FlaskForm):
    cleaned_on = DateField(_l("Cleaned on"), validators=[Optional(), plausible_day])
    firm = StringField(_l("Cleaning firm"), render_kw={"maxlength": 100, "required": True})
    firm_licence = StringField(_l("The firm's hygiene licence number"), render_kw={"maxlength": 60, "required": True})
    firm_licence_expires_on = DateField(_l("Licence valid until"), validators=[Optional(), plausible_day])
    workers_certified = BooleanField(_l("The cleaners' health certificates were checked"))
    workers_note = StringField(_l("Cleaners (names, certificate numbers)"), render_kw={"maxlength": 200})
    disinfectant = StringField(_l("Disinfectant"), render_kw={"maxlength": 60, "required": True})
    concentration = StringField(_l("Concentration"), render_kw={"maxlength": 40, "required": True,
                                                                "placeholder": "有效氯 50mg/L"})
    report_file = FileField(_l("The firm's report (PDF or photo)"), render_kw={"accept": "application/pdf,image/*"})


class DispenserForm(FlaskForm):
    cleaned_on = DateField(_l("Cleaned on"), validators=[Optional(), plausible_day])
    done_by_id = SelectField(_l("Cleaned by"), coerce=str, validate_choice=False)
    disinfectant = StringField(_l("Disinfectant"), render_kw={"maxlength": 60, "required": True})
    concentration = StringField(_l("Concentration"), render_kw={"maxlength": 40, "required": True,
                                                                "placeholder": "有效氯 250mg/L"})
    note = StringField(_l("Note"), render_kw={"maxlength": 300})


class _LabBase(FlaskForm):
    sampled_on = DateField(_l("Sample taken on"), validators=[Optional(), plausible_day])
    reported_on = DateField(_l("Report dated"), validators=[Optional(), plausible_day])
    laboratory = StringField(_l("Laboratory"), render_kw={"maxlength": 100, "required": True})
    report_number = StringField(_l("Report number"), render_kw={"maxlength": 60, "required": True})
    report_file = FileField(_l("The report (PDF or photo)"), render_kw={"accept": "application/pdf,image/*"})


@cache
def lab_form_class() -> type[FlaskForm]:
    from schoolhq.water.services import parameters

    fields = {f"p_{p['key']}": StringField(p["zh"], render_kw={"maxlength": 40, "autocomplete": "off"})
              for p in parameters()}
    return type("LabForm", (_LabBase,), fields)
