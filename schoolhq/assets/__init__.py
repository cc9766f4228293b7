"""Fixed assets and low-value durable items: the register, labels, loans."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register
from schoolhq.places import EVERYONE

register(
    "assets",
    {
        "assets.view": _l("See the asset register"),
        "assets.manage": _l("Register and edit assets, move them, change custodians"),
        "assets.loan": _l("Check assets out and in at the desk"),
        "assets.borrow": _l("See one's own items and ask to borrow"),
        "assets.settings": _l("Set asset thresholds and numbering for the school"),
        "assets.audit": _l("Run stocktakes room by room"),
        "assets.approve": _l("Approve writing off missing assets"),
    },
    {
        **{role: ["assets.borrow"] for role in EVERYONE},
        "admin": ["assets.view", "assets.borrow"],
        "principal": ["assets.view", "assets.borrow", "assets.settings", "assets.approve"],
        "accountant": ["assets.view", "assets.borrow", "assets.settings"],
        "logistics_head": ["assets.view", "assets.manage", "assets.loan", "assets.borrow", "assets.settings",
                           "assets.audit"],
        "storekeeper": ["assets.view", "assets.manage", "assets.loan", "assets.borrow", "assets.audit"],
    },
)
