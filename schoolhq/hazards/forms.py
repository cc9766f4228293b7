"""The hazard register's page forms; choices come from the views, the services judge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from schoolhq.core.forms import plausible_day


def _choice(label, **kwargs):
    return SelectField(label, default="", coerce=str, validate_choice=False, **kwargs)


class HazardForm(FlaskForm):
    """A hazard registered by hand, or its level, person, deadline and measures changed."""

    location_id = _choice(_l("Where the hazard is"), render_kw={"required": True})
    description = TextAreaField(_l("The hazard"), default="", render_kw={"rows": 3, "maxlength": 500,
                                                                          "required": True})
    level = RadioField(_l("Hazard level"), default="general", validate_choice=False)
    source = _choice(_l("Found by"))
    found_on = DateField(_l("Found on"), validators=[Optional(), plausible_day])
    responsible_id = _choice(_l("Responsible for rectifying it"), render_kw={"required": True})
    deadline = DateField(_l("Rectify by"), validators=[Optional(), plausible_day])
    measures = TextAreaField(_l("Measures, interim ones included"), default="",
                             render_kw={"rows": 2, "maxlength": 500})
    photo = FileField(_l("Photo"), render_kw={"accept": "image/*", "capture": "environment"})
    ticket_id = HiddenField(default="")


class RectifyForm(FlaskForm):
    note = TextAreaField(_l("What was done"), default="", render_kw={"rows": 2, "maxlength": 500, "required": True})
    photo = FileField(_l("Photo after rectification"), render_kw={"accept": "image/*", "capture": "environment"})


class RecheckForm(FlaskForm):
    result = RadioField(_l("Re-check"), default="pass", validate_choice=False,
                        choices=[("pass", _l("Passed: close it (合格销号)")),
                                 ("fail", _l("Not passed: rectify again"))])
    note = StringField(_l("Remarks (what is still wrong, when not passed)"), default="",
                       render_kw={"maxlength": 500})
    deadline = DateField(_l("New deadline, when not passed"), validators=[Optional(), plausible_day],
                         id="recheck-deadline")
    signature = HiddenField(default="", id="recheck-signature")
