"""School settings edited on the settings page. Defaults live here; a row in `setting`
exists only once the school has changed a value."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from schoolhq.core import audit
from schoolhq.core.errors import ServiceError
from schoolhq.core.models import Setting
from schoolhq.extensions import db

LANGUAGES = {"zh_CN": "简体中文", "en": "English"}


#: settings other areas add: key -> (default, validator returning the clean value)
AREA_SETTINGS: dict[str, tuple[Any, Any]] = {}


def register(key: str, default: Any, validator=None) -> None:
    """An area's own setting, with its default and a validator that returns the clean
    value or raises ServiceError."""
    AREA_SETTINGS[key] = (default, validator)


def _defaults() -> dict[str, Any]:
    config = current_app.config if has_app_context() else {}
    return {
        "school_name": "",
        "timezone": config.get("SCHOOLHQ_TIMEZONE", "Asia/Shanghai"),
        "default_language": config.get("SCHOOLHQ_DEFAULT_LANGUAGE", "zh_CN"),
        # Some days are school days only with these weekdays (0 = Monday).
        "school_weekdays": [0, 1, 2, 3, 4],
        **{key: default for key, (default, _validator) in AREA_SETTINGS.items()},
    }


def _load() -> dict[str, Any]:
    return {**_defaults(), **{row.key: row.value for row in db.session.scalars(select(Setting))}}


def _cache() -> dict[str, Any]:
    """This request's settings: its own dict (a caller may replace a value for the
    request alone) of those the process cache holds while no setting has changed."""
    if "schoolhq_settings" not in g:
        from schoolhq.core import process_cache

        try:
            values = process_cache.lookup("settings", None, _load)
        except SQLAlchemyError:
            # An uninitialised or failing database must still let an error page render.
            db.session.rollback()
            return _defaults()
        g.schoolhq_settings = dict(values)
    return g.schoolhq_settings


def _copy(value: Any) -> Any:
    """Settings are JSON: a list or dict is handed out as a copy, so no caller can change
    the value every request of the process shares."""
    import copy

    if isinstance(value, list) and all(isinstance(item, _SCALARS) for item in value):
        return list(value)  # the school's weekdays, read on every day a clock counts
    return copy.deepcopy(value) if isinstance(value, (list, dict)) else value


_SCALARS = (str, int, float, bool, type(None))


def get(key: str) -> Any:
    return _copy(_cache().get(key))


def all_settings() -> dict[str, Any]:
    return {key: _copy(value) for key, value in _cache().items()}


def validate(key: str, value: Any) -> Any:
    if key == "timezone":
        if value not in available_timezones():
            raise ServiceError(_l("Unknown time zone."), "timezone")
        ZoneInfo(value)
    elif key == "default_language":
        if value not in LANGUAGES:
            raise ServiceError(_l("Unknown language."), "default_language")
    elif key == "school_name":
        value = (value or "").strip()
        if len(value) > 100:
            raise ServiceError(_l("The school name is at most 100 characters."), "school_name")
    elif key == "school_weekdays":
        if not value or any(day not in range(7) for day in value):
            raise ServiceError(_l("Choose at least one school weekday."), "school_weekdays")
        value = sorted(set(value))
    elif key in AREA_SETTINGS:
        validator = AREA_SETTINGS[key][1]
        if validator is not None:
            value = validator(value)
    else:
        raise ServiceError(_l("Unknown setting."), key)
    return value


def update(values: dict[str, Any]) -> None:
    """Validate every value first, then write them all, so a bad value changes nothing."""
    clean = {key: validate(key, value) for key, value in values.items()}
    before = {key: get(key) for key in clean}
    for key, value in clean.items():
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=value))
        else:
            row.value = value
    db.session.flush()
    g.pop("schoolhq_settings", None)
    if before != clean:
        audit.record("core", "settings.update", before=before, after=clean, summary=", ".join(clean))
