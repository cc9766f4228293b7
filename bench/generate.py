"""Build a decade-sized SchoolHQ school into a fresh SQLite file, for bench/run.py.

    python bench/generate.py /tmp/bench.db

The schema, the built-in roles and the areas' seed rows come from the app's own
`prepare_database` (migrations, then seeding), so the benchmark measures the database a
school would have. The rows themselves go in with
SQLAlchemy Core bulk inserts: the services would need many minutes for 200,000 audit
rows, and they are not what the benchmark measures.

Each area adds its rows with one builder function (see BUILDERS at the bottom); a later
area (expenditures, ...) adds its sizes to the block below and its builder to
the list. Everything is drawn from one seeded random generator, so two runs build the
same school (only the timestamps move with today's date).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import tempfile
import time
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

# Sizes of today's areas (DESIGN.md §9: "about 150 staff, 300 locations") ---------------
YEARS = 10
STAFF = 150
#: people who left during the decade (their records stay, their accounts are inactive)
STAFF_LEFT = 12
ACCOUNTS = 100
#: building name, code; each building has FLOORS floors of ROOMS_PER_FLOOR rooms
BUILDINGS = [("教学楼", "A"), ("教学二楼", "B"), ("综合楼", "C"), ("实验楼", "D"),
             ("食堂楼", "E"), ("体育馆", "F")]
FLOORS = 4
ROOMS_PER_FLOOR = 11
#: buildings without floors (outdoor places), counted on top of the tree above
OUTDOOR = [("操场", "PG"), ("门卫室", "GT"), ("自行车棚", "BK")]
#: share of rooms nobody is responsible for yet (the dashboard counts them)
ROOMS_UNASSIGNED = 0.04
ROOMS_ARCHIVED = 6
RESPONSIBILITIES = 80
AUDIT_ENTRIES = 200_000
NOTIFICATIONS = 20_000
#: the bench administrator's own notifications: few, so the write fragment stays small
ADMIN_NOTIFICATIONS = 8

# Assets (DESIGN.md §9: 20,000 assets, 200,000 events) ----------------------------------
ASSETS = 20_000
#: every row of the history, "registered" and the loans' "checked_out"/"checked_in" included
ASSET_EVENTS = 200_000
#: share of assets lent at the desk; they live in the storerooms (储物间) when not on loan
ASSETS_LOANABLE = 0.05
LOANS = 8_000
#: loans not yet returned (one per asset at most, as the partial unique index holds);
#: ASSET_OPEN_OVERDUE of them are past due, ADMIN_OPEN_LOANS borrowed by the bench admin
ASSET_OPEN_LOANS = 150
ASSET_OPEN_OVERDUE = 30
ADMIN_OPEN_LOANS = 3
#: final status of the assets that are not loanable: key -> share (the rest are in_use)
ASSET_STATUSES = {"in_storage": 0.06, "under_repair": 0.02, "pending_disposal": 0.015,
                  "disposed": 0.045, "lost": 0.005}
#: the most events one asset gets besides its loans, about (a skewed spread: most get few)
ASSET_EVENTS_SKEW = 40

# Stock (DESIGN.md §9: 300 items, 200,000 movements) ------------------------------------
STOCK_ITEMS = 300
#: every ledger row: receipts, issues, transfers (two rows each), returns, write-offs,
#: reversals of mistaken issues and count adjustments
STOCK_MOVEMENTS = 200_000
#: share of the items put on the list during the decade (the rest are there from the start)
STOCK_ITEMS_ADDED_LATER = 0.1
#: items given up during the decade: what is left is written off, then the item archived
STOCK_ITEMS_RETIRED = 5
#: everyday items also kept in the teaching building's cupboard (the second store),
#: topped up from the main store by transfers every Wednesday in term
STOCK_CUPBOARD_ITEMS = 24
#: share of requisitions served from the cupboard (items it holds only)
STOCK_FROM_CUPBOARD = 0.15
#: share of requisitions made and issued at the counter in one go; the rest are sent from
#: the request page first and collected a few days later (special items always are)
STOCK_AT_COUNTER = 0.7
#: lines on a requisition -> weight
STOCK_LINES = {1: 40, 2: 30, 3: 20, 4: 10}
#: chance per school day of a return of unused goods, a write-off, a reversal of a mistaken issue
STOCK_DAILY = {"return": 0.12, "write_off": 0.05, "reversal": 0.025}
#: share of lines with a difference when a store is counted (once a year, in July)
STOCK_COUNT_DIFFERENCES = 0.05

# Repairs (DESIGN.md §9: 20,000 tickets) -------------------------------------------------
#: every ticket: reported by staff, from the maintenance plans, and for items returned damaged
REPAIR_TICKETS = 20_000

# Checks (DESIGN.md §9: 40,000 rounds with 800,000 answers; see build_checks for what the
# shipped templates make of it) ----------------------------------------------------------
#: the canteen building's floors are four dining halls, each with its kitchen (the room
#: named 开水间 on the floor): floor -> refrigeration on the register from the decade's start
CHECK_KITCHENS = {1: {"fridge": 8, "freezer": 4, "sample_fridge": 2},
                  2: {"fridge": 3, "freezer": 1, "sample_fridge": 1},
                  3: {"fridge": 3, "freezer": 1, "sample_fridge": 1},
                  4: {"fridge": 3, "freezer": 1, "sample_fridge": 1}}
#: the secondary-supply water tanks (in 综合楼's top-floor 开水间), also added by build_checks
CHECK_WATER_TANKS = 2
#: schedules that started later than the decade: template key -> the day they began, as
#: (years before now) or "school_year" (the 1 September of this school year)
CHECK_STARTED = {"water.monthly": 6, "fire.monthly": "school_year"}
#: share of closed rounds missed (30% of those begun and left unfinished), of submitted
#: rounds with a failed item (one in five with two), of rounds done after their due time
CHECK_MISSED = 0.03
CHECK_FAILING = 0.07
CHECK_LATE = 0.08
#: rounds of this month and week, window still open: share already submitted / begun
CHECK_OPEN_DONE, CHECK_OPEN_BEGUN = 0.6, 0.1
#: findings of the last CHECK_OPEN_DAYS left open (this share of those not corrected)
CHECK_OPEN_DAYS, CHECK_OPEN_SHARE = 90, 0.5

# Later areas add their sizes here (targets from DESIGN.md §9), and a builder below:
# EXPENDITURES = 10_000

#: the sign-in bench/run.py uses; every generated account shares this password
ADMIN_USERNAME = "admin"
PASSWORD = "bench-pass-123"
SEED = 2026

#: name, parent name: a tree three levels deep
DEPARTMENTS = [
    ("校长室", None), ("办公室", None), ("教务处", None), ("德育处", None), ("总务处", None),
    ("财务室", "总务处"), ("食堂", "总务处"), ("医务室", "总务处"), ("安保组", "总务处"),
    ("信息中心", "办公室"), ("语文组", "教务处"), ("数学组", "教务处"), ("英语组", "教务处"),
    ("综合组", "教务处"), ("体育组", "综合组"),
]
SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕魏汪"
GIVEN = ["静", "伟", "芳", "娜", "秀英", "敏", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "玉兰", "晨", "欣怡", "子涵", "浩然",
         "雨桐", "思远", "建华", "海燕", "国强", "红梅", "志刚"]
TITLES = {"语文组": "语文教师", "数学组": "数学教师", "英语组": "英语教师", "综合组": "科学教师",
          "体育组": "体育教师", "食堂": "帮厨", "总务处": "保洁员", "安保组": "保安",
          "医务室": "校医", "财务室": "会计", "信息中心": "网络管理员"}
ROOM_NAMES = ["教室", "办公室", "教师办公室", "储物间", "卫生间", "实验室", "活动室", "会议室",
              "资料室", "配电间", "开水间"]
#: role code -> how many generated accounts hold it (besides everyone's "staff")
#: the bench administrator's roles: "admin" sees the register; "storekeeper" (unscoped) lets
#: it open the lending desk, the returns and the loans, as the asset pages need
ADMIN_ROLES = ("admin", "storekeeper")
ROLE_HOLDERS = {"principal": 1, "logistics_head": 2, "storekeeper": 2, "canteen_manager": 1,
                "canteen_staff": 6, "maintenance": 3, "school_doctor": 1, "accountant": 2}


@dataclass
class School:
    """What the builders have made so far, for the ones that come after."""

    rng: random.Random
    now: datetime
    password_hash: str
    role_ids: dict[str, int] = field(default_factory=dict)
    department_ids: dict[str, int] = field(default_factory=dict)
    #: id -> materialised path
    department_paths: dict[int, str] = field(default_factory=dict)
    person_ids: list[int] = field(default_factory=list)
    current_person_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)
    admin_account_id: int = 0
    #: kind -> ids of active locations
    location_ids: dict[str, list[int]] = field(default_factory=dict)

    @property
    def start(self) -> datetime:
        return self.now - timedelta(days=365 * YEARS)

    def moment(self) -> datetime:
        """A uniformly random instant of the decade."""
        span = (self.now - self.start).total_seconds()
        return self.start + timedelta(seconds=self.rng.random() * span)


def _tables():
    """Table name -> Table of the models the builders fill; a later area adds its own."""
    from schoolhq.assets.models import (
        Asset,
        AssetCategory,
        AssetEvent,
        AssetKind,
        Loan,
    )
    from schoolhq.auth.models import Account, RoleAssignment
    from schoolhq.checks.models import (
        CheckAnswer,
        CheckFinding,
        CheckItem,
        CheckRound,
        CheckSchedule,
        CheckTemplate,
    )
    from schoolhq.core.models import (
        AuditEntry,
        CalendarDay,
        Counter,
        Notification,
        SchoolTerm,
        Setting,
    )
    from schoolhq.people.models import Department, Person, Responsibility
    from schoolhq.places.models import Location
    from schoolhq.repairs.models import (
        MaintenancePlan,
        RepairCategory,
        RepairPriority,
        Ticket,
        TicketEvent,
        TicketHelper,
    )
    from schoolhq.stock.models import (
        Requisition,
        RequisitionLine,
        StockBalance,
        StockCategory,
        StockCount,
        StockCountLine,
        StockIssue,
        StockItem,
        StockMovement,
        StockReceipt,
        Store,
    )

    return {model.__tablename__: model.__table__ for model in (
        Account, RoleAssignment, AuditEntry, CalendarDay, Notification, SchoolTerm, Setting,
        Department, Person, Responsibility, Location, Asset, AssetCategory, Counter, AssetEvent,
        AssetKind, Loan, StockCategory, StockItem, Store, StockBalance, StockReceipt, Requisition,
        RequisitionLine, StockIssue, StockCount, StockCountLine, StockMovement, RepairCategory, RepairPriority,
        MaintenancePlan, Ticket, TicketHelper, TicketEvent, CheckTemplate, CheckItem, CheckSchedule, CheckRound,
        CheckAnswer, CheckFinding)}


#: filled by generate() once the app (and so every model) is loaded
T: dict = {}


# Builders: each adds one area's rows ---------------------------------------------------

def build_settings(conn: Connection, school: School) -> None:
    conn.execute(insert(T["setting"]), [{"key": "school_name", "value": "阳光小学（基准）"}])


def build_people(conn: Connection, school: School) -> None:
    """Departments as a tree with correct paths, then staff, then each department's head."""
    from schoolhq.people.services import pinyin_of

    rng = school.rng
    rows = []
    for number, (name, parent) in enumerate(DEPARTMENTS, start=1):
        parent_id = school.department_ids.get(parent) if parent else None
        path = (school.department_paths[parent_id] if parent_id else "/") + f"{number}/"
        school.department_ids[name] = number
        school.department_paths[number] = path
        rows.append({"id": number, "name": name, "parent_id": parent_id, "path": path})
    conn.execute(insert(T["department"]), rows)

    names = [s + g for s in SURNAMES for g in GIVEN]
    rng.shuffle(names)
    departments = list(school.department_ids)
    teaching = ["语文组", "数学组", "英语组", "综合组", "体育组"]
    # Person 1 becomes the bench administrator, so stays.
    people, left = [], set(rng.sample(range(2, STAFF + 1), STAFF_LEFT))
    for number in range(1, STAFF + 1):
        name = names[number - 1]
        department = teaching[number % len(teaching)] if number % 3 else rng.choice(departments)
        pinyin, initials = pinyin_of(name)
        joined = school.moment()
        people.append({
            "id": number, "name": name, "pinyin": pinyin, "pinyin_initials": initials,
            "department_id": school.department_ids[department],
            "job_title": TITLES.get(department, "干事"),
            "phone": f"139{rng.randrange(10**7, 10**8)}",
            "badge_code": f"B{number:05d}" if rng.random() < 0.8 else None,
            "created_at": joined,
            "left_at": joined + (school.now - joined) * rng.random() if number in left else None,
        })
        school.person_ids.append(number)
        if number not in left:
            school.current_person_ids.append(number)
    conn.execute(insert(T["person"]), people)
    for department_id in school.department_ids.values():
        members = [p["id"] for p in people if p["department_id"] == department_id and not p["left_at"]]
        if members:
            conn.execute(update(T["department"]).where(T["department"].c.id == department_id)
                         .values(head_person_id=members[0]))


def build_places(conn: Connection, school: School) -> None:
    """campus → buildings → floors → rooms, each with its path, full name and label token."""
    from schoolhq.places.services import TOKEN_ALPHABET

    rng = school.rng
    keepers = school.current_person_ids
    tokens: set[str] = set()
    rows: list[dict] = []

    def add(kind, name, parent, code, sort_order, keeper="pick"):
        token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
        while token in tokens:
            token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
        tokens.add(token)
        number = len(rows) + 1
        row = {
            "id": number, "parent_id": parent["id"] if parent else None, "kind": kind,
            "name": name, "code": code, "token": token, "sort_order": sort_order,
            "path": (parent["path"] if parent else "/") + f"{number}/",
            "full_name": (parent["full_name"] + " / " if parent else "") + name,
            "responsible_person_id": rng.choice(keepers) if keeper == "pick" else keeper,
            "archived_at": None,
        }
        rows.append(row)
        return row

    campus = add("campus", "阳光小学", None, "YG", 0)
    for b_index, (building_name, code) in enumerate(BUILDINGS):
        building = add("building", building_name, campus, code, b_index)
        for f in range(1, FLOORS + 1):
            floor = add("floor", f"{f}楼", building, f"{code}{f}", f)
            for n in range(1, ROOMS_PER_FLOOR + 1):
                keeper = None if rng.random() < ROOMS_UNASSIGNED else "pick"
                room_name = f"{f}{n:02d}{ROOM_NAMES[(n - 1) % len(ROOM_NAMES)]}"
                add("room", room_name, floor, f"{code}{f}{n:02d}", n, keeper)
    for index, (name, code) in enumerate(OUTDOOR):
        add("building", name, campus, code, 10 + index)
    for row in rng.sample([r for r in rows if r["kind"] == "room"], ROOMS_ARCHIVED):
        row["archived_at"] = school.moment()
    conn.execute(insert(T["location"]), rows)
    for row in rows:
        if row["archived_at"] is None:
            school.location_ids.setdefault(row["kind"], []).append(row["id"])

    all_places = [i for ids in school.location_ids.values() for i in ids]
    conn.execute(insert(T["responsibility"]), [{
        "person_id": rng.choice(keepers), "title": f"责任区 {n + 1}",
        "description": "日常巡查、安全与卫生", "location_id": rng.choice(all_places),
        "started_at": school.moment(), "ended_at": None,
    } for n in range(RESPONSIBILITIES)])


def build_accounts(conn: Connection, school: School) -> None:
    """ACCOUNTS sign-ins sharing one password hash; the first is the bench administrator.
    Everyone holds "staff"; a few hold the other built-in roles, some of them scoped."""
    rng = school.rng
    rows, assignments = [], []
    for number, person_id in enumerate(school.person_ids[:ACCOUNTS], start=1):
        rows.append({
            "id": number, "username": ADMIN_USERNAME if number == 1 else f"user{number:03d}",
            "password_hash": school.password_hash, "person_id": person_id,
            "active": person_id in school.current_person_ids, "language": "",
            "failed_logins": 0, "session_version": 1, "created_at": school.moment(),
            "last_login_at": school.moment() if rng.random() < 0.9 else None,
        })
        school.account_ids.append(number)
        assignments.append({"account_id": number, "role_id": school.role_ids["staff"]})
    school.admin_account_id = 1
    assignments += [{"account_id": 1, "role_id": school.role_ids[code]} for code in ADMIN_ROLES]
    others = iter(rng.sample(school.account_ids[1:], sum(ROLE_HOLDERS.values())))
    buildings = school.location_ids["building"]
    for code, count in ROLE_HOLDERS.items():
        for index in range(count):
            row = {"account_id": next(others), "role_id": school.role_ids[code]}
            # Some holders are scoped: to one building, or to the canteen department.
            if index == 1 and code in ("logistics_head", "storekeeper", "maintenance"):
                row["location_id"] = rng.choice(buildings)
            elif index > 0 and code == "canteen_staff":
                row["department_id"] = school.department_ids["食堂"]
            assignments.append(row)
    conn.execute(insert(T["account"]), rows)
    conn.execute(insert(T["role_assignment"]), [
        {"department_id": None, "location_id": None, **row} for row in assignments])


def build_calendar(conn: Connection, school: School) -> None:
    """Two terms a year and the national holidays, for the decade and the coming year."""
    terms, days = [], []
    first = school.start.year
    for year in range(first, school.now.year + 1):
        name = f"{year}—{year + 1}学年"
        terms.append({"name": name + "第一学期", "starts_on": date(year, 9, 1),
                      "ends_on": date(year + 1, 1, 20)})
        terms.append({"name": name + "第二学期", "starts_on": date(year + 1, 2, 20),
                      "ends_on": date(year + 1, 7, 5)})
        days += [{"day": date(year, 10, d), "kind": "holiday", "name": "国庆节"} for d in range(1, 8)]
        days.append({"day": date(year, 9, 28), "kind": "school_day", "name": "国庆调休"})
        days.append({"day": date(year + 1, 1, 1), "kind": "holiday", "name": "元旦"})
        days += [{"day": date(year + 1, 5, d), "kind": "holiday", "name": "劳动节"} for d in range(1, 4)]
    conn.execute(insert(T["school_term"]), terms)
    conn.execute(insert(T["calendar_day"]), days)


#: area -> (share of the audit trail, [(action, record type)])
AUDIT_MIX = {
    "auth": (0.45, [("login", "account"), ("login", "account"), ("login", "account"),
                    ("password.changed", "account"), ("role.assigned", "role_assignment")]),
    "people": (0.22, [("person.updated", "person"), ("responsibility.added", "responsibility"),
                      ("responsibility.ended", "responsibility"), ("department.updated", "department")]),
    "places": (0.23, [("location.updated", "location"), ("location.created", "location"),
                      ("location.moved", "location")]),
    "core": (0.10, [("calendar.day_set", ""), ("settings.update", ""), ("calendar.term_added", "school_term")]),
}


def build_audit(conn: Connection, school: School) -> None:
    """AUDIT_ENTRIES rows over the decade, oldest first so ids follow time as they do live."""
    rng = school.rng
    areas = list(AUDIT_MIX)
    weights = [AUDIT_MIX[a][0] for a in areas]
    moments = sorted(school.moment() for _ in range(AUDIT_ENTRIES))
    accounts = school.account_ids
    rows = []
    for at in moments:
        area = rng.choices(areas, weights)[0]
        action, record_type = rng.choice(AUDIT_MIX[area][1])
        record_id = rng.randrange(1, 300) if record_type else None
        changed = action.endswith(("updated", "moved", "set"))
        rows.append({
            "at": at, "account_id": rng.choice(accounts), "area": area, "action": action,
            "record_type": record_type, "record_id": record_id,
            "summary": f"{record_type or area} {record_id or ''}".strip(),
            "before": {"name": f"旧名称 {record_id}", "code": "A-101"} if changed else None,
            "after": {"name": f"新名称 {record_id}", "code": "A-102"} if action != "login" else None,
            "client": f"10.0.{rng.randrange(1, 8)}.{rng.randrange(2, 250)}",
        })
        if len(rows) == 20_000:
            conn.execute(insert(T["audit_entry"]), rows)
            rows = []
    if rows:
        conn.execute(insert(T["audit_entry"]), rows)


def build_notifications(conn: Connection, school: School) -> None:
    """NOTIFICATIONS over the decade to every account but the administrator, who gets
    ADMIN_NOTIFICATIONS recent ones (half unread); older ones are read within a day."""
    rng = school.rng
    others = school.account_ids[1:]
    rows = []
    for number in range(NOTIFICATIONS):
        admin = number < ADMIN_NOTIFICATIONS
        created = school.now - timedelta(hours=number + 1) if admin else school.moment()
        recent = school.now - created < timedelta(days=30)
        unread = (admin and number % 2 == 0) or (not admin and recent and rng.random() < 0.5)
        place = rng.choice(school.location_ids["room"])
        rows.append({
            "account_id": school.admin_account_id if admin else rng.choice(others),
            "created_at": created, "area": "places", "title": f"房间 {place} 需要指定责任人",
            "body": "请在本周内指定责任人。", "link": f"/places/{place}",
            "read_at": None if unread else created + timedelta(hours=rng.randrange(1, 24)),
        })
    conn.execute(insert(T["notification"]), rows)


#: what a school owns: name, GB/T 14885 code, kind key, unit price in yuan, brand, model,
#: weight (how common), whether its kind is lent at the desk. Quantity > 1 for sets.
ASSET_CATALOGUE = [
    ("学生课桌椅（套）", "A05010304", None, 380, "", "升降式", 30, False),
    ("教学、实验用桌", "A05010203", None, 600, "", "", 6, False),
    ("办公椅", "A05010301", None, 450, "", "", 8, False),
    ("文件柜", "A05010502", None, 1200, "", "", 5, False),
    ("书柜", "A05010501", None, 980, "", "", 4, False),
    ("台式电脑", "A02010105", None, 4300, "联想", "启天M437", 8, False),
    ("教师台式计算机", "A02010105", None, 4500, "联想", "启天M437", 3, False),
    ("笔记本电脑", "A02010108", "laptop", 5200, "联想", "ThinkPad E14", 3, True),
    ("交互式电子白板", "A02020700", None, 12800, "希沃", "MAXHUB-86", 2, False),
    ("投影仪", "A02020000", "projector", 4200, "爱普生", "CB-X06", 3, False),
    ("便携式投影仪", "A02020000", "projector", 3200, "明基", "GS50", 0.6, True),
    ("数码相机", "A02000000", "camera", 3900, "佳能", "EOS 200D", 0.6, True),
    ("平板充电车", "A02010000", "tablet_cart", 18000, "希沃", "T-CART 40", 0.2, True),
    ("空调机", "A02061804", None, 3600, "格力", "KFR-72LW", 5, False),
    ("A4彩色打印机", "A02021004", None, 2600, "惠普", "M255dw", 2, False),
    ("碎纸机", "A02021301", None, 900, "得力", "9911", 1, False),
    ("电视机", "A02091001", None, 3200, "海信", "65E3F", 1, False),
    ("灭火器", "A02000000", "extinguisher", 95, "淮海", "MFZ/ABC4", 6, False),
    ("直饮水机", "A02000000", "water_point", 6800, "沁园", "JZY-A2XB", 1, False),
    ("冷藏冰箱", "A02000000", "fridge", 5600, "海尔", "SC-650", 0.2, False),
    ("教具", "A05040403", None, 200, "", "", 3, False),
    ("演出服饰", "A02450200", None, 150, "", "", 2, False),
    ("玻璃温度计", "A02100702", None, 30, "", "", 1, False),
]
ASSET_SUPPLIERS = ["阳光教育装备有限公司", "市政府采购中心", "联想（北京）有限公司", "希沃教育科技", "本地家具厂"]
#: kind of an event that is neither registration, loan nor disposal -> weight
ASSET_EVENT_MIX = {"moved": 35, "custodian_changed": 30, "status_changed": 10, "edited": 10, "audited": 15}
SCHOOL_OFFSET = timedelta(hours=8)  # Asia/Shanghai: slips and numbers use the school's date
AFTER_SCHOOL_UTC = (8, 30)          # 16:30 in the school, when loans fall due


def build_assets(conn: Connection, school: School) -> None:
    """ASSETS on the register over the decade, each with a history that adds up (the
    "from" of a move is where the previous event left it; the row shows where the last
    one did), LOANS on the loanable ones (ASSET_OPEN_LOANS still out), ASSET_EVENTS rows
    of history in all; ids follow time, as they do live."""
    from schoolhq.assets.services import TOKEN_ALPHABET

    rng = school.rng
    categories = dict(conn.execute(select(T["asset_category"].c.code, T["asset_category"].c.id)).all())
    kinds = dict(conn.execute(select(T["asset_kind"].c.key, T["asset_kind"].c.id)).all())
    room_rows = conn.execute(select(T["location"].c.id, T["location"].c.name, T["location"].c.full_name,
                                    T["location"].c.responsible_person_id)
                             .where(T["location"].c.kind == "room", T["location"].c.archived_at.is_(None))).all()
    place_name = {row.id: row.full_name for row in room_rows}
    rooms = [row.id for row in room_rows]
    stores = [row.id for row in room_rows if "储物间" in row.name] or rooms[:3]
    keeper_of = {row.id: row.responsible_person_id for row in room_rows}
    people = conn.execute(select(T["person"].c.id, T["person"].c.name, T["person"].c.department_id)).all()
    person_name = {row.id: row.name for row in people}
    department_of = {row.id: row.department_id for row in people}
    current = school.current_person_ids
    desk_accounts = [school.admin_account_id] + school.account_ids[1:6]
    used_tokens = set(conn.execute(select(T["location"].c.token)).scalars())

    def token() -> str:
        while True:
            value = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
            if value not in used_tokens:
                used_tokens.add(value)
                return value

    def at_of(start: datetime, end: datetime) -> datetime:
        return (start + (end - start) * rng.random()).replace(microsecond=0)

    # 1. The items, registered over the decade (oldest first, so ids and numbers follow time).
    weights = [item[6] for item in ASSET_CATALOGUE]
    span_days = (school.now - school.start).days
    registered = sorted(school.start + timedelta(days=rng.random() * (span_days - 1)) for _ in range(ASSETS))
    loanable_kind: list[int] = []  # indexes of items of a kind lent at the desk
    assets: list[dict] = []
    counters: dict[int, int] = {}
    for number, created in enumerate(registered, start=1):
        name, code, kind, price, brand, model, _weight, lends = rng.choices(ASSET_CATALOGUE, weights)[0]
        created = created.replace(microsecond=0)
        booked = (created + SCHOOL_OFFSET).date()
        purchased = booked - timedelta(days=rng.randrange(0, 30))
        counters[booked.year] = counters.get(booked.year, 0) + 1
        quantity = rng.randrange(20, 51) if name.endswith("（套）") else 1
        room = rng.choice(rooms)
        keeper = keeper_of[room] if rng.random() < 0.7 else rng.choice(current)
        keeper = None if rng.random() < 0.04 else keeper
        if lends:
            loanable_kind.append(number - 1)
        assets.append({
            "id": number, "number": f"ZC{booked.year}{counters[booked.year]:05d}", "token": token(),
            "name": name, "category_id": categories.get(code) or rng.choice(list(categories.values())),
            "kind_id": kinds.get(kind) if kind else None,
            "tier": "fixed_asset" if price >= 1000 else "low_value_durable",
            "brand": brand, "model": model, "spec": "", "serial": f"SN{rng.randrange(10**8, 10**9)}",
            "unit": "套" if quantity > 1 else "台", "quantity": quantity, "unit_price_fen": price * 100,
            "funding_source": rng.choice(["财政拨款", "财政拨款", "自筹资金"]),
            "acquisition_method": rng.choice(["政府采购", "政府采购", "自行采购", "捐赠"]),
            "purchased_on": purchased, "booked_on": booked,
            "voucher_no": f"记-{booked.year}-{rng.randrange(1, 2000):04d}",
            "invoice_no": f"{rng.randrange(10**7, 10**8)}", "supplier": rng.choice(ASSET_SUPPLIERS),
            "warranty_until": purchased + timedelta(days=365 * 3) if price >= 1000 else None,
            "use_direction": rng.choice(["教学", "教学", "行政", "后勤"]),
            "department_id": None, "custodian_id": keeper, "location_id": room, "status": "in_use", "loanable": False,
            "extra": {}, "photo_id": None, "note": "", "next_audit_on": None, "created_at": created,
        })
    conn.execute(insert(T["counter"]), [{"scope": f"assets.{year}", "value": value}
                                              for year, value in counters.items()])

    # 2. Which are lent at the desk (items of a lending kind first), and final statuses.
    wanted = round(ASSETS * ASSETS_LOANABLE)
    rng.shuffle(loanable_kind)
    lending_kind = set(loanable_kind)
    others = [n for n in range(ASSETS) if n not in lending_kind]
    lendable = (loanable_kind + rng.sample(others, max(0, wanted - len(loanable_kind))))[:wanted]
    lendable_set = set(lendable)
    for n in lendable:
        asset = assets[n]
        asset["loanable"] = True
        asset["status"] = "in_storage" if rng.random() < 0.8 else "in_use"
        asset["location_id"] = rng.choice(stores)
    rest = [n for n in range(ASSETS) if n not in lendable_set]
    pool = iter(rng.sample(rest, len(rest)))
    for status, share in ASSET_STATUSES.items():
        for _ in range(round(ASSETS * share)):
            assets[next(pool)]["status"] = status

    # 3. Loans on the loanable items: closed ones spread over each item's life, then the
    #    open ones (recent, some overdue, a few borrowed by the bench administrator).
    out_now = set(rng.sample(lendable, ASSET_OPEN_LOANS))
    closed_count = LOANS - ASSET_OPEN_LOANS
    per_asset: dict[int, int] = {}
    heavy = [rng.paretovariate(1.5) for _ in lendable]
    recent = school.now - timedelta(days=45)  # too new for closed loans before an open one
    heavy = [0.0 if assets[n]["created_at"] > recent else min(w, 6.0) for n, w in zip(lendable, heavy, strict=True)]
    for n in rng.choices(lendable, weights=heavy, k=closed_count):
        per_asset[n] = per_asset.get(n, 0) + 1
    slips: set[str] = set()
    loans: list[dict] = []
    events: list[dict] = []
    loan_id = 0

    def slip_for(out_at: datetime) -> str:
        while True:
            slip = (out_at + SCHOOL_OFFSET).strftime("JY%y%m%d") + f"-{rng.randrange(0x10000):04X}"
            if slip not in slips:
                slips.add(slip)
                return slip

    def due_for(out_at: datetime) -> datetime:
        days = rng.choice([0, 1, 1, 3, 7, 14, 60])
        return (out_at + timedelta(days=days)).replace(hour=AFTER_SCHOOL_UTC[0], minute=AFTER_SCHOOL_UTC[1], second=0)

    open_borrowers = iter([1] * ADMIN_OPEN_LOANS + [rng.choice(current) for _ in range(ASSET_OPEN_LOANS)])
    overdue = set(rng.sample(sorted(out_now), ASSET_OPEN_OVERDUE))
    busy_until: dict[int, datetime] = {}
    for n in sorted(lendable):
        asset = assets[n]
        life_start = asset["created_at"] + timedelta(days=1)
        last_open = None
        if n in out_now:  # still out: lent in the last 3 weeks, or over 2 weeks ago if overdue
            back = rng.uniform(15, 40) if n in overdue else rng.uniform(0.2, 12)
            last_open = max(life_start, school.now - timedelta(days=back))
        life_end = (last_open or school.now) - timedelta(hours=1)
        count = per_asset.get(n, 0)
        if life_end <= life_start:
            count = 0
        starts = sorted(at_of(life_start, life_end) for _ in range(count))
        for index, out_at in enumerate(starts):
            limit = (starts[index + 1] if index + 1 < len(starts) else life_end) - out_at
            returned = out_at + min(timedelta(days=rng.uniform(0.1, 10)), limit * 0.9)
            loan_id += 1
            slip = slip_for(out_at)
            borrower = rng.choice(current)
            due = due_for(out_at)
            damaged = rng.random() < 0.02
            loans.append({"id": loan_id, "asset_id": asset["id"], "borrower_id": borrower, "slip": slip,
                          "out_at": out_at, "out_by_id": rng.choice(desk_accounts), "due_at": due,
                          "condition_out": "完好", "signature_id": None, "status_before": asset["status"],
                          "returned_at": returned.replace(microsecond=0), "returned_to_id": rng.choice(desk_accounts),
                          "condition_in": "屏幕有划痕" if damaged else "",
                          "damaged": damaged, "photo_in_id": None})
            events.append({"asset_id": asset["id"], "at": out_at, "kind": "checked_out",
                           "actor_id": loans[-1]["out_by_id"], "note": "",
                           "data": {"loan_id": loan_id, "slip": slip, "borrower": person_name[borrower],
                                    "due_at": due.isoformat()}})
            events.append({"asset_id": asset["id"], "at": loans[-1]["returned_at"], "kind": "checked_in",
                           "actor_id": loans[-1]["returned_to_id"], "note": loans[-1]["condition_in"],
                           "data": {"loan_id": loan_id, "slip": slip, "damaged": damaged, "checklist": {}}})
        if last_open is not None:
            out_at = last_open.replace(microsecond=0)
            loan_id += 1
            slip = slip_for(out_at)
            borrower = next(open_borrowers)
            due = (school.now - timedelta(days=rng.uniform(1, 10)) if n in overdue
                   else school.now + timedelta(days=rng.uniform(1, 20))).replace(
                hour=AFTER_SCHOOL_UTC[0], minute=AFTER_SCHOOL_UTC[1], second=0, microsecond=0)
            loans.append({"id": loan_id, "asset_id": asset["id"], "borrower_id": borrower, "slip": slip,
                          "out_at": out_at, "out_by_id": rng.choice(desk_accounts), "due_at": due,
                          "condition_out": "完好", "signature_id": None, "status_before": asset["status"],
                          "returned_at": None, "returned_to_id": None, "condition_in": "",
                          "damaged": False, "photo_in_id": None})
            events.append({"asset_id": asset["id"], "at": out_at, "kind": "checked_out",
                           "actor_id": loans[-1]["out_by_id"], "note": "",
                           "data": {"loan_id": loan_id, "slip": slip, "borrower": person_name[borrower],
                                    "due_at": due.isoformat()}})
            asset["status"] = "on_loan"
            busy_until[n] = out_at
    loans.sort(key=lambda row: row["id"])

    # 4. The rest of each history: registration, then moves, custodian changes, repairs,
    #    edits and audits, skewed so a few items gather many events; disposal last.
    closing_events = sum(1 for a in assets if not a["loanable"] and a["status"] != "in_use")
    other_count = ASSET_EVENTS - ASSETS - len(events) - closing_events
    skew = [min(rng.paretovariate(1.3), ASSET_EVENTS_SKEW) for _ in assets]
    extra_of = [0] * ASSETS
    for n in rng.choices(range(ASSETS), weights=skew, k=max(0, other_count)):
        extra_of[n] += 1
    kinds_mix, kind_weights = list(ASSET_EVENT_MIX), list(ASSET_EVENT_MIX.values())
    for n, asset in enumerate(assets):
        final_status, final_room, final_keeper = asset["status"], asset["location_id"], asset["custodian_id"]
        lends = asset["loanable"]
        start = asset["created_at"]
        end = busy_until.get(n, school.now) - timedelta(minutes=1)
        if not lends and final_status != "in_use":
            end = at_of(start + (end - start) * 0.5, end)  # the last change of status, then nothing
        changes = sorted(at_of(start, end) for _ in range(extra_of[n]))
        status = "in_storage" if lends else "in_use"
        kinds_here = [rng.choices(kinds_mix, kind_weights)[0] for _ in changes]
        if lends:  # the desk changes a loanable item's status; nobody else does
            kinds_here = ["moved" if k == "status_changed" else k for k in kinds_here]
        repairs = [i for i, k in enumerate(kinds_here) if k == "status_changed"]
        if len(repairs) % 2:  # every trip to repair comes back before the final status
            kinds_here[repairs[-1]] = "audited"
        # the last move and custodian change land on where the row says the item is now
        last_move = max((i for i, k in enumerate(kinds_here) if k == "moved"), default=None)
        last_keeper = max((i for i, k in enumerate(kinds_here) if k == "custodian_changed"), default=None)
        # where it was registered, and with whom: where it still is if it never moved
        room = final_room if last_move is None else rng.choice(stores if lends else rooms)
        keeper = final_keeper if last_keeper is None else rng.choice(current)
        events.append({"asset_id": asset["id"], "at": start, "kind": "registered", "actor_id": rng.choice(desk_accounts),
                       "note": "", "data": {"number": asset["number"], "location": place_name[room]}})
        for index, (when, kind) in enumerate(zip(changes, kinds_here, strict=True)):
            data: dict
            if kind == "moved":
                target = final_room if index == last_move else rng.choice(stores if lends else rooms)
                data = {"from": {"id": room, "name": place_name[room]}, "to": {"id": target, "name": place_name[target]}}
                room = target
            elif kind == "custodian_changed":
                target = final_keeper if index == last_keeper else rng.choice(current)
                data = {"from": {"id": keeper, "name": person_name.get(keeper, "")},
                        "to": {"id": target, "name": person_name.get(target, "")}}
                keeper = target
            elif kind == "status_changed":  # off to repair and back
                target = "under_repair" if status == "in_use" else "in_use"
                data = {"from": status, "to": target}
                status = target
            elif kind == "edited":
                data = {"note": {"from": "", "to": "已贴新标签"}}
            else:
                data = {"found": True, "location": place_name[room]}
            events.append({"asset_id": asset["id"], "at": when, "kind": kind, "actor_id": rng.choice(desk_accounts),
                           "note": "", "data": data})
        closing = end + timedelta(minutes=1)
        if final_status == "disposed":
            events.append({"asset_id": asset["id"], "at": closing, "kind": "disposed", "actor_id": desk_accounts[0],
                           "note": "", "data": {"document": f"教财〔{closing.year}〕{rng.randrange(1, 60)}号"}})
        elif final_status == "lost":
            events.append({"asset_id": asset["id"], "at": closing, "kind": "audited", "actor_id": desk_accounts[0],
                           "note": "盘点未找到", "data": {"found": False, "location": place_name[room]}})
        elif not lends and final_status != "in_use":
            events.append({"asset_id": asset["id"], "at": closing, "kind": "status_changed",
                           "actor_id": rng.choice(desk_accounts), "note": "", "data": {"from": status, "to": final_status}})
        asset["department_id"] = department_of.get(keeper) if keeper else None

    conn.execute(insert(T["asset"]), assets)
    conn.execute(insert(T["loan"]), loans)
    events.sort(key=lambda row: row["at"])
    for first in range(0, len(events), 20_000):
        conn.execute(insert(T["asset_event"]), events[first:first + 20_000])


#: the catalogue's items (schoolhq/stock/demo.py) in several brands make the 300: category -> brands
STOCK_BRANDS = {
    "办公用品": ["得力", "晨光", "齐心", "广博", "真彩"], "打印耗材": ["原装", "天威", "格之格"],
    "清洁消毒用品": ["蓝月亮", "威露士", "维达", "利尔康", "心相印"], "防疫物资": ["稳健", "振德", "英科"],
    "电池电料": ["南孚", "双鹿", "飞利浦", "雷士", "公牛"], "维修配件": ["九牧", "固特", "东成"],
    "教学耗材": ["马利", "晨光", "得力"], "食堂耗材": ["妙洁", "美丽雅"], "劳保用品": ["星宇", "恒辉"],
}
#: category -> how often its items are asked for (times a skewed draw per item)
STOCK_DEMAND = {"办公用品": 3.0, "打印耗材": 1.0, "清洁消毒用品": 2.5, "防疫物资": 1.5, "电池电料": 1.0,
                "维修配件": 0.5, "教学耗材": 2.0, "食堂耗材": 1.5, "劳保用品": 1.0}
STOCK_COUNT_REASONS = {False: ["清点短少", "包装破损报损", "发放未登记"], True: ["上次盘点漏点", "退回未登记"]}
STOCK_WRITE_OFF_REASONS = ["过期", "受潮损坏", "破损", "过期失效"]


@dataclass
class _Supply:
    """What the stock builder knows of one item while it plays the decade through."""

    id: int
    category: str
    price_yuan: float
    #: how often it is asked for (relative)
    demand: float
    #: a usual quantity on one requisition line, in thousandths
    usual: int
    decimal: bool
    special: bool
    min_level: int
    target: int
    reserve: int
    start: datetime
    cupboard_target: int = 0
    archived: bool = False


def _stock_day_weight(day: date, fraction: float) -> float:
    """How busy the store is on a school-local day: nothing at weekends and on national
    holidays, a little in the vacations (cleaning, repairs), fully in term; a school that
    slowly grows over the decade."""
    if day.weekday() >= 5 or (day.month == 10 and day.day <= 7) or (day.month, day.day) == (1, 1) \
            or (day.month == 5 and day.day <= 3):
        return 0.0
    vacation = (day.month == 7 and day.day > 5) or day.month == 8 or (day.month == 1 and day.day > 20) \
        or (day.month == 2 and day.day < 20)
    return (0.15 if vacation else 1.0) * (0.85 + 0.3 * fraction)


def build_stock(conn: Connection, school: School) -> None:
    """STOCK_ITEMS consumables in two stores and STOCK_MOVEMENTS ledger rows over the
    decade, played through day by day in time order (ids follow time): weekly receipts
    that refill what is at or below its minimum, requisitions of 1-4 lines issued at the
    counter or sent first and collected later (some partly, some waiting for the
    department head, a few rejected or cancelled), the cupboard topped up by transfers,
    returns, write-offs, reversals, and a yearly count of each store with its adjustments.
    Balances are tracked here so none goes negative, and values follow the moving average
    as services.take/put compute them; the rows go in through stock_movement, so its
    trigger fills stock_balance, which is then checked against the sums."""
    import bisect
    import heapq

    from schoolhq.people.services import pinyin_of
    from schoolhq.stock.demo import CATALOGUE, PURPOSES, SUPPLIERS
    from schoolhq.stock.services import UNIT

    rng = school.rng
    categories = dict(conn.execute(select(T["stock_category"].c.name, T["stock_category"].c.id)).all())
    person = T["person"]
    people = conn.execute(select(person.c.id, person.c.department_id, person.c.created_at, person.c.left_at)
                          .order_by(person.c.created_at, person.c.id)).all()
    joined_at = [p.created_at for p in people]
    person_by_id = {p.id: p for p in people}
    department_of = {p.id: p.department_id for p in people}
    colleagues: dict[int | None, list] = {}
    for p in people:
        colleagues.setdefault(p.department_id, []).append(p)
    account_of = dict(conn.execute(select(T["account"].c.person_id, T["account"].c.id)).all())
    departments = conn.execute(select(T["department"].c.id, T["department"].c.path,
                                      T["department"].c.head_person_id)).all()
    department_path = {d.id: d.path for d in departments}
    head_of = {d.id: d.head_person_id for d in departments}
    grants = conn.execute(select(T["role_assignment"].c.account_id, T["role_assignment"].c.role_id)
                          .where(T["role_assignment"].c.location_id.is_(None),
                                 T["role_assignment"].c.department_id.is_(None))).all()

    def holders(code: str) -> list[int]:
        return sorted(a for a, r in grants if r == school.role_ids[code])

    storekeepers = holders("storekeeper") or [school.admin_account_id]
    # count approvals: the logistics head (stock.approve), never whoever ran the count
    approvers = holders("logistics_head") + holders("principal") or [school.admin_account_id]
    keeper_account = next((a for a in storekeepers if a != school.admin_account_id), storekeepers[0])
    keeper_person = next(p for p, a in account_of.items() if a == keeper_account)

    # 1. Two stores at existing places: the main store in a 储物间 of 综合楼, a cupboard on
    #    the teaching building's first floor.
    location = T["location"]
    places = conn.execute(select(location.c.id, location.c.kind, location.c.name, location.c.code,
                                 location.c.full_name).where(location.c.archived_at.is_(None))
                          .order_by(location.c.id)).all()
    main_place = next((p.id for p in places if p.kind == "room" and "储物间" in p.name and "综合楼" in p.full_name),
                      next(p.id for p in places if p.kind == "room"))
    cupboard_place = next((p.id for p in places if p.code == "A1"), next(p.id for p in places if p.kind == "floor"))
    main, cupboard = 1, 2
    conn.execute(insert(T["store"]), [
        {"id": main, "name": "总务仓库", "location_id": main_place, "keeper_id": keeper_person, "archived_at": None},
        {"id": cupboard, "name": "教学楼一楼文具柜", "location_id": cupboard_place, "keeper_id": keeper_person,
         "archived_at": None}])

    # 2. The items: the demo catalogue's items in several brands, levels scaled so the
    #    busier items hold about four weeks of what they give out and reorder with two
    #    weeks' left (receipts come weekly: less, and busy items would often run dry).
    base = [(category, name, unit, price, spec, levels, special, decimal)
            for category, name, unit, price, specs, levels, special, decimal in CATALOGUE for spec in specs]
    variants: list[tuple[tuple, str]] = []
    for round_ in range(max(len(b) for b in STOCK_BRANDS.values())):
        for entry in base:
            brands = STOCK_BRANDS.get(entry[0], ["通用"])
            if round_ < len(brands) and len(variants) < STOCK_ITEMS:
                variants.append((entry, brands[round_]))
    days = []
    first_day = (school.start + SCHOOL_OFFSET).date() + timedelta(days=1)
    # the last day whose school hours (and the fill-up after them) are over
    last_day = (school.now + SCHOOL_OFFSET - timedelta(hours=21)).date()
    span = (last_day - first_day).days or 1
    day = first_day
    while day <= last_day:
        days.append((day, _stock_day_weight(day, (day - first_day).days / span)))
        day += timedelta(days=1)
    school_weeks = sum(w for _d, w in days) / 5
    supplies: list[_Supply] = []
    rows = []
    barcodes: set[str] = set()
    for number, ((category, name, unit, price, spec, (low, target, reserve), special, decimal), brand) \
            in enumerate(variants, start=1):
        later = number > 1 and rng.random() < STOCK_ITEMS_ADDED_LATER
        created = school.moment() if later else school.start
        demand = STOCK_DEMAND.get(category, 1.0) * min(rng.paretovariate(1.2), 30.0)
        usual = max(1, round(target / 20)) * UNIT
        supplies.append(_Supply(number, category, price, demand, usual, decimal, special, low * UNIT, target * UNIT,
                                reserve * UNIT, created))
        barcode = None
        if rng.random() < 0.9:
            while barcode is None or barcode in barcodes:
                barcode = f"69{rng.randrange(10**10, 10**11)}"
            barcodes.add(barcode)
        pinyin, initials = pinyin_of(name)
        rows.append({
            "id": number, "name": name, "spec": f"{spec} {brand}", "unit": unit, "decimal_unit": decimal,
            "category_id": categories[category], "barcode": barcode, "photo_id": None, "pinyin": pinyin,
            "pinyin_initials": initials, "quota_person_milli": 20 * UNIT if name in ("中性笔", "白板笔") else None,
            "quota_department_milli": 30 * UNIT if name == "复印纸" else None, "needs_approval": special,
            "note": "", "created_at": created, "archived_at": None,
        })
    # the school's A4 paper (the first item) is what goes out most
    supplies[0].demand = max(s.demand for s in supplies) * 1.5
    total_demand = sum(s.demand for s in supplies)
    lines_per_week = STOCK_MOVEMENTS * 0.85 / max(school_weeks, 1)
    for supply, row in zip(supplies, rows, strict=True):
        weekly = lines_per_week * supply.demand / total_demand * supply.usual
        scale = max(1.0, 4 * weekly / supply.target, 2 * weekly / supply.min_level)
        supply.min_level, supply.target, supply.reserve = (round(level * scale / UNIT) * UNIT for level in (
            supply.min_level, supply.target, supply.reserve))
        row.update(min_level_milli=supply.min_level, target_level_milli=supply.target,
                   reserve_level_milli=supply.reserve)
    everyday = sorted((s for s in supplies if s.category in ("办公用品", "教学耗材", "清洁消毒用品")
                       and not s.special and s.start == school.start), key=lambda s: -s.demand)
    in_cupboard = everyday[:STOCK_CUPBOARD_ITEMS]
    for supply in in_cupboard:
        supply.cupboard_target = max(10 * UNIT, supply.target // 6 // UNIT * UNIT)
    retiring = rng.sample([s for s in supplies[1:] if s.start == school.start and not s.cupboard_target],
                          STOCK_ITEMS_RETIRED)
    conn.execute(insert(T["stock_item"]), rows)

    # 3. The decade, as the services would have written it.
    balance: dict[tuple[int, int], list[int]] = {}
    last_receipt: dict[int, tuple[int, int]] = {}
    movements: list[dict] = []
    receipts: list[dict] = []
    requisitions: list[dict] = []
    lines_of: dict[int, list[dict]] = {}
    req_lines: list[dict] = []
    issued: dict[int, int] = {}
    hand_overs: list[dict] = []
    counts: list[dict] = []
    count_lines: list[dict] = []
    counters: dict[str, int] = {}
    reversed_ids: set[int] = set()
    recent_issues: list[dict] = []
    #: for pacing the days: issue lines promised (a collection is booked) but not yet out,
    #: requisitions tried and their lines, ledger rows by issue / anything else
    pace = {"pending_lines": 0, "attempts": 0, "lines": 0, "issue": 0, "other": 0, "booked": 0, "collected": 0,
            "asked": 0.0, "got": 0}

    #: on the last school day, the ledger stops at exactly STOCK_MOVEMENTS rows
    last_day_mode = [False]

    def room() -> int:
        return STOCK_MOVEMENTS - len(movements) if last_day_mode[0] else 1 << 30

    def local(day: date, hours: float) -> datetime:
        return datetime(day.year, day.month, day.day) - SCHOOL_OFFSET + timedelta(seconds=round(hours * 3600))

    def next_number(kind: str, at: datetime) -> tuple[int, int]:
        year = (at + SCHOOL_OFFSET).year
        scope = f"stock.{kind}.{year}"
        counters[scope] = counters.get(scope, 0) + 1
        return year, counters[scope]

    def on_hand(item_id: int) -> tuple[int, int]:
        a, b = balance.get((item_id, main), (0, 0)), balance.get((item_id, cupboard), (0, 0))
        return a[0] + b[0], a[1] + b[1]

    def average_cost(item_id: int) -> int:  # services.average_cost_fen
        quantity, value = on_hand(item_id)
        if quantity:
            return round(value * UNIT / quantity)
        last = last_receipt.get(item_id)
        return round(last[0] * UNIT / last[1]) if last else 0

    def post(item_id: int, store_id: int, kind: str, quantity: int, value: int, at: datetime, actor: int,
             **refs) -> dict:
        row = {"id": len(movements) + 1, "item_id": item_id, "store_id": store_id, "kind": kind,
               "quantity_milli": quantity, "value_fen": value, "occurred_at": at, "actor_id": actor,
               "person_id": None, "department_id": None, "receipt_id": None, "issue_id": None,
               "requisition_line_id": None, "count_id": None, "transfer_store_id": None, "reverses_id": None,
               "reason": "", **refs}
        held = balance.setdefault((item_id, store_id), [0, 0])
        held[0] += quantity
        held[1] += value
        assert held[0] >= 0 and held[1] >= 0, (row, held)
        movements.append(row)
        pace["issue" if kind == "issue" else "other"] += 1
        return row

    def take(item_id: int, store_id: int, quantity: int, kind: str, at: datetime, actor: int, **refs) -> dict:
        have, value = balance[(item_id, store_id)]
        out = value if quantity == have else round(value * quantity / have)
        return post(item_id, store_id, kind, -quantity, -out, at, actor, **refs)

    def available(supply: _Supply, store_id: int) -> int:
        """What may go out of a store without digging into the emergency reserve."""
        have = balance.get((supply.id, store_id), (0, 0))[0]
        spare = min(have, on_hand(supply.id)[0] - supply.reserve)
        return max(spare if supply.decimal else spare // UNIT * UNIT, 0)

    def someone(at: datetime):
        """A member of staff at that moment (joined, not yet left)."""
        pool = people[:max(bisect.bisect_right(joined_at, at), 1)]
        for _ in range(20):
            chosen = rng.choice(pool)
            if chosen.left_at is None or chosen.left_at > at:
                return chosen
        return pool[0]

    def approver_of(requester) -> int:
        """The head of the requester's department or of one above it, else the principal."""
        path = department_path.get(requester.department_id, "")
        for department_id in reversed([int(part) for part in path.strip("/").split("/") if part]):
            head = head_of.get(department_id)
            if head and head != requester.id and head in account_of:
                return account_of[head]
        return approvers[-1]

    weights = {store: [s.demand if (store == main or s.cupboard_target) else 0.0 for s in supplies]
               for store in (main, cupboard)}
    cumulative = {}
    for store, values in weights.items():
        total, cumulative[store] = 0.0, []
        for value in values:
            total += value
            cumulative[store].append(total)

    def pick(store_id: int, at: datetime, counter: bool) -> list[_Supply]:
        wanted = rng.choices(list(STOCK_LINES), list(STOCK_LINES.values()))[0]
        chosen: dict[int, _Supply] = {}
        for supply in rng.choices(supplies, cum_weights=cumulative[store_id], k=wanted * 2):
            if supply.start <= at and not supply.archived and not (counter and supply.special):
                chosen.setdefault(supply.id, supply)
        return list(chosen.values())[:wanted]

    def quantity_of(supply: _Supply) -> int:
        quantity = supply.usual * rng.choice([0.5, 1, 1, 1, 1, 1.5, 2, 3])
        return max(round(quantity / 500) * 500 if supply.decimal else round(quantity / UNIT) * UNIT, UNIT)

    def requisition(at: datetime, requester, store_id: int, counter: bool, status: str) -> dict:
        year, number = next_number("requisition", at)
        row = {"id": len(requisitions) + 1, "number": f"LY{year}-{number:05d}", "requester_id": requester.id,
               "department_id": requester.department_id, "for_department": not counter and rng.random() < 0.3,
               "purpose": rng.choice(PURPOSES), "store_id": store_id, "status": status, "at_counter": counter,
               "created_at": at - timedelta(minutes=rng.randrange(1, 30)) if not counter else at,
               "submitted_at": at, "needs_department_approval": False, "department_approved_by_id": None,
               "department_approved_at": None, "needs_reserve_approval": False, "reserve_approved_by_id": None,
               "reserve_approved_at": None, "decided_note": "", "rejected_by_id": None, "closed_at": None}
        requisitions.append(row)
        lines_of[row["id"]] = []
        return row

    def add_line(row: dict, supply: _Supply, quantity: int) -> dict:
        line = {"id": len(req_lines) + 1, "requisition_id": row["id"], "item_id": supply.id, "quantity_milli": quantity}
        req_lines.append(line)
        lines_of[row["id"]].append(line)
        issued[line["id"]] = 0
        return line

    def hand_over(row: dict, plan: list[tuple[dict, int]], at: datetime, recipient_id: int) -> None:
        actor = rng.choice(storekeepers)
        hand_overs.append({"id": len(hand_overs) + 1, "requisition_id": row["id"], "issued_at": at,
                           "issued_by_id": actor, "recipient_id": recipient_id, "signature_id": None})
        department = row["department_id"] if row["for_department"] else department_of[recipient_id]
        for line, quantity in plan:
            movement = take(line["item_id"], row["store_id"], quantity, "issue", at, actor,
                            person_id=row["requester_id"], department_id=department, issue_id=len(hand_overs),
                            requisition_line_id=line["id"], reason=row["purpose"])
            issued[line["id"]] += quantity
            recent_issues.append(movement)
        if len(recent_issues) > 4000:
            del recent_issues[:2000]

    events: list[tuple] = []
    sequence = [0]

    def later(at: datetime, kind: str, *payload) -> bool:
        """Book an event; one after the last day's school hours never happens (what it
        would have done stays open: requisitions ready or pending)."""
        at = at.replace(microsecond=0)
        if at > end:
            return False
        sequence[0] += 1
        heapq.heappush(events, (at, sequence[0], kind, payload))
        return True

    school_days = [index for index, (_d, w) in enumerate(days) if w > 0]
    end = local(last_day, 16.75)

    def school_day_after(at: datetime, skip: int) -> date | None:
        """The school day `skip` school days after `at`'s (0: the same day if it is one)."""
        here = bisect.bisect_left(school_days, ((at + SCHOOL_OFFSET).date() - first_day).days)
        target = here + skip
        return days[school_days[target]][0] if target < len(school_days) else None

    def collect_at(after: datetime, skip: int) -> datetime | None:
        day = school_day_after(after, skip)
        if day is None:
            return None
        return max(local(day, rng.uniform(8, 16.5)), after + timedelta(minutes=10))

    # -- the event handlers, each at its moment
    def counter_issue(at: datetime) -> None:
        store_id = cupboard if rng.random() < STOCK_FROM_CUPBOARD else main
        plan = []
        for supply in pick(store_id, at, counter=True):
            quantity = min(quantity_of(supply), available(supply, store_id))
            if quantity > 0:
                plan.append((supply, quantity))
        pace["attempts"] += 1
        plan = plan[:room()]
        if not plan:
            return
        requester = someone(at)
        row = requisition(at, requester, store_id, True, "issued")
        row["closed_at"] = at
        lines = [(add_line(row, supply, quantity), quantity) for supply, quantity in plan]
        pace["lines"] += len(lines)
        hand_over(row, lines, at, requester.id)

    def submit(at: datetime) -> None:
        store_id = cupboard if rng.random() < STOCK_FROM_CUPBOARD else main
        chosen = pick(store_id, at, counter=False)
        pace["attempts"] += 1
        if not chosen:
            return
        requester = someone(at)
        row = requisition(at, requester, store_id, False, "ready")
        for supply in chosen:
            add_line(row, supply, quantity_of(supply))
        pace["lines"] += len(chosen)
        if any(supply.special for supply in chosen):
            row["needs_department_approval"], row["status"] = True, "pending"
            later(at + timedelta(hours=rng.uniform(0.5, 26)), "approve", row, requester)
        else:
            book(row, collect_at(at, rng.choice([0, 0, 1, 1, 2, 3])))

    def book(row: dict, when: datetime | None) -> None:
        if when and later(when, "collect", row, 0):
            pace["pending_lines"] += len(lines_of[row["id"]])
            pace["booked"] += len(lines_of[row["id"]])

    def approve(at: datetime, row: dict, requester) -> None:
        decider = approver_of(requester)
        if rng.random() < 0.1:
            row.update(status="rejected", rejected_by_id=decider, closed_at=at, decided_note="本学期已领过，请先用完")
            return
        row.update(status="ready", department_approved_by_id=decider, department_approved_at=at)
        book(row, collect_at(at, rng.choice([0, 1, 1, 2])))

    def collect(at: datetime, row: dict, attempt: int) -> None:
        if row["status"] not in ("ready", "partly_issued"):
            return
        lines = lines_of[row["id"]]
        if attempt == 0 and rng.random() < 0.01:
            row.update(status="cancelled", closed_at=at)
            pace["pending_lines"] -= len(lines)
            return
        plan = []
        for line in lines:
            supply = supplies[line["item_id"] - 1]
            if supply.archived:
                continue
            quantity = min(line["quantity_milli"] - issued[line["id"]], available(supply, row["store_id"]))
            if quantity > 0:
                plan.append((line, quantity))
        plan = plan[:room()]
        requester = person_by_id[row["requester_id"]]
        recipient = requester.id
        if rng.random() < 0.1:  # a colleague collects it
            others = [p for p in colleagues[requester.department_id]
                      if p.id != requester.id and p.created_at <= at and (p.left_at is None or p.left_at > at)]
            recipient = rng.choice(others).id if others else recipient
        if plan:
            hand_over(row, plan, at, recipient)
            pace["collected"] += len(plan)
        if all(issued[line["id"]] >= line["quantity_milli"] for line in lines):
            row.update(status="issued", closed_at=at)
        elif attempt >= 1:  # still short after the next delivery: close what is left, or cancel
            if any(issued[line["id"]] for line in lines):
                row.update(status="issued", closed_at=at, decided_note="余下的缺货，不再发放")
            else:
                row.update(status="cancelled", closed_at=at, decided_note="缺货")
        else:
            if plan:
                row["status"] = "partly_issued"
            when = collect_at(at, rng.randrange(3, 9))
            if when:
                later(when, "collect", row, attempt + 1)
            return
        pace["pending_lines"] -= len(lines)

    def receive_run(at: datetime) -> None:
        """Every Monday: whatever is at or below its minimum is bought up to its target."""
        by_supplier: dict[str, list[tuple[_Supply, int]]] = {}
        for supply in supplies:
            if supply.archived or supply.start > at:
                continue
            have = on_hand(supply.id)[0]
            if have <= supply.min_level:
                quantity = supply.target - have
                quantity = quantity if supply.decimal else -(-quantity // UNIT) * UNIT
                if quantity > 0:
                    supplier = SUPPLIERS[list(STOCK_DEMAND).index(supply.category) % len(SUPPLIERS)]
                    by_supplier.setdefault(supplier, []).append((supply, quantity))
        years = (at - school.start).days / 365
        for supplier, lines in by_supplier.items():
            year, number = next_number("receipt", at)
            actor = rng.choice(storekeepers)
            receipts.append({"id": len(receipts) + 1, "number": f"RK{year}-{number:04d}", "store_id": main,
                             "supplier": supplier, "invoice_no": f"{rng.randrange(10**7, 10**8)}",
                             "received_on": (at + SCHOOL_OFFSET).date(), "note": "", "purchase_request_id": None,
                             "created_at": at, "created_by_id": actor})
            for supply, quantity in lines[:room()]:
                price = max(1, round(supply.price_yuan * 100 * 1.025 ** years * rng.uniform(0.95, 1.08)))
                value = round(price * quantity / UNIT)
                post(supply.id, main, "receipt", quantity, value, at, actor, receipt_id=len(receipts))
                last_receipt[supply.id] = (value, quantity)

    def transfer_run(at: datetime) -> None:
        """Every Wednesday in term: the cupboard is topped up from the main store."""
        actor = rng.choice(storekeepers)
        for supply in in_cupboard:
            if supply.archived:
                continue
            have = balance.get((supply.id, cupboard), (0, 0))[0]
            if have > supply.cupboard_target // 3:
                continue
            spare = balance.get((supply.id, main), (0, 0))[0] // 2
            quantity = min(supply.cupboard_target - have, spare if supply.decimal else spare // UNIT * UNIT)
            if quantity > 0 and room() >= 2:
                out = take(supply.id, main, quantity, "transfer_out", at, actor, transfer_store_id=cupboard,
                           reason="补充文具柜")
                post(supply.id, cupboard, "transfer_in", quantity, -out["value_fen"], at, actor,
                     transfer_store_id=main, reason="补充文具柜")

    def count_store(at: datetime, store_id: int) -> None:
        """The yearly count before school: snapshot, count, submit, approve, adjust."""
        starter, decider = keeper_account, next(a for a in approvers if a != keeper_account)
        count_id = len(counts) + 1
        counts.append({"id": count_id, "store_id": store_id, "status": "approved", "start_mark": len(movements),
                       "started_at": at, "started_by_id": starter, "submitted_at": at + timedelta(minutes=40),
                       "decided_at": at + timedelta(minutes=50), "decided_by_id": decider})
        differences = []
        for supply in supplies:
            if supply.archived or (supply.id, store_id) not in balance:
                continue
            expected = balance[(supply.id, store_id)][0]
            counted, reason = expected, ""
            if rng.random() < STOCK_COUNT_DIFFERENCES:
                gain = rng.random() < 0.25 or expected < UNIT
                counted = expected + rng.randint(1, 2) * UNIT if gain else expected - min(
                    rng.randint(1, 3) * UNIT, expected // UNIT * UNIT)
                reason = rng.choice(STOCK_COUNT_REASONS[gain]) if counted != expected else ""
            count_lines.append({"id": len(count_lines) + 1, "count_id": count_id, "item_id": supply.id,
                                "expected_milli": expected, "counted_milli": counted, "counted_mark": len(movements),
                                "counted_at": at + timedelta(minutes=rng.randrange(1, 35)),
                                "counted_by_id": starter, "reason": reason})
            if counted != expected:
                differences.append((supply, counted - expected, reason))
        adjusted = at + timedelta(minutes=50)
        for supply, variance, reason in differences:
            if variance > 0:  # counts.variances: the item's value over what all stores hold
                held, value = on_hand(supply.id)
                average = value * UNIT / held if held else average_cost(supply.id)
                post(supply.id, store_id, "adjustment", variance, round(variance * average / UNIT), adjusted,
                     decider, count_id=count_id, reason=reason)
            else:
                take(supply.id, store_id, -variance, "adjustment", adjusted, decider, count_id=count_id,
                     reason=reason)

    def give_back(at: datetime) -> None:
        """Unused goods brought back, at today's average cost (services.return_to_store)."""
        choices = [m for m in recent_issues[-400:] if m["occurred_at"] < at and -m["quantity_milli"] >= 2 * UNIT
                   and not supplies[m["item_id"] - 1].archived]
        if not choices or room() < 1:
            return
        issue = rng.choice(choices)
        quantity = UNIT if not supplies[issue["item_id"] - 1].decimal else 500
        post(issue["item_id"], issue["store_id"], "return", quantity,
             round(average_cost(issue["item_id"]) * quantity / UNIT), at, rng.choice(storekeepers),
             person_id=issue["person_id"], department_id=department_of[issue["person_id"]], reason="没用完，退回")

    def write_off(at: datetime) -> None:
        candidates = [s for s in supplies if not s.archived and s.category in ("清洁消毒用品", "防疫物资", "食堂耗材", "教学耗材")
                      and balance.get((s.id, main), (0, 0))[0] >= UNIT]
        if candidates and room() >= 1:
            supply = rng.choice(candidates)
            quantity = min(rng.randint(1, 5) * UNIT, balance[(supply.id, main)][0] // UNIT * UNIT)
            take(supply.id, main, quantity, "write_off", at, rng.choice(storekeepers),
                 reason=rng.choice(STOCK_WRITE_OFF_REASONS))

    def reverse(at: datetime) -> None:
        """An issue entered by mistake earlier that day, undone by an opposite row."""
        today = (at + SCHOOL_OFFSET).date()
        choices = [m for m in recent_issues[-200:] if m["occurred_at"] < at and m["id"] not in reversed_ids
                   and (m["occurred_at"] + SCHOOL_OFFSET).date() == today]
        if choices and room() >= 1:
            original = rng.choice(choices)
            reversed_ids.add(original["id"])
            post(original["item_id"], original["store_id"], "reversal", -original["quantity_milli"],
                 -original["value_fen"], at, rng.choice(storekeepers), reverses_id=original["id"],
                 person_id=original["person_id"], department_id=original["department_id"],
                 requisition_line_id=original["requisition_line_id"], reason="录错了数量，重新登记")

    def retire(at: datetime, supply: _Supply) -> None:
        for store_id in (main, cupboard):
            have = balance.get((supply.id, store_id), (0, 0))[0]
            if have:
                take(supply.id, store_id, have, "write_off", at, keeper_account, reason="停用，余量报废")
        supply.archived = True
        rows[supply.id - 1]["archived_at"] = at + timedelta(minutes=1)

    handlers = {"counter": counter_issue, "submit": submit, "approve": approve, "collect": collect,
                "receipts": receive_run, "transfers": transfer_run, "count": count_store, "return": give_back,
                "write_off": write_off, "reversal": reverse, "retire": retire}
    for supply in retiring:
        index = school_days[rng.randrange(len(school_days) * 3 // 10, len(school_days) * 9 // 10)]
        later(local(days[index][0], 15), "retire", supply)

    # -- day by day: each day's events go on the queue, then everything due that day runs
    weight_left = sum(w for _d, w in days)
    last_receipts = None
    counted_years: set[int] = set()
    final_day = days[school_days[-1]][0]

    def run_until(until: datetime) -> None:
        while events and events[0][0] < until:
            at, _seq, kind, payload = heapq.heappop(events)
            handlers[kind](at, *payload)

    for day, weight in days:
        if weight > 0:
            if last_receipts is None or day.weekday() == 0 or (day - last_receipts).days >= 7:
                later(local(day, 10), "receipts")
                last_receipts = day
            if day.weekday() == 2 and weight >= 0.5:
                later(local(day, 7.6), "transfers")
            if day.month == 7 and day.day >= 8 and day.year not in counted_years:
                counted_years.add(day.year)
                later(local(day, 7), "count", main)
                later(local(day, 7.05), "count", cupboard)
        if weight > 0 and day != final_day:
            # today's share of what is left, less the other rows that come with issues
            # booked lines come out short of what was asked when the store runs low
            collected = pace["collected"] / pace["booked"] if pace["booked"] else 1.0
            committed = len(movements) + pace["pending_lines"] * collected
            others = pace["other"] / pace["issue"] if pace["issue"] else 0.15
            per_attempt = pace["lines"] / pace["attempts"] if pace["attempts"] else 2.0
            quota = max(STOCK_MOVEMENTS - committed, 0) * weight / weight_left
            # what the days so far delivered of what they were asked (a bias here would
            # pile the shortfall onto the last day)
            delivered = min(max(pace["got"] / pace["asked"], 0.5), 2.0) if pace["asked"] else 1.0
            pace["asked"] += quota
            wanted = quota / delivered / (1 + others) / per_attempt
            for _ in range(int(wanted) + (rng.random() < wanted % 1)):
                at = local(day, rng.uniform(8, 16.5))
                later(at, "counter" if rng.random() < STOCK_AT_COUNTER else "submit")
            for kind, chance in STOCK_DAILY.items():
                if rng.random() < chance * weight:
                    later(local(day, rng.uniform(10, 16.5)), kind)
        weight_left -= weight
        until = local(day + timedelta(days=1), 0)
        before = len(movements)
        if day == final_day:
            # The last school day: counter issues spread over the day until the ledger holds
            # exactly STOCK_MOVEMENTS rows; what was booked for later that day stays open.
            last_day_mode[0] = True
            at, closing = local(day, 8), local(day, 16.5)
            while room() > 0 and at < closing:
                booked = sum(len(lines_of[payload[0]["id"]]) for when, _s, kind, payload in events
                             if kind == "collect" and when < closing)
                per_attempt = pace["lines"] / pace["attempts"] if pace["attempts"] else 2.0
                left = max((room() - booked) / per_attempt, 1)
                at = min(at + (closing - at) / left * rng.uniform(0.5, 1.5), closing)
                run_until(at)
                counter_issue(at)
            events = [event for event in events if event[0] >= until]
            heapq.heapify(events)
        run_until(until)
        pace["got"] += len(movements) - before
    # Should the day have ended short: single-line counter issues after hours.
    at = max(movements[-1]["occurred_at"], local(final_day, 16.5))
    if len(movements) < STOCK_MOVEMENTS:
        print(f"    (stock: the last day ended {STOCK_MOVEMENTS - len(movements)} rows short; single-line "
              "counter issues after hours make them up)", flush=True)
    plentiful = sorted((s for s in supplies if not s.special and not s.archived), key=lambda s: -s.demand)
    while len(movements) < STOCK_MOVEMENTS:
        at += timedelta(seconds=rng.randrange(20, 60))
        supply = next(s for s in plentiful if available(s, main) >= UNIT)
        requester = someone(at)
        row = requisition(at, requester, main, True, "issued")
        row["closed_at"] = at
        hand_over(row, [(add_line(row, supply, UNIT), UNIT)], at, requester.id)
    assert at < school.now, "the top-up ran past now"
    # A few carts not yet sent (drafts have no number).
    for requester_id in rng.sample([p for p in school.current_person_ids if p != 1], 4):
        requester = person_by_id[requester_id]
        at = school.now - timedelta(hours=rng.uniform(2, 72))
        row = requisition(at, requester, main, False, "draft")
        counters[f"stock.requisition.{(at + SCHOOL_OFFSET).year}"] -= 1
        row.update(number=None, submitted_at=None, created_at=at)
        for supply in pick(main, at, counter=False):
            add_line(row, supply, quantity_of(supply))

    # 4. In the order the foreign keys need; the ledger last, through its trigger.
    for table, batch in (("stock_receipt", receipts), ("requisition", requisitions), ("requisition_line", req_lines),
                         ("stock_issue", hand_overs), ("stock_count", counts), ("stock_count_line", count_lines)):
        for first in range(0, len(batch), 20_000):
            conn.execute(insert(T[table]), batch[first:first + 20_000])
    for supply in supplies:
        if supply.archived:
            conn.execute(update(T["stock_item"]).where(T["stock_item"].c.id == supply.id)
                         .values(archived_at=rows[supply.id - 1]["archived_at"]))
    for first in range(0, len(movements), 20_000):
        conn.execute(insert(T["stock_movement"]), movements[first:first + 20_000])
    conn.execute(insert(T["counter"]), [{"scope": scope, "value": value}
                                        for scope, value in sorted(counters.items()) if value])

    # 5. The trigger's balances must be the ledger's sums, and what was tracked here.
    ledger = T["stock_movement"]
    sums = {(row.item_id, row.store_id): (row.q, row.v) for row in conn.execute(
        select(ledger.c.item_id, ledger.c.store_id, func.sum(ledger.c.quantity_milli).label("q"),
               func.sum(ledger.c.value_fen).label("v")).group_by(ledger.c.item_id, ledger.c.store_id))}
    kept = {(row.item_id, row.store_id): (row.quantity_milli, row.value_fen)
            for row in conn.execute(select(T["stock_balance"]))}
    assert kept == sums == {key: tuple(value) for key, value in balance.items()}, "stock_balance ≠ the ledger"
    assert min(q for q, _v in kept.values()) >= 0 and min(v for _q, v in kept.values()) >= 0


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


class _SchoolClock:
    """The app's school-hours clock (core/workhours.py) on the generated calendar: working
    hours 07:30-17:30 school time on school days (weekdays in term, less the holidays, plus
    the make-up days), so due times, delays and holds count as the app counts them."""

    def __init__(self, terms: list[tuple[date, date]], exceptions: dict[date, str]):
        self.terms, self.exceptions = terms, exceptions
        self._cache: dict[date, bool] = {}

    def school_day(self, day: date) -> bool:
        if day not in self._cache:
            kind = self.exceptions.get(day)
            self._cache[day] = kind == "school_day" or (
                kind != "holiday" and day.weekday() < 5 and any(a <= day <= b for a, b in self.terms))
        return self._cache[day]

    def next_school_day(self, day: date) -> date:
        for _ in range(400):
            if self.school_day(day):
                return day
            day += timedelta(days=1)
        return day

    @staticmethod
    def at(day: date, hours: float) -> datetime:
        """Naive UTC of a school-local day and hour."""
        return datetime(day.year, day.month, day.day) - SCHOOL_OFFSET + timedelta(seconds=round(hours * 3600))

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        return (self.at(day, 7.5), self.at(day, 17.5)) if self.school_day(day) else None

    def add(self, start: datetime, minutes: float) -> datetime:
        """workhours.add_working_minutes (to the second)."""
        remaining = max(minutes, 0.0)
        day = (start + SCHOOL_OFFSET).date()
        for _ in range(400):
            window = self.window(day)
            if window is not None:
                opens, closes = window
                begin = max(start, opens)
                if begin < closes:
                    available = (closes - begin).total_seconds() / 60
                    if remaining <= available:
                        return (begin + timedelta(minutes=remaining)).replace(microsecond=0)
                    remaining -= available
            day += timedelta(days=1)
        return start + timedelta(days=400)

    def between(self, start: datetime, end: datetime) -> int:
        """workhours.working_minutes_between."""
        total, day, last = 0, (start + SCHOOL_OFFSET).date(), (end + SCHOOL_OFFSET).date()
        while day <= last:
            window = self.window(day)
            if window is not None:
                begin, finish = max(start, window[0]), min(end, window[1])
                if finish > begin:
                    total += int((finish - begin).total_seconds() // 60)
            day += timedelta(days=1)
        return total

    def auto_verified_at(self, completed: datetime) -> datetime:
        """When services.auto_verify (run every minute) confirms a ticket nobody confirmed:
        the first minute of the day after the third school day after completion."""
        day, counted = (completed + SCHOOL_OFFSET).date(), 0
        while counted < 3:
            day += timedelta(days=1)
            counted += self.school_day(day)
        return self.at(day + timedelta(days=1), 0) + timedelta(seconds=30)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, monthrange(year, month)[1]))


def build_repairs(conn: Connection, school: School) -> None:
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

    from schoolhq.people.services import pinyin_of
    from schoolhq.repairs.services import domain

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    span = now - school.start

    def share_at(share: float | None) -> datetime | None:
        return None if share is None else school.start + span * share

    # 0. The calendar as the app reads it, the categories and priorities the seeding made.
    terms = [(row.starts_on, row.ends_on) for row in conn.execute(select(T["school_term"]))]
    exceptions = {row.day: row.kind for row in conn.execute(select(T["calendar_day"]))}
    clock = _SchoolClock(terms, exceptions)
    term_starts = sorted(start for start, _end in terms)
    category_id = dict(conn.execute(select(T["repair_category"].c.name, T["repair_category"].c.id)).all())
    target_hours = dict(conn.execute(select(T["repair_priority"].c.key, T["repair_priority"].c.target_hours)).all())

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
        workers.append((person_id, account_id, name, usual, joined_at, left_at or now + timedelta(days=1)))
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
            held = clock.add(at, rng.uniform(20, 600))
            left = clock.between(held, due) if due else None
            reason = rng.choice(domain()["hold_reasons"])
            steps.append((held, "held", actor, reason, None, {"status": "on_hold", "held_minutes_left": left,
                                                              "hold_reason": reason}))
            resumed = clock.add(held + timedelta(days=rng.choice([1, 2, 3, 5, 7, 10, 15, 30])), rng.uniform(0, 300))
            if due is not None:
                due = clock.add(resumed, left)
            steps.append((resumed, "resumed", actor, "", None, {"status": "in_progress", "held_minutes_left": None,
                                                                "hold_reason": "", "due_at": due}))
            at = resumed
        if due is None:  # during the holidays: whenever it fits
            done = clock.add(at + timedelta(days=rng.uniform(0.5, 30)), rng.uniform(0, 300))
        else:
            room = clock.between(at, due)
            if rng.random() < on_time and room > 5:
                done = clock.add(at, room * rng.uniform(0.05, 0.8))
            else:
                done = clock.add(max(at, due), rng.uniform(10, (target_hours[row["priority"]] or 24) * 60))
        labour = 5 * max(1, round(min(rng.lognormvariate(math.log(45), 0.7), 1200) / 5))
        if contractor:
            labour = rng.choice([15, 20, 30, 45, 60])
        parts = problem[2] if problem[2] and rng.random() < 0.7 else ""
        cost = round(cost_yuan * 100)
        steps.append((done, "completed", actor, problem[1], {"labour_minutes": labour, "outside_cost_fen": cost,
                                                             "parts": parts},
                      {"status": "completed", "completed_at": done, "work_done": problem[1], "parts_used": parts,
                       "labour_minutes": labour, "outside_cost_fen": cost}))
        automatic = clock.auto_verified_at(done)
        if reporter is not None and rng.random() < 0.8:
            verified = min(clock.add(done, rng.uniform(5, 1500)), automatic - timedelta(minutes=5))
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
        due = clock.add(reported, hours * 60) if hours else None
        row = ticket_row(location_id=place, asset_id=item.id if item is not None else None,
                         category_id=category_id[category], priority=priority, description=description,
                         reported_by_id=reporter, reported_at=reported, due_at=due)
        steps = [(reported, "reported", reporter, description, None, {"status": "pending"})]
        target = (hours or 72) * 60
        worker = None
        fate = rng.random()
        if fate < 0.025:  # withdrawn by the reporter, sometimes after it was assigned
            at = clock.add(reported, rng.uniform(5, target * 0.3))
            if rng.random() < 0.3:
                worker = worker_for(category, at)
                steps.append((at, "assigned", heads[0], "", {"assignee": worker_name[worker], "contractor": "",
                                                             "helpers": []},
                              {"status": "assigned", "assignee_id": worker}))
                at = clock.add(at, rng.uniform(5, 240))
            steps.append((at, "cancelled", reporter, "", None, {"status": "cancelled", "closed_at": at}))
        elif fate < 0.055:  # declined by the logistics office
            at = clock.add(reported, rng.uniform(5, target * 0.2))
            reason = rng.choice(REPAIR_DECLINE_REASONS)
            steps.append((at, "declined", heads[0], reason, None, {"status": "declined", "declined_reason": reason,
                                                                   "closed_at": at}))
        else:
            assigned = clock.add(reported, rng.uniform(0.005, 0.08) * target)
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
                at = clock.add(assigned, rng.uniform(0.01, 0.25) * target)
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
        next_due = next(d for d in due_days if (clock.next_school_day(d) if skip else d) - timedelta(days=lead) > today)
        plan_rows.append({
            "id": plan_id, "title": title, "category_id": category_id[category], "target": target,
            "asset_id": None, "kind_key": what if target == "kind" else "", "location_id": place,
            "steps": plan_steps, "every": every, "unit": unit, "mode": "fixed", "skip_holidays": skip,
            "lead_days": lead, "assignee_id": assignee, "statutory": statutory, "evidence_required": statutory,
            "reference": reference, "next_due_on": next_due, "active": True,
            "created_at": clock.at(due_days[0] - timedelta(days=lead + 10), 10)})
        description = title + ("\n" + "\n".join(f"□ {step}" for step in plan_steps) if plan_steps else "")
        keys: set[str] = set()
        for planned in due_days:
            if planned >= next_due:
                break
            due = clock.next_school_day(planned) if skip else planned
            made = clock.at(due - timedelta(days=lead), 0) + timedelta(seconds=rng.randrange(20, 60))
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
                due_at = clock.at(due, 17.5)
                row = ticket_row(location_id=location_id, asset_id=asset_id, category_id=category_id[category],
                                 priority="normal", description=description, status="assigned", assignee_id=assignee,
                                 contractor=contractor, due_at=due_at, plan_id=plan_id, plan_due_on=due,
                                 plan_key=plan_key, reported_at=made)
                note = f"来自维护计划“{title}”，到期日 {due.isoformat()}。"
                steps = [(made, "reported", None, note, None, {"status": "assigned"})]
                begin = clock.add(max(made, clock.at(due, 7.5) - timedelta(days=rng.uniform(0, lead))),
                                  rng.uniform(0, 120))
                if begin >= due_at:
                    begin = clock.at(due, 8)
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
        weight = 1.0 if clock.school_day(day) else (0.45 if not in_term and day.weekday() < 5 else 0.08)
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
            reported = clock.at(day, hour).replace(microsecond=0)
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
    for first in range(0, len(tickets), 5_000):
        conn.execute(insert(T["ticket"]), tickets[first:first + 5_000])
    conn.execute(insert(T["ticket_helper"]), [
        {"ticket_id": new_id[i], "person_id": helper} for i, helper in helpers
        if i not in pending_helpers and tickets[new_id[i] - 1]["status"] != "pending"])
    for first in range(0, len(events), 20_000):
        conn.execute(insert(T["ticket_event"]), events[first:first + 20_000])
    conn.execute(insert(T["counter"]), [{"scope": scope, "value": value} for scope, value in sorted(counters.items())])
    states: dict[str, int] = {}
    for row in tickets:
        states[row["status"]] = states.get(row["status"], 0) + 1
    print("    (repairs: " + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items(), key=lambda s: -s[1]))
          + f"; {len(events):,} events)", flush=True)


#: (template key, target, where, who, opens, due, grace minutes): where is a place ("canteen
#: floors": one schedule per floor of 食堂楼, "buildings": one per building, "teaching
#: buildings": the six with floors, or a place name) or an asset kind; who is a post below
CHECK_SCHEDULES = [
    ("canteen.meal", "location", "canteen floors", "canteen", "", "", 60),
    ("canteen.daily", "location", "canteen floors", "canteen", "06:30", "09:30", 120),
    ("canteen.weekly", "location", "食堂楼", "logistics", "08:00", "17:00", 120),
    ("canteen.monthly", "location", "食堂楼", "logistics", "08:00", "17:00", 120),
    ("hygiene.daily", "location", "阳光小学", "doctor", "07:30", "16:30", 60),
    ("water.monthly", "asset_kind", "water_point", "logistics", "08:00", "17:00", 120),
    ("water.tank_monthly", "asset_kind", "water_tank", "logistics", "08:00", "17:00", 120),
    ("water.half_year", "asset_kind", "water_tank", "logistics", "08:00", "17:00", 120),
    ("water.term_start", "location", "阳光小学", "logistics", "08:00", "17:00", 120),
    ("fire.monthly", "asset_kind", "extinguisher", "electrician", "08:00", "17:00", 120),
    ("fire.quarterly", "location", "teaching buildings", "logistics", "08:00", "17:00", 120),
    ("fire.yearly", "location", "阳光小学", "logistics", "08:00", "17:00", 120),
    ("buildings.monthly", "location", "buildings", "logistics", "08:00", "17:00", 120),
]
CHECK_KIT = {"fridge": ("冷藏冰箱", 5600, "海尔", "SC-650", {"target_temp": "0～8"}),
             "freezer": ("冷冻冰柜", 4800, "海尔", "BC/BD-519", {"target_temp": "≤-18"}),
             "sample_fridge": ("留样冰箱", 2600, "澳柯玛", "SC-230", {"lock_keeper": "食堂管理员"}),
             "water_tank": ("二次供水水箱", 26000, "", "SUS304", {"volume_m3": 12})}
#: what a failed item's note says, by the item's ticket rule (auto items are put right on the spot)
CHECK_CORRECTIONS = ["已现场整改并复查", "已调整温控，30分钟后复测合格", "已清理并消毒", "已更换，复查合格",
                     "已通知相关人员立即处理"]
CHECK_CLOSING_NOTES = ["已整改完毕", "已安排专人处理，复查合格", "供应商已补齐证照", "已补全记录", "已维修"]


def build_checks(conn: Connection, school: School) -> None:
    """The checks area as the schedules of CHECK_SCHEDULES would have made it, played
    through the decade on the generated calendar: every round materialise() would have
    created (round_key `s{schedule}:{target}:{period}`, the window of its period, the
    per-asset subjects found on the register that day), done by whoever held the post
    then, each with its answers (the demo's readings; CHECK_FAILING with a failed item
    and its finding), CHECK_MISSED missed, a few late; this month's and week's rounds
    partly done; today's rounds open (closing at the end of tomorrow, so the bench can
    answer them whenever it runs). Kitchen refrigeration and two water tanks are added to
    the register first (the generated register has no freezers, food-sample fridges or
    tanks, and no fridge in the canteen). Each schedule's `materialised_through` is
    yesterday: `check_materialise_nothing` (after the build) runs materialise() and
    expects it to find today's rounds made."""
    import bisect

    from schoolhq.assets.services import TOKEN_ALPHABET
    from schoolhq.checks.demo import _answer
    from schoolhq.checks.judging import format_number
    from schoolhq.checks.schedules import DEFAULT_MEALS, TERM_LEAD_DAYS, _bounds

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    decade_day = (school.start + SCHOOL_OFFSET).date()
    terms = conn.execute(select(T["school_term"].c.id, T["school_term"].c.starts_on, T["school_term"].c.ends_on)
                         .order_by(T["school_term"].c.starts_on)).all()
    clock = _SchoolClock([(t.starts_on, t.ends_on) for t in terms],
                         {row.day: row.kind for row in conn.execute(select(T["calendar_day"]))})

    def at(day: date, clock_text: str) -> datetime:
        hours, minutes = (int(part) for part in clock_text.split(":"))
        return _SchoolClock.at(day, hours + minutes / 60)

    # 0. Places, posts (who did each kind of check when) and the templates the seeding made.
    location = T["location"]
    places = conn.execute(select(location.c.id, location.c.kind, location.c.name, location.c.path, location.c.full_name,
                                 location.c.parent_id, location.c.responsible_person_id,
                                 location.c.archived_at)).all()
    path_of = {p.id: p.path for p in places}
    campus = next(p for p in places if p.kind == "campus")
    canteen = next(p for p in places if p.name == "食堂楼")
    floors = sorted((p for p in places if p.kind == "floor" and p.parent_id == canteen.id), key=lambda p: p.path)
    floors = sorted(floors, key=lambda p: int(p.name.rstrip("楼")))
    buildings = [p for p in places if p.kind == "building" and p.parent_id == campus.id]
    teaching = [b for b in buildings if any(p.parent_id == b.id for p in places if p.kind == "floor")]

    def room_on(floor, word: str):
        rooms = [p for p in places if p.parent_id == floor.id and p.kind == "room" and p.archived_at is None]
        return next((p for p in rooms if word in p.name), rooms[0])

    person = T["person"]
    account, grants = T["account"], T["role_assignment"]
    people = {row.id: row for row in conn.execute(select(person.c.id, person.c.name, person.c.department_id,
                                                          person.c.created_at, person.c.left_at))}
    account_of = dict(conn.execute(select(account.c.person_id, account.c.id)).all())

    def holders(code: str) -> list:
        return conn.execute(select(account.c.id, account.c.person_id, account.c.active).join(
            grants, grants.c.account_id == account.c.id).where(
            grants.c.role_id == school.role_ids[code], grants.c.location_id.is_(None)).order_by(account.c.id)).all()

    # The canteen manager may have left: the post goes to an active member of the canteen
    # staff, who is given the role (the one scoped to no department, else the first).
    managers = [h for h in holders("canteen_manager") if h.active]
    if not managers:
        successor = next(h for h in holders("canteen_staff") if h.active)
        conn.execute(insert(grants), [{"account_id": successor.id, "role_id": school.role_ids["canteen_manager"],
                                       "department_id": None, "location_id": None}])
        managers = [successor]
    current = {"canteen": managers[0].person_id,
               "doctor": next(h for h in holders("school_doctor") if h.active).person_id,
               "logistics": next(h for h in holders("logistics_head") if h.active).person_id,
               "electrician": next(h for h in holders("maintenance") if h.active and
                                   people[h.person_id].created_at <= school.start).person_id}
    former_manager = next((h.person_id for h in holders("canteen_manager") if not h.active), None)
    admin_person = conn.execute(select(account.c.person_id).where(account.c.id == school.admin_account_id)).scalar()
    # nobody's predecessor: the bench administrator, the posts' holders, the maintenance workers
    skip = {admin_person, *current.values(), *(h.person_id for h in holders("maintenance")),
            *([former_manager] if former_manager else [])}
    with_account = sorted((p for p in people.values() if p.id in account_of), key=lambda p: (p.created_at, p.id))

    def post(holder: int, department: str, earlier: int | None = None) -> list[tuple[datetime, int]]:
        """(from, person) back to the decade's start: the holder since they came (after
        `earlier`, who held it until they left), and before them whoever with an account
        had been there longest, of the post's department if anyone there was (a chain,
        when even they came later; the first of it from the start); nobody holds two posts."""
        chain = [(people[holder].created_at, holder)]
        if earlier is not None and people[earlier].left_at:
            chain = [(people[earlier].left_at, holder), (people[earlier].created_at, earlier)]
        while chain[-1][0] > school.start:
            until = chain[-1][0]
            there = [p for p in with_account if p.created_at < until and (p.left_at is None or p.left_at > until)
                     and p.id not in skip]
            there.sort(key=lambda p: (p.department_id != school.department_ids[department], p.created_at))
            if not there:  # the records begin with the app: the first one did it from the start
                chain[-1] = (school.start, chain[-1][1])
                break
            chain.append((max(there[0].created_at, school.start), there[0].id))
            skip.add(there[0].id)
        return sorted(chain)

    departments = {"canteen": "食堂", "doctor": "医务室", "logistics": "总务处", "electrician": "总务处"}
    posts = {name: post(holder, departments[name], former_manager if name == "canteen" else None)
             for name, holder in current.items()}

    def who(name: str, when: datetime) -> int:
        chain = posts[name]
        return chain[max(bisect.bisect_right([c[0] for c in chain], when) - 1, 0)][1]

    template, item_t = T["check_template"], T["check_item"]
    published = {row.key: row.id for row in conn.execute(select(template.c.key, template.c.id)
                                                         .where(template.c.status == "published"))}
    items_of: dict[int, list] = {}
    for row in conn.execute(select(item_t).order_by(item_t.c.template_id, item_t.c.position, item_t.c.id)):
        items_of.setdefault(row.template_id, []).append(row)

    # 1. Kitchen refrigeration and water tanks, registered the day before the decade's start.
    asset, event = T["asset"], T["asset_event"]
    kinds = dict(conn.execute(select(T["asset_kind"].c.key, T["asset_kind"].c.id)).all())
    category = conn.execute(select(T["asset_category"].c.id).where(T["asset_category"].c.code == "A02000000")
                            ).scalar_one()
    used_tokens = set(conn.execute(select(location.c.token)).scalars()) | set(conn.execute(select(asset.c.token)).scalars())
    next_asset = conn.execute(select(func.max(asset.c.id))).scalar_one() + 1
    booked = decade_day - timedelta(days=1)  # there before the first round
    counter = T["counter"]
    seq = conn.execute(select(counter.c.value).where(counter.c.scope == f"assets.{booked.year}")).scalar() or 0
    canteen_department = school.department_ids["食堂"]
    placed = [(room_on(floors[f - 1], "开水间"), kind, n) for f, kit in CHECK_KITCHENS.items()
              for kind, n in kit.items()]
    top_floor = max((p for p in places if p.kind == "floor" and p.parent_id == next(
        b.id for b in buildings if b.name == "综合楼")), key=lambda p: int(p.name.rstrip("楼")))
    placed.append((room_on(top_floor, "开水间"), "water_tank", CHECK_WATER_TANKS))
    kit_rows, kit_events = [], []
    for room, kind, count in placed:
        name, price, brand, model, extra = CHECK_KIT[kind]
        for n in range(count):
            seq += 1
            token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
            while token in used_tokens:
                token = "".join(rng.choice(TOKEN_ALPHABET) for _ in range(8))
            used_tokens.add(token)
            created = _SchoolClock.at(booked, 10) + timedelta(minutes=len(kit_rows))
            number = f"ZC{booked.year}{seq:05d}"
            keeper = current["canteen"] if kind != "water_tank" else current["logistics"]
            kit_rows.append({
                "id": next_asset + len(kit_rows), "number": number, "token": token,
                "name": f"{name}{n + 1}号" if kind == "water_tank" else name, "category_id": category,
                "kind_id": kinds[kind], "tier": "fixed_asset", "brand": brand, "model": model, "spec": "",
                "serial": f"SN{rng.randrange(10**8, 10**9)}", "unit": "台", "quantity": 1,
                "unit_price_fen": price * 100, "funding_source": "财政拨款", "acquisition_method": "政府采购",
                "purchased_on": booked - timedelta(days=10), "booked_on": booked,
                "voucher_no": f"记-{booked.year}-{rng.randrange(1, 2000):04d}", "invoice_no": f"{rng.randrange(10**7, 10**8)}",
                "supplier": ASSET_SUPPLIERS[0], "warranty_until": booked + timedelta(days=365 * 3),
                "use_direction": "后勤", "department_id": canteen_department if kind != "water_tank" else
                school.department_ids["总务处"], "custodian_id": keeper, "location_id": room.id, "status": "in_use",
                "loanable": False, "extra": extra, "photo_id": None, "note": "", "next_audit_on": None,
                "created_at": created})
            kit_events.append({"asset_id": kit_rows[-1]["id"], "at": created, "kind": "registered",
                               "actor_id": school.admin_account_id, "note": "",
                               "data": {"number": number, "location": room.full_name}})
    conn.execute(insert(asset), kit_rows)
    conn.execute(insert(event), kit_events)
    conn.execute(update(counter).where(counter.c.scope == f"assets.{booked.year}").values(value=seq))

    # 2. The assets checks look at, where each was when (its moves), and when it left the register.
    kind_t = T["asset_kind"]
    watched = conn.execute(select(asset.c.id, asset.c.number, asset.c.name, asset.c.location_id, asset.c.created_at,
                                  asset.c.status, kind_t.c.key).join(kind_t, kind_t.c.id == asset.c.kind_id)
                           .where(kind_t.c.key.in_(["fridge", "freezer", "sample_fridge", "water_point",
                                                    "water_tank", "extinguisher"])).order_by(asset.c.number)).all()
    ids = {row.id for row in watched}
    moves: dict[int, list[tuple[datetime, int]]] = {}
    last_event: dict[int, datetime] = {}
    for asset_id, when, kind, data in conn.execute(select(event.c.asset_id, event.c.at, event.c.kind, event.c.data)
                                                   .order_by(event.c.at, event.c.id)):
        if asset_id not in ids:
            continue
        last_event[asset_id] = when
        if kind == "moved":
            moves.setdefault(asset_id, []).append((when, data["to"]["id"], data["from"]["id"]))
    timeline: dict[int, tuple[list[datetime], list[int]]] = {}
    for row in watched:
        steps = moves.get(row.id, [])
        first = steps[0][2] if steps else row.location_id
        timeline[row.id] = ([row.created_at] + [s[0] for s in steps], [first] + [s[1] for s in steps])
    gone = {row.id: last_event[row.id] for row in watched if row.status in ("disposed", "lost")}
    by_kind: dict[str, list] = {}
    for row in watched:
        by_kind.setdefault(row.key, []).append(row)
    label = {row.id: f"{row.name} {row.number}" for row in watched}

    def on_register(kind: str, when: datetime, under: str = "") -> list[tuple[int, int]]:
        """(asset id, its place) of the kind on the register at `when`, by number."""
        found = []
        for row in by_kind.get(kind, []):
            if row.created_at > when or (row.id in gone and gone[row.id] <= when):
                continue
            times, where = timeline[row.id]
            place = where[bisect.bisect_right(times, when) - 1]
            if path_of[place].startswith(under):
                found.append((row.id, place))
        return found

    # 3. The schedules.
    def begins(key: str) -> date:
        started = CHECK_STARTED.get(key)
        if started == "school_year":
            return date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        if started:
            return (now - timedelta(days=round(365.25 * started)) + SCHOOL_OFFSET).date()
        return decade_day

    schedules = []
    for key, target, where, holder, opens, due, grace in CHECK_SCHEDULES:
        if where == "canteen floors":
            spots = [f.id for f in floors]
        elif where == "buildings":
            spots = [b.id for b in buildings]
        elif where == "teaching buildings":
            spots = [b.id for b in teaching]
        elif target == "asset_kind":
            spots = [None]
        else:
            spots = [next(p.id for p in places if p.name == where)]
        for spot in spots:
            starts = begins(key)
            schedules.append({
                "id": len(schedules) + 1, "template_key": key, "target": target, "location_id": spot,
                "kind_key": where if target == "asset_kind" else "",
                "frequency": conn.execute(select(template.c.frequency).where(template.c.id == published[key])
                                          ).scalar_one(),
                "meals": [], "opens_time": opens or "07:00", "due_time": due or "17:00", "grace_minutes": grace,
                "assignee_id": current[holder], "assignee_role": "", "starts_on": starts,
                "materialised_through": today - timedelta(days=1), "active": True,
                "created_at": _SchoolClock.at(starts, 8) - timedelta(days=3), "_post": holder})

    # 4. Every period of every schedule, from its start to today, as materialise() makes them.
    def last_school_day(first: date, last: date) -> date | None:
        day = last
        while day >= first:
            if clock.school_day(day):
                return day
            day -= timedelta(days=1)
        return None

    def periods(schedule: dict, day: date) -> list[tuple[str, date, datetime, datetime]]:
        frequency = schedule["frequency"]
        if frequency == "term_start":  # made on the first day of the lead time materialise ran
            return [(f"term:{t.id}", t.starts_on, at(day, schedule["opens_time"]), at(t.starts_on, schedule["due_time"]))
                    for t in terms if t.starts_on - timedelta(days=TERM_LEAD_DAYS) <= day <= t.starts_on]
        if not clock.school_day(day):
            return []
        if frequency == "school_day":
            return [(day.isoformat(), day, at(day, schedule["opens_time"]), at(day, schedule["due_time"]))]
        if frequency == "per_meal":
            return [(f"{day.isoformat()} {meal['key']}", day, at(day, meal["start"]), at(day, meal["end"]))
                    for meal in DEFAULT_MEALS]
        # a week's, month's … period opens on each of its school days for whatever target
        # has no round of it yet (an asset registered mid-month gets this month's the next
        # school day): materialise() runs daily with `since` the day after the last run
        key, first, last = _bounds(frequency, day)
        return [(key, day, at(day, schedule["opens_time"]), at(last_school_day(first, last), schedule["due_time"]))]

    rounds: list[dict] = []
    made: set[str] = set()
    for schedule in schedules:
        template_id = published[schedule["template_key"]]
        items = items_of[template_id]
        per_items = [item for item in items if item.per.startswith("asset_kind:")]
        day = schedule["starts_on"]
        while day <= today:
            for key, start, opens_at, due_at in periods(schedule, day):
                when = now if day == today else opens_at
                if schedule["target"] == "asset_kind":
                    targets = [(f"asset:{asset_id}", place, asset_id)
                               for asset_id, place in on_register(schedule["kind_key"], when)]
                else:
                    targets = [(f"location:{schedule['location_id']}", schedule["location_id"], None)]
                for target_key, place, asset_id in targets:
                    round_key = f"s{schedule['id']}:{target_key}:{key}"
                    if round_key in made:
                        continue
                    made.add(round_key)
                    subjects = {str(item.id): [a for a, _p in on_register(item.per.split(":", 1)[1], when,
                                                                          path_of[place])]
                                for item in per_items}
                    rounds.append({
                        "template_id": template_id, "template_key": schedule["template_key"],
                        "schedule_id": schedule["id"], "round_key": round_key,
                        "period": key, "period_start": start, "location_id": place, "asset_id": asset_id,
                        "subjects": subjects, "opens_at": opens_at, "due_at": due_at,
                        "closes_at": due_at + timedelta(minutes=schedule["grace_minutes"]), "status": "open",
                        "assignee_id": who(schedule["_post"], opens_at), "assignee_role": "",
                        "started_by_id": None, "started_at": None, "submitted_by_id": None, "submitted_at": None,
                        "signature_id": None, "result": None, "failed_count": 0, "revision": 1, "amends_id": None,
                        "amend_reason": "", "missed_at": None, "_today": day == today, "_post": schedule["_post"]})
            day += timedelta(days=1)
    rounds.sort(key=lambda r: (r["opens_at"], r["schedule_id"], r["round_key"]))

    # 5. What became of each round: its answers, failures and findings.
    answers, findings = [], []
    tomorrow_ends = _SchoolClock.at(today + timedelta(days=2), 0)
    recent = now - timedelta(days=CHECK_OPEN_DAYS)
    for number, row in enumerate(rounds, start=1):
        row["id"] = number
        if row.pop("_today"):
            row["closes_at"] = max(row["closes_at"], tomorrow_ends)  # the bench may run hours later
            continue
        items = items_of[row["template_id"]]
        slots = [(item, subject) for item in items for subject in
                 (row["subjects"].get(str(item.id), []) if item.per else [0])]
        late = False
        if row["closes_at"] > now:  # this week's or month's round, still open: done, begun or not yet
            fate = rng.random()
            if CHECK_OPEN_DONE <= fate < 1 - CHECK_OPEN_BEGUN:
                continue
            submitted = fate < CHECK_OPEN_DONE
        elif rng.random() < CHECK_MISSED:
            row["missed_at"] = row["closes_at"]
            submitted = False
            if rng.random() >= 0.3:
                continue  # nobody began it
        else:
            submitted, late = True, rng.random() < CHECK_LATE
        end = min(row["due_at"], now)
        done = (row["due_at"] + (row["closes_at"] - row["due_at"]) * rng.uniform(0.05, 0.9)) if late else \
            row["opens_at"] + (end - row["opens_at"]) * rng.uniform(0.1, 0.9)
        done = done.replace(microsecond=0)
        taken = slots if submitted else slots[:rng.randrange(1, max(len(slots), 2))]
        started = done - timedelta(seconds=25 * len(taken) + rng.randrange(30, 300))
        actor = account_of[row["assignee_id"]]
        failing: set[int] = set()
        if submitted and rng.random() < CHECK_FAILING:
            can_fail = [n for n, (item, _s) in enumerate(slots) if item.type not in ("text", "photo", "signature",
                                                                                      "attachment")]
            failing = set(rng.sample(can_fail, min(len(can_fail), 2 if rng.random() < 0.2 else 1)))
        failed, critical = 0, False
        for index, (item, subject) in enumerate(taken):
            outcome, value, reading = _answer(item, rng, index in failing, row["period_start"])
            note, corrected = "", False
            if outcome == "fail":
                corrected = item.ticket == "auto" or (item.ticket == "off" and rng.random() < 0.7)
                note = rng.choice(CHECK_CORRECTIONS) if corrected else "已拍照留存"
                failed += 1
                critical = critical or (item.critical and not corrected)
            elif item.type == "pass_fail_na" and rng.random() < 0.15:
                outcome, note = "na", "本次不适用"
            answers.append({"id": len(answers) + 1, "round_id": number, "item_id": item.id,
                            "template_id": row["template_id"], "subject_id": subject, "value": value,
                            "number": reading, "outcome": outcome, "note": note, "photo_id": None, "file_id": None,
                            "corrected": corrected, "answered_by_id": actor,
                            "answered_at": started + timedelta(seconds=25 * (index + 1))})
            if outcome != "fail" or not submitted:
                continue
            # the finding, worded as services.answer_summary words it
            text = item.prompt_zh + (f" ({label[subject]})" if subject else "")
            if item.type == "number":
                low, high = format_number(item.min_value), format_number(item.max_value)
                allowed = f"{low}–{high}" if low and high else (f"≥ {low}" if low else f"≤ {high}")
                text += f": {value} {item.unit}".rstrip() + f" (allowed {allowed} {item.unit}".rstrip() + ")"
            elif item.type == "select":
                text += f": {item.options[int(value)]['zh']}"
            elif item.type == "date_expiry":
                text += f": {value}"
            else:
                text += ": Fail"
            status, closed_by, closed_at, closing = "closed", account_of[who("logistics", done)], \
                done + timedelta(hours=rng.uniform(2, 96)), rng.choice(CHECK_CLOSING_NOTES)
            if corrected:
                status, closed_by, closed_at, closing = "corrected", None, done, note
            elif closed_at > now or (done > recent and rng.random() < CHECK_OPEN_SHARE):
                status, closed_by, closed_at, closing = "open", None, None, ""
            findings.append({"round_id": number, "answer_id": len(answers), "item_id": item.id,
                             "location_id": row["location_id"], "asset_id": subject or row["asset_id"],
                             "summary": text[:500], "status": status, "ticket_proposed": item.ticket == "suggest",
                             "ticket_id": None, "note": closing, "photo_id": None, "closed_by_id": closed_by,
                             "closed_at": closed_at, "created_at": done})
        row["started_by_id"], row["started_at"] = actor, started
        if submitted:
            row["submitted_by_id"], row["submitted_at"] = actor, done
            row["failed_count"], row["result"] = failed, "fail" if critical else "pass"
    for row in rounds:
        row.pop("_post")
    for row in schedules:
        row.pop("_post")
    conn.execute(insert(T["check_schedule"]), schedules)
    for first in range(0, len(rounds), 10_000):
        conn.execute(insert(T["check_round"]), rounds[first:first + 10_000])
    for first in range(0, len(answers), 20_000):
        conn.execute(insert(T["check_answer"]), answers[first:first + 20_000])
    # The database freezes submitted and missed rounds and their answers: the rounds went in
    # open, their answers after them, and now they are closed, one status at a time.
    check_round = T["check_round"]
    conn.execute(update(check_round).where(check_round.c.submitted_at.is_not(None)).values(status="submitted"))
    conn.execute(update(check_round).where(check_round.c.missed_at.is_not(None)).values(status="missed"))
    conn.execute(update(check_round).where(check_round.c.status == "open", check_round.c.started_at.is_not(None))
                 .values(status="in_progress"))
    conn.execute(insert(T["check_finding"]), findings)
    states: dict[str, int] = {}
    for row in conn.execute(select(check_round.c.status, func.count()).group_by(check_round.c.status)):
        states[row[0]] = row[1]
    print(f"    (checks: {len(schedules)} schedules, {len(rounds):,} rounds ("
          + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items(), key=lambda s: -s[1]))
          + f"), {len(answers):,} answers, {len(findings):,} findings; {len(kit_rows)} assets added)", flush=True)


def check_materialise_nothing(app) -> None:
    """After the build: schedules.materialise() finds today's rounds already made (the
    keys are the ones it would give them), so it creates nothing."""
    from schoolhq.checks import schedules
    from schoolhq.checks.models import CheckRound
    from schoolhq.extensions import db

    with app.test_request_context("/tick"):
        before = db.session.scalar(select(func.max(CheckRound.id))) or 0
        created = schedules.materialise()
        made = list(db.session.scalars(select(CheckRound.round_key).where(CheckRound.id > before))) if created else []
        db.session.rollback()
    assert created == 0, f"materialise() made {created} more rounds: {made[:5]}"


#: run in this order; a later area appends its builder (build_expenditures, ...)
BUILDERS: list[Callable[[Connection, School], None]] = [
    build_settings, build_people, build_places, build_accounts, build_calendar,
    build_audit, build_notifications, build_assets, build_stock, build_repairs, build_checks,
]
#: run after the build has been committed, with the app: each asserts what it checks
AFTER_BUILD: list[Callable] = [check_materialise_nothing]


# Running it ----------------------------------------------------------------------------

def bench_app(db_path: Path, **config):
    """The app bound to db_path, with a throw-away instance folder and secret key so a
    benchmark never writes into the project's own instance/."""
    os.environ.setdefault("SCHOOLHQ_SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("SCHOOLHQ_INSTANCE", os.path.join(tempfile.gettempdir(), "schoolhq-bench-instance"))
    from schoolhq import create_app

    return create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path.resolve()}",
        "INSTANCE_DIR": os.environ["SCHOOLHQ_INSTANCE"],
        **config,
    })


def generate(db_path: Path, analyze: bool = False) -> dict[str, int]:
    """Build the school into db_path (which must not exist); returns row counts. With
    `analyze`, finish with SQLite's ANALYZE, which the app itself never runs (yet): the
    query planner then knows, say, that nearly every asset has an on-register status."""
    from werkzeug.security import generate_password_hash

    from schoolhq.auth.models import Role
    from schoolhq.cli import prepare_database
    from schoolhq.core.timeutil import utcnow
    from schoolhq.extensions import db

    if db_path.exists():
        raise SystemExit(f"{db_path} exists; the generator only fills a fresh file.")
    app = bench_app(db_path)
    # What `schoolhq init` does first: every migration, the built-in roles and whatever
    # else the areas seed; so the bench database has the schema a school would have.
    prepare_database(app)
    with app.app_context():
        school = School(rng=random.Random(SEED), now=utcnow().replace(microsecond=0),
                        password_hash=generate_password_hash(PASSWORD))
        school.role_ids = dict(db.session.execute(select(Role.code, Role.id)).all())
        T.update(_tables())
        with db.engine.begin() as conn:
            for builder in BUILDERS:
                started = time.perf_counter()
                builder(conn, school)
                print(f"  {builder.__name__:<22} {time.perf_counter() - started:6.1f} s", flush=True)
        for check in AFTER_BUILD:
            check(app)
        if analyze:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        counts = {}
        with db.engine.connect() as conn:
            for name, table in sorted(T.items()):
                counts[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
        db.engine.dispose()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path, help="the SQLite file to create")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE at the end (the app does not; compare the two with run.py)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.db, args.analyze)
    print(", ".join(f"{name} {count:,}" for name, count in counts.items()))
    print(f"Built {args.db} in {time.perf_counter() - started:.1f} s; "
          f"sign in as {ADMIN_USERNAME} / {PASSWORD}")


if __name__ == "__main__":
    main()
