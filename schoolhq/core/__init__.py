"""Shared by every area: audit trail, settings, school calendar, notifications,
uploads, permissions, htmx helpers and the request transaction."""
