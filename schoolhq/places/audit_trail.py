"""How the audit page reads the location tree's entries: a place by its full name,
linking to its page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.core.permissions import can
from schoolhq.extensions import db
from schoolhq.places.models import Location
from schoolhq.places.services import kind_label


def names(ids: set[int], reader) -> dict[int, Named]:
    return {place.id: Named(place.full_name or place.name,
                            page_of(reader, "places.detail", can(reader, "places.view", place), location_id=place.id))
            for place in db.session.scalars(select(Location).where(Location.id.in_(ids)))}


AUDIT = AuditTrail(
    actions={
        "location.created": _l("Added a place"),
        "location.updated": _l("Changed a place"),
        "location.moved": _l("Moved a place"),
        "location.archived": _l("Archived a place"),
    },
    records={"location": names},
    fields={
        "kind": AuditField(_l("Kind"), shows=kind_label),
        "code": AuditField(_l("Code")),
        "parent_id": AuditField(_l("Located in"), refers="location"),
        "responsible_person_id": AuditField(_l("Responsible person"), refers="person"),
        "archived_at": AuditField(_l("Archived")),
        # the place of a record in any area (an asset's is its own: "Kept in")
        "location_id": AuditField(_l("Place"), refers="location"),
    },
)
