"""The location tree: campus → building → floor → room, each with a responsible person."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register

EVERYONE = ["principal", "logistics_head", "storekeeper", "canteen_manager", "canteen_staff",
            "maintenance", "school_doctor", "accountant", "staff", "admin"]

register(
    "places",
    {
        "places.view": _l("See places and rooms"),
        "places.manage": _l("Create, rename, move and archive places"),
    },
    {**{role: ["places.view"] for role in EVERYONE},
     "admin": ["places.view", "places.manage"], "logistics_head": ["places.view", "places.manage"]},
)
