"""Central and tiered permissions (集中管理与分级管理).

Each area registers its named permissions (`places.manage`) and which built-in roles get
them by default. Roles bundle permissions and are edited by the administrator. A role
assignment is either school-wide or scoped to a department or a subtree of locations.

`can(user, permission, obj=None)` is the one question views and templates ask. Without
`obj` it asks "may this person do this anywhere?" (menus, route guards); with `obj` it
asks about that record, whose `access_scope()` names the location and department it
belongs to.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user

#: permission name -> (area, lazy label)
PERMISSIONS: dict[str, tuple[str, Any]] = {}
#: role code -> permissions it gets when the permission first appears
DEFAULT_GRANTS: dict[str, set[str]] = {}

PUBLIC = "public"
SIGNED_IN = "signed_in"


def register(area: str, permissions: dict[str, Any], grants: dict[str, list[str]]) -> None:
    for name, label in permissions.items():
        if not name.startswith(area + "."):
            raise ValueError(f"permission {name} must start with its area {area}.")
        PERMISSIONS[name] = (area, label)
    for role, names in grants.items():
        unknown = set(names) - set(PERMISSIONS)
        if unknown:
            raise ValueError(f"unknown permissions for {role}: {unknown}")
        DEFAULT_GRANTS.setdefault(role, set()).update(names)


@dataclass(frozen=True)
class AccessScope:
    """Where a record sits, for scoped role assignments: a location path like '/1/4/9/'
    and a department path like '/2/5/'."""

    location_path: str | None = None
    department_path: str | None = None


@dataclass
class Grant:
    permissions: frozenset[str]
    location_path: str | None = None
    department_path: str | None = None
    scoped: bool = field(init=False)

    def __post_init__(self):
        self.scoped = bool(self.location_path or self.department_path)

    def covers(self, scope: AccessScope) -> bool:
        if not self.scoped:
            return True
        if self.location_path and scope.location_path:
            return scope.location_path.startswith(self.location_path)
        if self.department_path and scope.department_path:
            return scope.department_path.startswith(self.department_path)
        return False


def _grants(user) -> list[Grant]:
    """The account's grants: once per request, from the process cache while no role,
    grant or scope has changed (core.process_cache)."""
    cache = g.setdefault("schoolhq_grants", {})
    if user.id not in cache:
        from schoolhq.auth.services import grants_for
        from schoolhq.core import process_cache

        cache[user.id] = process_cache.lookup("grants", user.id, lambda: grants_for(user.id))
    return cache[user.id]


def forget_grants() -> None:
    g.pop("schoolhq_grants", None)
    g.pop("schoolhq_role_codes", None)


def can(user, permission: str, obj: Any = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    grants = [grant for grant in _grants(user) if permission in grant.permissions]
    if obj is None or not grants:
        return bool(grants)
    scope = obj.access_scope() if hasattr(obj, "access_scope") else AccessScope()
    return any(grant.covers(scope) for grant in grants)


def unscoped(user, permission: str) -> bool:
    """True when the person holds the permission school-wide (for list pages that
    would otherwise need a scope filter)."""
    if not can(user, permission):
        return False
    return any(permission in grant.permissions and not grant.scoped for grant in _grants(user))


def scopes(user, permission: str) -> list[Grant]:
    return [grant for grant in _grants(user) if permission in grant.permissions]


def scope_condition(user, permissions: tuple[str, ...] | str, *, location_path=None, location_id=None,
                    department_id=None):
    """The SQL condition keeping the records that `can(user, p, record)` allows for one of
    `permissions`, so a list, a count or a sum reads what the record's own page would
    show: None when a school-wide grant keeps everything, false when no grant reaches.

    A grant scoped to a place keeps the records whose place lies in its subtree: name the
    record's place by `location_path` (the path column of a place the query joins) or by
    `location_id` (a column of place ids); a grant scoped to a department keeps those
    whose `department_id` is that department or one below it. A record without one of
    these is never kept by grants of that kind, as Grant.covers says."""
    from sqlalchemy import false, or_, select

    wanted = {permissions} if isinstance(permissions, str) else set(permissions)
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return false()
    grants = [grant for grant in _grants(user) if wanted & grant.permissions]
    if any(not grant.scoped for grant in grants):
        return None
    conditions = []
    places = [grant.location_path for grant in grants if grant.location_path]
    if places and location_path is not None:
        conditions.extend(location_path.startswith(path) for path in places)
    elif places and location_id is not None:
        from schoolhq.places.models import Location

        conditions.append(location_id.in_(select(Location.id).where(
            or_(*(Location.path.startswith(path) for path in places)))))
    departments = [grant.department_path for grant in grants if grant.department_path]
    if departments and department_id is not None:
        from schoolhq.people.models import Department

        conditions.append(department_id.in_(select(Department.id).where(
            or_(*(Department.path.startswith(path) for path in departments)))))
    return or_(*conditions) if conditions else false()


def within_scopes(query, user, permissions: tuple[str, ...] | str, **columns):
    """`query` narrowed by scope_condition (the same keyword arguments name the record's
    place and department)."""
    condition = scope_condition(user, permissions, **columns)
    return query if condition is None else query.where(condition)


def require(permission: str, obj: Any = None) -> None:
    """Abort with 403 unless the signed-in person may act on this record."""
    if not can(current_user, permission, obj):
        abort(403)


def require_within(permission: str, obj: Any = None) -> None:
    """Abort with 403 unless the person may act inside `obj`; with no `obj` (the top of
    a tree) only a school-wide grant will do."""
    if obj is None:
        if not unscoped(current_user, permission):
            abort(403)
    else:
        require(permission, obj)


def permission_required(*permissions: str, school_wide: bool = False) -> Callable:
    """Declare the permission of a view; the person needs at least one of them in some
    scope. With no argument, any signed-in person may open it. `school_wide` views change
    what holds for the whole school (settings, calendar, accounts): a scoped grant of the
    permission is not enough there."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user._get_current_object()  # the proxy resolves once, not per check
            if not user.is_authenticated:
                from schoolhq.extensions import login_manager

                return login_manager.unauthorized()
            check = unscoped if school_wide else can
            if permissions and not any(check(user, p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permissions or (SIGNED_IN,)
        wrapped.school_wide = school_wide
        return wrapped

    return decorator


def public(view):
    """Open without sign-in: the login page, the health check, a label's public view."""
    view.required_permission = (PUBLIC,)
    return view
