from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.permissions import AccessScope
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.auth.models import Account
    from schoolhq.places.models import Location


class Department(db.Model):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: materialised path of ids, '/2/5/'
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    # The department ↔ person cycle is broken at creation by adding this key afterwards.
    head_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", use_alter=True), index=True
    )
    archived_at: Mapped[datetime | None]

    parent: Mapped[Department | None] = relationship(remote_side=[id])
    head: Mapped[Person | None] = relationship(foreign_keys=[head_person_id])

    def access_scope(self) -> AccessScope:
        return AccessScope(department_path=self.path)


class Person(db.Model):
    """A staff profile. A person may have no sign-in (a canteen helper, a contractor)."""

    __tablename__ = "person"
    __table_args__ = (Index("ix_person_initials", "pinyin_initials"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), index=True)
    #: pinyin of the name without tones, "wangfang", and its initials, "wf", for search
    pinyin: Mapped[str] = mapped_column(String(120), default="")
    pinyin_initials: Mapped[str] = mapped_column(String(30), default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    job_title: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    #: a staff badge's code, for scanning
    badge_code: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: set when the person leaves; their records stay
    left_at: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    account: Mapped[Account | None] = relationship(back_populates="person")

    def access_scope(self) -> AccessScope:
        return AccessScope(department_path=self.department.path if self.department else None)


class Responsibility(db.Model):
    """A responsibility area (责任区) a person holds: a duty, optionally over a place."""

    __tablename__ = "responsibility"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    person: Mapped[Person] = relationship()
    location: Mapped[Location | None] = relationship()

    def access_scope(self) -> AccessScope:
        if self.location is not None:
            return AccessScope(location_path=self.location.path)
        return self.person.access_scope()


class CertificateType(db.Model):
    """A kind of certificate staff hold (健康证, 电工证, 食品安全管理员证), seeded from
    data/certificates.yaml with its reference; the training area adds its own."""

    __tablename__ = "certificate_type"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    #: months a new certificate is valid for when it names no date; None: no expiry
    validity_months: Mapped[int | None]
    #: an expired or missing one keeps its holder from the work it covers (健康证: 食品安全法 第45条)
    blocks_work: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the roles whose holders need it, and the permission of who is warned beside the holder
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    supervisor_permission: Mapped[str] = mapped_column(String(40), default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    confidence: Mapped[str] = mapped_column(String(2), default="")
    sort_order: Mapped[int] = mapped_column(default=0)


class Certificate(db.Model):
    """One certificate a person holds. Kept when it runs out (the register is the history);
    a wrong entry is withdrawn with a reason, never deleted."""

    __tablename__ = "certificate"
    __table_args__ = (
        CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="expires_after_issue"),
        Index("ix_certificate_person_type", "person_id", "type_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    type_key: Mapped[str] = mapped_column(ForeignKey("certificate_type.key"))
    number: Mapped[str] = mapped_column(String(60))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None] = mapped_column(index=True)
    issuer: Mapped[str] = mapped_column(String(100), default="")
    scan_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id"))
    #: the days-before-expiry threshold last warned about (30, 7, 0), so each warning goes once
    warned_days: Mapped[int | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    person: Mapped[Person] = relationship()
    type: Mapped[CertificateType] = relationship()

    def access_scope(self) -> AccessScope:
        return self.person.access_scope()
