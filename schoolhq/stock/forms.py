from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional


class ItemForm(FlaskForm):
    name = StringField(_l("Item name"), validators=[DataRequired(), Length(max=100)])
    spec = StringField(_l("Specification"), validators=[Optional(), Length(max=100)])
    category_id = SelectField(_l("Category"), coerce=str, validate_choice=False, validators=[DataRequired()])
    unit = StringField(_l("Unit"), default="个", validators=[DataRequired(), Length(max=10)])
    decimal_unit = BooleanField(_l("The unit can be split (kg, litre, metre)"))
    barcode = StringField(_l("Barcode"), validators=[Optional(), Length(max=40)])
    min_level = StringField(_l("Minimum level (reorder at or below)"), validators=[Optional(), Length(max=20)])
    target_level = StringField(_l("Target level (buy up to)"), validators=[Optional(), Length(max=20)])
    reserve_level = StringField(_l("Emergency reserve (应急储备)"), validators=[Optional(), Length(max=20)])
    quota_person = StringField(_l("Monthly quota per person"), validators=[Optional(), Length(max=20)])
    quota_department = StringField(_l("Monthly quota per department"), validators=[Optional(), Length(max=20)])
    needs_approval = BooleanField(_l("Special item: requisitions need the department head's approval"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Save"))


class StoreForm(FlaskForm):
    name = StringField(_l("Store name"), validators=[DataRequired(), Length(max=60)])
    location_id = SelectField(_l("Place"), coerce=str, validate_choice=False, validators=[DataRequired()])
    keeper_id = SelectField(_l("Keeper"), coerce=str, validate_choice=False)
    submit = SubmitField(_l("Save"))


class ReceiptForm(FlaskForm):
    store_id = SelectField(_l("Into store"), coerce=str, validate_choice=False, validators=[DataRequired()])
    supplier = StringField(_l("Supplier"), validators=[Optional(), Length(max=100)])
    invoice_no = StringField(_l("Invoice no."), validators=[Optional(), Length(max=40)])
    received_on = DateField(_l("Received on"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Receive into stock"))


class SubmitRequisitionForm(FlaskForm):
    store_id = SelectField(_l("From store"), coerce=str, validate_choice=False)
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=200)])
    for_department = BooleanField(_l("For my department (charged to the department)"))
    submit = SubmitField(_l("Send the requisition"))


class IssueForm(FlaskForm):
    recipient_id = HiddenField()
    signature = HiddenField()
    on_paper = BooleanField(_l("The recipient signs the printed register instead"))
    submit = SubmitField(_l("Issue"))


class CounterForm(FlaskForm):
    store_id = SelectField(_l("From store"), coerce=str, validate_choice=False)
    recipient_id = HiddenField()
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=200)])
    signature = HiddenField()
    on_paper = BooleanField(_l("The recipient signs the printed register instead"))
    submit = SubmitField(_l("Issue"))


class MovementForm(FlaskForm):
    """A transfer, write-off, return or reversal on an item's page; each reads its own fields."""

    store_id = StringField(default="")
    from_store_id = StringField(default="")
    to_store_id = StringField(default="")
    quantity = StringField(default="")
    person_id = StringField(default="")
    reason = StringField(default="")


class DecisionForm(FlaskForm):
    """Approving, rejecting or closing a requisition."""

    #: whose approval this is: the department head's, or the reserve's release
    which = StringField(default="department")
    note = StringField(default="")


class StockCategoryForm(FlaskForm):
    name = StringField(default="")
    category_id = StringField(default="")


class CountStartForm(FlaskForm):
    store_id = StringField(default="")


class CartForm(FlaskForm):
    """One item into the cart, or a cart line's new quantity."""

    item_id = StringField(default="")
    quantity = StringField(default="")
