"""What the area builders share: the school they build into, the tables, the school's
local time."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

#: how far back every generated history reaches
YEARS = 10
#: the one random generator's seed: two runs build the same school
SEED = 2026
SCHOOL_OFFSET = timedelta(hours=8)  # Asia/Shanghai: slips and numbers use the school's date


@dataclass
class School:
    """What the builders have made so far, for the ones that come after."""

    rng: random.Random
    now: datetime
    password_hash: str
    role_ids: dict[str, int] = field(default_factory=dict)
    department_ids: dict[str, int] = field(default_factory=dict)
    #: id -> materialised path
    department_paths: dict[int, str] = field(default_factory=dict)
    person_ids: list[int] = field(default_factory=list)
    current_person_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)
    admin_account_id: int = 0
    #: kind -> ids of active locations
    location_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=365 * YEARS)

    def moment(self) -> datetime:
        """A uniformly random instant of the decade."""
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=self.rng.random() * span)


#: every table of the app by name, filled by generate.py once the app (and so every model) is loaded
T: dict = {}


def school_time(day: date, hours: float) -> datetime:
    """Naive UTC of a school-local day and hour (any fraction of one: drawn times)."""
    return datetime(day.year, day.month, day.day) - SCHOOL_OFFSET + timedelta(seconds=round(hours * 3600))


def measured_day(today: date) -> date:
    """The school day the bench measures a day's rounds on: today on a school day, else the
    latest school day before it (a Saturday measures Friday's rounds), on the generated
    calendar (in a builder, through its connection). The checks builder leaves that day's
    rounds open, as they stand before anyone began them; nothing is invented for a day
    without school, so `materialise()`, the oversight and the compliance report see the
    calendar's rounds only."""
    from schoolhq.core.calendar import is_school_day

    day = today
    while not is_school_day(day) and day > today - timedelta(days=120):
        day -= timedelta(days=1)
    return day


def insert_rows(conn, table: str, rows: list[dict], chunk: int = 20_000) -> None:
    """Bulk-insert rows in order, `chunk` at a time (ids, where the rows leave them out, follow the order)."""
    from sqlalchemy import insert

    for first in range(0, len(rows), chunk):
        conn.execute(insert(T[table]), rows[first:first + chunk])


def new_token(rng: random.Random, taken: set[str]) -> str:
    """A label token (8 characters of the app's alphabet) that no place or asset in `taken`
    has yet; it is added to `taken`."""
    from schoolhq.places.services import TOKEN_ALPHABET

    token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
    while token in taken:
        token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
    taken.add(token)
    return token
