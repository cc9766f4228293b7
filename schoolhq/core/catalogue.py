"""Short named lists a school edits itself (stock categories, repair categories):
one rule for naming, renaming and ordering them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from schoolhq.core import audit
from schoolhq.core.errors import NotFound, ServiceError
from schoolhq.extensions import db


def save_named(model, area: str, name: str, record_id: int | None = None):
    """Add an entry at the end of the list, or rename one; names are unique."""
    limit = model.__table__.c.name.type.length
    name = (name or "").strip()
    if not name or len(name) > limit:
        raise ServiceError(_l("Give the category a name of at most %(n)s characters.", n=limit), "name")
    clash = db.session.scalar(select(model.id).where(model.name == name))
    if clash is not None and clash != record_id:
        raise ServiceError(_l("There is already a category called %(name)s.", name=name), "name")
    if record_id:
        entry = db.session.get(model, record_id)
        if entry is None:
            raise NotFound(_l("No such category."))
        entry.name = name
    else:
        order = db.session.scalar(select(func.max(model.sort_order))) or 0
        entry = model(name=name, sort_order=order + 1)
        db.session.add(entry)
    db.session.flush()
    audit.record(area, "category.saved", entry, after={"name": name}, summary=name)
    return entry
