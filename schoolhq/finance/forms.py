"""The finance pages' forms; amounts are typed in yuan as text (the services read `1,234.50`,
`¥300` and `1078元` and refuse `1,2.3`); choices come from the views, the services judge."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from schoolhq.core.forms import plausible_day

#: empty line rows a new request offers (a request of more lines is made in parts)
REQUEST_ROWS = 6


def _choice(label, **kwargs):
    return SelectField(label, default="", coerce=str, validate_choice=False, **kwargs)


def _money(label, **kwargs):
    return StringField(label, default="", render_kw={"inputmode": "decimal", "maxlength": 20, **kwargs})


class LineForm(FlaskForm):
    fiscal_year = StringField(_l("Fiscal year"), default="", render_kw={"inputmode": "numeric", "maxlength": 5})
    code = StringField(_l("Line code"), default="", render_kw={"maxlength": 30, "required": True})
    name = StringField(_l("Line name"), default="", render_kw={"maxlength": 100, "required": True})
    original = _money(_l("Original amount (yuan)"))
    department_id = _choice(_l("Department"))
    emergency = BooleanField(_l("Emergency reserve (应急资金): spending needs the principal"))
    note = StringField(_l("Note"), default="", render_kw={"maxlength": 300})


class AdjustmentForm(FlaskForm):
    amount = _money(_l("Change (yuan; a minus takes away)"), required=True)
    reason = StringField(_l("Why"), default="", render_kw={"maxlength": 300, "required": True})
    approved_by = StringField(_l("Approved by"), default="", render_kw={"maxlength": 100, "required": True})


class RequestForm(FlaskForm):
    line_id = _choice(_l("Budget line"), render_kw={"required": True})
    title = StringField(_l("What is to be bought"), default="", render_kw={"maxlength": 100, "required": True})
    justification = TextAreaField(_l("Why it is needed"), default="", render_kw={"rows": 2, "maxlength": 500,
                                                                               "required": True})
    supplier = StringField(_l("Supplier, if known"), default="", render_kw={"maxlength": 100})


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), default="approve", validate_choice=False,
                          choices=[("approve", _l("Approve")), ("reject", _l("Reject"))])
    note = StringField(_l("Remarks (why, when rejected)"), default="", render_kw={"maxlength": 300})
    minutes = StringField(_l("Meeting date and minutes reference"), default="", render_kw={"maxlength": 200})


class CancelForm(FlaskForm):
    reason = StringField(_l("Why it is withdrawn"), default="", render_kw={"maxlength": 300, "required": True})


class AcceptanceForm(FlaskForm):
    result = RadioField(_l("Acceptance result"), default="passed", validate_choice=False,
                        choices=[("passed", _l("Passed: the goods are as ordered")),
                                 ("refused", _l("Refused: the supplier delivers again"))])
    accepted_on = DateField(_l("Accepted on"), validators=[Optional(), plausible_day])
    witness = StringField(_l("Second person present"), default="", render_kw={"maxlength": 100, "required": True})
    note = StringField(_l("Remarks (what was wrong, when refused)"), default="", render_kw={"maxlength": 300})
    store_id = _choice(_l("Into store"))
    location_id = _choice(_l("New assets kept at"))


class ExpenditureForm(FlaskForm):
    line_id = _choice(_l("Budget line"))
    paid_on = DateField(_l("Paid on"), validators=[Optional(), plausible_day])
    amount = _money(_l("Amount (yuan)"), required=True)
    purpose = StringField(_l("What it paid for"), default="", render_kw={"maxlength": 300})
    supplier = StringField(_l("Supplier"), default="", render_kw={"maxlength": 100})
    invoice_no = StringField(_l("Invoice number"), default="", render_kw={"maxlength": 40})
    invoice_date = DateField(_l("Invoice date"), validators=[Optional(), plausible_day])
    ticket_id = StringField(_l("Repair ticket number (outside costs)"), default="",
                            render_kw={"inputmode": "numeric", "maxlength": 10})
    maintenance_plan_id = _choice(_l("Maintenance plan"))
    asset_number = StringField(_l("Asset number"), default="", render_kw={"maxlength": 40})
    receipt_number = StringField(_l("Stock receipt number"), default="", render_kw={"maxlength": 30})
    invoice_scan = FileField(_l("Invoice scan"), render_kw={"accept": "image/*,application/pdf"})


class ReverseForm(FlaskForm):
    reason = StringField(_l("Why it is reversed"), default="", render_kw={"maxlength": 300, "required": True})
