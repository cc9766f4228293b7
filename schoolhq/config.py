"""Settings from SCHOOLHQ_* environment variables, with defaults for one school.

What the school changes itself (name, calendar, thresholds) lives in the database and is
edited on the settings page; this module holds only what the server's operator sets.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


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
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "WTF_CSRF_TIME_LIMIT": None,
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
    }
