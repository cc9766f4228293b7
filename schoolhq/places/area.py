"""What the location tree contributes: room labels and rooms without a keeper."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import EVERY_ROLE, Area, NavLink
from schoolhq.places import audit_trail, services

AREA = Area(
    name="places",
    label=_l("Places"),
    blueprint="schoolhq.places.views:bp",
    permissions={
        "places.view": _l("See places and rooms"),
        "places.manage": _l("Create, rename, move and archive places"),
    },
    grants={**{role: ("places.view",) for role in EVERY_ROLE},
            "admin": ("places.view", "places.manage"), "logistics_head": ("places.view", "places.manage")},
    nav=(NavLink(_l("Places"), "logistics", (("places.view", "places.index"),), blueprint="places"),),
    dashboard=services.dashboard_items,
    label_resolvers=(services.label_target,),
    audit=audit_trail.AUDIT,
)
