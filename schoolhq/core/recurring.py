"""Recurring work (maintenance tickets coming due, auto-confirmations, later the check
rounds) runs from one place: `schoolhq tick` from cron or a scheduled task, and once a
minute inside `schoolhq serve`. Every job is idempotent, so running it twice, or from
both at once, creates nothing twice."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("schoolhq.recurring")


def jobs() -> dict[str, Callable[[], int]]:
    """Every area's scheduled jobs, in the order of schoolhq/areas.py."""
    from schoolhq.areas import declared

    return {name: job for area in declared() for name, job in area.jobs.items()}


def run_all(app) -> dict[str, int]:
    """Run every job in its own transaction; one failing job does not stop the others."""
    from schoolhq.extensions import db

    results = {}
    for name, job in jobs().items():
        with app.test_request_context("/tick"):
            try:
                results[name] = job() or 0
                db.session.commit()
            except Exception:  # logged, and the next minute tries again
                db.session.rollback()
                log.exception("recurring job %s failed", name)
                results[name] = -1
            finally:
                db.session.remove()
    return results


def start_background(app, every_seconds: int = 60) -> threading.Thread:
    """The in-process ticker of `schoolhq serve`."""
    stop = threading.Event()

    def loop():
        while not stop.wait(every_seconds):
            run_all(app)

    thread = threading.Thread(target=loop, name="schoolhq-tick", daemon=True)
    thread.start()
    return thread
