"""Per-process caches of what nearly every request reads and almost nothing changes: the
signed-in account, its grants and role scopes, the school's settings, published check
template versions, the people directory.

Every cached value belongs to a *stamp*, one row of `counter` (scope `process_cache`).
Any change to accounts, roles, permissions, grants, settings, check templates, people,
departments or the paths a scoped grant resolves replaces the stamp in the same
transaction: a flush hook does it, so no service can forget to. A value cached under
another stamp than the current one is loaded again.

Reading the stamp would cost every request a transaction of its own (a signed-in no-op
would otherwise touch no database at all), so each process keeps the stamp it last read
and reads the row again only when one of these holds:
- a transaction of this process changed it (the process then knows the new stamp);
- the *signal file* (`process-cache.stamp` in the instance folder) was replaced, which
  every process on the server does after committing a change: another serving process
  or the command line, on the same instance folder, is seen from the next request on;
- a second has passed since the row was last read: a change nothing signals (a second
  server on another machine, SQL written by hand without `bump()`) is seen within it.

The stamp is a fresh random number, not an increment: a change rolled back, or a
database emptied and filled again (as tests do), can never bring back a stamp a process
cached values under. Until the first change there is no row and nothing is cached; a
transaction that has changed something neither reads nor fills the cache, since its
changes may yet roll back.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from schoolhq.extensions import db

SCOPE = "process_cache"
#: session.info keys: the stamp this transaction read, whether it changed the stamp, and to what
_STAMP, _CHANGED, _NEW = "schoolhq_cache_stamp", "schoolhq_cache_changed", "schoolhq_cache_new_stamp"
#: seconds a process trusts the stamp it read while nothing signalled a change
TRUST_SECONDS = 1.0
SIGNAL_FILE = "process-cache.stamp"
#: the stamp's largest value (counter.value is a 32-bit integer on PostgreSQL)
_MAX = 2**31 - 1
_NOT_READ = object()


def _store() -> dict:
    """This app's cache: (kind, key) -> (stamp, value). Per app instance, since
    defaults come from its configuration."""
    return current_app.extensions.setdefault("schoolhq_process_cache", {})


def _known() -> tuple | None:
    """What this process knows of the stamp: (value, when it was read, the signal file as
    it was then), replaced whole so no thread reads half of it. The wall clock, so the
    tests' held clock moves it too."""
    return current_app.extensions.get("schoolhq_process_cache_stamp")


def _learn(stamp: int | None, read_at: float, signal: tuple | None) -> None:
    current_app.extensions["schoolhq_process_cache_stamp"] = (stamp, read_at, signal)


def _signal_path() -> str:
    return os.path.join(current_app.config["INSTANCE_DIR"], SIGNAL_FILE)


def _signal() -> tuple | None:
    try:
        found = os.stat(_signal_path())
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size


def _signal_change(stamp: int) -> None:
    """Tell every process on this instance folder that the stamp is now `stamp`."""
    path = _signal_path()
    fresh = f"{path}.{os.getpid()}.{random.randint(0, _MAX)}"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(fresh, "w") as file:
            file.write(str(stamp))
        os.replace(fresh, path)  # a new file (inode) even within one clock tick
    except OSError:  # a read-only instance folder: the others see it within TRUST_SECONDS
        current_app.logger.warning("Could not write %s", path)
    _learn(stamp, time.time(), _signal())


def forget() -> None:
    """Drop this process's cached values and stamp (a database replaced underneath it)."""
    _store().clear()
    current_app.extensions.pop("schoolhq_process_cache_stamp", None)


def _stamp_query():
    from schoolhq.core.models import Counter

    table = Counter.__table__
    return select(table.c.value).where(table.c.scope == SCOPE)


_STAMP_QUERY = None


def _stamp(session: Session) -> int | None:
    global _STAMP_QUERY
    info = session.info
    stamp = info.get(_STAMP, _NOT_READ)
    if stamp is _NOT_READ:
        if session.autoflush:
            session.flush()  # a pending change replaces the stamp first
        if info.get(_CHANGED):
            return None
        known, signal, now = _known(), _signal(), time.time()
        if known is not None and known[2] == signal and abs(now - known[1]) < TRUST_SECONDS:
            stamp = known[0]
        else:
            if _STAMP_QUERY is None:
                _STAMP_QUERY = _stamp_query()
            stamp = session.connection().scalar(_STAMP_QUERY)
            # the signal as it was before the read: a change signalled since is read next time
            _learn(stamp, now, signal)
        info[_STAMP] = stamp
    return stamp


def lookup(kind: str, key: Any, load: Callable[[], Any]) -> Any:
    """The value of (kind, key) as cached under the current stamp, or `load()`ed (and
    cached). What `load` returns is shared by every request of the process: it must
    not be changed by its users (give each request its own copy where one might)."""
    if not has_app_context():
        return load()
    session = db.session()
    if session.info.get(_CHANGED):
        return load()
    stamp = _stamp(session)
    if stamp is None or session.info.get(_CHANGED):
        return load()
    store = _store()
    found = store.get((kind, key))
    if found is not None and found[0] == stamp:
        return found[1]
    value = load()
    if not session.info.get(_CHANGED):  # load() itself may have changed something
        store[(kind, key)] = (stamp, value)
    return value


def _watched():
    from schoolhq.auth.models import Account, Permission, Role, RoleAssignment, RolePermission
    from schoolhq.checks.models import CheckItem, CheckTemplate
    from schoolhq.core.models import Setting
    from schoolhq.people.models import Department, Person
    from schoolhq.places.models import Location

    #: any change to these; to these only when their path (what a scoped grant covers) moves
    return ((Account, Permission, Role, RoleAssignment, RolePermission, Setting, CheckTemplate, CheckItem,
             Person, Department),
            (Location,))


_WATCHED: tuple | None = None


def _changes_cached(session: Session) -> bool:
    global _WATCHED
    if _WATCHED is None:
        _WATCHED = _watched()
    whole, by_path = _WATCHED
    for obj in session.new:
        if isinstance(obj, whole):
            return True
    for obj in session.deleted:
        if isinstance(obj, whole + by_path):
            return True
    for obj in session.dirty:
        if isinstance(obj, whole):
            if session.is_modified(obj):
                return True
        elif isinstance(obj, by_path) and inspect(obj).attrs.path.history.has_changes():
            return True
    return False


def bump(session: Session | None = None) -> None:
    """Replace the stamp in this transaction: every process loads its cached values again
    once this commits. The flush hook calls it; call it after a change it cannot see
    (SQL written by hand)."""
    from schoolhq.core.models import Counter

    session = session or db.session
    session.info[_CHANGED] = True
    session.info.pop(_STAMP, None)
    connection = session.connection()
    table = Counter.__table__
    stamp = session.info[_NEW] = random.randint(1, _MAX)
    from schoolhq.core.database import upsert

    statement = upsert(table, connection.dialect.name).values(scope=SCOPE, value=stamp)
    connection.execute(statement.on_conflict_do_update(index_elements=[table.c.scope], set_={"value": stamp}))


@event.listens_for(Session, "before_flush")
def _bump_on_change(session: Session, _context, _instances) -> None:
    if not session.info.get(_CHANGED) and _changes_cached(session):
        bump(session)


@event.listens_for(Session, "do_orm_execute")
def _bump_on_bulk_change(state) -> None:
    """UPDATE and DELETE statements on a watched model bypass the flush."""
    if state.session.info.get(_CHANGED) or not (state.is_update or state.is_delete or state.is_insert):
        return
    mapper = state.bind_mapper
    if mapper is None:
        return
    global _WATCHED
    if _WATCHED is None:
        _WATCHED = _watched()
    if issubclass(mapper.class_, _WATCHED[0] + _WATCHED[1]):
        bump(state.session)


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    stamp = session.info.pop(_NEW, None)
    if stamp is not None and has_app_context():
        _signal_change(stamp)


@event.listens_for(Session, "after_transaction_end")
def _forget_stamp(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost: the next one reads the stamp afresh
        session.info.pop(_STAMP, None)
        session.info.pop(_CHANGED, None)
        session.info.pop(_NEW, None)
