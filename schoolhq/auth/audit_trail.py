"""How the audit page reads the entries of sign-ins, accounts and roles: an account by its
person's name, a role by its name, never by their codes."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.auth.models import Account, Role, RoleAssignment
from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.core.permissions import PERMISSIONS
from schoolhq.extensions import db


def accounts(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(Account).options(joinedload(Account.person)).where(Account.id.in_(ids)))
    return {account.id: Named(account.display_name, page_of(reader, "auth.account", account_id=account.id))
            for account in rows}


def roles(ids: set[int], reader) -> dict[int, Named]:
    return {role.id: Named(role.display_name, page_of(reader, "auth.role", role_id=role.id))
            for role in db.session.scalars(select(Role).where(Role.id.in_(ids)))}


def assignments(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.execute(select(RoleAssignment, Account).join(Account, Account.id == RoleAssignment.account_id)
                              .options(joinedload(RoleAssignment.role), joinedload(Account.person))
                              .where(RoleAssignment.id.in_(ids)))
    return {assignment.id: Named(str(_l("%(person)s: %(role)s", person=account.display_name,
                                        role=assignment.role.display_name)),
                                 page_of(reader, "auth.account", account_id=account.id))
            for assignment, account in rows}


def _everyone() -> tuple[dict[str, str], dict[str, str]]:
    """Every account's person by username and every role's name by code, once per request
    (a school has a hundred or so of the one and a dozen of the other)."""
    if "schoolhq_audit_auth_names" not in g:
        people = {account.username: account.display_name for account in
                  db.session.scalars(select(Account).options(joinedload(Account.person)))}
        role_names = {role.code: role.display_name for role in db.session.scalars(select(Role))}
        g.schoolhq_audit_auth_names = (people, role_names)
    return g.schoolhq_audit_auth_names


def person_of(username) -> str:
    return _everyone()[0].get(username, username)


def role_name(code) -> str:
    return _everyone()[1].get(code, code)


def permission_name(name) -> str:
    return str(PERMISSIONS[name][1]) if name in PERMISSIONS else name


def assignment_summaries(texts: set[str]) -> dict[str, str]:
    """The summary of a role given, "username ← role code", as "person: role"."""
    out = {}
    for text in texts:
        username, _, code = text.partition(" ← ")
        if code:
            out[text] = str(_l("%(person)s: %(role)s", person=person_of(username), role=role_name(code)))
    return out


AUDIT = AuditTrail(
    actions={
        "login": _l("Signed in"),
        "logout": _l("Signed out everywhere"),
        "account.locked": _l("Account locked after failed sign-ins"),
        "account.unlocked": _l("Unlocked an account"),
        "account.created": _l("Created an account"),
        "account.activated": _l("Activated an account"),
        "account.deactivated": _l("Deactivated an account"),
        "password.changed": _l("Changed their password"),
        "password.reset": _l("Reset a password"),
        "role.created": _l("Created a role"),
        "role.updated": _l("Changed a role"),
        "role.assigned": _l("Gave a role"),
        "role.unassigned": _l("Took back a role"),
    },
    records={"account": accounts, "role": roles, "role_assignment": assignments},
    fields={
        "username": AuditField(_l("Username")),
        "active": AuditField(_l("Can sign in")),
        "account": AuditField(_l("Staff member"), shows=person_of),
        "account_id": AuditField(_l("Staff member"), refers="account"),
        "role": AuditField(_l("Role"), shows=role_name),
        "code": AuditField(_l("Code"), hidden=True),
        "permissions": AuditField(_l("Permissions"), shows=permission_name),
    },
    summaries={"role.assigned": assignment_summaries},
)
