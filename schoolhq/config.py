"""Settings from SCHOOLHQ_* environment variables, with defaults for one school.

What the school changes itself (name, calendar, thresholds) lives in the database and is
edited on the settings page; this module holds only what the server's operator sets.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

#: the package itself, and the folder it sits in: the repository in a source checkout,
#: site-packages when installed from the wheel
PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parent


def resource_dir(name: str) -> Path:
    """templates/, static/ or migrations/: at the repository's top level in the source
    tree, inside the package (schoolhq/templates, ...) in an installed wheel."""
    packaged = PACKAGE / name
    return packaged if packaged.is_dir() else ROOT / name


def version() -> str:
    """The running code's version: the source tree's pyproject.toml when there is one
    (an editable install may be of another checkout), else the installed metadata."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == "schoolhq" and project.get("version"):
            return project["version"]
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("schoolhq")
    except PackageNotFoundError:
        return "unknown"


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip() or str(default)
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {value!r}")
    return int(value)


def instance_dir() -> Path:
    return Path(os.environ.get("SCHOOLHQ_INSTANCE", Path.cwd() / "instance")).resolve()


def ensure_secret_key(folder: Path) -> str:
    """Read instance/secret_key, creating it readable by its owner only on first run."""
    folder.mkdir(parents=True, exist_ok=True)
    key_file = folder / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def load_config() -> dict:
    folder = instance_dir()
    database_url = os.environ.get("SCHOOLHQ_DATABASE_URL") or f"sqlite:///{folder / 'schoolhq.db'}"
    secret_key = os.environ.get("SCHOOLHQ_SECRET_KEY") or ensure_secret_key(folder)
    https = _flag("SCHOOLHQ_HTTPS")
    upload_mb = int(os.environ.get("SCHOOLHQ_MAX_UPLOAD_MB", "10"))
    site_url = os.environ.get("SCHOOLHQ_SITE_URL", "").strip()
    if site_url:
        parts = urlsplit(site_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(f"SCHOOLHQ_SITE_URL must look like https://hq.example.edu.cn/, not {site_url!r}")
    return {
        "SECRET_KEY": secret_key,
        "INSTANCE_DIR": str(folder),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": os.environ.get("SCHOOLHQ_UPLOAD_FOLDER", str(folder / "uploads")),
        "MAX_CONTENT_LENGTH": upload_mb * 1024 * 1024,
        "SCHOOLHQ_DEFAULT_LANGUAGE": os.environ.get("SCHOOLHQ_DEFAULT_LANGUAGE", "zh_CN"),
        "SCHOOLHQ_TIMEZONE": os.environ.get("SCHOOLHQ_TIMEZONE", "Asia/Shanghai"),
        # Writers on SQLite queue on one in-process lock instead of busy-waiting on the
        # database lock: p99 of a save 15-30x lower (bench/README.md); off only for that bench.
        "SCHOOLHQ_SERIALIZE_WRITES": _flag("SCHOOLHQ_SERIALIZE_WRITES", "1"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        # Served over HTTPS (directly or behind the proxy): cookies only over HTTPS, and
        # browsers told to use nothing else for a year (Strict-Transport-Security).
        "SCHOOLHQ_HTTPS": https,
        # Failed sign-ins one client address may make in 15 minutes over all accounts;
        # behind a proxy, set SCHOOLHQ_PROXIES or every client shares the proxy's address.
        "SCHOOLHQ_FAILED_SIGNINS_PER_ADDRESS": _count("SCHOOLHQ_FAILED_SIGNINS_PER_ADDRESS", 20),
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # Seconds a request waits for a lock held elsewhere before answering "busy" (503),
        # and (PostgreSQL) the longest any one statement may run (core.database.engine_options).
        "SCHOOLHQ_DB_LOCK_TIMEOUT_S": _count("SCHOOLHQ_DB_LOCK_TIMEOUT_S", 8),
        "SCHOOLHQ_DB_STATEMENT_TIMEOUT_S": _count("SCHOOLHQ_DB_STATEMENT_TIMEOUT_S", 30),
        # The server: open connections it keeps (idle keep-alive ones included) and the
        # seconds an idle one stays open, so one device holding hundreds cannot starve the rest.
        "SCHOOLHQ_CONNECTION_LIMIT": _count("SCHOOLHQ_CONNECTION_LIMIT", 1000),
        "SCHOOLHQ_IDLE_TIMEOUT_S": _count("SCHOOLHQ_IDLE_TIMEOUT_S", 30),
        # Behind a reverse proxy: how many proxies' X-Forwarded-For/-Proto/-Host/-Port/-Prefix
        # to believe (0: none, the headers are ignored), and the address people use, which
        # printed QR labels and shown links carry (empty: the address of the request).
        "SCHOOLHQ_PROXIES": _count("SCHOOLHQ_PROXIES", 0),
        "SCHOOLHQ_SITE_URL": site_url.rstrip("/"),
        # Logs: stderr unless a file is named, which then rotates at SCHOOLHQ_LOG_MAX_MB
        # keeping SCHOOLHQ_LOG_BACKUPS old files; one access-log line per request.
        "SCHOOLHQ_LOG_LEVEL": os.environ.get("SCHOOLHQ_LOG_LEVEL", "INFO").strip().upper(),
        "SCHOOLHQ_LOG_FILE": os.environ.get("SCHOOLHQ_LOG_FILE", "").strip(),
        "SCHOOLHQ_LOG_MAX_MB": _count("SCHOOLHQ_LOG_MAX_MB", 10),
        "SCHOOLHQ_LOG_BACKUPS": _count("SCHOOLHQ_LOG_BACKUPS", 5),
        "SCHOOLHQ_ACCESS_LOG": _flag("SCHOOLHQ_ACCESS_LOG", "1"),
    }
