"""The `schoolhq` command: init is idempotent, serve refuses an uninitialised
database, serve --demo prepares everything and prints the sign-ins; --version; serve
logs where configured and lets the configured proxies' headers through waitress."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from schoolhq import cli

pytestmark = [pytest.mark.dated,  # CI runs it again at other days of the school year
              pytest.mark.usefixtures("restore_logging")]


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("SCHOOLHQ_INSTANCE", str(tmp_path / "instance"))
    for name in ("SCHOOLHQ_DATABASE_URL", "SCHOOLHQ_SECRET_KEY", "SCHOOLHQ_PROXIES", "SCHOOLHQ_SITE_URL",
                 "SCHOOLHQ_LOG_FILE", "SCHOOLHQ_LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "instance"



#: what `schoolhq serve` gives waitress beside the address (README: Configuration)
SERVER_LIMITS = {"connection_limit": 1000, "channel_timeout": 30, "cleanup_interval": 10, "asyncore_use_poll": True}

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
    assert served == [{"host": "0.0.0.0", "port": 8765, "threads": 4, "ident": "SchoolHQ", **SERVER_LIMITS}]

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


def test_version_is_the_package_version(env, monkeypatch, tmp_path):
    import tomllib

    from schoolhq import config

    expected = tomllib.loads((config.ROOT / "pyproject.toml").read_text())["project"]["version"]
    result = CliRunner().invoke(cli.main, ["--version"])
    assert result.exit_code == 0 and result.output == f"schoolhq {expected}\n"
    # Installed from the wheel there is no pyproject.toml beside the package: the metadata tells.
    monkeypatch.setattr(config, "ROOT", tmp_path)
    monkeypatch.setattr("importlib.metadata.version", lambda name: "9.8.7" if name == "schoolhq" else None)
    assert config.version() == "9.8.7"


def test_serve_logs_to_the_configured_file_and_trusts_the_configured_proxies(env, monkeypatch, tmp_path):
    runner = CliRunner()
    assert runner.invoke(cli.main, ["init", "--admin-user", "itadmin", "--admin-password", "long-enough-1"]).exit_code == 0
    log_file = tmp_path / "log" / "schoolhq.log"
    monkeypatch.setenv("SCHOOLHQ_LOG_FILE", str(log_file))
    monkeypatch.setenv("SCHOOLHQ_PROXIES", "1")
    monkeypatch.setenv("SCHOOLHQ_SITE_URL", "https://hq.example.edu.cn")
    monkeypatch.setattr("schoolhq.core.recurring.start_background", lambda app: None)
    served = []

    def fake_serve(app, **options):
        import logging

        served.append(options)
        logging.getLogger("waitress").info("Serving on http://127.0.0.1:%s", options["port"])
        app.test_client().get("/health", headers={"X-Forwarded-For": "203.0.113.5"})

    monkeypatch.setattr("waitress.serve", fake_serve)
    result = runner.invoke(cli.main, ["serve", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert served == [{"host": "127.0.0.1", "port": 8765, "threads": 8, "ident": "SchoolHQ", **SERVER_LIMITS,
                       "clear_untrusted_proxy_headers": False}]
    lines = log_file.read_text(encoding="utf-8").splitlines()
    # after the migrations (whose alembic logging set-up replaces ours) the logs still go to the file
    from schoolhq.config import version

    assert any(line.endswith(f"INFO [schoolhq] SchoolHQ {version()} serving on 127.0.0.1:8765 with 8 threads, "
                             "site https://hq.example.edu.cn") for line in lines), lines
    assert any(line.endswith("INFO [waitress] Serving on http://127.0.0.1:8765") for line in lines), lines
    assert any(" INFO [schoolhq.access] 203.0.113.5 GET /health 200 " in line for line in lines), lines
    import logging

    # nothing printed twice: alembic's console handler from the migrations is gone
    assert not [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
