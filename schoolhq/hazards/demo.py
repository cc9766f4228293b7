"""The demo school's hazard register: what its safety rounds found and did not put right on
the spot (registered by the checks demo), most rectified by the logistics head and closed
by the principal's re-check; one past its deadline, one that failed its re-check, one
waiting for it; and two found by hand (an outside inspection, a teacher's report). Every
time is before now."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import local_time_utc, local_today, utcnow
from schoolhq.extensions import db
from schoolhq.hazards import services
from schoolhq.hazards.models import Hazard, HazardEvent
from schoolhq.places.models import Location


def _at(day, hour: int) -> datetime:
    return local_time_utc(day, f"{hour:02d}:{17 + hour % 40:02d}")


def load(_school_rng: random.Random, small: bool = False) -> None:
    from schoolhq.checks.demo import _shared_file

    rng = random.Random(15)
    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    head, principal = accounts["logistics"], accounts["principal"]
    today, now = local_today(), utcnow()
    signature_id = _shared_file().id
    _by_hand(accounts, today)
    found = list(db.session.scalars(select(Hazard).order_by(Hazard.found_on, Hazard.id)))
    older = [h for h in found if (today - h.found_on).days >= 4]
    left_overdue = older[-3] if len(older) >= 3 else None
    reopened = older[-2] if len(older) >= 2 else None
    for hazard in older:
        if hazard is left_overdue:
            continue
        rectified_on = min(hazard.found_on + timedelta(days=rng.randint(1, 3)), today - timedelta(days=1))
        rectified_at = _at(rectified_on, 15)
        _rectify(hazard, head, rectified_at, rng.choice(("已清理通道杂物，恢复畅通", "已更换损坏部件并试用正常",
                                                         "已通知厂家维修完毕", "已设置警示标识并修复")))
        ticket_open = hazard.ticket_id and _ticket_status(hazard.ticket_id) != "verified"
        recheck_day = rectified_on + timedelta(days=1)
        if ticket_open or recheck_day >= today:
            continue  # waits for its ticket to be confirmed, or for tomorrow's re-check
        recheck_at = min(_at(recheck_day, 10), now - timedelta(minutes=5))
        if hazard is reopened:
            hazard.status, hazard.deadline = "reopened", max(recheck_day + timedelta(days=5), today)
            _recheck(hazard, principal, recheck_at, "fail", "应急照明仍有一盏不亮，需更换电池", signature_id)
            continue
        hazard.status, hazard.closed_at = "closed", recheck_at
        _recheck(hazard, principal, recheck_at, "pass", "", signature_id)
        if hazard.finding_id:
            from schoolhq.checks.models import CheckFinding

            finding = db.session.get(CheckFinding, hazard.finding_id)
            if finding.status == "open":
                finding.status, finding.note, finding.closed_at = "closed", "隐患已整改、复查合格销号", recheck_at
    db.session.flush()


def _ticket_status(ticket_id: int) -> str:
    from schoolhq.repairs.models import Ticket

    return db.session.get(Ticket, ticket_id).status


def _rectify(hazard: Hazard, account, at: datetime, note: str) -> None:
    hazard.status, hazard.rectified_on, hazard.rectified_by_id, hazard.rectification = \
        "rectified", at.date(), account.id, note
    db.session.add(HazardEvent(hazard_id=hazard.id, kind="rectified", actor_id=account.id, note=note, at=at))


def _recheck(hazard: Hazard, account, at: datetime, result: str, note: str, signature_id: int) -> None:
    hazard.rechecked_at, hazard.rechecked_by_id, hazard.recheck_result = at, account.id, result
    hazard.recheck_note, hazard.recheck_signature_id = note, signature_id
    db.session.add(HazardEvent(hazard_id=hazard.id, kind="rechecked", actor_id=account.id, note=note, at=at,
                               data={"result": result, "signature_id": signature_id}))


def _by_hand(accounts: dict, today) -> None:
    """An outside fire inspection's finding a fortnight ago, and a teacher's report today."""
    places = {loc.name: loc for loc in db.session.scalars(select(Location).where(Location.kind == "building"))}
    head = accounts["logistics"]
    inspected = services.register(head, services.HazardData(
        location_id=places["综合楼"].id, description="上级消防检查：综合楼一楼楼梯间堆放纸箱杂物，占用疏散通道",
        responsible_id=head.person_id, deadline=today - timedelta(days=12), level="general", source="inspection",
        measures="立即清理；清理前在楼梯口设置警示并安排专人值守", found_on=today - timedelta(days=14)),
        found_at=datetime.combine(today - timedelta(days=14), time(2, 30)))
    _rectify(inspected, head, _at(today - timedelta(days=13), 11), "纸箱已清运，楼梯间张贴禁止堆放标识")
    repair = accounts["repair"]
    services.register(accounts["doctor"], services.HazardData(
        location_id=places["教学楼"].id, description="三楼东侧走廊栏杆一处焊点开裂，有松动",
        responsible_id=repair.person_id, deadline=today + timedelta(days=3), level="major", source="report",
        measures="已用警戒带隔离该段栏杆，禁止学生倚靠", found_on=today),
        found_at=min(local_time_utc(today, "08:10"), utcnow() - timedelta(minutes=30)))
