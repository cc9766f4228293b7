"""The request transaction and the SQLite write path.

A request is one transaction: services add and flush, the commit happens once after the
view returns a successful response, and anything else rolls back.

SQLite allows one writer at a time. Writers that collide busy-wait and retry inside
SQLite: under a handful of waitress threads the slowest saves then take seconds and come
near the busy timeout, after which they fail. So on SQLite every writing request takes
one in-process lock, queues in order, and opens its transaction with BEGIN IMMEDIATE;
bench/README.md shows the tail latency with and without it. The lock is taken just
before that BEGIN and given back once the transaction has ended, so parsing the request,
checking its CSRF token and writing the response run beside another request's
transaction, not queued behind it.
"""

from __future__ import annotations

import sqlite3
import threading

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from schoolhq.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_write_lock = threading.Lock()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if isinstance(dbapi_connection, sqlite3.Connection):
        # Let SQLAlchemy's begin event below decide how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(conn):
    if has_request_context():
        g.schoolhq_began = True  # the request has a transaction to end
    if conn.dialect.name != "sqlite":
        return
    immediate = has_request_context() and g.get("schoolhq_write_request", False)
    if immediate and g.get("schoolhq_serialize_writes") and not g.get("schoolhq_holds_write_lock"):
        _write_lock.acquire()
        g.schoolhq_holds_write_lock = True
    # on the driver's connection: through SQLAlchemy's execution path this one statement
    # cost as much as the save's own SELECT (nothing counts or logs a BEGIN)
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")


@event.listens_for(Session, "after_transaction_end")
def _on_transaction_end(_session, transaction):
    """The request's transaction has ended (committed, or rolled back to show a refusal):
    its place in the SQLite write queue goes to the next writer now. Whatever the request
    still reads (the refused form shown again, an error page) reads without queueing:
    holding the queue while waiting for a pooled connection would stall every writer
    holding one while waiting for the queue."""
    if transaction.parent is not None or not has_request_context():
        return
    g.schoolhq_write_request = False
    if g.pop("schoolhq_holds_write_lock", False):
        _write_lock.release()


def engine_options(config: dict) -> dict:
    """How long a request waits for a lock held elsewhere before it answers "busy, try
    again" (503) instead of holding a server thread: SCHOOLHQ_DB_LOCK_TIMEOUT_S for a row
    or table lock (PostgreSQL) or another process's write (SQLite), and on PostgreSQL
    SCHOOLHQ_DB_STATEMENT_TIMEOUT_S for any one statement. A lock held for minutes then
    costs each request seconds, and /health and sign-in keep answering."""
    options = dict(config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    connect_args = dict(options.get("connect_args") or {})
    url = str(config.get("SQLALCHEMY_DATABASE_URI", ""))
    lock_seconds = float(config["SCHOOLHQ_DB_LOCK_TIMEOUT_S"])  # defaults: schoolhq.config
    statement_seconds = float(config["SCHOOLHQ_DB_STATEMENT_TIMEOUT_S"])
    if url.startswith("sqlite"):
        connect_args.setdefault("timeout", lock_seconds)
    elif url.startswith("postgresql"):
        limits = f"-c lock_timeout={int(lock_seconds * 1000)} -c statement_timeout={int(statement_seconds * 1000)}"
        connect_args["options"] = f"{connect_args.get('options', '')} {limits}".strip()
    if connect_args:
        options["connect_args"] = connect_args
    return options


#: SQLSTATEs of PostgreSQL that mean "someone else holds it, try again": lock_not_available,
#: query_canceled (the statement timeout), deadlock_detected, serialization_failure
_BUSY_STATES = {"55P03", "57014", "40P01", "40001"}
#: disk_full, out_of_memory's neighbour insufficient_resources
_FULL_STATES = {"53100", "53000"}


def trouble(error: BaseException) -> str | None:
    """"busy" when the database (or another desk) holds what this request needs,
    "disk_full" when the server's disk is full, None for any other failure."""
    import errno

    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "disk_full"
    cause = getattr(error, "orig", None) or error
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    text = str(cause).lower()
    if state in _FULL_STATES or "database or disk is full" in text or "no space left on device" in text:
        return "disk_full"
    if state in _BUSY_STATES or "database is locked" in text or "database is busy" in text:
        return "busy"
    return None


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


def stop_writing() -> None:
    """The request has failed: undo what it wrote, and let whatever it still reads (the
    error page, the signed-in name in its header) read without queueing to write, which
    is perhaps what failed."""
    if has_request_context():
        g.schoolhq_write_request = False
    db.session.rollback()


def keep_changes() -> None:
    """Commit this request's writes even though its response reports an error
    (a failed sign-in still counts towards the lock-out)."""
    g.schoolhq_keep_changes = True


def begin_writing() -> None:
    """What follows in this request (or scheduled job) writes: on SQLite its transaction
    opens with BEGIN IMMEDIATE, in turn with the process's other writers. A transaction
    that only began reading and then writes fails at once ("database is locked") if
    another writer committed meanwhile; SQLite does not wait in that case."""
    g.schoolhq_write_request = True
    # the lock itself is taken when the transaction begins (_on_begin)
    g.schoolhq_serialize_writes = current_app.config.get("SCHOOLHQ_SERIALIZE_WRITES", True) and is_sqlite()


def _begin_request():
    if request.method not in SAFE_METHODS:
        begin_writing()


def _finish_request(response):
    from schoolhq.core.uploads import (
        discard_uploads_of_failed_request,
        keep_uploads_of_committed_request,
    )

    session = db.session()
    if not g.get("schoolhq_began") and not (session.new or session.dirty or session.deleted):
        return response  # nothing reached the database, nothing waits to: no transaction to end
    if response.status_code < 400 or g.get("schoolhq_keep_changes"):
        db.session.commit()
        keep_uploads_of_committed_request()
    else:
        db.session.rollback()
        discard_uploads_of_failed_request()
    return response


def _release_lock(exc):
    if exc is not None:
        from schoolhq.core.uploads import discard_uploads_of_failed_request

        discard_uploads_of_failed_request()  # an unhandled error skipped the normal finish
    if g.get("schoolhq_holds_write_lock"):
        db.session.rollback()  # ending the transaction gives the queue back (_on_transaction_end)
    if g.pop("schoolhq_holds_write_lock", False):
        _write_lock.release()  # a transaction that could not even roll back


def init_app(app: Flask) -> None:
    from schoolhq.core import process_cache  # noqa: F401 (its flush hook replaces the stamp on every change)

    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)
    app.after_request(_finish_request)
    app.teardown_request(_release_lock)


def append_only(table, what: str) -> None:
    """Have the database itself refuse UPDATE and DELETE on `table`, on both engines,
    whenever the models create it (migrations carry their own copy of the DDL)."""
    from sqlalchemy import DDL, event

    name = table.name
    sqlite = [f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {name} "
              f"BEGIN SELECT RAISE(ABORT, '{what} is append-only'); END",
              f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {name} "
              f"BEGIN SELECT RAISE(ABORT, '{what} is append-only'); END"]
    # DDL() formats its text with %: the literal % of RAISE is doubled.
    postgresql = ["CREATE OR REPLACE FUNCTION schoolhq_append_only() RETURNS trigger AS $$ "
                  "BEGIN RAISE EXCEPTION '%% is append-only', TG_TABLE_NAME; END; $$ LANGUAGE plpgsql",
                  f"CREATE TRIGGER {name}_append_only BEFORE UPDATE OR DELETE ON {name} "
                  "FOR EACH ROW EXECUTE FUNCTION schoolhq_append_only()"]
    for statement in sqlite:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="sqlite"))
    for statement in postgresql:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect="postgresql"))


def upsert(target, dialect_name: str | None = None):
    """INSERT with ON CONFLICT for this engine (SQLite and PostgreSQL spell it alike, but
    SQLAlchemy keeps one construct per dialect)."""
    if (dialect_name or db.engine.dialect.name) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(target)


def locked(model, record_id: int, not_found_message, options=(), shared: bool = False):
    """The record with its row locked until the end of the transaction and re-read, so
    two people acting on it at once take turns: every state change loads its record
    through here and checks the state only after. Only the id is selected FOR UPDATE:
    PostgreSQL refuses FOR UPDATE across the eager outer joins of a whole entity.
    SQLite has no row locks (it leaves FOR UPDATE out): there a writing transaction
    holds the whole database from its BEGIN IMMEDIATE, and the re-read alone is enough.
    `shared` lets others hold it shared too (FOR SHARE): scans into an open stocktake
    run side by side and only wait for the close. `options` trim what the re-read loads
    (a hot path needs little of the relations)."""
    from sqlalchemy import select

    from schoolhq.core.errors import NotFound

    if not is_sqlite() and db.session.execute(
            select(model.id).where(model.id == record_id).with_for_update(read=shared)).first() is None:
        raise NotFound(not_found_message)
    record = db.session.get(model, record_id, populate_existing=True, options=list(options))
    if record is None:
        raise NotFound(not_found_message)
    return record


def locked_or_made(model, not_found_message, **key):
    """The one row of `model` with these column values, made when there is none yet, and
    locked as `locked` does: the first write to a day's sheet or a meal takes the row, and
    two tablets making it at once end up on the same one."""
    from sqlalchemy import select
    from sqlalchemy.exc import IntegrityError

    from schoolhq.extensions import db

    query = select(model.id).filter_by(**key)
    record_id = db.session.scalar(query)
    if record_id is None:
        try:
            with db.session.begin_nested():
                db.session.add(model(**key))
                db.session.flush()
        except IntegrityError:  # made a moment ago by another request
            pass
        record_id = db.session.scalar(query)
    return locked(model, record_id, not_found_message)


def locked_all(model, record_ids, not_found_message, options=()) -> list:
    """Several records locked as `locked` does, in the order given. The locks are taken
    in id order, so two desks locking the same records never wait on each other in a ring."""
    by_id = {record_id: locked(model, record_id, not_found_message, options)
             for record_id in sorted(set(record_ids))}
    return [by_id[record_id] for record_id in record_ids]
