"""The repairs area: the maintenance workers, a decade of tickets played through the
app's flow on the school-hours clock, and the maintenance plans with their tickets."""

from __future__ import annotations

import itertools
import math
from calendar import monthrange
from datetime import date, datetime, timedelta

from builders.school import GIVEN, OUTDOOR, SURNAMES
from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

# Sizes (DESIGN.md §9: 20,000 tickets) -------------------------------------------------
#: every ticket: reported by staff, from the maintenance plans, and for items returned damaged
REPAIR_TICKETS = 20_000

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("repair_category", "repair_priority", "maintenance_plan", "ticket", "ticket_helper", "ticket_event")

#: the logistics office's own maintenance workers (the repairs builder adds them): name,
#: job title, the categories they are usually sent to, and when they were there, as shares
#: of the decade (joined, left): one left in the sixth year, his successor came in the fifth
REPAIR_WORKERS = [
    ("电工", ("电工/照明", "信息化设备", "空调/电器", "消防设施"), (0.0, None)),
    ("水暖工", ("水暖/管道", "饮水设备", "食堂设备"), (0.0, None)),
    ("木工", ("木工/门窗", "桌椅家具", "校舍/土建", "体育设施", "其他"), (0.0, 0.55)),
    ("维修工", ("木工/门窗", "桌椅家具", "校舍/土建", "体育设施", "其他"), (0.5, None)),
]
#: category -> weight (how often it is reported)
REPAIR_CATEGORY_MIX = {"电工/照明": 20, "水暖/管道": 16, "木工/门窗": 15, "桌椅家具": 13, "信息化设备": 11,
                       "空调/电器": 8, "食堂设备": 3, "饮水设备": 4, "消防设施": 2, "校舍/土建": 4, "体育设施": 3,
                       "其他": 1}
REPAIR_PRIORITY_MIX = {"urgent": 5, "high": 15, "normal": 76, "holiday": 4}
#: category -> (description, work done, parts used)
REPAIR_PROBLEMS = {
    "电工/照明": [("教室日光灯不亮，一直闪", "更换灯管和启辉器", "T8灯管 2支"), ("插座没电", "更换插座，检查线路", "五孔插座 1个"),
              ("走廊感应灯不亮", "更换声光控开关", "声光控开关 1个"), ("空气开关跳闸，合不上", "排查短路点，更换断路器", "断路器 1个")],
    "水暖/管道": [("卫生间水龙头漏水", "更换阀芯", "陶瓷阀芯 1个"), ("小便池堵塞", "疏通管道", ""),
              ("蹲便器冲水阀坏了", "更换延时冲水阀", "延时冲水阀 1个"), ("暖气片漏水", "更换阀门，补漏", "暖气阀 1个"),
              ("洗手池下水慢", "疏通下水，清理存水弯", "")],
    "木工/门窗": [("教室门锁坏了，关不上", "更换门锁", "执手锁 1把"), ("窗户玻璃裂了", "更换玻璃", "5mm玻璃 1块"),
              ("窗户关不严，漏风", "调整合页，更换密封条", "密封条 3米"), ("门合页松动", "加固合页", "")],
    "桌椅家具": [("课桌桌面松动", "紧固螺丝", ""), ("椅子腿断了", "更换椅腿", "椅腿 1根"),
             ("文件柜抽屉卡住", "更换滑轨", "滑轨 1副"), ("升降课桌降不下来", "更换调节螺栓", "调节螺栓 2个")],
    "信息化设备": [("投影仪不显示", "更换信号线，调整分辨率", "VGA线 1根"), ("电子白板触摸不准", "重新校准，更新驱动", ""),
              ("电脑开不了机", "更换电源", "电源 1个"), ("网络不通", "重做水晶头，检查交换机端口", "水晶头 2个"),
              ("打印机卡纸", "清理搓纸轮", "")],
    "空调/电器": [("空调不制冷", "补充冷媒，清洗滤网", ""), ("空调漏水", "疏通排水管", ""), ("电风扇不转", "更换电容", "电容 1个"),
              ("电视没有信号", "更换HDMI线", "HDMI线 1根")],
    "食堂设备": [("蒸饭柜不加热", "更换加热管", "加热管 2根"), ("冷库温度偏高", "更换温控器", "温控器 1个"),
             ("排烟风机噪音大", "更换轴承", "轴承 2个")],
    "饮水设备": [("饮水机不出热水", "更换加热器", "加热器 1个"), ("饮水机漏水", "更换接头", "快接头 2个"),
             ("直饮水机提示换滤芯", "更换滤芯", "滤芯 1套")],
    "消防设施": [("灭火器压力不足", "送检换粉", ""), ("应急灯不亮", "更换电池", "应急灯电池 1块"),
             ("安全出口指示灯不亮", "更换指示灯", "指示灯 1个")],
    "校舍/土建": [("墙面渗水，墙皮脱落", "外墙防水处理，重新粉刷", ""), ("地砖松动破损", "更换地砖", "地砖 4块"),
              ("屋顶漏雨", "屋面防水修补", ""), ("楼梯扶手松动", "加固扶手", "膨胀螺栓 6个")],
    "体育设施": [("篮球架篮网破了", "更换篮网", "篮网 1个"), ("跑道起皮", "局部修补塑胶", ""), ("单杠松动", "加固底座", "")],
    "其他": [("教室钟表不走", "更换电池", "5号电池 1节"), ("旗杆绳断了", "更换旗绳", "旗绳 1根")],
}
#: category -> asset names a ticket of it is about, and the share of its tickets with an asset
REPAIR_ASSETS = {
    "信息化设备": (("台式电脑", "教师台式计算机", "笔记本电脑", "交互式电子白板", "投影仪", "A4彩色打印机"), 0.8),
    "空调/电器": (("空调机", "电视机", "冷藏冰箱", "碎纸机"), 0.7),
    "饮水设备": (("直饮水机",), 0.8),
    "桌椅家具": (("学生课桌椅（套）", "办公椅", "教学、实验用桌", "文件柜", "书柜"), 0.4),
    "消防设施": (("灭火器",), 0.5),
}
#: category -> (room-name words, share of its tickets there; otherwise any room), or a kind of place
REPAIR_PLACES = {
    "电工/照明": ("floor", 0.25), "水暖/管道": (("卫生间", "开水间"), 0.85), "桌椅家具": (("教室", "办公室"), 0.9),
    "信息化设备": (("教室", "办公室", "实验室", "会议室"), 0.9), "食堂设备": ("食堂楼", 0.95),
    "饮水设备": (("开水间",), 0.7), "消防设施": ("floor", 0.5), "校舍/土建": ("building", 0.6),
    "体育设施": ("sport", 0.95),
}
#: category -> chance an outside contractor does the work
REPAIR_CONTRACTED = {"空调/电器": 0.15, "校舍/土建": 0.25, "消防设施": 0.2, "食堂设备": 0.25, "信息化设备": 0.05}
REPAIR_CONTRACTORS = {"空调/电器": "格力售后服务部", "校舍/土建": "鑫达防水工程公司", "消防设施": "市消防检测中心",
                      "食堂设备": "厨具设备维修部", "信息化设备": "联想服务站"}
REPAIR_COMMENTS = ["已联系厂家，等回复", "配件已下单", "下午放学后去看", "学生放学后再修", "现场看过了，需要外包",
                   "请尽快处理，影响上课", "已催促", "还在等配件", "明天上午处理", "已经修过一次，又坏了"]
REPAIR_DECLINE_REASONS = ["不属于维修范围，请联系信息中心", "已列入暑期大修计划", "重复报修，见前一张报修单",
                          "设备已报废，请申请更换"]
REPAIR_LOW_RATING_COMMENTS = ["修完第二天又坏了", "等了太久", "现场没有清理干净"]
#: (title, category, target: a place ("campus", "canteen", or a room-name word) or an asset kind, every,
#:  unit, lead days, years before now it began, steps, worker index or None for the logistics head,
#:  contractor, outside cost in yuan); the statutory register (data/repairs.yaml) comes on top
REPAIR_PLANS = [
    ("消防设施月度巡查", "消防设施", ("location", "campus"), 1, "month", 3, 10,
     ["检查灭火器压力和有效期", "检查消防通道是否畅通", "检查应急灯和安全出口指示灯"], 0, "", 0),
    ("直饮水机滤芯更换与消毒", "饮水设备", ("kind", "water_point"), 6, "month", 7, 4,
     ["更换滤芯", "消毒管路", "记录水质检测结果"], 1, "", 0),
    ("开学前配电间安全检查", "电工/照明", ("location", "配电间"), 1, "term", 14, 8,
     ["检查配电柜接线和温升", "测试漏电保护", "清理配电间杂物"], 0, "", 0),
]
REPAIR_STATUTORY_CONTRACTORS = {"消防设施": ("市消防检测中心", 6000), "校舍/土建": ("市特种设备检验所", 3000),
                                "饮水设备": ("洁源水箱清洗公司", 1500), "电工/照明": ("市防雷检测站", 2000),
                                "食堂设备": ("洁净油烟清洗公司", 2500)}
#: the newest reports the logistics office has not got to yet
REPAIR_PENDING = 4



def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def build(conn: Connection, school: School) -> None:
    """REPAIR_TICKETS tickets over the decade, each played through the app's flow (reported
    → assigned → started → [held → resumed] → completed → confirmed by the reporter with a
    rating, or by the system after 3 school days; some declined or withdrawn) on the
    school-hours clock, and cut at now, so the newest are still open in whatever state
    they have reached. The logistics office's four workers are added as staff with the
    maintenance role; maintenance plans (three of the school's own and the statutory
    register) with the tickets they materialised; a ticket for every item returned damaged
    at the desk. Ids and numbers (BX<year>-NNNNN, counter rows repairs.ticket.<year>)
    follow the time of report, the timeline's ids follow time."""
    import bisect

    from schoolhq.core import settings
    from schoolhq.core.calendar import is_school_day
    from schoolhq.core.workhours import add_working_minutes, working_minutes_between
    from schoolhq.people.services import pinyin_of
    from schoolhq.repairs.plans import _school_day_from
    from schoolhq.repairs.services import domain

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    span = now - school.start

    def share_at(share: float | None) -> datetime | None:
        return None if share is None else school.start + span * share

    # 0. The terms, the categories and priorities the seeding made. The school-hours clock
    #    and the school days are the app's own (core/workhours.py, core/calendar.py): they
    #    read the generated calendar through the transaction the builders write in.
    terms = [(row.starts_on, row.ends_on) for row in conn.execute(select(T["school_term"]))]
    term_starts = sorted(start for start, _end in terms)
    category_id = dict(conn.execute(select(T["repair_category"].c.name, T["repair_category"].c.id)).all())
    target_hours = dict(conn.execute(select(T["repair_priority"].c.key, T["repair_priority"].c.target_hours)).all())
    verify_after = settings.get("repairs.auto_verify_school_days")

    def auto_verified_at(completed: datetime) -> datetime:
        """When services.auto_verify (run every minute) confirms a ticket nobody confirmed:
        the first minute of the day after the set number of school days after completion."""
        day, counted = (completed + SCHOOL_OFFSET).date(), 0
        while counted < verify_after:
            day += timedelta(days=1)
            counted += is_school_day(day)
        return school_time(day + timedelta(days=1), 0) + timedelta(seconds=30)

    # 1. The workers: staff of 总务处, with an account holding the maintenance role.
    person = T["person"]
    taken = set(conn.execute(select(person.c.name)).scalars())
    free_names = [s + g for s in SURNAMES for g in GIVEN if s + g not in taken]
    next_person = conn.execute(select(func.max(person.c.id))).scalar_one() + 1
    next_account = conn.execute(select(func.max(T["account"].c.id))).scalar_one() + 1
    workers = []  # (person id, account id, name, categories, joined, left)
    people_rows, account_rows, grants_rows = [], [], []
    for index, (title, usual, (joined, left)) in enumerate(REPAIR_WORKERS):
        name = free_names.pop(rng.randrange(len(free_names)))
        pinyin, initials = pinyin_of(name)
        person_id, account_id = next_person + index, next_account + index
        joined_at, left_at = share_at(joined) - timedelta(days=30), share_at(left)
        people_rows.append({
            "id": person_id, "name": name, "pinyin": pinyin, "pinyin_initials": initials,
            "department_id": school.department_ids["总务处"], "job_title": title,
            "phone": f"138{rng.randrange(10**7, 10**8)}", "badge_code": f"B{person_id:05d}",
            "created_at": joined_at, "left_at": left_at})
        account_rows.append({
            "id": account_id, "username": f"user{account_id:03d}", "password_hash": school.password_hash,
            "person_id": person_id, "active": left_at is None, "language": "", "failed_logins": 0,
            "session_version": 1, "created_at": joined_at, "last_login_at": (left_at or now) - timedelta(hours=20)})
        grants_rows += [{"account_id": account_id, "role_id": school.role_ids[code], "department_id": None,
                         "location_id": None} for code in ("staff", "maintenance")]
        # still employed: assignable past now too (a Friday's ticket is assigned on Monday,
        # and everything after now is cut at the end)
        workers.append((person_id, account_id, name, usual, joined_at, left_at or now + timedelta(days=365)))
        school.person_ids.append(person_id)
        school.account_ids.append(account_id)
        if left_at is None:
            school.current_person_ids.append(person_id)
    conn.execute(insert(person), people_rows)
    conn.execute(insert(T["account"]), account_rows)
    conn.execute(insert(T["role_assignment"]), grants_rows)
    worker_name = {w[0]: w[2] for w in workers}
    account_of = dict(conn.execute(select(T["account"].c.person_id, T["account"].c.id)).all())

    # Who assigns: the school-wide logistics heads (else the administrator); who reports:
    # anyone with an account who was there at the time.
    role_assignment = T["role_assignment"]
    heads = sorted(conn.execute(select(role_assignment.c.account_id).join(
        T["account"], T["account"].c.id == role_assignment.c.account_id).where(
        role_assignment.c.role_id == school.role_ids["logistics_head"], role_assignment.c.location_id.is_(None),
        role_assignment.c.department_id.is_(None), T["account"].c.active.is_(True))).scalars()) \
        or [school.admin_account_id]
    head_person = dict(conn.execute(select(T["account"].c.id, T["account"].c.person_id)).all())[heads[0]]
    reporters = conn.execute(select(T["account"].c.id, person.c.created_at, person.c.left_at).join(
        person, person.c.id == T["account"].c.person_id).where(T["account"].c.id.not_in([w[1] for w in workers]))
        .order_by(person.c.created_at)).all()
    reporter_joined = [r.created_at for r in reporters]
    reporter_weight = [min(rng.paretovariate(1.5), 8.0) for _ in reporters]

    def reporter_at(at: datetime) -> int:
        pool = max(bisect.bisect_right(reporter_joined, at), 1)
        for _ in range(30):
            chosen = rng.choices(range(pool), reporter_weight[:pool])[0]
            left = reporters[chosen].left_at
            if left is None or left > at + timedelta(days=20):
                return reporters[chosen].id
        return school.admin_account_id

    def worker_for(category: str, at: datetime, not_this: int | None = None) -> int:
        here = [w for w in workers if w[4] <= at < w[5] and w[0] != not_this]
        return rng.choices([w[0] for w in here], [5 if category in w[3] else 1 for w in here])[0]

    # 2. Places (active ones, a few "problem" places reported far more often) and assets.
    location = T["location"]
    places = conn.execute(select(location.c.id, location.c.kind, location.c.name, location.c.full_name,
                                 location.c.parent_id).where(location.c.archived_at.is_(None))).all()
    place_weight = {p.id: min(rng.paretovariate(2.0), 6.0) for p in places}
    rooms = [p for p in places if p.kind == "room"]
    by_kind = {kind: [p.id for p in places if p.kind == kind] for kind in ("floor", "building", "campus")}
    outdoor = [p.id for p in places if p.kind == "building" and p.name in {n for n, _c in OUTDOOR}]
    groups = {"floor": by_kind["floor"], "building": by_kind["building"] + outdoor,
              "食堂楼": [p.id for p in rooms if "食堂楼" in p.full_name],
              "sport": [p.id for p in rooms if "体育馆" in p.full_name] + [p.id for p in places if p.name == "操场"] * 20}
    all_rooms = [p.id for p in rooms]

    def place_for(category: str) -> int:
        spec = REPAIR_PLACES.get(category)
        pool = all_rooms
        if spec and rng.random() < spec[1]:
            words = spec[0]
            pool = groups[words] if isinstance(words, str) else [p.id for p in rooms if any(w in p.name for w in words)]
        return rng.choices(pool, [place_weight[i] for i in pool])[0]

    asset = T["asset"]
    asset_rows = conn.execute(select(asset.c.id, asset.c.name, asset.c.location_id, asset.c.created_at,
                                     asset.c.status, asset.c.kind_id).order_by(asset.c.created_at)).all()
    gone = dict(conn.execute(select(T["asset_event"].c.asset_id, T["asset_event"].c.at).where(
        T["asset_event"].c.kind == "disposed")).all())
    assets_named: dict[str, list] = {}
    for row in asset_rows:
        assets_named.setdefault(row.name, []).append(row)

    def asset_for(category: str, at: datetime):
        names, share = REPAIR_ASSETS.get(category, ((), 0.0))
        if not names or rng.random() >= share:
            return None
        pool = assets_named.get(rng.choice(names), [])
        existing = bisect.bisect_right(pool, at, key=lambda r: r.created_at)
        for _ in range(5):
            if not existing:
                return None
            row = pool[rng.randrange(existing)]
            if row.status != "lost" and (row.id not in gone or gone[row.id] > at):
                return row
        return None

    # 3. One ticket's life, step by step; steps after now are dropped at the end.
    tickets: list[dict] = []
    steps_of: list[list[tuple]] = []
    helpers: list[tuple[int, int]] = []  # (ticket index, person id)

    def ticket_row(**values) -> dict:
        row = {"number": None, "asset_id": None, "status": "pending", "reported_by_id": None, "assignee_id": None,
               "contractor": "", "due_at": None, "held_minutes_left": None, "hold_reason": "", "completed_at": None,
               "work_done": "", "parts_used": "", "labour_minutes": None, "outside_cost_fen": 0,
               "parts_requisition_id": None, "parts_cost_fen": 0, "after_photo_id": None, "verified_at": None,
               "verified_by_id": None, "rating": None, "rating_comment": "", "declined_reason": "", "closed_at": None,
               "asset_status_before": None, "occurrences": 1, "source_key": None, "plan_id": None,
               "plan_due_on": None, "plan_key": None, "evidence_id": None}
        row.update(values)
        return row

    def finish(row: dict, steps: list, started: datetime, category: str, problem: tuple, reporter: int | None,
               worker: int | None, contractor: str, cost_yuan: float, on_time: float) -> None:
        """From work started (or assigned) to completed and confirmed."""
        due = row["due_at"]
        at = started
        actor = account_of.get(worker) if worker else heads[0]
        # put on hold now and then (waiting for parts, money, …): the clock stops
        for _hold in range(2 if rng.random() < 0.25 else 1):
            if rng.random() >= 0.07:
                break
            held = add_working_minutes(at, rng.uniform(20, 600))
            left = working_minutes_between(held, due) if due else None
            reason = rng.choice(domain()["hold_reasons"])
            steps.append((held, "held", actor, reason, None, {"status": "on_hold", "held_minutes_left": left,
                                                              "hold_reason": reason}))
            resumed = add_working_minutes(held + timedelta(days=rng.choice([1, 2, 3, 5, 7, 10, 15, 30])), rng.uniform(0, 300))
            if due is not None:
                due = add_working_minutes(resumed, left)
            steps.append((resumed, "resumed", actor, "", None, {"status": "in_progress", "held_minutes_left": None,
                                                                "hold_reason": "", "due_at": due}))
            at = resumed
        if due is None:  # during the holidays: whenever it fits
            done = add_working_minutes(at + timedelta(days=rng.uniform(0.5, 30)), rng.uniform(0, 300))
        else:
            room = working_minutes_between(at, due)
            if rng.random() < on_time and room > 5:
                done = add_working_minutes(at, room * rng.uniform(0.05, 0.8))
            else:
                done = add_working_minutes(max(at, due), rng.uniform(10, (target_hours[row["priority"]] or 24) * 60))
        labour = 5 * max(1, round(min(rng.lognormvariate(math.log(45), 0.7), 1200) / 5))
        if contractor:
            labour = rng.choice([15, 20, 30, 45, 60])
        parts = problem[2] if problem[2] and rng.random() < 0.7 else ""
        cost = round(cost_yuan * 100)
        steps.append((done, "completed", actor, problem[1], {"labour_minutes": labour, "outside_cost_fen": cost,
                                                             "parts": parts},
                      {"status": "completed", "completed_at": done, "work_done": problem[1], "parts_used": parts,
                       "labour_minutes": labour, "outside_cost_fen": cost}))
        automatic = auto_verified_at(done)
        if reporter is not None and rng.random() < 0.8:
            verified = min(add_working_minutes(done, rng.uniform(5, 1500)), automatic - timedelta(minutes=5))
            rating = rng.choices([3, 2, 1], [72, 21, 7])[0]
            comment = rng.choice(REPAIR_LOW_RATING_COMMENTS) if rating == 1 or (rating == 2 and rng.random() < 0.2) \
                else ""
            steps.append((verified, "verified", reporter, comment, {"rating": rating},
                          {"status": "verified", "rating": rating, "rating_comment": comment, "verified_at": verified,
                           "closed_at": verified, "verified_by_id": reporter}))
        else:
            steps.append((automatic, "verified", None, "3 个上课日后自动验收。", None,
                          {"status": "verified", "verified_at": automatic, "closed_at": automatic}))

    def reported_ticket(reported: datetime, category: str, priority: str, reporter: int, place: int,
                        item=None, description: str | None = None) -> None:
        problem = rng.choice(REPAIR_PROBLEMS[category])
        hours = target_hours[priority]
        description = description or problem[0]
        due = add_working_minutes(reported, hours * 60) if hours else None
        row = ticket_row(location_id=place, asset_id=item.id if item is not None else None,
                         category_id=category_id[category], priority=priority, description=description,
                         reported_by_id=reporter, reported_at=reported, due_at=due)
        steps = [(reported, "reported", reporter, description, None, {"status": "pending"})]
        target = (hours or 72) * 60
        worker = None
        fate = rng.random()
        if fate < 0.025:  # withdrawn by the reporter, sometimes after it was assigned
            at = add_working_minutes(reported, rng.uniform(5, target * 0.3))
            if rng.random() < 0.3:
                worker = worker_for(category, at)
                steps.append((at, "assigned", heads[0], "", {"assignee": worker_name[worker], "contractor": "",
                                                             "helpers": []},
                              {"status": "assigned", "assignee_id": worker}))
                at = add_working_minutes(at, rng.uniform(5, 240))
            steps.append((at, "cancelled", reporter, "", None, {"status": "cancelled", "closed_at": at}))
        elif fate < 0.055:  # declined by the logistics office
            at = add_working_minutes(reported, rng.uniform(5, target * 0.2))
            reason = rng.choice(REPAIR_DECLINE_REASONS)
            steps.append((at, "declined", heads[0], reason, None, {"status": "declined", "declined_reason": reason,
                                                                   "closed_at": at}))
        else:
            assigned = add_working_minutes(reported, rng.uniform(0.005, 0.08) * target)
            worker = worker_for(category, assigned)
            contractor = REPAIR_CONTRACTORS[category] if rng.random() < REPAIR_CONTRACTED.get(category, 0.0) else ""
            if contractor and rng.random() < 0.4:
                worker = None
            crew = [worker_for(category, assigned, worker)] if worker and rng.random() < 0.07 else []
            helpers.extend((len(tickets), helper) for helper in crew)
            steps.append((assigned, "assigned", heads[0], "",
                          {"assignee": worker_name.get(worker, ""), "contractor": contractor,
                           "helpers": [worker_name[h] for h in crew]},
                          {"status": "assigned", "assignee_id": worker, "contractor": contractor}))
            at = assigned
            if rng.random() < 0.8:
                at = add_working_minutes(assigned, rng.uniform(0.01, 0.25) * target)
                steps.append((at, "started", account_of.get(worker, heads[0]) if worker else heads[0], "", None,
                              {"status": "in_progress"}))
            cost = rng.lognormvariate(math.log(1800), 0.9) if contractor else (
                rng.uniform(20, 800) if rng.random() < 0.02 else 0)
            finish(row, steps, at, category, problem, reporter, worker, contractor, cost, 0.86)
        # comments: most tickets none, a few a long exchange
        if rng.random() < 0.06:
            last = max(step[0] for step in steps)
            for _ in range(min(int(rng.paretovariate(1.2)), 40)):
                at = reported + (last - reported) * rng.random() + timedelta(seconds=1)
                steps.append((at, "comment", rng.choice([reporter, heads[0], account_of[worker or workers[0][0]]]),
                               rng.choice(REPAIR_COMMENTS), None, {}))
        tickets.append(row)
        steps_of.append(steps)

    # 4. Maintenance plans and their tickets (materialised lead days before each due day).
    plan_rows = []
    plans_spec = [(title, category, target, every, unit, lead, years, plan_steps, worker, contractor, cost, False,
                   "", True) for title, category, target, every, unit, lead, years, plan_steps, worker, contractor, cost
                  in REPAIR_PLANS]
    for row in domain().get("statutory_inspections", []):  # as plans.add_statutory_register makes them
        reference = " ".join(filter(None, [row.get("ref", ""), f"({row.get('confidence', '')})", row.get("note", "")]))
        contractor, cost = REPAIR_STATUTORY_CONTRACTORS.get(row.get("category"), ("", 0))
        plans_spec.append((row["name"], row.get("category") or "其他", ("location", "campus"), row["months"], "month",
                           row.get("lead_days", 30), 6, [], None, contractor, cost, True, reference.strip(), False))
    water = conn.execute(select(T["asset_kind"].c.id).where(T["asset_kind"].c.key == "water_point")).scalar()
    for plan_id, (title, category, (target, what), every, unit, lead, years, plan_steps, worker_index, contractor,
                  cost, statutory, reference, skip) in enumerate(plans_spec, start=1):
        began = (now - timedelta(days=365 * years) + SCHOOL_OFFSET).date()
        if unit == "term":
            due_days = [start for start in term_starts if start > began]
        else:
            # a phase that keeps a plan covering many assets out of its lead time today
            anchor = today - timedelta(days=60) if target == "kind" else today + timedelta(days=rng.randrange(-300, 30))
            anchor = anchor.replace(day=min(anchor.day, 28))
            due_days = []
            while anchor > began:
                due_days.append(anchor)
                anchor = _add_months(anchor, -every)
            due_days.reverse()
            due_days.append(_add_months(due_days[-1], every))
            while due_days[-1] - timedelta(days=lead) <= today:
                due_days.append(_add_months(due_days[-1], every))
        assignee = workers[worker_index][0] if worker_index is not None else head_person
        place = None
        if target == "location":
            place = by_kind["campus"][0] if what == "campus" else next(
                p.id for p in rooms if what in p.name and "综合楼" in p.full_name)
        next_due = next(d for d in due_days if (_school_day_from(d) if skip else d) - timedelta(days=lead) > today)
        plan_rows.append({
            "id": plan_id, "title": title, "category_id": category_id[category], "target": target,
            "asset_id": None, "kind_key": what if target == "kind" else "", "location_id": place,
            "steps": plan_steps, "every": every, "unit": unit, "mode": "fixed", "skip_holidays": skip,
            "lead_days": lead, "assignee_id": assignee, "statutory": statutory, "evidence_required": statutory,
            "reference": reference, "next_due_on": next_due, "active": True,
            "created_at": school_time(due_days[0] - timedelta(days=lead + 10), 10)})
        description = title + ("\n" + "\n".join(f"□ {step}" for step in plan_steps) if plan_steps else "")
        keys: set[str] = set()
        for planned in due_days:
            if planned >= next_due:
                break
            due = _school_day_from(planned) if skip else planned
            made = school_time(due - timedelta(days=lead), 0) + timedelta(seconds=rng.randrange(20, 60))
            if target == "kind":
                targets = [(f"asset:{a.id}", a.location_id, a.id) for a in asset_rows
                           if a.kind_id == water and a.created_at < made and a.status not in ("disposed", "lost")]
            else:
                targets = [(f"location:{place}", place, None)]
            for key, location_id, asset_id in targets:
                plan_key = f"plan:{plan_id}:{key}:{due.isoformat()}"
                if plan_key in keys:  # two due days moved onto the same school day: one ticket
                    continue
                keys.add(plan_key)
                due_at = school_time(due, 17.5)
                row = ticket_row(location_id=location_id, asset_id=asset_id, category_id=category_id[category],
                                 priority="normal", description=description, status="assigned", assignee_id=assignee,
                                 contractor=contractor, due_at=due_at, plan_id=plan_id, plan_due_on=due,
                                 plan_key=plan_key, reported_at=made)
                note = f"来自维护计划“{title}”，到期日 {due.isoformat()}。"
                steps = [(made, "reported", None, note, None, {"status": "assigned"})]
                begin = add_working_minutes(max(made, school_time(due, 7.5) - timedelta(days=rng.uniform(0, lead))),
                                  rng.uniform(0, 120))
                if begin >= due_at:
                    begin = school_time(due, 8)
                actor = account_of.get(assignee, heads[0])
                if rng.random() < 0.7:
                    steps.append((begin, "started", actor, "", None, {"status": "in_progress"}))
                work = "按计划完成：" + "；".join(plan_steps or [title])
                finish(row, steps, begin, category, (title, work, ""), None, assignee, contractor,
                       cost * rng.uniform(0.9, 1.2) if contractor else 0, 0.9)
                tickets.append(row)
                steps_of.append(steps)

    # 5. Items returned damaged at the desk (repairs.open_for_damaged_return), then the school's reports.
    loan = T["loan"]
    asset_by_id = {row.id: row for row in asset_rows}
    for row in conn.execute(select(loan.c.asset_id, loan.c.returned_at, loan.c.returned_to_id, loan.c.condition_in)
                            .where(loan.c.damaged.is_(True), loan.c.returned_at.is_not(None))):
        item = asset_by_id[row.asset_id]
        reported_ticket(row.returned_at, "信息化设备", "normal", row.returned_to_id, item.location_id, item,
                        f"归还时损坏：{row.condition_in}")
    days, weights = [], []
    day = (school.start + SCHOOL_OFFSET).date() + timedelta(days=1)
    while day <= today:
        in_term = any(a <= day <= b for a, b in terms)
        weight = 1.0 if is_school_day(day) else (0.45 if not in_term and day.weekday() < 5 else 0.08)
        if day.month == 9 and day.day <= 20:
            weight *= 1.6  # the start of the school year: everything is used again
        days.append(day)
        weights.append(weight * (0.8 + 0.4 * (day - days[0]).days / 3650))
        day += timedelta(days=1)
    cumulative = list(itertools.accumulate(weights))
    for _ in range(REPAIR_TICKETS - len(tickets)):
        reported = now
        while reported >= now:  # today's later hours have not come yet: draw again
            day = days[bisect.bisect_left(cumulative, rng.random() * cumulative[-1])]
            hour = rng.uniform(7.5, 17.5) if rng.random() < 0.9 else rng.uniform(6, 22.5)
            reported = school_time(day, hour).replace(microsecond=0)
        category = rng.choices(list(REPAIR_CATEGORY_MIX), list(REPAIR_CATEGORY_MIX.values()))[0]
        priority = rng.choices(list(REPAIR_PRIORITY_MIX), list(REPAIR_PRIORITY_MIX.values()))[0]
        item = asset_for(category, reported)
        place = item.location_id if item is not None else place_for(category)
        reported_ticket(reported, category, priority, reporter_at(reported), place, item)

    # 6. The newest few the logistics office has not got to yet; then everything cut at now.
    newest = sorted((i for i, row in enumerate(tickets) if row["plan_id"] is None and row["reported_by_id"]),
                    key=lambda i: tickets[i]["reported_at"])[-REPAIR_PENDING:]
    for i in newest:
        steps_of[i] = [step for step in steps_of[i] if step[1] in ("reported", "comment")]
    pending_helpers = {i for i in newest}
    order = sorted(range(len(tickets)), key=lambda i: (tickets[i]["reported_at"], i))
    new_id = {old: new for new, old in enumerate(order, start=1)}
    counters: dict[str, int] = {}
    events = []
    for i in order:
        row = tickets[i]
        row["id"] = new_id[i]
        year = (row["reported_at"] + SCHOOL_OFFSET).year
        counters[f"repairs.ticket.{year}"] = counters.get(f"repairs.ticket.{year}", 0) + 1
        row["number"] = f"BX{year}-{counters[f'repairs.ticket.{year}']:05d}"
        for at, kind, actor, note, data, updates in sorted(steps_of[i], key=lambda step: step[0]):
            if at >= now:
                break
            row.update(updates)
            events.append({"ticket_id": row["id"], "at": at, "kind": kind, "actor_id": actor, "note": note,
                           "data": data})
    tickets.sort(key=lambda row: row["id"])
    events.sort(key=lambda row: (row["at"], row["ticket_id"]))
    conn.execute(insert(T["maintenance_plan"]), plan_rows)
    insert_rows(conn, "ticket", tickets, 5_000)
    conn.execute(insert(T["ticket_helper"]), [
        {"ticket_id": new_id[i], "person_id": helper} for i, helper in helpers
        if i not in pending_helpers and tickets[new_id[i] - 1]["status"] != "pending"])
    insert_rows(conn, "ticket_event", events)
    conn.execute(insert(T["counter"]), [{"scope": scope, "value": value} for scope, value in sorted(counters.items())])
    states: dict[str, int] = {}
    for row in tickets:
        states[row["status"]] = states.get(row["status"], 0) + 1
    print("    (repairs: " + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items(), key=lambda s: -s[1]))
          + f"; {len(events):,} events)", flush=True)
