"""Rules for accounts, sign-in, roles and role assignments."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from flask import current_app, g, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, inspect, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from schoolhq.auth.models import (
    Account,
    Permission,
    Role,
    RoleAssignment,
    RolePermission,
    SignInThrottle,
)
from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.permissions import DEFAULT_GRANTS, PERMISSIONS, Grant, forget_grants
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
#: failed sign-ins one client address may make in LOCKOUT over all accounts; more than
#: one account's five, so that a few people forgetting theirs at one desk go on
DEFAULT_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 8
PASSWORD_RULE = _l("At least %(n)s characters; not a common password, a run of keys such as 12345678, "
                   "one repeated character or the user name.", n=MIN_PASSWORD_LENGTH)

#: the passwords guessed first (lower case, 8 characters or more): the top of the leaked
#: lists, Chinese and English; runs of keys and repeats are refused by rule below
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password12", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "iloveyou",
    "iloveyou1", "woaini1314", "woaini520", "5201314520", "1314520520", "abc12345", "abcd1234", "a1234567",
    "a12345678", "aa123456", "aa12345678", "qwer1234", "1234qwer", "1q2w3e4r", "1q2w3e4r5t", "qwerty123",
    "admin123", "admin888", "admin1234", "administrator", "changeme", "welcome1", "football", "baseball",
    "superman", "sunshine", "princess", "dragon123", "zxcvbnm123", "asdf1234", "147258369", "123456789a",
    "12qwaszx", "letmein1", "trustno1", "computer", "internet", "school123", "teacher123", "schoolhq",
})
#: keyboard rows and columns and the alphabet: a password that is a stretch of one of
#: these, read either way, is a run of keys (qwertyui, 87654321, 1qaz2wsx)
KEY_RUNS = ("01234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz",
            "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp")

#: code -> lazy display name; the school may rename them and add its own
BUILTIN_ROLES = {
    "admin": _l("IT administrator"),
    "principal": _l("Principal"),
    "logistics_head": _l("Logistics head"),
    "storekeeper": _l("Storekeeper"),
    "canteen_manager": _l("Canteen manager"),
    "canteen_staff": _l("Canteen staff"),
    "maintenance": _l("Maintenance worker"),
    "school_doctor": _l("School doctor"),
    "accountant": _l("Accountant"),
    "staff": _l("Staff"),
}

# One hash of an impossible password, so a sign-in for an unknown user costs as much
# time as a wrong password and the two cannot be told apart.
_DUMMY_HASH = generate_password_hash("not-a-real-password-for-timing")


class LoginFailed(ServiceError):
    pass


class SignInThrottled(LoginFailed):
    """Too many failures from this client address: refused before any account is looked at."""


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_new_password(password: str, field: str = "password", username: str = "") -> None:
    """A password someone may set (PASSWORD_RULE): long enough, and not among the first
    guesses of anyone trying accounts, which the lock-out only slows down."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ServiceError(_l("A password needs at least %(n)s characters.", n=MIN_PASSWORD_LENGTH), field)
    if len(password) > 200:
        raise ServiceError(_l("A password is at most 200 characters."), field)
    if username and password.strip().lower() == username.strip().lower():
        raise ServiceError(_l("A password must not be the same as the user name."), field)
    if is_easy_to_guess(password):
        raise ServiceError(_l("This password is too easy to guess: a common password, a run of keys such as "
                              "qwertyui or 12345678, or one character repeated. Choose another."), field)


def is_easy_to_guess(password: str) -> bool:
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return True
    # one short piece over and over: aaaaaaaa, abababab, 123123123
    if any(len(lowered) % size == 0 and lowered == lowered[:size] * (len(lowered) // size) for size in range(1, 5)):
        return True
    return any(lowered in run or lowered in run[::-1] for run in KEY_RUNS)


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def safe_next_url(target: str | None) -> str | None:
    """The path and query of `target` when it is a page of this site, else None.
    Browsers drop tabs and newlines from a Location and read a backslash as a slash, so
    "/%09/evil.example/" or "/\\evil.example" lead off the site: anything with those, a
    scheme, a host or a leading "//", as sent or once unquoted, is refused."""
    if not target:
        return None
    for form in (target, unquote(target)):
        if "\\" in form or _CONTROL_CHARACTERS.search(form) or not form.startswith("/") or form.startswith("//"):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def get_account(account_id: int) -> Account:
    return get_or_raise(Account, account_id, _l("That account does not exist."))


def load_session_account(session_id: str) -> Account | None:
    """Flask-Login's loader: '<id>:<version>'; a changed password ends old sessions.
    The account's columns come from the process cache while no account, role or setting
    has changed (core.process_cache); the person and the rest load when asked for."""
    from schoolhq.core import process_cache

    account_id, _, version = (session_id or "").partition(":")
    if not account_id.isdigit() or not version.isdigit() or len(account_id) > 10:
        return None
    columns = process_cache.lookup("account", int(account_id), lambda: _account_columns(int(account_id)))
    if columns is None or not columns["active"] or columns["session_version"] != int(version):
        return None
    return _in_session(columns)


def _account_columns(account_id: int) -> dict | None:
    account = db.session.get(Account, account_id)
    if account is None:
        return None
    return {attribute.key: getattr(account, attribute.key) for attribute in inspect(Account).column_attrs}


def _in_session(columns: dict) -> Account:
    """The account of these columns in this request's session, as if just loaded: the
    instance already there, or one made from the columns without a query."""
    from sqlalchemy.orm import make_transient_to_detached
    from sqlalchemy.orm.attributes import instance_state

    found = db.session.identity_map.get(db.session.identity_key(Account, columns["id"]))
    if found is not None:
        return found
    # the columns put in place as a load would, without the constructor's change events
    account = inspect(Account).class_manager.new_instance()
    instance_state(account).dict.update(columns)
    make_transient_to_detached(account)
    db.session.add(account)
    return account


def failures_allowed_per_address() -> int:
    if has_app_context():
        return current_app.config.get("SCHOOLHQ_FAILED_SIGNINS_PER_ADDRESS", DEFAULT_FAILURES_PER_ADDRESS)
    return DEFAULT_FAILURES_PER_ADDRESS


def authenticate(username: str, password: str, address: str = "") -> Account:
    """The account for these credentials, tried from the client `address`. Five failures
    lock the account for 15 minutes, and failures_allowed_per_address() failures over all
    accounts stop that address for as long; the message never says whether the user
    exists. The failures are counted with the address's and the account's rows locked
    and re-read, so a burst of parallel guesses counts each one and none gets past a lock
    another has just set (on SQLite the write request holds the database already)."""
    failure = LoginFailed(_l("Wrong user name or password, or the account is locked for a while."))
    username = (username or "").strip()
    found = db.session.scalar(select(Account).where(Account.username == username)) if username else None
    # The password is checked before any lock is taken, so that no row stays locked for
    # the ~100 ms of the hash; an unknown user costs the same time as a known one.
    checked_hash = found.password_hash if found is not None else _DUMMY_HASH
    password_matches = check_password_hash(checked_hash, password or "") and found is not None
    throttle = _locked_throttle(address)
    now = utcnow()
    if throttle.failures >= failures_allowed_per_address() and throttle.window_started_at > now - LOCKOUT:
        # refused as a whole: these attempts count against no account, so spraying from
        # one address cannot go on locking the school's accounts either
        raise SignInThrottled(_l("Too many failed sign-ins from this device. Wait 15 minutes and try again, "
                                 "or ask the IT administrator."))
    if found is None:
        _count_address_failure(throttle, now)
        raise failure
    account = locked_account(found.id)
    if account.password_hash != checked_hash:  # changed while the hash was checked
        password_matches = check_password_hash(account.password_hash, password or "")
    if account.locked_until is not None and account.locked_until > now:
        _count_address_failure(throttle, now)
        raise failure
    if not password_matches or not account.active:
        _count_address_failure(throttle, now)
        account.failed_logins = (account.failed_logins or 0) + 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + LOCKOUT
            account.failed_logins = 0
            audit.record("auth", "account.locked", account, actor_id=account.id, summary=account.username)
        db.session.flush()
        raise failure
    account.failed_logins = 0
    account.locked_until = None
    account.last_login_at = now
    db.session.flush()
    audit.record("auth", "login", account, actor_id=account.id, summary=account.username)
    return account


def _locked_throttle(address: str) -> SignInThrottle:
    """The throttle row of this address, made when missing, locked until the end of the
    transaction and re-read: parallel attempts from one address count one after another."""
    from schoolhq.core.database import upsert

    address = (address or "")[:64]
    db.session.execute(upsert(SignInThrottle).values(address=address, failures=0, window_started_at=utcnow())
                       .on_conflict_do_nothing(index_elements=[SignInThrottle.address]))
    # SQLite leaves FOR UPDATE out: there the write request holds the whole database
    return db.session.scalars(select(SignInThrottle).where(SignInThrottle.address == address)
                              .with_for_update().execution_options(populate_existing=True)).one()


def _count_address_failure(throttle: SignInThrottle, now: datetime) -> None:
    if throttle.window_started_at <= now - LOCKOUT:
        throttle.window_started_at, throttle.failures = now, 0
    throttle.failures += 1
    # Rows of windows long over go, so the table holds the addresses of the last quarter
    # hour; a row another sign-in holds is left for a later pass rather than waited on.
    stale = (select(SignInThrottle.address).where(SignInThrottle.window_started_at <= now - LOCKOUT,
                                                  SignInThrottle.address != throttle.address)
             .limit(100).with_for_update(skip_locked=True))
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.address.in_(stale.scalar_subquery())),
                       execution_options={"synchronize_session": False})
    db.session.flush()


def unlock(username: str, every_address: bool = False) -> Account:
    """Lift the lock-out of an account (the way back for a locked-out last administrator,
    from the command line), and with `every_address` the throttle of every address."""
    if every_address:
        # the throttle rows first, as a sign-in takes them before the account's row
        db.session.execute(delete(SignInThrottle), execution_options={"synchronize_session": False})
    account = db.session.scalar(select(Account).where(Account.username == (username or "").strip()))
    if account is None:
        raise ServiceError(_l("There is no account %(username)s.", username=username), "username")
    account.failed_logins = 0
    account.locked_until = None
    db.session.flush()
    audit.record("auth", "account.unlocked", account, summary=account.username)
    return account


def end_sessions(account: Account) -> None:
    """End every session and remembered sign-in of the account, on every device: each
    carries the account's session version (Account.get_id), which no longer matches.
    Signing out on one device thus signs out all of them; simple, and what a stolen
    cookie needs."""
    account.session_version += 1
    db.session.flush()
    audit.record("auth", "logout", account, actor_id=account.id, summary=account.username)


def change_password(account: Account, old_password: str, new_password: str) -> None:
    if not check_password_hash(account.password_hash, old_password or ""):
        raise ServiceError(_l("The current password is not right."), "old_password")
    check_new_password(new_password, "new_password", username=account.username)
    if old_password == new_password:
        raise ServiceError(_l("Choose a password different from the current one."), "new_password")
    account.password_hash = hash_password(new_password)
    account.session_version += 1
    db.session.flush()
    audit.record("auth", "password.changed", account, summary=account.username)


def _check_username(username: str, account_id: int | None = None) -> str:
    username = (username or "").strip()
    if not username or len(username) > 60 or any(c.isspace() for c in username):
        raise ServiceError(_l("A user name is 1–60 characters without spaces."), "username")
    clash = db.session.scalar(select(Account).where(Account.username == username))
    if clash is not None and clash.id != account_id:
        raise ServiceError(_l("This user name is taken."), "username")
    return username


def create_account(person_id: int, username: str, password: str, language: str = "",
                   password_hash: str | None = None) -> Account:
    from schoolhq.people.services import get_person

    person = get_person(person_id)
    if person.account is not None:
        raise ServiceError(_l("%(name)s already has a sign-in.", name=person.name), "person_id")
    username = _check_username(username)
    if password_hash is None:
        check_new_password(password, username=username)
        password_hash = hash_password(password)
    account = Account(username=username, password_hash=password_hash, person_id=person.id,
                      language=language or "")
    db.session.add(account)
    db.session.flush()
    audit.record("auth", "account.created", account, after={"username": username, "person_id": person.id},
                 summary=username)
    return account


def reset_password(account_id: int, new_password: str) -> Account:
    account = get_account(account_id)
    check_new_password(new_password, "new_password", username=account.username)
    account.password_hash = hash_password(new_password)
    account.session_version += 1
    account.failed_logins = 0
    account.locked_until = None
    db.session.flush()
    audit.record("auth", "password.reset", account, summary=account.username)
    return account


def locked_account(account_id: int) -> Account:
    """The account with its row locked: one person's own actions take turns under it (a
    burst of sign-ins, repair reports counted against the hourly limit, a double-tapped
    start of a check)."""
    return locked(Account, account_id, _l("That account does not exist."))


def set_active(account_id: int, active: bool, acting: Account | None = None) -> Account:
    account = locked_account(account_id)
    if acting is not None and acting.id == account.id and not active:
        raise ServiceError(_l("You cannot deactivate your own account."))
    if account.active == active:
        return account
    account.active = active
    if not active:
        account.session_version += 1
    db.session.flush()
    audit.record("auth", "account.activated" if active else "account.deactivated", account,
                 before={"active": not active}, after={"active": active}, summary=account.username)
    return account


def set_language(account: Account, language: str) -> None:
    account.language = language
    db.session.flush()


# Roles -------------------------------------------------------------------------------

def sync_builtin_roles() -> None:
    """Create the built-in roles and grant each newly registered permission to the roles
    that get it by default. Idempotent; an administrator's later edits are kept."""
    roles = {role.code: role for role in db.session.scalars(select(Role))}
    for code in BUILTIN_ROLES:
        if code not in roles:
            roles[code] = Role(code=code, name="", builtin=True)
            db.session.add(roles[code])
    db.session.flush()
    known = set(db.session.scalars(select(Permission.name)))
    for name in PERMISSIONS:
        if name in known:
            continue
        db.session.add(Permission(name=name))
        db.session.flush()
        for code, granted in DEFAULT_GRANTS.items():
            if name in granted and code in roles:
                db.session.add(RolePermission(role_id=roles[code].id, permission=name))
    db.session.flush()


def roles() -> list[Role]:
    order = list(BUILTIN_ROLES)
    # the roles page lists each role's permissions (a dozen roles: one more small query)
    return sorted(db.session.scalars(select(Role).options(selectinload(Role.permissions))),
                  key=lambda r: (order.index(r.code) if r.code in order else len(order), r.display_name))


def get_role(role_id: int) -> Role:
    role = db.session.get(Role, role_id)
    if role is None:
        raise ServiceError(_l("That role does not exist."), "role_id")
    return role


def create_role(code: str, name: str) -> Role:
    code = (code or "").strip().lower()
    name = (name or "").strip()
    if not code or not code.replace("_", "").isalnum() or not code.isascii() or len(code) > 40:
        raise ServiceError(_l("A role code uses letters, digits and underscores."), "code")
    if not name or len(name) > 60:
        raise ServiceError(_l("A role needs a name of at most 60 characters."), "name")
    if db.session.scalar(select(Role).where(Role.code == code)) is not None:
        raise ServiceError(_l("This role code is taken."), "code")
    role = Role(code=code, name=name, builtin=False)
    db.session.add(role)
    db.session.flush()
    audit.record("auth", "role.created", role, after={"code": code, "name": name}, summary=name)
    return role


def update_role(role_id: int, name: str, permissions: list[str]) -> Role:
    role = get_role(role_id)
    unknown = set(permissions) - set(PERMISSIONS)
    if unknown:
        raise ServiceError(_l("Unknown permission: %(names)s", names=", ".join(sorted(unknown))))
    name = (name or "").strip()
    if role.builtin and name == str(BUILTIN_ROLES.get(role.code, "")):
        name = ""  # unchanged: keep showing the built-in name in each person's language
    elif not name or len(name) > 60:
        raise ServiceError(_l("A role needs a name of at most 60 characters."), "name")
    before = {"name": role.name, "permissions": sorted(role.permission_names)}
    known = set(db.session.scalars(select(Permission.name)))
    for missing in set(permissions) - known:
        db.session.add(Permission(name=missing))
    role.name = name
    wanted = set(permissions)
    role.permissions = [rp for rp in role.permissions if rp.permission in wanted] + [
        RolePermission(role_id=role.id, permission=p) for p in sorted(wanted - role.permission_names)
    ]
    db.session.flush()
    after = {"name": role.name, "permissions": sorted(wanted)}
    if before != after:
        audit.record("auth", "role.updated", role, before=before, after=after, summary=role.display_name)
    forget_grants()
    return role


def assign_role(account_id: int, role_id: int, department_id: int | None = None,
                location_id: int | None = None, acting: Account | None = None) -> RoleAssignment:
    """Give a role. Someone acting through the app cannot change their own roles, and
    only a holder of admin.roles hands out a role that administers accounts or roles."""
    account = get_account(account_id)
    role = get_role(role_id)
    if acting is not None:
        from schoolhq.core.permissions import unscoped

        if acting.id == account.id:
            raise ServiceError(_l("You cannot change your own roles; ask another administrator."), "role_id")
        if {"admin.users", "admin.roles"} & role.permission_names and not unscoped(acting, "admin.roles"):
            raise ServiceError(_l("Only an administrator of roles can give this role."), "role_id")
    if department_id and location_id:
        raise ServiceError(_l("Scope a role to a department or to a place, not both."), "scope")
    if department_id:
        from schoolhq.people.services import get_department

        get_department(department_id)
    if location_id:
        from schoolhq.places.services import get_location

        get_location(location_id)
    existing = db.session.scalar(select(RoleAssignment).where(
        RoleAssignment.account_id == account.id, RoleAssignment.role_id == role.id,
        RoleAssignment.department_id.is_(None) if not department_id else RoleAssignment.department_id == department_id,
        RoleAssignment.location_id.is_(None) if not location_id else RoleAssignment.location_id == location_id,
    ))
    if existing is not None:
        raise ServiceError(_l("This person already has this role in this scope."), "role_id")
    assignment = RoleAssignment(account_id=account.id, role_id=role.id,
                                department_id=department_id or None, location_id=location_id or None)
    db.session.add(assignment)
    db.session.flush()
    audit.record("auth", "role.assigned", assignment,
                 after={"account": account.username, "role": role.code,
                        "department_id": department_id, "location_id": location_id},
                 summary=f"{account.username} ← {role.code}")
    forget_grants()
    return assignment


def unassign_role(assignment_id: int, acting: Account | None = None) -> None:
    assignment = get_or_raise(RoleAssignment, assignment_id, _l("That role assignment does not exist."))
    if acting is not None and assignment.account_id == acting.id:
        raise ServiceError(_l("You cannot change your own roles; ask another administrator."))
    audit.record("auth", "role.unassigned", assignment,
                 before={"account_id": assignment.account_id, "role": assignment.role.code,
                         "department_id": assignment.department_id, "location_id": assignment.location_id})
    db.session.delete(assignment)
    db.session.flush()
    forget_grants()


def assignments_of(account_id: int) -> list[RoleAssignment]:
    return list(db.session.scalars(select(RoleAssignment).where(RoleAssignment.account_id == account_id)
                                   .options(joinedload(RoleAssignment.role), joinedload(RoleAssignment.department),
                                            joinedload(RoleAssignment.location))
                                   .order_by(RoleAssignment.id)))


def grants_for(account_id: int) -> list[Grant]:
    rows = db.session.execute(
        select(RoleAssignment.role_id, RoleAssignment.department_id, RoleAssignment.location_id)
        .where(RoleAssignment.account_id == account_id)
    ).all()
    if not rows:
        return []
    from schoolhq.people.models import Department
    from schoolhq.places.models import Location

    role_ids = {row.role_id for row in rows}
    perms: dict[int, set[str]] = {}
    for role_id, name in db.session.execute(
        select(RolePermission.role_id, RolePermission.permission).where(RolePermission.role_id.in_(role_ids))
    ):
        perms.setdefault(role_id, set()).add(name)
    dept_paths = dict(db.session.execute(select(Department.id, Department.path).where(
        Department.id.in_({r.department_id for r in rows if r.department_id})
    )).all()) if any(r.department_id for r in rows) else {}
    loc_paths = dict(db.session.execute(select(Location.id, Location.path).where(
        Location.id.in_({r.location_id for r in rows if r.location_id})
    )).all()) if any(r.location_id for r in rows) else {}
    return [
        Grant(frozenset(perms.get(row.role_id, ())),
              location_path=loc_paths.get(row.location_id),
              department_path=dept_paths.get(row.department_id))
        for row in rows
        # a scope that cannot be resolved grants nothing, never everything
        if (not row.location_id or row.location_id in loc_paths)
        and (not row.department_id or row.department_id in dept_paths)
    ]


def accounts_with_role(code: str) -> list[Account]:
    return list(db.session.scalars(
        select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Role, Role.id == RoleAssignment.role_id).where(Role.code == code, Account.active.is_(True))
        .distinct()))


def role_scopes(account_id: int) -> list[tuple[str, str | None]]:
    """(role code, location path or None for school-wide) of each role assignment the
    account holds; a role scoped to a department covers no place. Once per request."""
    cache = g.setdefault("schoolhq_role_codes", {})
    if account_id not in cache:
        from schoolhq.core import process_cache

        cache[account_id] = process_cache.lookup("role_scopes", account_id, lambda: _role_scopes(account_id))
    return cache[account_id]


def _role_scopes(account_id: int) -> list[tuple[str, str | None]]:
    from schoolhq.places.models import Location

    return [(code, path) for code, path, department_id in db.session.execute(
        select(Role.code, Location.path, RoleAssignment.department_id)
        .join(RoleAssignment, RoleAssignment.role_id == Role.id)
        .outerjoin(Location, Location.id == RoleAssignment.location_id)
        .where(RoleAssignment.account_id == account_id)) if department_id is None]


def holds_role_at(account_id: int, code: str, location_path: str) -> bool:
    return any(held == code and (path is None or location_path.startswith(path))
               for held, path in role_scopes(account_id))


def accounts_with(permission: str) -> list[Account]:
    """Active accounts holding `permission` through any role (in any scope)."""
    return list(db.session.scalars(
        select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(RolePermission, RolePermission.role_id == RoleAssignment.role_id)
        .where(RolePermission.permission == permission, Account.active.is_(True)).distinct()))


def has_any_admin() -> bool:
    return bool(accounts_with_role("admin"))


def dashboard_items(account):
    from flask import url_for
    from sqlalchemy import func

    from schoolhq.core.permissions import can
    from schoolhq.dashboard.services import Item

    if not can(account, "admin.users"):
        return []
    locked = db.session.scalar(select(func.count(Account.id)).where(Account.locked_until > utcnow())) or 0
    return [Item("auth", _l("Accounts locked after failed sign-ins"), locked,
                 url_for("auth.accounts"), "warning")]
