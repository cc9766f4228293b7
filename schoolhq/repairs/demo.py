"""The demo school's repair tickets: a few in every state, one of them overdue, one
waiting for the teacher to confirm. (A year of history comes with the rest of the
repairs work: plans, the statutory register, the monthly summary.)"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.places.models import Location
from schoolhq.repairs import services
from schoolhq.repairs.models import RepairCategory, Ticket


def load(rng, small: bool = False) -> None:
    history_months = 1 if small else 12
    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    teacher, head, worker = accounts["teacher"], accounts["logistics"], accounts["repair"]
    rooms = {loc.name: loc for loc in db.session.scalars(select(Location).where(Location.kind == "room"))}
    kinds = {c.name: c.id for c in db.session.scalars(select(RepairCategory))}
    _history(history_months, rng, teacher, worker, rooms, kinds)

    def report(account, room, kind, priority, text):
        return services.report(account, services.Report(location_id=rooms[room].id, category_id=kinds[kind],
                                                        priority=priority, description=text))

    report(teacher, "301教室", "电工/照明", "normal", "讲台上方两根灯管不亮")
    assigned = report(teacher, "科学实验室", "水暖/管道", "high", "实验台水龙头漏水，地面湿滑")
    services.assign(head, assigned.id, worker.person_id)
    working = report(head, "学生餐厅", "食堂设备", "urgent", "保温售饭台不加热")
    services.assign(head, working.id, worker.person_id)
    services.start(worker, working.id)
    # reported days ago and still open: overdue on everyone's dashboard
    late = report(teacher, "102教室", "木工/门窗", "high", "后门合页松动，门关不上")
    services.assign(head, late.id, worker.person_id)
    late.reported_at -= timedelta(days=6)
    late.due_at = services.workhours.add_working_minutes(late.reported_at, 24 * 60)
    done = report(teacher, "音乐教室", "空调/电器", "normal", "空调遥控器失灵")
    services.assign(head, done.id, worker.person_id)
    done.status, done.work_done, done.labour_minutes = "completed", "更换遥控器电池并重新配对", 15
    # fixed on the spot (the timeline is append-only, so nothing is back-dated), waiting for
    # the teacher's confirmation
    done.completed_at = utcnow()
    db.session.flush()

    # The statutory register for the campus, the fire-system test already overdue, and a
    # monthly filter change on every water point.
    from schoolhq.core.timeutil import local_today
    from schoolhq.repairs import plans

    campus = db.session.scalar(select(Location).where(Location.parent_id.is_(None)).order_by(Location.id))
    plans.add_statutory_register(head, campus.id)
    fire = db.session.scalar(select(plans.MaintenancePlan).where(plans.MaintenancePlan.title.like("建筑消防%")))
    fire.next_due_on = local_today() - timedelta(days=10)
    plans.save_plan(head, plans.PlanData(
        title="直饮水机滤芯更换与出水检测", category_id=kinds["饮水设备"], assignee_id=worker.person_id,
        first_due_on=local_today() + timedelta(days=5), every="1", unit="month", target="kind", kind_key="water_point",
        steps=["关闭进水阀", "更换 PP 棉与活性炭滤芯", "冲洗 5 分钟", "测 TDS 并记录"], lead_days="7"))
    plans.materialise()


FAULTS = {
    "电工/照明": ["灯管闪烁", "插座没电", "开关松动", "教室灯不亮"],
    "水暖/管道": ["水龙头漏水", "下水道堵塞", "冲水阀失灵"],
    "木工/门窗": ["门锁坏了", "窗户关不严", "合页松动"],
    "桌椅家具": ["课桌桌面开裂", "椅子腿松动", "柜门脱落"],
    "信息化设备": ["投影仪无信号", "电脑无法开机", "网络不通"],
    "空调/电器": ["空调不制冷", "风扇异响"],
    "饮水设备": ["饮水机不出热水", "饮水机漏水"],
    "体育设施": ["篮球架螺丝松动", "跑道破损"],
}


def _history(months: int, rng, teacher, worker, rooms, kinds) -> None:
    """A past of closed tickets (written directly with their dates, since the services
    stamp the present): about twenty a month, most confirmed, some late."""
    import random

    from schoolhq.core import counters
    from schoolhq.core.timeutil import local_today, utcnow
    from schoolhq.repairs.models import TicketEvent

    rng = rng or random.Random(2026)
    room_list = sorted(rooms.values(), key=lambda room: room.id)
    now = utcnow()
    for day_back in range(months * 30, 5, -1):  # done and confirmed (up to 110 h) before now
        if rng.random() > 0.65:
            continue
        reported = now - timedelta(days=day_back, hours=rng.randint(0, 6))
        kind = rng.choice(list(FAULTS))
        hours = rng.choice([2, 5, 20, 30, 60, 90])
        completed = reported + timedelta(hours=hours)
        year = (local_today() - timedelta(days=day_back)).year
        ticket = Ticket(number=f"BX{year}-{counters.next_value(f'repairs.ticket.{year}'):05d}",
                        location_id=rng.choice(room_list).id, category_id=kinds[kind], priority="normal",
                        description=rng.choice(FAULTS[kind]), status="verified", reported_by_id=teacher.id,
                        reported_at=reported, assignee_id=worker.person_id, due_at=reported + timedelta(hours=72 * 2.4),
                        completed_at=completed, work_done="已修复", labour_minutes=rng.choice([15, 30, 45, 60, 90]),
                        verified_at=completed + timedelta(hours=20), verified_by_id=teacher.id,
                        rating=rng.choice([3, 3, 3, 2, 2, 1]), closed_at=completed + timedelta(hours=20))
        if ticket.rating == 1:
            ticket.rating_comment = "修完又坏了"
        db.session.add(ticket)
        db.session.flush()
        for kind_name, at in (("reported", reported), ("assigned", reported + timedelta(hours=1)),
                              ("completed", completed), ("verified", ticket.verified_at)):
            db.session.add(TicketEvent(ticket_id=ticket.id, kind=kind_name, at=at,
                                       actor_id=teacher.id if kind_name in ("reported", "verified") else None))
    db.session.flush()
