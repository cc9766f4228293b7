"""What bench/generate.py and bench/run.py share: the app bound to a bench database, the
sign-in every generated account has, and the bench's area modules in the app's order."""

from __future__ import annotations

import os
import tempfile
from importlib import import_module
from pathlib import Path

#: the sign-in bench/run.py uses; every generated account shares this password
ADMIN_USERNAME = "admin"
PASSWORD = "bench-pass-123"

BENCH = Path(__file__).resolve().parent.parent


def bench_app(db_path: Path, **config):
    """The app bound to db_path, with a throw-away instance folder and secret key so a
    benchmark never writes into the project's own instance/."""
    os.environ.setdefault("SCHOOLHQ_SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("SCHOOLHQ_INSTANCE", os.path.join(tempfile.gettempdir(), "schoolhq-bench-instance"))
    from schoolhq import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path.resolve()}",
        "INSTANCE_DIR": os.environ["SCHOOLHQ_INSTANCE"],
        **config,
    })


def area_modules(kind: str) -> list:
    """The modules of `kind` ("builders" or "measures"): first `school`, the frame's areas
    (core, auth, places, people) that every area stands on, then one for each area of
    schoolhq/areas.py that has a file here, in that order. Adding an area to the bench is
    adding its files; an area without them is left out."""
    from schoolhq.areas import AREAS

    names = ["school", *(area for area in AREAS if (BENCH / kind / f"{area}.py").exists())]
    return [import_module(f"{kind}.{name}") for name in names]
