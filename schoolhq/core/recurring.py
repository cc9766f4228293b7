"""Recurring work (maintenance tickets coming due, auto-confirmations, later the check
rounds) runs from one place: `schoolhq tick` from cron or a scheduled task, and once a
minute inside `schoolhq serve`. Every job is idempotent, so running it twice, or from
both at once, creates nothing twice.

The log hears of a run when it created something, of a job's failure once with its
traceback, then while the job keeps failing the same way one short line per run, and
of its recovery."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("schoolhq.recurring")

#: job name -> (the error it fails with, how many runs in a row it has failed)
_failing: dict[str, tuple[str, int]] = {}
_failing_lock = threading.Lock()


def jobs() -> dict[str, Callable[[], int]]:
    """Every area's scheduled jobs, in the order of schoolhq/areas.py."""
    from schoolhq.areas import declared

    return {name: job for area in declared() for name, job in area.jobs.items()}


def _describe(error: BaseException) -> str:
    """The error without what changes from one run to the next (SQL parameters, times
    in a database error's later lines)."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line[:300]}"


def _failed(name: str, error: BaseException) -> None:
    described = _describe(error)
    with _failing_lock:
        previous, count = _failing.get(name, ("", 0))
        _failing[name] = (described, count + 1)
    if previous == described:
        log.warning("recurring job %s still failing (%d runs in a row): %s", name, count + 1, described)
    else:
        log.error("recurring job %s failed", name, exc_info=error)


def _succeeded(name: str) -> None:
    with _failing_lock:
        failure = _failing.pop(name, None)
    if failure is not None:
        log.info("recurring job %s works again after %d failed run%s", name, failure[1],
                 "" if failure[1] == 1 else "s")


def run_all(app) -> dict[str, int]:
    """Run every job in its own transaction; one failing job does not stop the others."""
    from schoolhq.core.database import begin_writing
    from schoolhq.extensions import db

    results = {}
    for name, job in jobs().items():
        with app.test_request_context("/tick"):
            begin_writing()  # the same write path as a request: queued, BEGIN IMMEDIATE
            try:
                results[name] = job() or 0
                db.session.commit()
            except Exception as error:  # logged, and the next run tries again
                try:
                    db.session.rollback()
                except Exception:  # the database itself may be what failed
                    pass
                _failed(name, error)
                results[name] = -1
            else:
                _succeeded(name)
            finally:
                try:
                    db.session.remove()
                except Exception:
                    pass
    done = {name: count for name, count in results.items() if count > 0}
    if done:
        log.info("recurring work done: %s", ", ".join(f"{name} {count}" for name, count in done.items()))
    return results


def start_background(app, every_seconds: int = 60) -> threading.Thread:
    """The in-process ticker of `schoolhq serve`."""
    stop = threading.Event()

    def loop():
        while not stop.wait(every_seconds):
            try:
                run_all(app)
            except Exception as error:  # keep ticking: the next minute may work
                _failed("(scheduler)", error)
            else:
                _succeeded("(scheduler)")

    thread = threading.Thread(target=loop, name="schoolhq-tick", daemon=True)
    thread.stop = stop.set  # type: ignore[attr-defined]
    # said before the first run, which on a busy machine can come before this line would
    log.info("recurring work runs every %d seconds: %s", every_seconds, ", ".join(jobs()) or "no jobs")
    thread.start()
    return thread
