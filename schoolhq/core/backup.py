"""Backup and restore: the SQLite online backup API, or pg_dump/pg_restore for PostgreSQL.

A restore first checks that the file is a SchoolHQ backup this version understands, then
keeps the current database aside, then puts the backup in place and upgrades it.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from schoolhq.extensions import db

REQUIRED_TABLES = {"alembic_version", "account", "person", "location", "audit_entry"}


class BackupError(Exception):
    pass


def _url():
    return make_url(db.engine.url.render_as_string(hide_password=False))


def _sqlite_path() -> Path:
    return Path(_url().database).resolve()


def _libpq_url() -> str:
    url = _url().set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory
    from flask import current_app

    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    return {rev.revision for rev in script.walk_revisions()}


def backup(target: Path) -> Path:
    target = Path(target).resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if db.engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_path())
        dest = sqlite3.connect(target)
        try:
            with dest:
                source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        _run(["pg_dump", "--format=custom", "--no-owner", f"--dbname={_libpq_url()}", f"--file={target}"])
    return target


def _run(cmd: list[str]) -> str:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed; install the PostgreSQL client tools")
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(result.stderr.strip() or f"{cmd[0]} failed")
    return result.stdout


def check_sqlite_backup(path: Path) -> str:
    """The backup's migration revision, or BackupError saying why it is not a backup."""
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a SchoolHQ backup (not an SQLite database)")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise BackupError(f"{path} is not a SchoolHQ backup (missing tables: {', '.join(sorted(missing))})")
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{path} is damaged (integrity check failed)")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SchoolHQ backup ({exc})") from exc
    finally:
        conn.close()
    return row[0] if row else ""


def check_pg_backup(path: Path) -> None:
    try:
        listing = _run(["pg_restore", "--list", str(path)])
    except BackupError as exc:
        raise BackupError(f"{path} is not a SchoolHQ backup ({exc})") from exc
    found = set()
    for line in listing.splitlines():
        words = line.split()
        # "215; 1259 16390 TABLE public account owner"
        if "TABLE" in words and "DATA" not in words:
            at = words.index("TABLE")
            if len(words) > at + 2:
                found.add(words[at + 2])
    if not REQUIRED_TABLES <= found:
        raise BackupError(f"{path} is not a SchoolHQ backup (tables missing)")


def restore(source: Path, aside_dir: Path) -> Path:
    """Put a backup in place; returns where the previous database was kept."""
    source = Path(source).resolve()
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    aside_dir.mkdir(parents=True, exist_ok=True)
    if db.engine.dialect.name == "sqlite":
        revision = check_sqlite_backup(source)
        if revision and revision not in _known_revisions():
            raise BackupError(f"{source} comes from a newer SchoolHQ (revision {revision}); upgrade first")
        aside = aside_dir / f"before-restore-{stamp}.db"
        db.session.remove()
        db.engine.dispose()
        backup(aside)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path())
        try:
            src.backup(live)
        finally:
            live.close()
            src.close()
    else:
        check_pg_backup(source)
        aside = aside_dir / f"before-restore-{stamp}.dump"
        db.session.remove()
        backup(aside)
        db.engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url()}", str(source)])
    db.engine.dispose()
    # the serving processes cached values of the database just replaced: a new stamp, signalled
    from schoolhq.core import process_cache

    process_cache.bump()
    db.session.commit()
    return aside
