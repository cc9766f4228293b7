"""The water area's page forms. The lab form has one field per parameter of the data file,
made when the form is first needed (the school edits the parameters in the data)."""

from __future__ import annotations

from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from schoolhq.core.forms import plausible_day


class PointForm(FlaskForm):
    kind = SelectField(_l("Kind of water point"), coerce=str, validate_choice=False)
    permit_number = StringField(_l("Hygiene permit (涉水产品卫生许可批件) number"), render_kw={"maxlength": 60})
    permit_expires_on = DateField(_l("Permit valid until"), validators=[Optional(), plausible_day])


class OutOfUseForm(FlaskForm):
    reason = StringField(_l("Why it is taken out of use"), render_kw={"maxlength": 300, "required": True})


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
