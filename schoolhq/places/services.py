"""Rules for the location tree."""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.places.models import KINDS, Location

FIELDS = ["name", "code", "kind", "parent_id", "responsible_person_id"]
TOKEN_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"


def new_token() -> str:
    """Eight characters that survive a smudged label: no 0/o, 1/l/i."""
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(8))


def get_location(location_id: int, *, include_archived: bool = False) -> Location:
    location = db.session.get(Location, location_id)
    if location is None or (location.archived_at is not None and not include_archived):
        raise ServiceError(_l("That place does not exist."), "location_id")
    return location


def by_token(token: str) -> Location | None:
    return db.session.scalar(select(Location).where(Location.token == token))


def _check_level(kind: str, parent: Location | None) -> None:
    if kind not in KINDS:
        raise ServiceError(_l("Unknown kind of place."), "kind")
    if parent is None:
        if kind != "campus":
            raise ServiceError(_l("Only a campus stands at the top of the tree."), "parent_id")
    elif KINDS.index(kind) <= KINDS.index(parent.kind):
        raise ServiceError(_l("A %(kind)s cannot sit inside a %(parent)s.",
                              kind=kind_label(kind), parent=kind_label(parent.kind)), "kind")


def kind_label(kind: str):
    return {
        "campus": _l("campus"), "building": _l("building"), "floor": _l("floor"), "room": _l("room"),
    }.get(kind, kind)


def _clean(name: str, code: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("A name is required."), "name")
    if len(name) > 80:
        raise ServiceError(_l("A name is at most 80 characters."), "name")
    code = (code or "").strip()
    if len(code) > 30:
        raise ServiceError(_l("A code is at most 30 characters."), "code")
    return name, code


def _check_sibling_name(name: str, parent_id: int | None, location_id: int | None = None) -> None:
    query = select(Location.id).where(Location.name == name, Location.archived_at.is_(None))
    query = query.where(Location.parent_id.is_(None) if parent_id is None else Location.parent_id == parent_id)
    clash = db.session.scalar(query)
    if clash is not None and clash != location_id:
        raise ServiceError(_l("Another place here already has this name."), "name")


def _check_person(person_id: int | None) -> None:
    if person_id:
        from schoolhq.people.services import get_person

        get_person(person_id)


def _refresh(location: Location, parent: Location | None) -> None:
    location.path = (parent.path if parent else "/") + f"{location.id}/"
    location.full_name = (parent.full_name + " / " if parent else "") + location.name


def create_location(kind: str, name: str, parent_id: int | None = None, code: str = "",
                    responsible_person_id: int | None = None, sort_order: int = 0) -> Location:
    name, code = _clean(name, code)
    parent = get_location(parent_id) if parent_id else None
    _check_level(kind, parent)
    _check_sibling_name(name, parent.id if parent else None)
    _check_person(responsible_person_id)
    location = Location(kind=kind, name=name, code=code, parent_id=parent.id if parent else None,
                        responsible_person_id=responsible_person_id or None, token=new_token(),
                        sort_order=sort_order)
    db.session.add(location)
    db.session.flush()
    _refresh(location, parent)
    audit.record("places", "location.created", location, after=audit.snapshot(location, FIELDS),
                 summary=location.full_name)
    return location


def _rewrite_descendants(location: Location, old_path: str, old_full_name: str) -> None:
    """Descendants carry the old path and name prefix; rewrite them in one statement each."""
    descendants = db.session.scalars(select(Location).where(
        Location.path.startswith(old_path), Location.id != location.id))
    for child in descendants:
        child.path = location.path + child.path[len(old_path):]
        child.full_name = location.full_name + child.full_name[len(old_full_name):]


def update_location(location_id: int, name: str, code: str, responsible_person_id: int | None,
                    sort_order: int | None = None) -> Location:
    location = get_location(location_id)
    name, code = _clean(name, code)
    _check_sibling_name(name, location.parent_id, location.id)
    _check_person(responsible_person_id)
    before = audit.snapshot(location, FIELDS)
    old_path, old_full_name = location.path, location.full_name
    location.name, location.code = name, code
    location.responsible_person_id = responsible_person_id or None
    if sort_order is not None:
        location.sort_order = sort_order
    _refresh(location, location.parent)
    if location.full_name != old_full_name:
        _rewrite_descendants(location, old_path, old_full_name)
    db.session.flush()
    after = audit.snapshot(location, FIELDS)
    if before != after:
        audit.record("places", "location.updated", location, before=before, after=after,
                     summary=location.full_name)
    return location


def _to_change(location_id: int) -> Location:
    """The place locked for a change that reaches its subtree (moving, archiving): two
    at once take turns, and the second reads what the first did."""
    locked(Location, location_id, _l("That place does not exist."))
    return get_location(location_id)


def move_location(location_id: int, new_parent_id: int) -> Location:
    location = _to_change(location_id)
    parent = get_location(new_parent_id)
    if parent.path.startswith(location.path):
        raise ServiceError(_l("A place cannot move inside itself."), "parent_id")
    _check_level(location.kind, parent)
    _check_sibling_name(location.name, parent.id, location.id)
    before = audit.snapshot(location, FIELDS)
    old_path, old_full_name = location.path, location.full_name
    location.parent_id = parent.id
    location.parent = parent
    _refresh(location, parent)
    _rewrite_descendants(location, old_path, old_full_name)
    db.session.flush()
    audit.record("places", "location.moved", location, before=before,
                 after=audit.snapshot(location, FIELDS), summary=location.full_name)
    return location


def archive_location(location_id: int) -> Location:
    """Archive a place and everything inside it; their history stays."""
    location = _to_change(location_id)  # a second click finds it archived: "does not exist"
    now = utcnow()
    for place in db.session.scalars(select(Location).where(
            Location.path.startswith(location.path), Location.archived_at.is_(None))):
        place.archived_at = now
    db.session.flush()
    audit.record("places", "location.archived", location, before={"archived_at": None},
                 after={"archived_at": now.isoformat()}, summary=location.full_name)
    return location


def children(parent_id: int | None) -> list[Location]:
    query = select(Location).options(joinedload(Location.responsible)).where(Location.archived_at.is_(None))
    query = query.where(Location.parent_id.is_(None) if parent_id is None else Location.parent_id == parent_id)
    return list(db.session.scalars(query.order_by(Location.sort_order, Location.name)))


def subtree(location: Location, kind: str | None = None) -> list[Location]:
    query = select(Location).where(Location.path.startswith(location.path), Location.archived_at.is_(None))
    if kind:
        query = query.where(Location.kind == kind)
    return list(db.session.scalars(query.order_by(Location.full_name)))


def tree(*options) -> list[Location]:
    """Every active place, parents before children, siblings in their order; `options`
    load what the caller shows of each (the select boxes need none)."""
    rows = list(db.session.scalars(select(Location).options(*options).where(Location.archived_at.is_(None))))
    by_parent: dict[int | None, list[Location]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_id, []).append(row)
    ordered: list[Location] = []

    def walk(parent_id):
        for row in sorted(by_parent.get(parent_id, []), key=lambda r: (r.sort_order, r.name)):
            ordered.append(row)
            walk(row.id)

    walk(None)
    return ordered


def choices(exclude_kind: str | None = None, only_kind: str | None = None) -> list[tuple[str, str]]:
    """(id, full name) of every active place in tree order, for a select box: two columns,
    no objects (the full tree of a big school costs thousands of them)."""
    query = select(Location.id, Location.full_name, Location.kind).where(Location.archived_at.is_(None))
    rows = db.session.execute(query.order_by(Location.full_name)).all()
    return [(str(row.id), row.full_name) for row in rows
            if (exclude_kind is None or row.kind != exclude_kind) and (only_kind is None or row.kind == only_kind)]


def ancestors(location: Location) -> list[Location]:
    ids = location.ancestor_ids
    if not ids:
        return []
    found = {row.id: row for row in db.session.scalars(select(Location).where(Location.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def responsible_of(person_id: int) -> list[Location]:
    return list(db.session.scalars(select(Location).where(
        Location.responsible_person_id == person_id, Location.archived_at.is_(None)).order_by(Location.full_name)))


def possible_parents(location: Location | None = None) -> list[Location]:
    rows = [row for row in tree() if row.kind != "room"]
    if location is not None:
        rows = [row for row in rows if not row.path.startswith(location.path)
                and KINDS.index(row.kind) < KINDS.index(location.kind)]
    return rows


# What other parts of the app ask of places ------------------------------------------

def label_target(token: str):
    from flask import url_for

    from schoolhq.core.tokens import LabelTarget, public_info_shown

    location = by_token(token)
    if location is None or location.archived_at is not None:
        return None
    facts = [(kind_label(location.kind), location.full_name)]
    # the responsible person's name only while the school lets public cards show it
    if location.responsible is not None and public_info_shown():
        facts.append((_l("Responsible person"), location.responsible.name))
    return LabelTarget(kind=kind_label(location.kind), name=location.name,
                       url=url_for("places.detail", location_id=location.id), public_facts=facts)


def dashboard_items(account):
    from flask import url_for
    from sqlalchemy import func, or_

    from schoolhq.core.permissions import scopes
    from schoolhq.dashboard.services import Item

    grants = scopes(account, "places.manage")
    if not grants:
        return []
    query = select(func.count(Location.id)).where(
        Location.kind == "room", Location.responsible_person_id.is_(None), Location.archived_at.is_(None))
    if all(grant.scoped for grant in grants):
        paths = [grant.location_path for grant in grants if grant.location_path]
        if not paths:
            return []
        query = query.where(or_(*(Location.path.startswith(path) for path in paths)))
    missing = db.session.scalar(query) or 0
    return [Item("places", _l("Rooms without a responsible person"), missing,
                 url_for("places.index", unassigned=1), "warning")]
