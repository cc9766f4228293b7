"""One settings page per area, made from the settings its declaration lists: each shown by
its kind (text, number, money in yuan, yes/no, a time of day), validated by the area's own
validator, all saved together or none. Settings of kind "custom" keep a page of their own.

The page lives under the area's own URL (`/repairs/settings/general`), guarded by the
permission the area names for its settings."""

from __future__ import annotations

from flask import Blueprint, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField
from wtforms.validators import Length

from schoolhq.core import settings
from schoolhq.core.declare import Area, Setting
from schoolhq.core.errors import ServiceError
from schoolhq.core.money import parse_yuan, yuan
from schoolhq.core.permissions import can, permission_required
from schoolhq.core.web import handle_form, redirect_to


def editable(area: Area) -> list[Setting]:
    """The settings the generic page edits: none where the area has a page of its own."""
    return [] if area.settings_page else [s for s in area.settings if s.kind != "custom"]


def _field_name(setting: Setting) -> str:
    return setting.key.replace(".", "__")


def form_for(area: Area) -> FlaskForm:
    """A form with one field per editable setting, filled with today's values on GET."""

    class AreaSettingsForm(FlaskForm):
        pass

    for setting in editable(area):
        if setting.kind == "bool":
            field = BooleanField(setting.label, description=setting.hint)
        else:
            field = StringField(setting.label, description=setting.hint, validators=[Length(max=200)])
        setattr(AreaSettingsForm, _field_name(setting), field)
    AreaSettingsForm.submit = SubmitField(_l("Save"))  # made last, so it comes last
    form = AreaSettingsForm()
    if request.method == "GET":
        for setting in editable(area):
            value = settings.get(setting.key)
            getattr(form, _field_name(setting)).data = yuan(value) if setting.kind == "money" else value
    return form


def save(area: Area, form: FlaskForm) -> None:
    """Parse each typed value by its kind and save them all; the first refusal is raised
    with the field it belongs to, and nothing is written."""
    values = {}
    for setting in editable(area):
        name = _field_name(setting)
        raw = getattr(form, name).data
        try:
            if setting.kind == "money":
                if not (raw or "").strip():  # an empty box is not 0 yuan
                    raise ServiceError(_l("Enter an amount in yuan, like 1234.50."), name)
                raw = parse_yuan(raw, name)
            elif setting.kind != "bool":
                raw = (raw or "").strip()
            values[setting.key] = settings.validate(setting.key, raw)
        except ServiceError as error:
            raise ServiceError(error.message, name) from None
    settings.update(values)


def blueprint_for(area: Area, url_prefix: str) -> Blueprint:
    """The area's settings page, as a small blueprint of its own (one per app)."""
    bp = Blueprint(f"{area.name}_settings", __name__, url_prefix=f"{url_prefix}/settings/general")

    @bp.route("", methods=["GET", "POST"], endpoint="page")
    @permission_required(area.settings_permission, school_wide=True)
    def page():
        form = form_for(area)
        return handle_form(form, lambda: save(area, form),
                           success=lambda _none: redirect_to(f"{area.name}_settings.page", saved=1),
                           page="core/area_settings.html",
                           context={"area": area, "saved": request.args.get("saved")})

    return bp


def pages_for(account) -> list[tuple]:
    """(label, url) of every area's settings page this person may edit."""
    from schoolhq.areas import declared

    pages = []
    for area in declared():
        endpoint = area.settings_page or (f"{area.name}_settings.page" if editable(area) else None)
        if endpoint and can(account, area.settings_permission):
            pages.append((area.label, url_for(endpoint)))
    return pages
