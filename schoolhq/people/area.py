"""What departments and staff contribute: staff badges open a person's page."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import EVERY_ROLE, Area, NavLink
from schoolhq.people import audit_trail, services

AREA = Area(
    name="people",
    label=_l("People"),
    blueprint="schoolhq.people.views:bp",
    permissions={
        "people.view": _l("See staff and departments"),
        "people.manage": _l("Edit staff profiles, departments and responsibilities"),
    },
    grants={**{role: ("people.view",) for role in EVERY_ROLE},
            "admin": ("people.view", "people.manage"), "principal": ("people.view", "people.manage"),
            "logistics_head": ("people.view", "people.manage")},
    nav=(NavLink(_l("People"), "administration", (("people.view", "people.index"),), blueprint="people"),),
    code_resolvers=(services.open_badge,),
    audit=audit_trail.AUDIT,
)
