"""Build a decade-sized SchoolHQ school into a fresh SQLite file, for bench/run.py.

    python bench/generate.py /tmp/bench.db

The schema, the built-in roles and the areas' seed rows come from the app's own
`prepare_database` (migrations, then seeding), so the benchmark measures the database a
school would have. The rows themselves go in with
SQLAlchemy Core bulk inserts: the services would need many minutes for 200,000 audit
rows, and they are not what the benchmark measures.

Each area adds its rows with the `build(conn, school)` of its module in bench/builders/
(its sizes at the top), run in the app's area order after the school they stand on
(`harness.area_modules`). Everything is drawn from one seeded random generator, so two
runs build the same school (only the timestamps move with today's date).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from harness import ADMIN_USERNAME, PASSWORD, area_modules, bench_app
from harness.build import SEED, School, T
from sqlalchemy import func, select


def generate(db_path: Path, analyze: bool = False) -> dict[str, int]:
    """Build the school into db_path (which must not exist); returns row counts. With
    `analyze`, finish with SQLite's ANALYZE, which the app itself never runs (yet): the
    query planner then knows, say, that nearly every asset has an on-register status."""
    from werkzeug.security import generate_password_hash

    from schoolhq.auth.models import Role
    from schoolhq.cli import prepare_database
    from schoolhq.core.timeutil import utcnow
    from schoolhq.extensions import db

    if db_path.exists():
        raise SystemExit(f"{db_path} exists; the generator only fills a fresh file.")
    app = bench_app(db_path)
    # What `schoolhq init` does first: every migration, the built-in roles and whatever
    # else the areas seed; so the bench database has the schema a school would have.
    prepare_database(app)
    with app.app_context():
        school = School(rng=random.Random(SEED), now=utcnow().replace(microsecond=0),
                        password_hash=generate_password_hash(PASSWORD))
        school.role_ids = dict(db.session.execute(select(Role.code, Role.id)).all())
        T.update(db.metadata.tables)
        builders = area_modules("builders")
        # The builders write through the session's connection, so the app's own rules they
        # call (the school days, the school-hours clock, settings) read what the builders
        # before them wrote, in the same transaction.
        conn = db.session.connection()
        for builder in builders:
            started = time.perf_counter()
            builder.build(conn, school)
            print(f"  {builder.__name__:<22} {time.perf_counter() - started:6.1f} s", flush=True)
        db.session.commit()
        # after the build has been committed, with the app: each asserts what it checks
        for builder in builders:
            if hasattr(builder, "after_build"):
                builder.after_build(app)
        if analyze:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        counts = {}
        with db.engine.connect() as conn:
            for name in sorted(name for builder in builders for name in builder.TABLES):
                counts[name] = conn.execute(select(func.count()).select_from(T[name])).scalar_one()
        db.engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="the SQLite file to create")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE at the end (the app does not; compare the two with run.py)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.db, args.analyze)
    print(", ".join(f"{name} {count:,}" for name, count in counts.items()))
    print(f"Built {args.db} in {time.perf_counter() - started:.1f} s; "
          f"sign in as {ADMIN_USERNAME} / {PASSWORD}")


if __name__ == "__main__":
    main()
