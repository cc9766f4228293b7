"""The server's logs: one line per event with its time, level and source, to stderr or,
when SCHOOLHQ_LOG_FILE names one, to a file that rotates by size; and an access log of
one line per request, which waitress does not write itself.

Logging is set up on the root logger, so waitress's and the libraries' lines come out the
same way. A migration run (alembic's fileConfig) replaces the root logger's handlers:
`schoolhq serve` therefore sets the logs up again once the database is prepared.
"""

from __future__ import annotations

import logging
import sys
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

FORMAT = "%(asctime)s %(levelname)s [%(name)s] %(message)s"
access_log = logging.getLogger("schoolhq.access")


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test runner or a daemon may swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure(config: dict[str, Any]) -> logging.Handler:
    """Send the logs where the settings say; calling it again replaces the earlier set-up."""
    level = logging.getLevelName(str(config.get("SCHOOLHQ_LOG_LEVEL") or "INFO").upper())
    if not isinstance(level, int):
        raise ValueError(f"SCHOOLHQ_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {config['SCHOOLHQ_LOG_LEVEL']!r}")
    root = logging.getLogger()
    # ours from before, and the plain console handler that alembic's logging set-up (run by
    # every migration) or logging.basicConfig leave, which would print each line twice
    for old in [h for h in root.handlers if getattr(h, "schoolhq", False) or type(h) is logging.StreamHandler]:
        root.removeHandler(old)
        if getattr(old, "schoolhq", False):
            old.close()
    path = config.get("SCHOOLHQ_LOG_FILE")
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            path, maxBytes=max(1, int(config.get("SCHOOLHQ_LOG_MAX_MB", 10))) * 1024 * 1024,
            backupCount=max(0, int(config.get("SCHOOLHQ_LOG_BACKUPS", 5))), encoding="utf-8")
    else:
        handler = _Stderr()
    handler.schoolhq = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # Flask gives the app's logger a handler of its own when none is set up; with ours on
    # the root, it would print every error twice.
    from flask.logging import default_handler

    logging.getLogger("schoolhq").removeHandler(default_handler)
    return handler


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


class AccessLog:
    """WSGI middleware: `203.0.113.7 GET /places/12 200 8ms` for every request, the time
    being until the response starts (a download's transfer is not counted)."""

    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        status = "-"

        def recording_start_response(status_line, headers, exc_info=None):
            nonlocal status
            status = status_line.split(" ", 1)[0]
            return start_response(status_line, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        except BaseException:
            status = "500" if status == "-" else status
            raise
        finally:
            if access_log.isEnabledFor(logging.INFO):
                path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
                path = path.encode("latin-1", "replace").decode("utf-8", "replace")  # WSGI's str is bytes
                access_log.info("%s %s %s %s %.0fms", environ.get("REMOTE_ADDR") or "-",
                                _printable(environ.get("REQUEST_METHOD", "-")), _printable(path), status,
                                (time.perf_counter() - started) * 1000)
