"""Shared by every area: audit trail, settings, school calendar, notifications,
uploads, permissions, htmx helpers and the request transaction."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.permissions import register

register(
    "admin",
    {
        "admin.settings": _l("Edit school settings"),
        "admin.audit": _l("Read the audit trail"),
        "admin.backup": _l("Back up and restore"),
    },
    {"admin": ["admin.settings", "admin.audit", "admin.backup"], "principal": ["admin.audit"]},
)
register(
    "calendar",
    {"calendar.manage": _l("Edit the school calendar")},
    {"admin": ["calendar.manage"], "logistics_head": ["calendar.manage"]},
)
