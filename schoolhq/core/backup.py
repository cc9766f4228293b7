"""Backup and restore: one file holding the database (the SQLite online backup API, or
pg_dump for PostgreSQL) and every uploaded file (signatures, photos, inspection reports),
as a gzipped tar with a small manifest.

A restore first checks that the file is a SchoolHQ backup this version understands, then
keeps the current database and uploads aside, then puts the backup in place and upgrades
it. A bare database file from an older SchoolHQ still restores (the uploads stay as
they are).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
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


MANIFEST = "schoolhq-backup.json"
UPLOADS = "uploads/"


def _database_member() -> str:
    return "database.db" if db.engine.dialect.name == "sqlite" else "database.dump"


def _upload_folder() -> Path:
    from flask import current_app

    return Path(current_app.config["UPLOAD_FOLDER"])


def backup(target: Path) -> Path:
    """The database and the uploads in one new file; never overwrites one."""
    from schoolhq.core.uploads import PENDING

    target = Path(target).resolve()
    if target.exists():
        raise BackupError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".backup-") as work:
        database = Path(work) / _database_member()
        _backup_database(database)
        folder = _upload_folder()
        files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.endswith(PENDING)) \
            if folder.is_dir() else []
        manifest = Path(work) / MANIFEST
        manifest.write_text(json.dumps({"format": 1, "engine": db.engine.dialect.name,
                                        "database": database.name, "uploads": len(files),
                                        "written_at": datetime.now().isoformat(timespec="seconds")}))
        partial = Path(work) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest, MANIFEST)
            archive.add(database, database.name)
            for path in files:
                archive.add(path, UPLOADS + path.name)
        partial.replace(target)  # whole or not at all
    return target


def _backup_database(target: Path) -> None:
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


def _unpack(source: Path, work: Path) -> tuple[Path, list[tarfile.TarInfo], tarfile.TarFile]:
    """The database file of a backup archive, unpacked into `work`, and the archive's
    uploads (checked: plain files straight under uploads/, nothing else)."""
    try:
        archive = tarfile.open(source, "r:*")
        members = archive.getmembers()
        manifest = json.loads(archive.extractfile(archive.getmember(MANIFEST)).read())
    except (tarfile.TarError, KeyError, ValueError, AttributeError) as exc:
        raise BackupError(f"{source} is not a SchoolHQ backup ({exc})") from exc
    engine = db.engine.dialect.name
    if manifest.get("engine") != engine:
        raise BackupError(f"{source} is a backup of a {manifest.get('engine')} database; this SchoolHQ runs "
                          f"on {engine}")
    database, uploads = None, []
    for member in members:
        if member.name == manifest.get("database") == _database_member() and member.isfile():
            database = member
        elif member.name.startswith(UPLOADS) and member.isfile() and "/" not in member.name[len(UPLOADS):] \
                and member.name[len(UPLOADS):] not in ("", ".", ".."):
            uploads.append(member)
        elif member.name != MANIFEST:
            raise BackupError(f"{source} is not a SchoolHQ backup (unexpected entry {member.name!r})")
    if database is None:
        raise BackupError(f"{source} is not a SchoolHQ backup (no database in it)")
    target = work / database.name
    with archive.extractfile(database) as data, open(target, "wb") as out:
        shutil.copyfileobj(data, out)
    return target, uploads, archive


def restore(source: Path, aside_dir: Path) -> Path:
    """Put a backup in place; returns where the previous database was kept (its uploads
    beside it, in uploads-before-restore-<time>)."""
    source = Path(source).resolve()
    if not source.is_file():
        raise BackupError(f"{source} does not exist")
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    if not tarfile.is_tarfile(source):
        return _restore_database(source, aside_dir, stamp)  # a bare database from before uploads were kept
    with tempfile.TemporaryDirectory(prefix="schoolhq-restore-") as work:
        database, uploads, archive = _unpack(source, Path(work))
        with archive:
            aside = _restore_database(database, aside_dir, stamp)
            folder = _upload_folder()
            if folder.exists():
                shutil.move(str(folder), str(aside_dir / f"uploads-before-restore-{stamp}"))
            folder.mkdir(parents=True)
            for member in uploads:
                with archive.extractfile(member) as data, open(folder / member.name[len(UPLOADS):], "wb") as out:
                    shutil.copyfileobj(data, out)
    return aside


def _check_database(path: Path) -> None:
    if db.engine.dialect.name == "sqlite":
        revision = check_sqlite_backup(path)
        if revision and revision not in _known_revisions():
            raise BackupError(f"{path.name} comes from a newer SchoolHQ (revision {revision}); upgrade first")
    else:
        check_pg_backup(path)


def _restore_database(source: Path, aside_dir: Path, stamp: str) -> Path:
    _check_database(source)
    aside_dir.mkdir(parents=True, exist_ok=True)
    if db.engine.dialect.name == "sqlite":
        aside = aside_dir / f"before-restore-{stamp}.db"
        db.session.remove()
        db.engine.dispose()
        _backup_database(aside)
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(_sqlite_path())
        try:
            src.backup(live)
        finally:
            live.close()
            src.close()
    else:
        aside = aside_dir / f"before-restore-{stamp}.dump"
        db.session.remove()
        _backup_database(aside)
        db.engine.dispose()
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              f"--dbname={_libpq_url()}", str(source)])
    db.engine.dispose()
    # the serving processes cached values of the database just replaced: a new stamp, signalled
    from schoolhq.core import process_cache

    process_cache.bump()
    db.session.commit()
    return aside
