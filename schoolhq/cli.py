"""The `schoolhq` command: init, serve, demo, backup, restore, unlock."""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path

import click
from flask import Flask

from schoolhq import create_app
from schoolhq.config import version
from schoolhq.extensions import db


def _app() -> Flask:
    return create_app()


def prepare_database(app: Flask) -> None:
    """Apply migrations and make sure the built-in roles exist. Safe to run again."""
    from flask_migrate import upgrade

    from schoolhq.core.seeding import seed_all

    with app.app_context():
        upgrade()
        seed_all()
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            # Planner statistics: without them SQLite picks poor plans for the big lists.
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")


def _initialised(app: Flask) -> bool:
    from schoolhq.auth.services import has_any_admin

    with app.app_context():
        return has_any_admin()


@click.group()
@click.version_option(version(), "--version", "-V", prog_name="schoolhq", message="%(prog)s %(version)s")
def main() -> None:
    """SchoolHQ: fine-grained school logistics (后勤精细化)."""


@main.command()
@click.option("--admin-user", help="User name of the first administrator.")
@click.option("--admin-password", help="Password of the first administrator (asked for when missing).")
@click.option("--admin-name", default="系统管理员", show_default=True, help="Display name of the administrator.")
def init(admin_user: str | None, admin_password: str | None, admin_name: str) -> None:
    """Prepare a real school: migrations, built-in roles, the first administrator."""
    from schoolhq.auth import services as auth
    from schoolhq.core.errors import ServiceError
    from schoolhq.people import services as people

    app = _app()
    prepare_database(app)
    if _initialised(app):
        click.echo("SchoolHQ is already initialised; nothing changed.")
        return
    if not admin_user:
        admin_user = click.prompt("Administrator user name", default="admin")
    if not admin_password:
        if not sys.stdin.isatty():
            raise click.UsageError("give --admin-password when not running interactively")
        admin_password = getpass.getpass("Administrator password (8+ characters): ")
        if getpass.getpass("Again: ") != admin_password:
            raise click.ClickException("The two passwords differ; nothing changed.")
    with app.app_context():
        try:
            person = people.create_person(admin_name, job_title="IT")
            account = auth.create_account(person.id, admin_user, admin_password)
            admin_role = next(role for role in auth.roles() if role.code == "admin")
            auth.assign_role(account.id, admin_role.id)
            db.session.commit()
        except ServiceError as error:
            db.session.rollback()
            raise click.ClickException(f"{error.message}; nothing changed.") from None
    click.echo(f"SchoolHQ is ready. Sign in as {admin_user}, then add your school's places and people.")


def _load_demo(app: Flask) -> dict[str, str] | None:
    from schoolhq import demo

    # A request context: the demo goes through the same services as the pages, and
    # their notifications carry links.
    with app.test_request_context():
        if not demo.is_empty():
            return None
        logins = demo.load()
        db.session.commit()
        return logins


def _print_logins() -> None:
    from schoolhq import demo

    click.echo(f"Demo sign-ins (password for all: {demo.DEMO_PASSWORD}):")
    for code, (username, name, _dept, title) in demo.DEMO_LOGINS.items():
        click.echo(f"  {code:<16} {username:<12} {name}（{title}）")


@main.command("demo")
def demo_command() -> None:
    """Load the demo school into an empty database."""
    app = _app()
    prepare_database(app)
    if _load_demo(app) is None:
        raise click.ClickException("The database already holds people; the demo loads only into an empty one.")
    _print_logins()


@main.command()
@click.option("--demo", is_flag=True, help="Load the demo school into an empty database and print its sign-ins.")
@click.option("--host", default="127.0.0.1", show_default=True, help="0.0.0.0 to serve the campus LAN.")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(demo: bool, host: str, port: int, threads: int) -> None:
    """Serve SchoolHQ with waitress."""
    from waitress import serve as waitress_serve

    app = _app()
    if demo:
        prepare_database(app)
        _load_demo(app)
        _print_logins()
    else:
        if not (_has_schema(app) and _initialised(app)):
            raise click.ClickException(
                "This database is not initialised. Run `schoolhq init` to create the first administrator "
                "(or `schoolhq serve --demo` to try the demo school).")
        prepare_database(app)
    # Everything loaded so far lives as long as the process: keep it out of the
    # collector's full passes, which otherwise pause a request for ~100 ms (bench/).
    import gc

    gc.collect()
    gc.freeze()
    from schoolhq.core import logs, recurring

    # Running the migrations set alembic's logging up in place of ours: set ours up again.
    logs.configure(app.config)
    recurring.run_all(app)
    recurring.start_background(app)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"SchoolHQ is running at http://{shown}:{port}/  (Ctrl+C stops it)")
    logging.getLogger("schoolhq").info("SchoolHQ %s serving on %s:%d with %d threads%s", version(), host, port,
                                       threads, f", site {app.config['SCHOOLHQ_SITE_URL']}"
                                       if app.config.get("SCHOOLHQ_SITE_URL") else "")
    waitress_serve(app, **waitress_options(app, host, port, threads))


def waitress_options(app: Flask, host: str, port: int, threads: int) -> dict:
    """waitress's settings. Idle keep-alive connections hold no thread but count against
    the connection limit (100 by default, with two minutes' grace each): a few hundred
    from one tablet or a careless script then left nobody else a connection. poll() in
    place of select(), which cannot watch more than 1,024 sockets."""
    limit, idle = app.config["SCHOOLHQ_CONNECTION_LIMIT"], app.config["SCHOOLHQ_IDLE_TIMEOUT_S"]  # schoolhq.config
    _allow_open_files(limit + 100)
    options = {"host": host, "port": port, "threads": threads, "ident": "SchoolHQ", "connection_limit": limit,
               "channel_timeout": idle, "cleanup_interval": max(1, min(10, idle)), "asyncore_use_poll": True}
    if app.config.get("SCHOOLHQ_PROXIES"):
        # waitress drops every X-Forwarded-* header by default; the app's ProxyFix reads
        # those of the configured number of proxies, and ignores the rest
        options["clear_untrusted_proxy_headers"] = False
    return options


def _allow_open_files(wanted: int) -> None:
    """Raise this process's open-file limit towards `wanted` (each connection is one)."""
    try:
        import resource
    except ImportError:  # not on this system
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


@main.command()
@click.argument("username")
@click.option("--addresses", is_flag=True, help="Also lift the throttle on every client address.")
def unlock(username: str, addresses: bool) -> None:
    """Let USERNAME sign in again after too many failed sign-ins (a locked-out administrator's way back)."""
    from schoolhq.auth import services as auth
    from schoolhq.core.errors import ServiceError

    app = _app()
    with app.app_context():
        try:
            auth.unlock(username, every_address=addresses)
            db.session.commit()
        except ServiceError:
            db.session.rollback()
            raise click.ClickException(f"There is no account {username!r}; nothing changed.") from None
    click.echo(f"{username} may sign in again" + (", from every address." if addresses else "."))


@main.command()
def tick() -> None:
    """Create the recurring work that has come due (maintenance tickets, confirmations).
    `serve` does this every minute; run it from cron when SchoolHQ is served otherwise."""
    from schoolhq.core import recurring

    app = _app()
    for name, count in recurring.run_all(app).items():
        click.echo(f"{name}: {'failed, see the log' if count < 0 else count}")


def _has_schema(app: Flask) -> bool:
    from sqlalchemy import inspect

    with app.app_context():
        return inspect(db.engine).has_table("account")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write the database and every uploaded file to FILE while SchoolHQ keeps running."""
    from schoolhq.core.backup import BackupError
    from schoolhq.core.backup import backup as do_backup

    app = _app()
    with app.app_context():
        try:
            target = do_backup(file)
        except BackupError as error:
            raise click.ClickException(str(error)) from None
    click.echo(f"Backup written to {target}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database and the uploads with the backup in FILE (the current ones are kept aside)."""
    from schoolhq.core.backup import BackupError
    from schoolhq.core.backup import restore as do_restore

    app = _app()
    if not yes and not click.confirm(f"Replace the current database with {file}?"):
        raise click.Abort()
    with app.app_context():
        try:
            aside = do_restore(file, Path(app.config["INSTANCE_DIR"]) / "backups")
        except BackupError as error:
            raise click.ClickException(f"{error}. Nothing was changed.") from None
    prepare_database(app)
    click.echo(f"Restored from {file}. The previous database is kept at {aside}")


if __name__ == "__main__":  # pragma: no cover
    main()
