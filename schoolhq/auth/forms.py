from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from schoolhq.auth.services import PASSWORD_RULE
from schoolhq.core.forms import MultiCheckboxField


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=60)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in on this device (my own phone)"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    old_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                 render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired()], description=PASSWORD_RULE,
                                 render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Change password"))


class NewAccountForm(FlaskForm):
    """A new staff member with a sign-in, or a sign-in for someone already on file."""

    person_id = SelectField(_l("Existing staff member"), coerce=str, validate_choice=False)
    name = StringField(_l("Name"), validators=[Optional(), Length(max=60)])
    department_id = SelectField(_l("Department"), coerce=str, validate_choice=False)
    job_title = StringField(_l("Job title"), validators=[Optional(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired()], description=PASSWORD_RULE,
                             render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Create account"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired()], description=PASSWORD_RULE,
                                 render_kw={"autocomplete": "new-password"})
    submit = SubmitField(_l("Reset password"))


class AssignRoleForm(FlaskForm):
    role_id = SelectField(_l("Role"), coerce=str, validate_choice=False, validators=[DataRequired()])
    scope = SelectField(_l("Scope"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Give role"))


class RoleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    permissions = MultiCheckboxField(_l("Permissions"), validate_choice=False)
    submit = SubmitField(_l("Save role"))


class NewRoleForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    submit = SubmitField(_l("Add role"))
