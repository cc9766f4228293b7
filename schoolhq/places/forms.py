from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class LocationForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("campus", _l("Campus")), ("building", _l("Building")),
                                              ("floor", _l("Floor")), ("room", _l("Room"))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=30)])
    responsible_person_id = SelectField(_l("Responsible person (责任人)"), coerce=str, validate_choice=False)
    sort_order = IntegerField(_l("Order"), default=0, validators=[Optional(), NumberRange(min=-9999, max=9999)])
    submit = SubmitField(_l("Save"))


class MoveForm(FlaskForm):
    parent_id = SelectField(_l("Move into"), coerce=str, validate_choice=False, validators=[DataRequired()])
    submit = SubmitField(_l("Move"))


class LabelsForm(FlaskForm):
    class Meta:
        csrf = False

    within = SelectField(_l("Rooms in"), coerce=str, validate_choice=False)
