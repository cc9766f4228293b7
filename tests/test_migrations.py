"""The migrations build exactly the schema the models describe, on both engines."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from schoolhq import create_app
from schoolhq.extensions import db
from tests.conftest import PG_URL


@pytest.fixture
def empty_database_url(tmp_path):
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    url = make_url(PG_URL)
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_to_head_matches_the_models_and_downgrades_cleanly(empty_database_url, tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"migrations and models differ: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_text_already_stored_stays_as_it_was_after_the_messages_arrive(empty_database_url, tmp_path):
    """8454e3075887 adds the message columns beside the plain text: rows written before keep
    their text, with no message, and show it to every reader."""
    from flask_babel import force_locale

    from schoolhq.core.models import Notification

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "SECRET_KEY": "x",
                      "INSTANCE_DIR": str(tmp_path)})
    with app.app_context():
        upgrade(revision="be3a19b5b861")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO person (id, name, pinyin, pinyin_initials, job_title, phone, created_at) "
                              "VALUES (1, '王芳', 'wangfang', 'wf', '', '', '2026-09-01 00:00:00')"))
            conn.execute(text("INSERT INTO account (id, username, password_hash, person_id, active, language, "
                              "failed_logins, created_at, session_version) "
                              "VALUES (1, 'teacher', 'x', 1, true, 'en', 0, '2026-09-01 00:00:00', 1)"))
            conn.execute(text("INSERT INTO notification (account_id, created_at, area, title, body, link) "
                              "VALUES (1, '2026-09-01 00:00:00', 'repairs', '报修单 BX2026-00001：已派单', "
                              "'归还时损坏：屏幕裂了', '')"))
        upgrade()
        note = db.session.scalar(select(Notification))
        assert (note.title, note.body, note.title_message, note.body_message) == (
            "报修单 BX2026-00001：已派单", "归还时损坏：屏幕裂了", None, None)
        with app.test_request_context(), force_locale("en"):
            assert (note.shown_title, note.shown_body) == ("报修单 BX2026-00001：已派单", "归还时损坏：屏幕裂了")
        db.session.remove()
        db.engine.dispose()
