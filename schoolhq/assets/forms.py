from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class AssetForm(FlaskForm):
    name = StringField(_l("Asset name"), validators=[DataRequired(), Length(max=120)])
    category_id = SelectField(_l("Category"), coerce=str, validate_choice=False, validators=[DataRequired()])
    kind_id = SelectField(_l("Kind"), coerce=str, validate_choice=False)
    unit_price = StringField(_l("Unit price (yuan)"), validators=[Optional(), Length(max=20)])
    quantity = IntegerField(_l("Quantity"), default=1, validators=[Optional(), NumberRange(min=1, max=100000)])
    tier = SelectField(_l("Tier"), coerce=str, validate_choice=False)
    brand = StringField(_l("Brand"), validators=[Optional(), Length(max=60)])
    model = StringField(_l("Model"), validators=[Optional(), Length(max=80)])
    spec = StringField(_l("Specification"), validators=[Optional(), Length(max=120)])
    serial = StringField(_l("Serial number"), validators=[Optional(), Length(max=80)])
    unit = StringField(_l("Unit"), default="台", validators=[Optional(), Length(max=10)])
    funding_source = SelectField(_l("Funding source"), coerce=str, validate_choice=False)
    acquisition_method = SelectField(_l("Acquired by"), coerce=str, validate_choice=False)
    purchased_on = DateField(_l("Purchase date"), validators=[Optional()])
    booked_on = DateField(_l("Booked on"), validators=[Optional()])
    voucher_no = StringField(_l("Voucher no."), validators=[Optional(), Length(max=40)])
    invoice_no = StringField(_l("Invoice no."), validators=[Optional(), Length(max=40)])
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=100)])
    warranty_until = DateField(_l("Warranty until"), validators=[Optional()])
    use_direction = SelectField(_l("Use"), coerce=str, validate_choice=False)
    department_id = SelectField(_l("Managing department"), coerce=str, validate_choice=False)
    loanable = BooleanField(_l("Can be lent out"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    # Only when registering:
    number = StringField(_l("Asset number (empty: next from the pattern)"), validators=[Optional(), Length(max=40)])
    location_id = SelectField(_l("Kept in"), coerce=str, validate_choice=False)
    custodian_id = SelectField(_l("Custodian"), coerce=str, validate_choice=False)
    status = SelectField(_l("Status"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Save"))


class MoveForm(FlaskForm):
    location_id = SelectField(_l("Move to"), coerce=str, validate_choice=False, validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Move"))


class CustodianForm(FlaskForm):
    custodian_id = SelectField(_l("New custodian"), coerce=str, validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Change custodian"))


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), coerce=str, validate_choice=False, validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Change status"))


class CheckoutForm(FlaskForm):
    borrower_id = HiddenField()
    due = SelectField(_l("Due back"), coerce=str, validate_choice=False)
    due_date = DateField(_l("On this date"), validators=[Optional()])
    condition = StringField(_l("Condition"), validators=[Optional(), Length(max=300)])
    signature = HiddenField()
    #: at a keyboard, or when the screen cannot be signed, the borrower signs the printed slip
    on_paper = BooleanField(_l("The borrower signs the printed slip instead"))
    submit = SubmitField(_l("Lend"))


class CheckinForm(FlaskForm):
    condition = StringField(_l("Condition on return"), validators=[Optional(), Length(max=300)])
    damaged = BooleanField(_l("Damaged"))
    submit = SubmitField(_l("Check in"))


class StocktakeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    location_id = SelectField(_l("Places"), coerce=str, validate_choice=False)
    category_id = SelectField(_l("Category"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Start the stocktake"))


class DisposalForm(FlaskForm):
    tags = TextAreaField(_l("Assets (one number or label per line)"), validators=[DataRequired(), Length(max=20000)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Request disposal"))


class BorrowRequestForm(FlaskForm):
    asset_id = HiddenField()
    first_day = DateField(_l("From"), validators=[Optional()])
    last_day = DateField(_l("To"), validators=[Optional()])
    purpose = StringField(_l("For"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Ask to borrow"))


class CategoryForm(FlaskForm):
    code = StringField(_l("Code (GB/T 14885-2022)"), validators=[Optional(), Length(max=9)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    depreciation_years = IntegerField(_l("Depreciation years (empty: as the parent; 0: none)"),
                                      validators=[Optional(), NumberRange(min=0, max=100)])
    class_2010 = SelectField(_l("Class in the older scheme (GB/T 14885-2010)"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Save"))


class KindForm(FlaskForm):
    key = StringField(_l("Key (letters, for checks and plans)"), validators=[Optional(), Length(max=40)])
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=60)])
    loanable = BooleanField(_l("New items of this kind can be lent out"))
    fields = TextAreaField(_l("Extra fields, one a line: key | 中文 | English | text, number or date"),
                           validators=[Optional(), Length(max=4000)])
    checklist = TextAreaField(_l("Return checklist, one a line: 中文 | English"), validators=[Optional(), Length(max=4000)])
    submit = SubmitField(_l("Save"))
