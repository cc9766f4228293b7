from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from schoolhq.core.forms import _DATE_LIKE, plausible_day


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    department_id = SelectField(_l("Department"), coerce=str, validate_choice=False)
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    badge_code = StringField(_l("Badge code"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Save"))


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    parent_id = SelectField(_l("Part of"), coerce=str, validate_choice=False)
    head_person_id = SelectField(_l("Head"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Save"))


class ResponsibilityForm(FlaskForm):
    title = StringField(_l("Responsibility"), validators=[DataRequired(), Length(max=120)])
    location_id = SelectField(_l("Place"), coerce=str, validate_choice=False)
    description = TextAreaField(_l("Details"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Add responsibility"))


class CertificateForm(FlaskForm):
    type_key = SelectField(_l("Certificate"), coerce=str, validate_choice=False)
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=60)])
    issued_on = DateField(_l("Issued on"), validators=[DataRequired(_DATE_LIKE), plausible_day])
    expires_on = DateField(_l("Valid until (empty: from the kind's validity)"), validators=[Optional(), plausible_day])
    issuer = StringField(_l("Issued by"), validators=[Optional(), Length(max=100)])
    scan = FileField(_l("Scan or photo"))
    submit = SubmitField(_l("Add the certificate"))


class WithdrawForm(FlaskForm):
    reason = StringField(_l("Why"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Withdraw"))
