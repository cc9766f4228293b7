from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.people.models import Department, Person
    from schoolhq.places.models import Location


class Account(UserMixin, db.Model):
    """A sign-in for one person. Deactivated, never deleted."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: zh_CN or en; empty means the school's default
    language: Mapped[str] = mapped_column(String(10), default="")
    #: consecutive failed sign-ins; five lock the account for a while
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: bumped when the password changes, so other sessions of the account end
    session_version: Mapped[int] = mapped_column(default=1)

    person: Mapped[Person] = relationship(back_populates="account")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def display_name(self) -> str:
        return self.person.name if self.person else self.username


class Permission(db.Model):
    """Every permission the system has seen, so a new one is granted to the built-in
    roles once and an administrator's later removal sticks."""

    __tablename__ = "permission"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)


class Role(db.Model):
    __tablename__ = "role"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stable code: admin, principal, logistics_head, ... or a school's own
    code: Mapped[str] = mapped_column(String(40), unique=True)
    #: the school's own name for the role; empty for a built-in role keeps its translated name
    name: Mapped[str] = mapped_column(String(60), default="")
    builtin: Mapped[bool] = mapped_column(Boolean, default=False)

    permissions: Mapped[list[RolePermission]] = relationship(cascade="all, delete-orphan")

    @property
    def display_name(self) -> str:
        from schoolhq.auth.services import BUILTIN_ROLES

        return self.name or str(BUILTIN_ROLES.get(self.code, self.code))

    @property
    def permission_names(self) -> set[str]:
        return {p.permission for p in self.permissions}


class RolePermission(db.Model):
    __tablename__ = "role_permission"

    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"), primary_key=True)
    permission: Mapped[str] = mapped_column(ForeignKey("permission.name"), primary_key=True)


class RoleAssignment(db.Model):
    """A role held by an account, school-wide or within one department or location subtree."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        CheckConstraint(
            "department_id IS NULL OR location_id IS NULL", name="one_scope"
        ),
        UniqueConstraint("account_id", "role_id", "department_id", "location_id",
                         name="uq_role_assignment_scope"),
        Index("ix_role_assignment_account", "account_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id"))
    role_id: Mapped[int] = mapped_column(ForeignKey("role.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))

    role: Mapped[Role] = relationship()
    department: Mapped[Department | None] = relationship()
    location: Mapped[Location | None] = relationship()


class SignInThrottle(db.Model):
    """Failed sign-ins from one client address in its current 15-minute window, over
    every account: guessing across all the school's accounts stops at a limit, and the
    guesses refused for it lock nobody. In the database, so every serving process
    counts the same failures."""

    __tablename__ = "sign_in_throttle"

    #: the client's address as the app sees it (behind a reverse proxy: SCHOOLHQ_PROXIES)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
