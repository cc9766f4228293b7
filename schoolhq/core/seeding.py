"""First content each area ships (categories, kinds, statuses …), loaded idempotently
by `schoolhq init`, `schoolhq serve` and the tests: running it twice adds nothing, and
a school's own edits are kept. Each area names its seeders in its `area.py`."""

from __future__ import annotations


def seed_all() -> None:
    from schoolhq.areas import declared
    from schoolhq.auth.services import sync_builtin_roles

    sync_builtin_roles()
    for area in declared():
        for seeder in area.seeders:
            seeder()
