"""The school every area stands on: the frame's areas (core, auth, places, people) with
their settings, departments and staff, places, accounts, calendar, audit trail and
notifications, built in the order they need each other."""

from __future__ import annotations

from datetime import date, timedelta

from harness import ADMIN_USERNAME
from harness.build import School, T, new_token
from sqlalchemy import insert, update
from sqlalchemy.engine import Connection

# Sizes (DESIGN.md §9: "about 150 staff, 300 locations") ---------------------------------
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


#: the tables this builder fills (generate.py counts their rows)
TABLES = ("setting", "department", "person", "responsibility", "location", "account", "role_assignment",
          "school_term", "calendar_day", "audit_entry", "notification")


def build(conn: Connection, school: School) -> None:
    for step in (build_settings, build_people, build_places, build_accounts, build_calendar, build_audit,
                 build_notifications):
        step(conn, school)


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
    rng = school.rng
    keepers = school.current_person_ids
    tokens: set[str] = set()
    rows: list[dict] = []

    def add(kind, name, parent, code, sort_order, keeper="pick"):
        number = len(rows) + 1
        row = {
            "id": number, "parent_id": parent["id"] if parent else None, "kind": kind,
            "name": name, "code": code, "token": new_token(rng, tokens), "sort_order": sort_order,
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

