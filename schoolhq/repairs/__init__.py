"""Repairs: one record from a report to a verified fix, on a school-hours clock."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register
from schoolhq.places import EVERYONE

register(
    "repairs",
    {
        "repairs.report": _l("Report something that needs fixing"),
        "repairs.work": _l("Work on repair tickets"),
        "repairs.manage": _l("Assign, decline and oversee repair tickets"),
    },
    {
        **{role: ["repairs.report"] for role in EVERYONE},
        "maintenance": ["repairs.report", "repairs.work"],
        "logistics_head": ["repairs.report", "repairs.work", "repairs.manage"],
        "principal": ["repairs.report", "repairs.manage"],
    },
)
