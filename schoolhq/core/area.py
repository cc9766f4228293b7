"""What the shared core contributes: settings, the calendar, the audit trail, labels,
notifications and scanning."""

from flask_babel import lazy_gettext as _l

from schoolhq.core import labels
from schoolhq.core.declare import Area, NavLink

AREA = Area(
    name="core",
    label=_l("Settings"),
    blueprint="schoolhq.core.views:bp",
    permissions={
        "admin.settings": _l("Edit school settings"),
        "admin.audit": _l("Read the audit trail"),
        "admin.backup": _l("Back up and restore"),
        "calendar.manage": _l("Edit the school calendar"),
    },
    grants={
        "admin": ("admin.settings", "admin.audit", "admin.backup", "calendar.manage"),
        "principal": ("admin.audit",),
        "logistics_head": ("calendar.manage",),
    },
    nav=(
        NavLink(_l("Calendar"), "administration", (("calendar.manage", "core.calendar_page"),),
                endpoints=("core.calendar_page",)),
        NavLink(_l("Settings"), "administration", (("admin.settings", "core.settings_page"),),
                endpoints=("core.settings_page",)),
        NavLink(_l("Audit trail"), "administration", (("admin.audit", "core.audit_page"),),
                endpoints=("core.audit_page",)),
    ),
    seeders=(labels.seed,),
    data_files=("data/label-layouts.yaml",),
)
