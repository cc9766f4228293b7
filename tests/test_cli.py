"""The `schoolhq` command: init is idempotent, serve refuses an uninitialised
database, serve --demo prepares everything and prints the sign-ins."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from schoolhq import cli

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SCHOOLHQ_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.delenv("SCHOOLHQ_DATABASE_URL", raising=False)
    monkeypatch.delenv("SCHOOLHQ_SECRET_KEY", raising=False)
    return tmp_path / "instance"


def test_serve_refuses_an_uninitialised_database(env):
    result = CliRunner().invoke(cli.main, ["serve"])
    assert result.exit_code != 0
    assert "schoolhq init" in result.output


def test_init_creates_the_first_administrator_once(env, monkeypatch):
    runner = CliRunner()
    first = runner.invoke(cli.main, ["init", "--admin-user", "itadmin", "--admin-password", "long-enough-1"])
    assert first.exit_code == 0, first.output
    assert "itadmin" in first.output
    again = runner.invoke(cli.main, ["init", "--admin-user", "other", "--admin-password", "long-enough-2"])
    assert again.exit_code == 0 and "already initialised" in again.output
    served = []
    monkeypatch.setattr("waitress.serve", lambda app, **kw: served.append(kw))
    result = runner.invoke(cli.main, ["serve", "--host", "0.0.0.0", "--port", "8765", "--threads", "4"])
    assert result.exit_code == 0, result.output
    assert served == [{"host": "0.0.0.0", "port": 8765, "threads": 4, "ident": "SchoolHQ"}]

    from schoolhq import create_app
    from schoolhq.auth.services import accounts_with_role

    with create_app().app_context():
        assert [a.username for a in accounts_with_role("admin")] == ["itadmin"]


def test_init_refuses_a_short_password_and_changes_nothing(env):
    result = CliRunner().invoke(cli.main, ["init", "--admin-user", "itadmin", "--admin-password", "short"])
    assert result.exit_code != 0 and "nothing changed" in result.output
    assert "schoolhq init" in CliRunner().invoke(cli.main, ["serve"]).output


def test_serve_demo_prepares_the_demo_school(env, monkeypatch):
    monkeypatch.setattr("waitress.serve", lambda app, **kw: None)
    result = CliRunner().invoke(cli.main, ["serve", "--demo"])
    assert result.exit_code == 0, result.output
    assert "principal" in result.output and "demo1234" in result.output
    assert "http://127.0.0.1:8000/" in result.output
    assert (env / "secret_key").stat().st_mode & 0o777 == 0o600
    # A second start keeps the data and does not load the demo twice.
    assert CliRunner().invoke(cli.main, ["serve", "--demo"]).exit_code == 0
    from sqlalchemy import func, select

    from schoolhq import create_app
    from schoolhq.extensions import db
    from schoolhq.people.models import Person

    with create_app().app_context():
        assert 55 <= db.session.scalar(select(func.count(Person.id))) <= 70


def test_backup_and_restore_commands(env, tmp_path, monkeypatch):
    monkeypatch.setattr("waitress.serve", lambda app, **kw: None)
    runner = CliRunner()
    runner.invoke(cli.main, ["serve", "--demo"])
    target = tmp_path / "nightly.backup"
    result = runner.invoke(cli.main, ["backup", str(target)])
    assert result.exit_code == 0 and target.exists(), result.output
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    refused = runner.invoke(cli.main, ["restore", str(bogus), "--yes"])
    assert refused.exit_code != 0 and "Nothing was changed" in refused.output
    restored = runner.invoke(cli.main, ["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    assert "kept at" in restored.output
