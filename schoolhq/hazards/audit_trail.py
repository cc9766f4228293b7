"""How the audit page reads the hazard register's entries: each hazard by its place and
words, linking to its page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db
from schoolhq.hazards.models import Hazard


def hazards(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Hazard).options(joinedload(Hazard.location)).where(Hazard.id.in_(ids)))
    return {row.id: Named(f"{row.location.name} · {row.shown_description[:40]}",
                          page_of(reader, "hazards.hazard_page", hazard_id=row.id)) for row in rows}


def _level(value):
    from schoolhq.hazards.services import LEVEL_LABELS

    return LEVEL_LABELS.get(value, value)


def _result(value):
    from schoolhq.hazards.services import RECHECK_LABELS

    return RECHECK_LABELS.get(value, value)


AUDIT = AuditTrail(
    actions={
        "hazard.registered": _l("Registered a hazard"),
        "hazard.changed": _l("Changed a hazard"),
        "hazard.rectified": _l("Recorded a hazard rectified"),
        "hazard.rechecked": _l("Re-checked a hazard"),
    },
    records={"hazard": hazards},
    fields={
        "level": AuditField(_l("Hazard level"), shows=_level),
        "responsible_id": AuditField(_l("Responsible for rectifying it"), refers="person"),
        "deadline": AuditField(_l("Rectify by")),
        "measures": AuditField(_l("Measures, interim ones included")),
        "description": AuditField(_l("The hazard")),
        "location_id": AuditField(_l("Where the hazard is"), refers="location"),
        "rectification": AuditField(_l("What was done")),
        "result": AuditField(_l("Re-check"), shows=_result),
    },
)
