"""What the shared core contributes: settings, the calendar, the audit trail, labels,
notifications and scanning."""

from flask_babel import lazy_gettext as _l

from schoolhq.core import audit_trail, calendar, labels, uploads, workhours
from schoolhq.core.declare import Area, NavLink, Setting

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
    settings=(
        Setting("work_day_start", "07:30", workhours.time_setting, _l("The working day starts at"), "time",
                _l("Repair targets count school hours between these two times.")),
        Setting("work_day_end", "17:30", workhours.time_setting, _l("The working day ends at"), "time"),
    ),
    seeders=(labels.seed,),
    jobs={"core.uploads": uploads.sweep_pending},
    dashboard=calendar.dashboard_items,
    data_files=("data/label-layouts.yaml",),
    audit=audit_trail.AUDIT,
)
