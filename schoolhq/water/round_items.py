"""The monthly water round's items that the water records answer (a pack item's
`from_record`): when each point's next filter change is due, when its hygiene permit runs
out, and whether each dispenser was cleaned on time. A point the water area does not keep (never set up here) is answered
by hand: each reader then says None."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core.declare import RecordAnswer
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.water import services
from schoolhq.water.models import DispenserCleaning, WaterPoint


def _point(round_, subject_id: int) -> tuple[WaterPoint | None, int]:
    """The point the item is about: the item's asset, or the round's on a round per point."""
    asset_id = subject_id or round_.asset_id
    return (db.session.scalar(select(WaterPoint).where(WaterPoint.asset_id == asset_id)) if asset_id else None,
            asset_id)


def filter_due(round_, subject_id: int = 0) -> RecordAnswer | None:
    """The earliest next change among the point's filters, judged like a typed expiry
    date; a kind of point without filters is not applicable."""
    point, asset_id = _point(round_, subject_id)
    if point is None:
        return None
    link = url_for("water.point_page", asset_id=asset_id)
    if "filter" not in services.clocks(point.kind):
        return RecordAnswer("na", str(_l("%(kind)s: no filter to change.", kind=services.kind_name(point.kind))), link)
    latest = services.filter_state(point)
    if not latest:
        return None  # no change recorded here yet: the round asks the date printed on the machine
    first = latest[0]
    return RecordAnswer("", str(_l("%(stage)s due %(day)s (filter records).", stage=services.stage_name(first.stage),
                                   day=first.next_due_on.isoformat())), link, first.next_due_on.isoformat())


def permit(round_, subject_id: int = 0) -> RecordAnswer | None:
    """The hygiene permit's expiry entered on the point, judged like a typed date."""
    point, asset_id = _point(round_, subject_id)
    if point is None or point.permit_expires_on is None:
        return None
    return RecordAnswer("", str(_l("Permit %(number)s valid until %(day)s (the water point's details).",
                                   number=point.permit_number or "—", day=point.permit_expires_on.isoformat())),
                        url_for("water.point_page", asset_id=asset_id), point.permit_expires_on.isoformat())


def dispenser_cleaned(round_, subject_id: int = 0) -> RecordAnswer | None:
    """Whether a dispenser's last cleaning is still within its interval."""
    point, asset_id = _point(round_, subject_id)
    if point is None:
        return None
    link = url_for("water.point_page", asset_id=asset_id)
    if point.kind != "dispenser":
        return RecordAnswer("na", str(_l("%(kind)s: not a bottled-water dispenser.",
                                         kind=services.kind_name(point.kind))), link)
    last = db.session.scalar(select(DispenserCleaning).where(DispenserCleaning.point_id == point.id)
                             .order_by(DispenserCleaning.cleaned_on.desc(), DispenserCleaning.id.desc()).limit(1))
    if last is None:
        return RecordAnswer("fail", str(_l("No cleaning logged for this dispenser.")), link)
    if last.next_due_on < local_today():
        return RecordAnswer("fail", str(_l("Last cleaned %(day)s: overdue since %(due)s.", day=last.cleaned_on.isoformat(),
                                           due=last.next_due_on.isoformat())), link)
    return RecordAnswer("pass", str(_l("Cleaned %(day)s by %(name)s, next by %(due)s (cleaning log).",
                                       day=last.cleaned_on.isoformat(), name=last.done_by.name,
                                       due=last.next_due_on.isoformat())), link)


RECORD_ITEMS = {"water.filters": filter_due, "water.permit": permit, "water.dispensers": dispenser_cleaned}
