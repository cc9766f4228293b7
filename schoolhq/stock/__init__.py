"""Consumables and office supplies: items, stores, a ledger, requisitions and counts."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register
from schoolhq.places import EVERYONE

register(
    "stock",
    {
        "stock.request": _l("Ask the store for supplies"),
        "stock.view": _l("See stock levels, the ledger and stock reports"),
        "stock.issue": _l("Receive, issue, transfer and count stock"),
        "stock.manage": _l("Set up stock items, stores and levels"),
        "stock.approve": _l("Approve requisitions of special items and stock count adjustments"),
        "stock.reserve": _l("Release the emergency reserve"),
    },
    {
        **{role: ["stock.request"] for role in EVERYONE},
        "principal": ["stock.request", "stock.view", "stock.approve"],
        "accountant": ["stock.request", "stock.view"],
        "logistics_head": ["stock.request", "stock.view", "stock.issue", "stock.manage", "stock.approve",
                           "stock.reserve"],
        "storekeeper": ["stock.request", "stock.view", "stock.issue", "stock.manage"],
    },
)
