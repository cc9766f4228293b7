"""Departments, staff profiles and the responsibility areas each person holds."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register
from schoolhq.places import EVERYONE

register(
    "people",
    {
        "people.view": _l("See staff and departments"),
        "people.manage": _l("Edit staff profiles, departments and responsibilities"),
    },
    {**{role: ["people.view"] for role in EVERYONE},
     "admin": ["people.view", "people.manage"], "principal": ["people.view", "people.manage"],
     "logistics_head": ["people.view", "people.manage"]},
)
