"""`schoolhq backup` and `schoolhq restore`: a backup taken, data changed, the backup
restored, the data compared; a file that is not a backup changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from schoolhq.core.backup import BackupError, backup, restore
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.places.models import Location


def _names():
    return sorted(db.session.scalars(select(Location.name)))


def test_backup_change_restore_compare(app, tmp_path):
    with app.test_request_context():
        campus = places.create_location("campus", "阳光小学")
        places.create_location("building", "教学楼", campus.id)
        db.session.commit()
        before = _names()
        target = backup(tmp_path / "school.backup")
        assert target.exists() and target.stat().st_size > 0
        with pytest.raises(BackupError):
            backup(tmp_path / "school.backup")  # never overwrites an earlier backup

        places.create_location("building", "新楼", campus.id)
        places.update_location(campus.id, "改名小学", "", None)
        db.session.commit()
        assert _names() != before

        aside = restore(target, tmp_path / "aside")
        assert aside.exists()
    with app.test_request_context():
        assert _names() == before
        # the database kept aside is the one from just before the restore
        assert aside.stat().st_size > 0


def test_a_file_that_is_not_a_backup_changes_nothing(app, tmp_path):
    with app.test_request_context():
        places.create_location("campus", "阳光小学")
        db.session.commit()
        bogus = tmp_path / "holiday-photos.zip"
        bogus.write_bytes(b"PK\x03\x04 definitely not a database")
        with pytest.raises(BackupError, match="not a SchoolHQ backup"):
            restore(bogus, tmp_path / "aside")
        with pytest.raises(BackupError):
            restore(tmp_path / "missing.backup", tmp_path / "aside")
    with app.test_request_context():
        assert db.session.scalar(select(func.count(Location.id))) == 1
        assert not (tmp_path / "aside").exists() or not any((tmp_path / "aside").iterdir())


def test_an_sqlite_database_of_another_program_is_refused(app, tmp_path):
    import sqlite3

    from tests.conftest import engine_name

    if engine_name() != "sqlite":
        pytest.skip("SQLite-specific check")
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY)")
    with app.test_request_context():
        with pytest.raises(BackupError, match="missing tables"):
            restore(other, tmp_path / "aside")
