"""What sign-in and accounts contribute."""

from flask_babel import lazy_gettext as _l

from schoolhq.auth import audit_trail, services
from schoolhq.core.declare import Area, NavLink

AREA = Area(
    name="auth",
    label=_l("Accounts"),
    blueprint="schoolhq.auth.views:bp",
    permissions={
        "admin.users": _l("Create accounts, reset passwords, assign roles"),
        "admin.roles": _l("Edit roles and their permissions"),
    },
    grants={"admin": ("admin.users", "admin.roles")},
    nav=(NavLink(_l("Accounts"), "administration", (("admin.users", "auth.accounts"),), blueprint="auth",
                 except_endpoints=("auth.change_password",)),),
    dashboard=services.dashboard_items,
    audit=audit_trail.AUDIT,
)
