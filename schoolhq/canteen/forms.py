from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional

from schoolhq.core.forms import MultiCheckboxField

OK_OR_NOT = [("1", "✓"), ("0", "✗")]


class MorningCheckForm(FlaskForm):
    """One person's morning check: what was found (the page posts one form per person)."""

    clothing_ok = RadioField(_l("Work clothes and cap"), choices=OK_OR_NOT, default="1")
    hygiene_ok = RadioField(_l("Personal hygiene"), choices=OK_OR_NOT, default="1")
    symptoms = MultiCheckboxField(_l("Symptoms"))
    temperature = StringField(_l("Temperature (℃)"), validators=[Optional(), Length(max=20)],
                              render_kw={"inputmode": "decimal", "size": 5})
    remarks = StringField(_l("Remarks (what was wrong and what was done)"), validators=[Optional(), Length(max=300)])
    action = SelectField(_l("If off duty"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Record"))


class SignSheetForm(FlaskForm):
    signature = HiddenField()
    submit = SubmitField(_l("Sign the sheet"))


class StaffForm(FlaskForm):
    person_id = HiddenField()
    post = StringField(_l("Post"), validators=[Optional(), Length(max=40)])
    submit = SubmitField(_l("Add to the staff"))
