"""Training requirements (who needs what, for how long), sessions with their roster and
attendance, the append-only amendments of attendance after the trainer confirmed it, and
completions: the record that a person met a requirement on a day, valid until a day."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.database import append_only
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

VALIDITY_KINDS = ("months", "none", "yearly_on")
MARKS = ("present", "late", "excused", "absent")


class Requirement(db.Model):
    """A training the school requires of some people: by role, department or name; how
    long a completion lasts; when renewal opens; hours a year; the stages completion needs;
    the duties a lapse affects."""

    __tablename__ = "training_requirement"
    __table_args__ = (
        CheckConstraint("validity IN ('months', 'none', 'yearly_on')", name="validity"),
        CheckConstraint("validity <> 'months' OR validity_months BETWEEN 1 AND 120", name="months"),
        CheckConstraint("validity <> 'yearly_on' OR length(renews_on) = 5", name="renews_on"),
        CheckConstraint("renew_window_days BETWEEN 0 AND 365", name="window"),
        CheckConstraint("hours_per_year IS NULL OR hours_per_year BETWEEN 1 AND 500", name="hours"),
        CheckConstraint("pass_mark_percent BETWEEN 1 AND 100", name="pass_mark"),
        CheckConstraint("retakes BETWEEN 0 AND 10", name="retakes"),
        CheckConstraint("on_job_records BETWEEN 1 AND 50", name="on_job_records"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    category: Mapped[str] = mapped_column(String(20), default="other")
    #: role codes ("all_staff": everyone on the staff list), department ids, person ids
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    department_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    person_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    validity: Mapped[str] = mapped_column(String(10), default="months")
    validity_months: Mapped[int | None]
    #: "MM-DD" a yearly_on completion runs to
    renews_on: Mapped[str] = mapped_column(String(5), default="")
    renew_window_days: Mapped[int] = mapped_column(default=30)
    hours_per_year: Mapped[int | None]
    #: theory, practical, on_the_job: what completion needs beyond attending
    stages: Mapped[list[str]] = mapped_column(JSON, default=list)
    pass_mark_percent: Mapped[int] = mapped_column(default=80)
    retakes: Mapped[int] = mapped_column(default=2)
    #: questions a theory test draws (0: all the active ones)
    quiz_size: Mapped[int] = mapped_column(default=0)
    #: the practical's checklist, one step per line
    practical_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: on the job: the person's next N rounds of this check (template key) submitted on time
    #: with no failed item
    on_job_template: Mapped[str] = mapped_column(String(60), default="")
    on_job_records: Mapped[int] = mapped_column(default=5)
    #: duty keys of data/training.yaml an expired or missing completion affects
    duties: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: a fire drill attended counts as a session of this requirement
    drills_count: Mapped[bool] = mapped_column(default=False)
    reference: Mapped[str] = mapped_column(String(300), default="")
    confidence: Mapped[str] = mapped_column(String(2), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TrainingSession(db.Model):
    """One session (or fire drill): when, who trains, where, the roster and its attendance.
    Once the trainer confirms it, attendance changes only by an amendment with a reason."""

    __tablename__ = "training_session"
    __table_args__ = (
        CheckConstraint("kind IN ('training', 'drill')", name="kind"),
        CheckConstraint("status IN ('planned', 'confirmed', 'cancelled')", name="status"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status <> 'confirmed' OR confirmed_at IS NOT NULL", name="confirmed_when"),
        CheckConstraint("evacuation_seconds IS NULL OR evacuation_seconds > 0", name="evacuation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default="training")
    title: Mapped[str] = mapped_column(String(120))
    requirement_id: Mapped[int | None] = mapped_column(ForeignKey("training_requirement.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    trainer_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    trainer_external: Mapped[str] = mapped_column(String(100), default="")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    place: Mapped[str] = mapped_column(String(100), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    materials_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    #: the printed sign-in sheet, signed on paper and scanned back
    sheet_scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    status: Mapped[str] = mapped_column(String(12), default="planned")
    #: the key of the rotating sign-in code the trainer's screen shows (services.signin_code)
    signin_secret: Mapped[str] = mapped_column(String(40), default="")
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: a fire drill's scenario, evacuation time and the problems it showed
    scenario: Mapped[str] = mapped_column(String(200), default="")
    evacuation_seconds: Mapped[int | None]
    problems: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    requirement: Mapped[Requirement | None] = relationship()
    trainer: Mapped[Person | None] = relationship()
    location: Mapped[Location | None] = relationship()
    confirmed_by: Mapped[Account | None] = relationship(foreign_keys=[confirmed_by_id])
    attendance: Mapped[list[Attendance]] = relationship(back_populates="session", order_by="Attendance.id")

    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class Attendance(db.Model):
    """One person on a session's roster: their mark, the minutes credited, and whether
    they confirmed they attended and understood."""

    __tablename__ = "training_attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "person_id", name="one_line_per_person"),
        CheckConstraint("mark IS NULL OR mark IN ('present', 'late', 'excused', 'absent')", name="mark"),
        CheckConstraint("minutes >= 0", name="minutes"),
        CheckConstraint("minutes = 0 OR mark IN ('present', 'late')", name="credit_only_attended"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("training_session.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    mark: Mapped[str | None] = mapped_column(String(8))
    minutes: Mapped[int] = mapped_column(default=0)
    #: qr (the trainee scanned the session's code), trainer (marked by the trainer)
    signed_in_how: Mapped[str] = mapped_column(String(8), default="")
    signed_in_at: Mapped[datetime | None]
    understood_at: Mapped[datetime | None]

    session: Mapped[TrainingSession] = relationship(back_populates="attendance")
    person: Mapped[Person] = relationship()


class AttendanceAmendment(db.Model):
    """A change to a confirmed session's attendance: before, after and why."""

    __tablename__ = "training_attendance_amendment"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(ForeignKey("training_attendance.id"), index=True)
    before_mark: Mapped[str] = mapped_column(String(8), default="")
    after_mark: Mapped[str] = mapped_column(String(8))
    before_minutes: Mapped[int] = mapped_column(default=0)
    after_minutes: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    by: Mapped[Account | None] = relationship()


append_only(AttendanceAmendment.__table__, "the amendments of training attendance")


class Completion(db.Model):
    """A person met a requirement on a day (a confirmed session, or an imported record),
    valid until `expires_on` (None: for good). Withdrawn with a reason, never deleted."""

    __tablename__ = "training_completion"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= completed_on", name="expires_after"),
        CheckConstraint("source IN ('session', 'import')", name="source"),
        Index("ix_training_completion_person_requirement", "person_id", "requirement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("training_requirement.id"), index=True)
    completed_on: Mapped[date]
    expires_on: Mapped[date | None]
    source: Mapped[str] = mapped_column(String(10), default="session")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("training_session.id"), index=True)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    #: the days-before-expiry threshold last warned about (30, 7, 0), so each warning goes once
    warned_days: Mapped[int | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))

    person: Mapped[Person] = relationship()
    requirement: Mapped[Requirement] = relationship()
    session: Mapped[TrainingSession | None] = relationship()


STAGES = ("theory", "practical", "on_the_job")


class Question(db.Model):
    """One question of a requirement's bank: single choice, multiple choice or true/false,
    its options and which are right."""

    __tablename__ = "training_question"
    __table_args__ = (CheckConstraint("kind IN ('single', 'multiple', 'true_false')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("training_requirement.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(String(500))
    options: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: the indexes of the right options
    answer: Mapped[list[int]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)


class QuizAttempt(db.Model):
    """One sitting of a requirement's theory test: the questions in the order drawn (with
    each one's options shuffled), the answers given, the score against the pass mark."""

    __tablename__ = "training_quiz_attempt"
    __table_args__ = (
        UniqueConstraint("person_id", "requirement_id", "number", name="one_number_per_person"),
        CheckConstraint("score_percent IS NULL OR score_percent BETWEEN 0 AND 100", name="score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("training_requirement.id"))
    #: 1 for the first sitting of this cycle, 2 for the first retake …
    number: Mapped[int]
    #: [{"id": question id, "options": [option indexes in the order shown]}]
    drawn: Mapped[list[dict]] = mapped_column(JSON, default=list)
    #: {question id: [option indexes chosen]}
    answers: Mapped[dict[str, list[int]]] = mapped_column(JSON, default=dict)
    pass_mark_percent: Mapped[int]
    score_percent: Mapped[int | None]
    passed: Mapped[bool | None]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]


class StageResult(db.Model):
    """A stage of a requirement passed or not yet for a person: a theory test, a practical
    signed off by an assessor (each step pass or not yet; not yet needs a reason and a
    retry day), or on the job (from the person's own check rounds, or an observation)."""

    __tablename__ = "training_stage_result"
    __table_args__ = (
        CheckConstraint("stage IN ('theory', 'practical', 'on_the_job')", name="stage"),
        CheckConstraint("passed OR reason <> ''", name="not_yet_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("training_requirement.id"))
    stage: Mapped[str] = mapped_column(String(12))
    passed: Mapped[bool]
    on: Mapped[date]
    #: practical: [{"step": text, "passed": bool, "note": text}]; on the job: the rounds
    detail: Mapped[list[dict]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(String(300), default="")
    retry_on: Mapped[date | None]
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("training_quiz_attempt.id"))
    assessor_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    signature_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessor: Mapped[Account | None] = relationship()
