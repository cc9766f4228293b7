from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from schoolhq.core.permissions import AccessScope
from schoolhq.extensions import db

if TYPE_CHECKING:
    from schoolhq.people.models import Person

#: the levels of the tree, outermost first; a child sits on a deeper level than its parent
KINDS = ("campus", "building", "floor", "room")


class Location(db.Model):
    __tablename__ = "location"
    __table_args__ = (
        CheckConstraint("kind IN ('campus', 'building', 'floor', 'room')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    #: short code printed on labels and used in asset numbers, e.g. "A-301"
    code: Mapped[str] = mapped_column(String(30), default="")
    #: materialised path of ids, '/1/4/9/', so a subtree is one prefix match
    path: Mapped[str] = mapped_column(String(255), index=True, default="")
    #: the names from the campus down, for display without walking the tree
    full_name: Mapped[str] = mapped_column(String(400), default="")
    #: short immutable token in the label's QR (/t/<token>); never reprinted
    token: Mapped[str] = mapped_column(String(16), unique=True)
    responsible_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
    archived_at: Mapped[datetime | None]

    parent: Mapped[Location | None] = relationship(remote_side=[id])
    responsible: Mapped[Person | None] = relationship()

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.path)
