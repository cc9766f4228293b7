"""Recurring checks: versioned templates of items, schedules that say who checks what and
when, rounds materialised from them, answers saved one at a time, and the findings a
failed answer leaves behind."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core import messages
from schoolhq.core.permissions import AccessScope
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.assets.models import Asset
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location
    from schoolhq.repairs.models import Ticket

ITEM_TYPES = ("pass_fail", "pass_fail_na", "number", "text", "select", "date_expiry", "photo", "signature",
              "attachment")
FREQUENCIES = ("per_meal", "school_day", "weekly", "monthly", "quarterly", "term_start", "half_year", "yearly",
               "per_delivery")


class CheckTemplate(db.Model):
    """One version of a check template (检查表). A draft is edited; a published version is
    what new rounds use and never changes again; a retired one starts no more rounds.
    Versions of the same template share its key."""

    __tablename__ = "check_template"
    __table_args__ = (
        UniqueConstraint("key", "version", name="uq_check_template_key_version"),
        CheckConstraint("status IN ('draft', 'published', 'retired')", name="status"),
        CheckConstraint(f"frequency IN {FREQUENCIES}", name="frequency"),
        # at most one published version of a template at a time
        Index("uq_check_template_published_key", "key", unique=True,
              sqlite_where=text("status = 'published'"), postgresql_where=text("status = 'published'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the pack key, e.g. "canteen.daily"; shared by every version
    key: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    #: canteen, water, hygiene, safety …: groups the ledgers
    area: Mapped[str] = mapped_column(String(20), default="")
    title_zh: Mapped[str] = mapped_column(String(120))
    title_en: Mapped[str] = mapped_column(String(120), default="")
    frequency: Mapped[str] = mapped_column(String(20), default="school_day")
    #: who usually does it (a role code), offered when a schedule is made
    role: Mapped[str] = mapped_column(String(40), default="")
    #: "" one round per schedule target; "location" or "asset_kind:<kind>" suggested targets
    per: Mapped[str] = mapped_column(String(60), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    # allowed eager (tests/test_models.py): every reader of a template reads its few questions, and the
    # process cache keeps a version detached with them (services.template_version)
    items: Mapped[list[CheckItem]] = relationship(order_by="CheckItem.position", back_populates="template",
                                                  cascade="all, delete-orphan", lazy="selectin")


class CheckItem(db.Model):
    """One question of a template version, with its rule: the allowed range, what evidence
    a failure needs, whether it is critical, and whether it opens a ticket."""

    __tablename__ = "check_item"
    __table_args__ = (
        UniqueConstraint("id", "template_id", name="uq_check_item_id_template"),
        UniqueConstraint("template_id", "key", name="uq_check_item_template_key"),
        CheckConstraint(f"type IN {ITEM_TYPES}", name="type"),
        CheckConstraint("evidence IN ('none', 'on_fail', 'always')", name="evidence"),
        CheckConstraint("ticket IN ('off', 'suggest', 'auto')", name="ticket"),
        CheckConstraint("confidence IN ('P', 'S', 'G', '')", name="confidence"),
        CheckConstraint("min_value IS NULL OR max_value IS NULL OR min_value <= max_value", name="range_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("check_template.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: stable across versions: ledgers line up the same item of every version
    key: Mapped[str] = mapped_column(String(40))
    section: Mapped[str] = mapped_column(String(60), default="")
    prompt_zh: Mapped[str] = mapped_column(String(300))
    prompt_en: Mapped[str] = mapped_column(String(300), default="")
    type: Mapped[str] = mapped_column(String(20), default="pass_fail")
    unit: Mapped[str] = mapped_column(String(20), default="")
    min_value: Mapped[float | None] = mapped_column(Float)
    max_value: Mapped[float | None] = mapped_column(Float)
    #: select: [{"zh": …, "en": …, "fails": bool}]
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warn_days: Mapped[int | None]
    #: "asset_kind:<kind>": asked once for each such asset at the round's place
    per: Mapped[str] = mapped_column(String(60), default="")
    required: Mapped[bool] = mapped_column(default=True)
    evidence: Mapped[str] = mapped_column(String(10), default="none")
    critical: Mapped[bool] = mapped_column(default=False)
    ticket: Mapped[str] = mapped_column(String(10), default="off")
    reference: Mapped[str] = mapped_column(String(200), default="")
    #: P law text read, S secondary source, G common practice (see the domain README)
    confidence: Mapped[str] = mapped_column(String(1), default="")
    #: answered from an area's records, not by hand: the key an area declares in its
    #: `record_items` ("canteen.samples"); empty for an item asked on the round
    from_record: Mapped[str] = mapped_column(String(40), default="")

    template: Mapped[CheckTemplate] = relationship(back_populates="items")

    def prompt(self, language: str) -> str:
        return self.prompt_en if language == "en" and self.prompt_en else self.prompt_zh


class CheckSchedule(db.Model):
    """Who checks what, how often and in which window. Rounds are materialised from it."""

    __tablename__ = "check_schedule"
    __table_args__ = (
        CheckConstraint("target IN ('location', 'subtree', 'asset_kind')", name="target"),
        CheckConstraint(f"frequency IN {FREQUENCIES}", name="frequency"),
        CheckConstraint("assignee_id IS NOT NULL OR assignee_role <> ''", name="has_assignee"),
        CheckConstraint("grace_minutes >= 0", name="grace_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_key: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(12), default="location")
    #: the place (or the top of the subtree; for asset kinds, optionally where to look)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    kind_key: Mapped[str] = mapped_column(String(40), default="")
    frequency: Mapped[str] = mapped_column(String(20))
    #: per_meal: which meals of the setting checks.meals; empty means all
    meals: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the window on its day, school time ("HH:MM"); meals bring their own
    opens_time: Mapped[str] = mapped_column(String(5), default="07:00")
    due_time: Mapped[str] = mapped_column(String(5), default="17:00")
    #: after the due time, how long a late round may still be done before it is missed
    grace_minutes: Mapped[int] = mapped_column(default=60)
    #: every task has one named person: a person, or a role whose member who starts it
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    assignee_role: Mapped[str] = mapped_column(String(40), default="")
    #: no rounds for days before this one
    starts_on: Mapped[date | None]
    #: the last day materialised; the next run starts the day after
    materialised_through: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    location: Mapped[Location | None] = relationship()
    assignee: Mapped[Person | None] = relationship()


class CheckRound(db.Model):
    """One occurrence of a check: a template version at a target for a period. Submitted
    and missed rounds are frozen by the database; an amendment is a new revision."""

    __tablename__ = "check_round"
    __table_args__ = (
        UniqueConstraint("id", "template_id", name="uq_check_round_id_template"),
        CheckConstraint("status IN ('open', 'in_progress', 'submitted', 'missed')", name="status"),
        CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
        CheckConstraint("status <> 'submitted' OR (submitted_at IS NOT NULL AND result IS NOT NULL)",
                        name="submitted_complete"),
        CheckConstraint("revision = 1 OR (amends_id IS NOT NULL AND amend_reason <> '')", name="amendment_reason"),
        Index("ix_check_round_status_due", "status", "due_at"),
        Index("ix_check_round_assignee", "assignee_id", "status", "due_at"),
        Index("ix_check_round_template_period", "template_key", "period_start"),
        # a day's rounds on the oversight page: due, or submitted, that day
        Index("ix_check_round_due_at", "due_at"),
        Index("ix_check_round_submitted_at", "submitted_at"),
        # amendments are few: a partial index, so SQLite's statistics do not count every
        # round without one as a single huge group and ignore the index
        Index("ix_check_round_amends_id", "amends_id", sqlite_where=text("amends_id IS NOT NULL"),
              postgresql_where=text("amends_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("check_template.id"), index=True)
    #: the template's key, kept here so a month's ledger is one indexed range
    template_key: Mapped[str] = mapped_column(String(60))
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("check_schedule.id"), index=True)
    #: unique per schedule, target and period: materialising twice creates nothing twice
    round_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    #: "2026-11-26", "2026-11-26 lunch", "2026-W48", "2026-11", "2026-Q4", "term:3" …
    period: Mapped[str] = mapped_column(String(30), default="")
    period_start: Mapped[date]
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), index=True)
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"), index=True)
    #: per-asset items: {item id: [asset ids]} as found when the round was made
    subjects: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    opens_at: Mapped[datetime]
    due_at: Mapped[datetime]
    #: after this the round is missed
    closes_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="open")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    assignee_role: Mapped[str] = mapped_column(String(40), default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    started_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    submitted_at: Mapped[datetime | None]
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    result: Mapped[str | None] = mapped_column(String(4))
    failed_count: Mapped[int] = mapped_column(default=0)
    revision: Mapped[int] = mapped_column(default=1)
    #: the revision this one amends (its answers were copied, then changed)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("check_round.id"))
    amend_reason: Mapped[str] = mapped_column(String(300), default="")
    missed_at: Mapped[datetime | None]

    template: Mapped[CheckTemplate] = relationship()
    location: Mapped[Location] = relationship()
    asset: Mapped[Asset | None] = relationship()
    assignee: Mapped[Person | None] = relationship()
    submitted_by: Mapped[Account | None] = relationship(foreign_keys=[submitted_by_id])

    @property
    def location_path(self) -> str:
        return self.location.path

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.location.path)


class CheckAnswer(db.Model):
    """The answer to one item (for one asset, when the item is asked per asset) in one
    round. The composite keys tie the answer, its round and its item to the same template
    version, so an answer can never belong to another version's item."""

    __tablename__ = "check_answer"
    __table_args__ = (
        UniqueConstraint("round_id", "item_id", "subject_id", name="uq_check_answer_one_per_slot"),
        ForeignKeyConstraint(["round_id", "template_id"], ["check_round.id", "check_round.template_id"],
                             name="fk_check_answer_round_version"),
        ForeignKeyConstraint(["item_id", "template_id"], ["check_item.id", "check_item.template_id"],
                             name="fk_check_answer_item_version"),
        CheckConstraint("outcome IN ('pass', 'fail', 'na', 'warn', 'done')", name="outcome"),
        CheckConstraint("outcome <> 'na' OR note <> ''", name="na_has_reason"),
        Index("ix_check_answer_item_outcome", "item_id", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column()
    item_id: Mapped[int] = mapped_column()
    template_id: Mapped[int] = mapped_column()
    #: the asset this answer is about, for per-asset items; 0 otherwise
    subject_id: Mapped[int] = mapped_column(default=0)
    #: what was entered, as entered (numbers, dates, text, the chosen option's index)
    value: Mapped[str] = mapped_column(String(500), default="")
    number: Mapped[float | None] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(4))
    #: the N/A reason, the evidence note, or "corrected on the spot: …"
    note: Mapped[str] = mapped_column(String(500), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: a report, a signature: the file an item of that type asks for
    file_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    corrected: Mapped[bool] = mapped_column(default=False)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)


class CheckFinding(db.Model):
    """A failed item of a submitted round, until it is closed: by a ticket that is fixed,
    by a correction on the spot, or by the logistics office with a note."""

    __tablename__ = "check_finding"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'ticketed', 'corrected', 'closed')", name="status"),
        UniqueConstraint("answer_id", name="uq_check_finding_answer_id"),
        Index("ix_check_finding_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("check_round.id"), index=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("check_answer.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("check_item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    asset_id: Mapped[int | None] = mapped_column(ForeignKey("asset.id"))
    #: "value 11 °C, allowed 0–8 °C" and the like, for the ticket and the list: the text
    #: in the school's language, and the message (core.messages) shown in the reader's
    summary: Mapped[str] = mapped_column(String(500), default="")
    summary_message: Mapped[Any] = messages.column()
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: the item's rule asked for a ticket to be proposed (suggest), not opened
    ticket_proposed: Mapped[bool] = mapped_column(default=False)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    round: Mapped[CheckRound] = relationship()
    item: Mapped[CheckItem] = relationship()
    location: Mapped[Location] = relationship()
    asset: Mapped[Asset | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()

    @property
    def shown_summary(self) -> str:
        return messages.shown(self.summary_message, self.summary)

    @property
    def summary_value(self) -> Any:
        """The summary to pass on (into a ticket): its message, or its text."""
        return messages.kept(self.summary_message, self.summary)


# A submitted or missed round never changes, and neither do its answers: the database
# refuses it on both engines (migrations carry a copy of this DDL). None holds a %.
FROZEN_DDL = {
    ("check_round", "sqlite"): [
        "CREATE TRIGGER check_round_frozen BEFORE UPDATE ON check_round "
        "WHEN OLD.status IN ('submitted', 'missed') "
        "BEGIN SELECT RAISE(ABORT, 'a submitted or missed round never changes'); END",
        "CREATE TRIGGER check_round_no_delete BEFORE DELETE ON check_round "
        "BEGIN SELECT RAISE(ABORT, 'check rounds are never deleted'); END",
    ],
    ("check_answer", "sqlite"): [
        f"CREATE TRIGGER check_answer_frozen_{verb.lower()} BEFORE {verb} ON check_answer "
        f"WHEN (SELECT status FROM check_round WHERE id = {row}.round_id) IN ('submitted', 'missed') "
        "BEGIN SELECT RAISE(ABORT, 'a submitted or missed round never changes'); END"
        for verb, row in (("INSERT", "NEW"), ("UPDATE", "OLD"), ("DELETE", "OLD"))
    ],
    ("check_round", "postgresql"): [
        "CREATE OR REPLACE FUNCTION schoolhq_check_round_frozen() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'check rounds are never deleted'; END IF; "
        "IF OLD.status IN ('submitted', 'missed') THEN "
        "RAISE EXCEPTION 'a submitted or missed round never changes'; END IF; RETURN NEW; END; "
        "$$ LANGUAGE plpgsql",
        "CREATE TRIGGER check_round_frozen BEFORE UPDATE OR DELETE ON check_round "
        "FOR EACH ROW EXECUTE FUNCTION schoolhq_check_round_frozen()",
    ],
    ("check_answer", "postgresql"): [
        "CREATE OR REPLACE FUNCTION schoolhq_check_answer_frozen() RETURNS trigger AS $$ DECLARE "
        "round_status text; BEGIN "
        "SELECT status INTO round_status FROM check_round "
        "WHERE id = (CASE WHEN TG_OP = 'INSERT' THEN NEW.round_id ELSE OLD.round_id END); "
        "IF round_status IN ('submitted', 'missed') THEN "
        "RAISE EXCEPTION 'a submitted or missed round never changes'; END IF; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END; $$ LANGUAGE plpgsql",
        "CREATE TRIGGER check_answer_frozen BEFORE INSERT OR UPDATE OR DELETE ON check_answer "
        "FOR EACH ROW EXECUTE FUNCTION schoolhq_check_answer_frozen()",
    ],
}

for (_table, _dialect), _statements in FROZEN_DDL.items():
    for _statement in _statements:
        event.listen(db.metadata.tables[_table], "after_create", DDL(_statement).execute_if(dialect=_dialect))
