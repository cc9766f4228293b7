"""Checks: recurring inspection rounds — canteen, drinking water, hygiene, fire and
buildings — from versioned templates, on the school calendar, on tablets."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register

register(
    "checks",
    {
        "checks.perform": _l("Do check rounds"),
        "checks.view": _l("See check ledgers, findings and compliance"),
        "checks.manage": _l("Set up check templates and schedules, and follow up findings"),
    },
    {
        "canteen_manager": ["checks.perform", "checks.view"],
        "canteen_staff": ["checks.perform"],
        "school_doctor": ["checks.perform", "checks.view"],
        "maintenance": ["checks.perform"],
        "logistics_head": ["checks.perform", "checks.view", "checks.manage"],
        "principal": ["checks.view"],
    },
)
