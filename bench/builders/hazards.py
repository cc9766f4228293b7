"""The hazard register (隐患排查整改台账): a decade of hazards, about 1–3 a school week —
every failed item of a safety round (fire, buildings, hygiene, water) that was not put right
on the spot, registered as `register_from_finding` does, and those found by hand (on the
patrol, in a repair report, by an outside inspection); handed to the worker of the trade,
rectified by him and re-checked by the logistics head, or kept by the logistics head and
re-checked by the principal; most closed, a few open, a few past their deadline, one
reopened by a failed re-check."""

from __future__ import annotations

import bisect
from datetime import date, datetime, timedelta

from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import select
from sqlalchemy.engine import Connection

# Sizes (issue 15: hazards "1–3 a school week" from the patrols, the checks and by hand) ---
#: hazards a school week, the safety rounds' findings included: count -> weight; those found
#: by hand top each week's findings up to the week's draw
HAZARDS_A_WEEK = {1: 3, 2: 4, 3: 3}
#: at the end: past their deadline and never rectified; rectified, waiting for the re-check
HAZARD_OVERDUE = 4
HAZARD_AWAITING = 3
#: re-checks that fail the first time (rectified again, then closed); rectified after the deadline
HAZARD_RECHECK_FAILS = 0.03
HAZARD_LATE = 0.1
#: found by hand and kept by the logistics head (rectified by him, re-checked by the
#: principal), when a principal is there to re-check it
HAZARD_OFFICE = 0.2
#: found by hand: source -> weight (a repair report's hazard is linked to its ticket)
HAZARD_SOURCES = {"patrol": 4, "report": 3, "inspection": 1, "other": 2}
#: found by hand: (trade, kind of place, the hazard, measures taken meanwhile, what was
#: done, share of them major); a trade is the maintenance worker's job title, 土建 the
#: carpenter's or his successor's (维修工)
HAZARD_KINDS = [
    ("电工", "room", "教室插座面板破损，内部线路外露", "已断电并张贴警示，禁止使用该插座", "更换插座面板，检查线路绝缘良好", 0.1),
    ("电工", "floor", "走廊应急照明灯不亮", "已报修，晚自习前安排人员在楼梯口值守", "更换应急灯电池，试验正常", 0.0),
    ("电工", "floor", "安全出口指示灯损坏", "设置临时疏散指示牌", "更换安全出口指示灯", 0.0),
    ("电工", "room", "配电箱门未上锁，箱内堆放杂物", "清理杂物，临时加挂警示牌", "配电箱加锁，清理箱内杂物", 0.2),
    ("电工", "floor", "疏散通道堆放纸箱杂物", "立即清理；清理前安排专人值守", "杂物已清运，张贴禁止堆放标识", 0.1),
    ("电工", "floor", "灭火器压力不足", "调配备用灭火器就位", "灭火器送检充装，压力正常", 0.0),
    ("水暖工", "room", "卫生间地面积水湿滑", "放置防滑警示牌，安排保洁及时清理", "疏通地漏，修复渗漏点", 0.0),
    ("水暖工", "room", "开水器漏电保护失灵", "立即断电停用，张贴停用告示", "更换漏电保护器，检测合格后恢复使用", 0.6),
    ("土建", "room", "教室窗户限位器缺失，可完全推开", "窗户临时锁闭并张贴警示", "加装窗户限位器", 0.3),
    ("土建", "floor", "楼梯扶手松动", "设置警示标识，提醒学生不要倚靠", "加固扶手立柱，复查牢固", 0.4),
    ("土建", "room", "吊扇固定螺栓松动", "停用吊扇并张贴警示", "更换固定螺栓，加装防坠链", 0.5),
    ("土建", "building", "外墙瓷砖空鼓，有脱落风险", "下方拉警戒线，禁止通行", "铲除空鼓瓷砖，重新粘贴", 0.6),
    ("土建", "sport", "篮球架底座螺栓锈蚀松动", "暂停使用并设置围挡", "更换螺栓，加固底座", 0.3),
    ("土建", "room", "门吸缺失，门扇易夹手", "临时加装门挡", "安装门吸", 0.0),
]
HAZARD_REPORT_CATEGORIES = {"消防设施": "电工", "电工/照明": "电工", "水暖/管道": "水暖工", "校舍/土建": "土建",
                            "体育设施": "土建", "木工/门窗": "土建"}
#: a finding's round kind -> the trade that puts it right
HAZARD_FINDING_TRADES = {"fire": "电工", "water": "水暖工", "hygiene": "土建", "buildings": "土建"}
HAZARD_EXTENDED = "；整改需外包施工，已设置警示标识，延期整改"
HAZARD_RECHECK_FAILED = ["仍有一处未整改到位，需继续整改", "整改不彻底，隐患仍然存在", "警示标识未设置，需补设后复查"]

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("hazard", "hazard_event")


def post_holders(conn: Connection, template_key: str):
    """Who held the post whose rounds are `template_key`'s on a day (the checks builder
    gives each post to whoever held it then): a function of the day, giving a person id."""
    check_round = T["check_round"]
    chain: list[tuple[date, int]] = []
    for day, person_id in conn.execute(select(check_round.c.period_start, check_round.c.assignee_id)
                                       .where(check_round.c.template_key == template_key)
                                       .distinct().order_by(check_round.c.period_start)):
        if not chain or chain[-1][1] != person_id:
            chain.append((day, person_id))
    days = [day for day, _person in chain]

    def holder(day: date) -> int:
        return chain[max(bisect.bisect_right(days, day) - 1, 0)][1]

    return holder


def build(conn: Connection, school: School) -> None:
    """Hazards over the decade in the order they were found (ids follow time), each with its
    append-only history (registered, changed, rectified, re-checked), cut at now: nothing
    is dated after it. The logistics head of the day is whoever the checks builder gave the
    post (the assignee of that day's buildings.monthly round), the patrol's the assignee of
    fire.daily; the workers are the repairs builder's (电工, 水暖工, and the 木工 or,
    after him, the 维修工 for building work)."""
    from schoolhq.core.calendar import is_school_day
    from schoolhq.hazards.services import domain

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    decade_day = (school.start + SCHOOL_OFFSET).date()
    rules = domain()
    deadline_days = rules["deadline_days"]

    def local_day(moment: datetime) -> date:
        return (moment + SCHOOL_OFFSET).date()

    def at(day: date, low: float = 8.5, high: float = 17.0) -> datetime:
        return school_time(day, rng.uniform(low, high)).replace(microsecond=0)

    # 0. People: the posts by day, the workers, the principal, everyone's account.
    person, account, grants, role = T["person"], T["account"], T["role_assignment"], T["role"]
    people = {row.id: row for row in conn.execute(select(person.c.id, person.c.name, person.c.job_title,
                                                          person.c.department_id, person.c.created_at,
                                                          person.c.left_at))}
    account_of = dict(conn.execute(select(account.c.person_id, account.c.id)).all())
    office_on, patrol_on, doctor_on = (post_holders(conn, key) for key in
                                       ("buildings.monthly", "fire.daily", "hygiene.daily"))

    def there(person_id: int, when: datetime) -> bool:
        row = people[person_id]
        return row.created_at <= when and (row.left_at is None or row.left_at > when + timedelta(days=14))

    logistics = school.department_ids["总务处"]
    workers = {title: sorted((p for p in people.values() if p.job_title == title and p.department_id == logistics
                              and p.id in account_of), key=lambda p: p.created_at)
               for title in ("电工", "水暖工", "木工", "维修工")}

    def worker(trade: str, when: datetime) -> int | None:
        titles = ("木工", "维修工") if trade == "土建" else (trade,)
        return next((p.id for title in titles for p in workers[title] if there(p.id, when)), None)

    principals = [row.person_id for row in conn.execute(
        select(account.c.person_id).join(grants, grants.c.account_id == account.c.id)
        .join(role, role.c.id == grants.c.role_id)
        .where(role.c.code == "principal", grants.c.location_id.is_(None)).order_by(account.c.id))]

    def principal(when: datetime) -> int | None:
        return next((p for p in principals if there(p, when)), None)

    # 1. Places for the hazards found by hand, by kind.
    location = T["location"]
    places = conn.execute(select(location.c.id, location.c.kind, location.c.name, location.c.parent_id)
                          .where(location.c.archived_at.is_(None))).all()
    with_floors = {p.parent_id for p in places if p.kind == "floor"}
    spots = {"room": [p.id for p in places if p.kind == "room"], "floor": [p.id for p in places if p.kind == "floor"],
             "building": [p.id for p in places if p.kind == "building" and p.id in with_floors],
             "sport": [p.id for p in places if p.name in ("操场", "体育馆")]}

    # 2. The findings that register themselves: a safety round's failed item not put right
    #    on the spot (`register_from_finding`), with the round's performer as the finder.
    finding, check_round, item = T["check_finding"], T["check_round"], T["check_item"]
    kinds = set(rules["round_kinds"])
    found_rows = [row for row in conn.execute(
        select(finding.c.id, finding.c.status, finding.c.created_at, finding.c.closed_at, finding.c.location_id,
               finding.c.asset_id, finding.c.summary, finding.c.ticket_id, check_round.c.template_key,
               check_round.c.assignee_id, item.c.critical)
        .join(check_round, check_round.c.id == finding.c.round_id).join(item, item.c.id == finding.c.item_id)
        .where(finding.c.status != "corrected").order_by(finding.c.created_at, finding.c.id))
        if row.template_key.split(".")[0] in kinds]

    # 3. Repair tickets a hazard found by hand may come from (verified, of a trade above), by day.
    ticket, category = T["ticket"], T["repair_category"]
    tickets_on: dict[date, list] = {}
    for row in conn.execute(select(ticket.c.id, ticket.c.number, ticket.c.reported_at, ticket.c.location_id,
                                   ticket.c.description, ticket.c.verified_at, category.c.name)
                            .join(category, category.c.id == ticket.c.category_id)
                            .where(ticket.c.status == "verified", ticket.c.plan_id.is_(None),
                                   category.c.name.in_(list(HAZARD_REPORT_CATEGORIES)))
                            .order_by(ticket.c.id)):
        tickets_on.setdefault(local_day(row.reported_at), []).append(row)

    # 4. The school weeks: each week's findings, topped up by hand to the week's draw.
    def monday(day: date) -> date:
        return day - timedelta(days=day.weekday())

    findings_in: dict[date, int] = {}
    for row in found_rows:
        findings_in[monday(local_day(row.created_at))] = findings_in.get(monday(local_day(row.created_at)), 0) + 1
    plans: list[dict] = []
    for row in found_rows:
        found_at = row.created_at
        trade = HAZARD_FINDING_TRADES[row.template_key.split(".")[0]]
        level = "major" if row.critical else "general"
        plans.append({"found_at": found_at, "source": "patrol" if row.template_key in rules["patrol_templates"]
                      else "check", "location_id": row.location_id, "asset_id": row.asset_id,
                      "description": row.summary[:500], "level": level, "finder": row.assignee_id,
                      "measures": "", "rectification": rng.choice(["已整改完毕，恢复正常", "已维修，复查合格",
                                                                   "已更换损坏部件并试用正常", "已清理并设置标识"]),
                      "trade": trade, "finding": row, "ticket": None, "office_keeps": False})
    counts, weights = list(HAZARDS_A_WEEK), list(HAZARDS_A_WEEK.values())
    sources, source_weights = list(HAZARD_SOURCES), list(HAZARD_SOURCES.values())
    used_tickets: set[int] = set()
    week = monday(decade_day)
    while week <= today:
        days = [week + timedelta(days=n) for n in range(5) if week + timedelta(days=n) <= today
                and week + timedelta(days=n) > decade_day and is_school_day(week + timedelta(days=n))]
        wanted = rng.choices(counts, weights)[0] - findings_in.get(week, 0)
        for _ in range(max(wanted, 0) if days else 0):
            day = rng.choice(days)
            found_at = min(at(day), now - timedelta(minutes=rng.randrange(30, 240)))
            source = rng.choices(sources, source_weights)[0]
            waiting = [t for t in tickets_on.get(day, []) if t.id not in used_tickets and t.reported_at < found_at]
            if source == "report" and not waiting:
                source = "other"
            office = office_on(day)
            if source == "report":
                picked = rng.choice(waiting)
                used_tickets.add(picked.id)
                trade = HAZARD_REPORT_CATEGORIES[picked.name]
                plan = {"location_id": picked.location_id, "description": f"报修中发现：{picked.description}"[:500],
                        "measures": "设置警示标识，维修前禁止使用", "rectification": f"已随报修单 {picked.number} 修复",
                        "level": "general", "finder": office, "ticket": picked}
            else:
                trade, where, what, measures, done, major = rng.choice(HAZARD_KINDS)
                finder = {"patrol": patrol_on(day), "inspection": office,
                          "other": rng.choice((office, doctor_on(day)))}[source]
                plan = {"location_id": rng.choice(spots[where]),
                        "description": ("上级检查：" if source == "inspection" else "") + what, "measures": measures,
                        "rectification": done, "level": "major" if rng.random() < major else "general",
                        "finder": finder, "ticket": None}
            plans.append({**plan, "found_at": found_at, "source": source, "asset_id": None, "trade": trade,
                          "finding": None, "office_keeps": rng.random() < HAZARD_OFFICE})
        week += timedelta(days=7)
    plans.sort(key=lambda p: (p["found_at"], p["finding"].id if p["finding"] else 0))

    # 5. The end state: one reopened (found by hand if one fits, else one whose finding is
    #    still open), HAZARD_OVERDUE past their deadline (those whose finding is still open,
    #    the latest, else found by hand), the other open findings' hazards given a later
    #    deadline, a few found by hand awaiting their re-check; the rest as their timeline
    #    leaves them. A hazard whose finding was closed was closed with it.
    def due(plan: dict) -> date:
        return local_day(plan["found_at"]) + timedelta(days=deadline_days[plan["level"]])

    def age(plan: dict) -> int:
        return (today - local_day(plan["found_at"])).days

    by_hand = [p for p in plans if p["finding"] is None and p["ticket"] is None]
    still_open = [p for p in plans if p["finding"] is not None and p["finding"].status == "open"]
    for low, high in ((10, 30), (7, 60), (4, 365)):
        fitting = [p for p in by_hand if low <= age(p) <= high] or [p for p in still_open if low <= age(p) <= high]
        if fitting:
            fitting[-1]["fate"] = "reopened"
            break
    late_open = [p for p in still_open if due(p) < today and "fate" not in p]
    for plan in late_open[-HAZARD_OVERDUE:]:
        plan["fate"] = "overdue"
    for plan in late_open[:-HAZARD_OVERDUE] if len(late_open) > HAZARD_OVERDUE else []:
        plan["fate"] = "extended"
    short = HAZARD_OVERDUE - sum(p.get("fate") == "overdue" for p in plans)
    for plan in [p for p in by_hand if "fate" not in p and 8 <= age(p) <= 60][-short:] if short > 0 else []:
        plan["fate"] = "overdue"
    for plan in [p for p in by_hand if "fate" not in p and 2 <= age(p) <= 10][-HAZARD_AWAITING:]:
        plan["fate"] = "awaiting"

    # 6. Each hazard's timeline, cut at now.
    hazards: list[dict] = []
    events: list[dict] = []
    for number, plan in enumerate(plans, start=1):
        found_at, fate, row = plan["found_at"], plan.get("fate"), plan["finding"]
        found_on = local_day(found_at)
        office = office_on(found_on)
        keeper = principal(found_at) if plan["office_keeps"] else None
        fixer = worker(plan["trade"], found_at) if keeper is None else office
        if fixer is None or fixer == office:  # nobody of the trade then, or the office's own
            fixer, keeper = office, keeper or principal(found_at)
            if keeper is None:  # nobody else may re-check it: the trade's worker of the day, or any
                fixer = worker(plan["trade"], found_at) or worker("电工", found_at)
        checker = keeper if fixer == office else office
        deadline = due(plan)
        finder = plan["finder"]
        registered_by = account_of.get(finder, account_of[office])
        hazard = {"id": number, "found_on": found_on, "found_by_id": finder, "source": plan["source"],
                  "location_id": plan["location_id"], "asset_id": plan["asset_id"],
                  "description": plan["description"], "description_message": None, "level": plan["level"],
                  "responsible_id": office if row is not None else fixer, "deadline": deadline,
                  "measures": plan["measures"], "photo_id": None, "status": "open", "rectified_on": None,
                  "rectified_by_id": None, "rectification": "", "rectified_photo_id": None, "rechecked_at": None,
                  "rechecked_by_id": None, "recheck_result": None, "recheck_note": "", "recheck_signature_id": None,
                  "closed_at": None, "finding_id": row.id if row is not None else None,
                  "ticket_id": plan["ticket"].id if plan["ticket"] is not None else None,
                  "created_at": found_at, "created_by_id": registered_by}
        hazards.append(hazard)

        def event(kind: str, when: datetime, actor: int, note: str = "", data: dict | None = None,
                  hazard_id: int = number) -> None:
            events.append({"hazard_id": hazard_id, "at": when, "actor_id": actor, "kind": kind, "note": note,
                           "data": data})

        event("registered", found_at, registered_by, hazard["measures"])
        moment = found_at
        if row is not None and fixer != office:  # a round's hazard goes to the logistics head: he hands it on
            moment = min(found_at + timedelta(minutes=rng.randrange(5, 30)), now - timedelta(minutes=2))
            hazard["responsible_id"] = fixer
            event("changed", moment, account_of[office], data={"responsible_id": fixer})
        if fate == "overdue":
            continue
        if fate == "extended":  # past its deadline, given a later one: outside work
            moment = max(min(at(deadline), now - timedelta(minutes=1)), moment + timedelta(minutes=1))
            hazard["deadline"] = today + timedelta(days=rng.randint(3, 14))
            hazard["measures"] = (hazard["measures"] or "设置警示标识") + HAZARD_EXTENDED
            event("changed", moment, account_of[office],
                  data={"deadline": hazard["deadline"].isoformat(), "measures": hazard["measures"]})
            continue
        # when it is rectified and re-checked (and, now and then, rectified again after a failed re-check)
        span = (deadline - found_on).days
        if row is not None and row.status == "closed":
            closing = row.closed_at
            rectified_at = max(found_at + (closing - found_at) * rng.uniform(0.3, 0.7), moment + timedelta(minutes=1))
            checks = [(rectified_at, closing, True)]
        else:
            days = rng.randint(span + 1, span + 6) if rng.random() < HAZARD_LATE else rng.randint(0, max(span - 1, 0))
            rectified_at = max(at(found_on + timedelta(days=days)), moment + timedelta(hours=1))
            checked_at = max(at(local_day(rectified_at) + timedelta(days=rng.randint(0, 2))),
                             rectified_at + timedelta(hours=1))
            if plan["ticket"] is not None:
                checked_at = max(checked_at, plan["ticket"].verified_at + timedelta(minutes=rng.randrange(30, 600)))
            checks = [(rectified_at, checked_at, True)]
            if fate == "reopened" or (row is None and found_on < today - timedelta(days=60)
                                      and rng.random() < HAZARD_RECHECK_FAILS):
                again = max(at(local_day(checked_at) + timedelta(days=rng.randint(1, 3))),
                            checked_at + timedelta(hours=1))
                checks = [(rectified_at, checked_at, False), (again, max(at(local_day(again) + timedelta(
                    days=rng.randint(0, 1))), again + timedelta(hours=1)), True)]
            if fate == "reopened":  # rectified and re-checked before now, the second round not begun
                rectified_at = min(rectified_at, now - timedelta(days=3))
                checks = [(rectified_at, min(checked_at, now - timedelta(days=1)), False)]
            elif fate == "awaiting":
                fixed = max(min(rectified_at, now - timedelta(hours=rng.uniform(2, 30))), found_at + timedelta(hours=1))
                checks = [(fixed, now + timedelta(days=1), True)]
            elif rectified_at > now and deadline < today and (row is None or row.status != "open"):
                # late and not yet rectified would be past its deadline: only the designated few are
                rectified_at = found_at + (now - found_at) * rng.uniform(0.3, 0.9)
                checks = [(rectified_at, rectified_at + timedelta(hours=rng.uniform(1, 40)), True)]
        if row is not None and row.status == "open" and fate != "reopened":  # its finding is open: not re-checked
            checks = [(fixed, now + timedelta(days=1), passed) for fixed, _checked, passed in checks[:1]]
        for fixed_at, checked_at, passed in checks:
            if fixed_at > now:
                break
            hazard.update(status="rectified", rectified_on=local_day(fixed_at), rectified_by_id=account_of[fixer],
                          rectification=plan["rectification"], rechecked_at=None, rechecked_by_id=None,
                          recheck_result=None, recheck_note="")
            event("rectified", fixed_at, account_of[fixer], plan["rectification"], {"photo_id": None})
            if checked_at > now:
                break
            note = "" if passed else rng.choice(HAZARD_RECHECK_FAILED)
            new_deadline = None if passed else max(local_day(checked_at) + timedelta(days=rng.randint(3, 5)),
                                                   today + timedelta(days=2) if fate == "reopened" else found_on)
            hazard.update(rechecked_at=checked_at, rechecked_by_id=account_of[checker],
                          recheck_result="pass" if passed else "fail", recheck_note=note,
                          status="closed" if passed else "reopened", closed_at=checked_at if passed else None)
            if new_deadline is not None:
                hazard["deadline"] = new_deadline
            event("rechecked", checked_at, account_of[checker], note,
                  {"result": "pass" if passed else "fail", "signature_id": None,
                   "deadline": new_deadline.isoformat() if new_deadline else None})
            if not passed and fate == "reopened":
                break
        if hazard["status"] == "reopened" and fate != "reopened":
            raise AssertionError(f"hazard {number} left reopened")

    insert_rows(conn, "hazard", hazards)
    events.sort(key=lambda e: (e["at"], e["hazard_id"]))
    insert_rows(conn, "hazard_event", events)
    states: dict[str, int] = {}
    for hazard in hazards:
        states[hazard["status"]] = states.get(hazard["status"], 0) + 1
    overdue = sum(h["status"] in ("open", "reopened") and h["deadline"] < today for h in hazards)
    weeks = len({monday(h["found_on"]) for h in hazards})
    print(f"    (hazards: {len(hazards):,} in {weeks} school weeks ({len(hazards) / max(weeks, 1):.1f} a week), "
          f"{sum(h['finding_id'] is not None for h in hazards):,} from the rounds' findings, "
          + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items(), key=lambda s: -s[1]))
          + f", {overdue} past their deadline; {len(events):,} events)", flush=True)
