from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from schoolhq.core.forms import MultiCheckboxField, plausible_day

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


class MenuForm(FlaskForm):
    dishes = TextAreaField(_l("Dishes, one per line"), validators=[Optional(), Length(max=2000)],
                           render_kw={"rows": 6})
    submit = SubmitField(_l("Save the menu"))


class SampleForm(FlaskForm):
    """One dish's sample (the page posts one form per dish)."""

    weight = StringField(_l("Weight (g)"), validators=[Optional(), Length(max=20)],
                         render_kw={"inputmode": "numeric", "size": 5})
    sampler_id = SelectField(_l("Sampled by"), coerce=str, validate_choice=False)
    fridge_id = SelectField(_l("Fridge"), coerce=str, validate_choice=False)
    photo = FileField(_l("Photo"))
    submit = SubmitField(_l("Record the sample"))


class SupplierForm(FlaskForm):
    name = StringField(_l("Supplier"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), coerce=str, validate_choice=False)
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    contact = StringField(_l("Contact and phone"), validators=[Optional(), Length(max=100)])
    blacklist_checked_on = DateField(_l("Searched the list of serious violators on"),
                                     validators=[Optional(), plausible_day])
    incidents = StringField(_l("Food-safety incidents in the past year (empty: none)"),
                            validators=[Optional(), Length(max=300)])
    contract_until = DateField(_l("Supply contract until"), validators=[Optional(), plausible_day])
    submit = SubmitField(_l("Save the supplier"))


class LicenceForm(FlaskForm):
    kind = SelectField(_l("Licence"), coerce=str, validate_choice=False)
    number = StringField(_l("Number"), validators=[DataRequired(), Length(max=60)])
    issued_on = DateField(_l("Issued on"), validators=[Optional(), plausible_day])
    expires_on = DateField(_l("Valid until (empty: without end, for a business licence)"),
                           validators=[Optional(), plausible_day])
    scan = FileField(_l("Scan or photo"))
    submit = SubmitField(_l("File the licence"))


class DeliveryLineForm(Form):
    """One product of a delivery (附录B's columns); a line left empty is ignored."""

    category = SelectField(_l("Kind of food"), coerce=str, validate_choice=False)
    product = StringField(_l("Product"), validators=[Optional(), Length(max=80)])
    spec = StringField(_l("Specification"), validators=[Optional(), Length(max=60)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=20)],
                           render_kw={"inputmode": "decimal", "size": 6})
    unit = SelectField(_l("Unit"), coerce=str, validate_choice=False)
    production_date = DateField(_l("Production date"), validators=[Optional(), plausible_day])
    batch = StringField(_l("Batch number"), validators=[Optional(), Length(max=60)])
    shelf_life = StringField(_l("Shelf life"), validators=[Optional(), Length(max=20)],
                             render_kw={"placeholder": "180天 / 12个月", "size": 8})
    producer = StringField(_l("Producer, address and phone"), validators=[Optional(), Length(max=200)])
    documents = MultiCheckboxField(_l("Documents checked"))
    look_ok = RadioField(_l("Look"), choices=OK_OR_NOT, default="1")
    temperature = StringField(_l("Temperature on arrival (℃, where needed)"), validators=[Optional(), Length(max=20)],
                              render_kw={"inputmode": "decimal", "size": 5})
    test_result = StringField(_l("Own or lab test (e.g. pesticide rapid test)"), validators=[Optional(), Length(max=100)])
    accepted = RadioField(_l("Acceptance"), choices=[("1", _l("Accepted")), ("0", _l("Rejected on arrival"))], default="1")
    rejected_reason = StringField(_l("Why rejected, and returned or destroyed"), validators=[Optional(), Length(max=200)])


class DeliveryForm(FlaskForm):
    supplier_id = SelectField(_l("Supplier"), coerce=str, validate_choice=False)
    receiver_id = SelectField(_l("Received by"), coerce=str, validate_choice=False)
    co_receiver_id = SelectField(_l("Second receiver (staples)"), coerce=str, validate_choice=False)
    signature = HiddenField()
    voucher_photo = FileField(_l("Photo of the invoice and certificates"))
    remarks = StringField(_l("Remarks"), validators=[Optional(), Length(max=300)])
    lines = FieldList(FormField(DeliveryLineForm), min_entries=3, max_entries=30)
    more = SubmitField(_l("Another line"))
    submit = SubmitField(_l("Record the delivery"))


class CompanionForm(FlaskForm):
    """A leader's record of the meal they ate with the pupils (陪餐记录)."""

    food_quality = RadioField(_l("Food quality"), validate_choice=False)
    hygiene = RadioField(_l("Canteen hygiene"), validate_choice=False)
    order = RadioField(_l("Pupils' order"), validate_choice=False)
    service = RadioField(_l("Service"), validate_choice=False)
    teachers = StringField(_l("Teachers who ate too"), validators=[Optional(), Length(max=200)])
    adverse_reactions = RadioField(_l("Adverse reactions (dizziness, vomiting, stomach ache, diarrhoea)"),
                                   choices=[("0", _l("None")), ("1", _l("Some"))], default="0")
    notes = TextAreaField(_l("How the meal went, and any adverse reactions"), validators=[Optional(), Length(max=500)],
                          render_kw={"rows": 3})
    pupils_opinions = StringField(_l("What pupils said"), validators=[Optional(), Length(max=300)])
    problems = StringField(_l("Problems found"), validators=[Optional(), Length(max=300)])
    follow_up = StringField(_l("What was done about them"), validators=[Optional(), Length(max=300)])
    photo = FileField(_l("Photo"))
    signature = HiddenField()
    submit = SubmitField(_l("Sign the record"))


class SwapForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired(), plausible_day])
    meal_kind = SelectField(_l("Meal"), coerce=str, validate_choice=False)
    person_id = SelectField(_l("Who comes instead"), coerce=str, validate_choice=False)
    reason = StringField(_l("Reason for the swap"), validators=[Optional(), Length(max=100)])
    submit = SubmitField(_l("Swap"))


class DisinfectionForm(FlaskForm):
    method = SelectField(_l("Method"), coerce=str, validate_choice=False)
    meal_kind = SelectField(_l("Meal"), coerce=str, validate_choice=False)
    started = StringField(_l("Started at"), validators=[Optional(), Length(max=10)],
                          render_kw={"placeholder": "06:30", "inputmode": "numeric", "size": 5})
    ended = StringField(_l("Ended at"), validators=[Optional(), Length(max=10)],
                        render_kw={"placeholder": "06:45", "inputmode": "numeric", "size": 5})
    reading = StringField(_l("Temperature (℃) or available chlorine (mg/L)"), validators=[Optional(), Length(max=20)],
                          render_kw={"inputmode": "decimal", "size": 6})
    items = StringField(_l("Disinfected"), validators=[Optional(), Length(max=200)],
                        render_kw={"placeholder": "餐盘、碗、筷子、汤勺"})
    quantity = StringField(_l("Pieces"), validators=[Optional(), Length(max=10)],
                           render_kw={"inputmode": "numeric", "size": 5})
    place = StringField(_l("Disinfection room"), validators=[Optional(), Length(max=60)])
    operator_id = SelectField(_l("Disinfected by"), coerce=str, validate_choice=False)
    checker_id = SelectField(_l("Checked by"), coerce=str, validate_choice=False)
    central_firm = StringField(_l("Central disinfection firm"), validators=[Optional(), Length(max=100)])
    central_certificate = StringField(_l("This batch's certificate number"), validators=[Optional(), Length(max=60)])
    remarks = StringField(_l("If below the limit: what was done"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Record the batch"))


class AdditiveForm(FlaskForm):
    additive = StringField(_l("Additive"), validators=[Optional(), Length(max=60)])
    producer = StringField(_l("Producer"), validators=[Optional(), Length(max=100)])
    production_date = DateField(_l("Production date"), validators=[Optional(), plausible_day])
    amount = StringField(_l("Amount used (g)"), validators=[Optional(), Length(max=20)],
                         render_kw={"inputmode": "decimal", "size": 6})
    function = StringField(_l("Function"), validators=[Optional(), Length(max=40)])
    food = StringField(_l("Food made"), validators=[Optional(), Length(max=60)])
    food_amount = StringField(_l("Amount of food made"), validators=[Optional(), Length(max=40)])
    user_id = SelectField(_l("Used by"), coerce=str, validate_choice=False)
    remarks = StringField(_l("Remarks"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Record the use"))


class DeclarationForm(FlaskForm):
    text = StringField(_l("Declaration"), validators=[Optional(), Length(max=200)],
                       default="本校食堂不采购、不使用任何食品添加剂。")
    submit = SubmitField(_l("Declare that none are used"))


class WasteForm(FlaskForm):
    kind = SelectField(_l("Kind of waste"), coerce=str, validate_choice=False)
    quantity = StringField(_l("Weight (kg)"), validators=[Optional(), Length(max=20)],
                           render_kw={"inputmode": "decimal", "size": 6})
    handed = StringField(_l("Handed over at"), validators=[Optional(), Length(max=10)],
                         render_kw={"placeholder": "13:10", "inputmode": "numeric", "size": 5})
    collector_id = SelectField(_l("Collector"), coerce=str, validate_choice=False)
    collector_person = StringField(_l("Who came, and their phone"), validators=[Optional(), Length(max=100)])
    recorder_id = SelectField(_l("Recorded by"), coerce=str, validate_choice=False)
    remarks = StringField(_l("Remarks"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Record the hand-over"))
