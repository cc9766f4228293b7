"""First content each area ships (categories, kinds, statuses …), loaded idempotently
by `schoolhq init`, `schoolhq serve` and the tests: running it twice adds nothing, and
a school's own edits are kept."""

from __future__ import annotations

from collections.abc import Callable

SEEDERS: list[Callable[[], None]] = []


def register(seeder: Callable[[], None]) -> Callable[[], None]:
    SEEDERS.append(seeder)
    return seeder


def seed_all() -> None:
    from schoolhq.auth.services import sync_builtin_roles

    sync_builtin_roles()
    for seeder in SEEDERS:
        seeder()
