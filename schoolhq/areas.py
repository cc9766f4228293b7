"""The areas of SchoolHQ, in order: the only list of them.

Each name is a package under `schoolhq/` with an `area.py` that declares what the area
contributes (see `schoolhq/core/area.py`). The order is the order of the header's links
within a group, of the seeding, the scheduler's jobs and the dashboard's items. Adding an
area is one line here (docs/architecture.md).
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from schoolhq.core.declare import Area

AREAS = ("dashboard", "core", "auth", "places", "people", "assets", "stock", "repairs", "checks", "canteen",
         "hazards", "water", "training", "finance")


@cache
def declared() -> tuple[Area, ...]:
    """Every area's declaration, each imported once per process; their permissions and
    settings are registered here, so they are known before any page or role needs them."""
    from importlib.util import find_spec

    from schoolhq.core import permissions, settings

    # every area's models first: an area module may build a loader option at import,
    # which configures all mappers, and one area's model may name another's by string
    for name in AREAS:
        if find_spec(f"schoolhq.{name}.models") is not None:
            import_module(f"schoolhq.{name}.models")
    found = []
    for name in AREAS:
        area = import_module(f"schoolhq.{name}.area").AREA
        if area.name != name:
            raise ValueError(f"schoolhq/{name}/area.py declares the area {area.name!r}")
        for permission, label in area.permissions.items():
            permissions.register(permission.split(".")[0], {permission: label}, {})
        for role, names in area.grants.items():
            permissions.register(name, {}, {role: list(names)})
        for setting in area.settings:
            settings.register(setting.key, setting.default, setting.validator)
        found.append(area)
    return tuple(found)


def area(name: str) -> Area:
    return next(a for a in declared() if a.name == name)


def nav_links() -> list:
    """The header's links, grouped as NAV_GROUPS and in area order within a group."""
    from schoolhq.core.declare import NAV_GROUPS

    links = [link for a in declared() for link in a.nav]
    return sorted(links, key=lambda link: NAV_GROUPS.index(link.group))


def panels(page: str) -> list:
    """The panels other areas add to `page` ("places.room", "assets.asset"), in area order."""
    return [a.panels[page] for a in declared() if page in a.panels]


def record_reader(key: str):
    """The reader that answers a check item from an area's records (`from_record`), or
    None when no area declares that key."""
    return next((a.record_items[key] for a in declared() if key in a.record_items), None)


def duty_problems(duty: str, person_ids, day) -> dict[int, str]:
    """Person id -> why they are unfit for `duty` on `day`, from every area that knows."""
    found: dict[int, list[str]] = {}
    for area in declared():
        if area.duty_problems is not None:
            for person_id, reason in area.duty_problems(duty, person_ids, day).items():
                found.setdefault(person_id, []).append(reason)
    return {person_id: "；".join(reasons) for person_id, reasons in found.items()}


def audit_labels() -> dict:
    labels = {a.name: a.label for a in declared()}
    for a in declared():  # a permission group named apart from its area ("admin", "calendar")
        for permission in a.permissions:
            labels.setdefault(permission.split(".")[0], a.label)
    return labels
