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


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (20, 10), "blue").save(out, "PNG")
    return out.getvalue()


def test_one_backup_file_brings_back_the_uploads_too(app, tmp_path):
    import io
    from pathlib import Path

    from werkzeug.datastructures import FileStorage

    from schoolhq.core.uploads import path_of, save_upload

    folder = Path(app.config["UPLOAD_FOLDER"])
    with app.test_request_context():
        signature = save_upload(FileStorage(io.BytesIO(_png()), filename="signature.png"), images_only=True)
        db.session.commit()
        from schoolhq.core.uploads import keep_uploads_of_committed_request

        keep_uploads_of_committed_request()  # what the end of a request does
        kept = path_of(signature)
        content = kept.read_bytes()
        target = backup(tmp_path / "school.backup")
        kept.unlink()  # lost: a disk replaced, a folder deleted
        (folder / "stray.jpg").write_bytes(b"added after the backup")
        aside = restore(target, tmp_path / "aside")
    assert kept.read_bytes() == content
    assert not (folder / "stray.jpg").exists()
    assert list((tmp_path / "aside").glob("uploads-before-restore-*/stray.jpg"))  # kept aside, not lost
    assert aside.exists()


def test_a_backup_with_a_path_outside_the_uploads_is_refused_and_changes_nothing(app, tmp_path):
    import io
    import json
    import tarfile

    with app.test_request_context():
        places.create_location("campus", "阳光小学")
        db.session.commit()
        good = backup(tmp_path / "good.backup")
        evil = tmp_path / "evil.backup"
        with tarfile.open(good) as source, tarfile.open(evil, "w:gz") as out:
            for member in source.getmembers():
                out.addfile(member, source.extractfile(member))
            payload = b"owned"
            info = tarfile.TarInfo("uploads/../../secret_key")
            info.size = len(payload)
            out.addfile(info, io.BytesIO(payload))
        with pytest.raises(BackupError, match="unexpected entry"):
            restore(evil, tmp_path / "aside")
        other_engine = tmp_path / "other-engine.backup"
        with tarfile.open(good) as source, tarfile.open(other_engine, "w:gz") as out:
            for member in source.getmembers():
                data = source.extractfile(member).read()
                if member.name == "schoolhq-backup.json":
                    manifest = json.loads(data)
                    manifest["engine"] = "oracle"
                    data = json.dumps(manifest).encode()
                    member.size = len(data)
                out.addfile(member, io.BytesIO(data))
        with pytest.raises(BackupError, match="oracle"):
            restore(other_engine, tmp_path / "aside")
    with app.test_request_context():
        assert db.session.scalar(select(func.count(Location.id))) == 1
    assert not (tmp_path / "aside").exists() or not any((tmp_path / "aside").iterdir())
