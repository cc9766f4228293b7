"""Sign-in, accounts, roles and role assignments."""

from flask_babel import lazy_gettext as _l

import schoolhq.core  # noqa: F401  (registers the shared permissions first)
from schoolhq.core.permissions import register

register(
    "admin",
    {
        "admin.users": _l("Create accounts, reset passwords, assign roles"),
        "admin.roles": _l("Edit roles and their permissions"),
    },
    {"admin": ["admin.users", "admin.roles"]},
)
