"""The demo school, 阳光小学: about 60 staff in departments, three buildings with floors
and rooms, a school year's calendar, and one sign-in per built-in role."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func, select

from schoolhq.auth import services as auth
from schoolhq.core import calendar, settings
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.people.models import Person
from schoolhq.places import services as places

DEMO_PASSWORD = "demo1234"

#: role code -> (user name, name, department, job title)
DEMO_LOGINS = {
    "admin": ("admin", "信息中心管理员", "信息中心", "网络管理员"),
    "principal": ("principal", "李建国", "校长室", "校长"),
    "logistics_head": ("logistics", "王海涛", "总务处", "总务主任"),
    "storekeeper": ("store", "赵敏", "总务处", "仓库管理员"),
    "canteen_manager": ("canteen", "陈红梅", "食堂", "食堂经理"),
    "canteen_staff": ("cook", "刘大勇", "食堂", "厨师"),
    "maintenance": ("repair", "孙师傅", "总务处", "维修工"),
    "school_doctor": ("doctor", "周静", "医务室", "校医"),
    "accountant": ("accountant", "吴丽", "财务室", "会计"),
    "staff": ("teacher", "王芳", "语文组", "语文教师"),
}

DEPARTMENTS = [
    ("校长室", None), ("办公室", None), ("教务处", None), ("德育处", None), ("总务处", None),
    ("财务室", "总务处"), ("食堂", "总务处"), ("医务室", "总务处"), ("信息中心", "办公室"),
    ("语文组", "教务处"), ("数学组", "教务处"), ("英语组", "教务处"), ("综合组", "教务处"),
]

SURNAMES = "张王李赵刘陈杨黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ["静", "伟", "芳", "娜", "秀英", "敏", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "玉兰", "晨", "欣怡", "子涵", "浩然", "雨桐", "思远"]
TEACHING_TITLES = {"语文组": "语文教师", "数学组": "数学教师", "英语组": "英语教师", "综合组": "科学教师"}

BUILDINGS = [
    # name, code, floors, rooms per floor, room name pattern
    ("教学楼", "A", 4, 6, "{floor}0{n}教室"),
    ("综合楼", "B", 3, 5, None),
    ("食堂楼", "C", 2, 4, None),
]
SPECIAL_ROOMS = {
    "B": [["科学实验室", "计算机教室", "音乐教室", "美术教室", "图书室"],
          ["会议室", "校长室", "总务处办公室", "财务室", "档案室"],
          ["医务室", "心理咨询室", "体育器材室", "仓库", "广播室"]],
    "C": [["操作间", "主食库", "副食库", "留样间"], ["学生餐厅", "教工餐厅", "洗消间", "更衣室"]],
}


def is_empty() -> bool:
    return (db.session.scalar(select(func.count(Person.id))) or 0) == 0


def school_year_of(day: date) -> int:
    """The year a school year starts in: September to August."""
    return day.year if day.month >= 8 else day.year - 1


def add_school_year(year: int) -> None:
    """A school year as Chinese primary schools keep it: two terms, the National Day week
    with its two make-up days (调休), and New Year's Day."""
    calendar.add_term(f"{year}—{year + 1}学年第一学期", date(year, 9, 1), date(year + 1, 1, 22))
    calendar.add_term(f"{year}—{year + 1}学年第二学期", date(year + 1, 2, 22), date(year + 1, 7, 2))
    for day in range(1, 8):
        calendar.set_day(date(year, 10, day), "holiday", "国庆节")
    sunday_before = date(year, 9, 30) - timedelta(days=(date(year, 9, 30).weekday() + 1) % 7)
    saturday_after = date(year, 10, 8) + timedelta(days=(5 - date(year, 10, 8).weekday()) % 7)
    calendar.set_day(sunday_before, "school_day", "国庆调休")
    calendar.set_day(saturday_after, "school_day", "国庆调休")
    calendar.set_day(date(year + 1, 1, 1), "holiday", "元旦")


def load(small: bool = False) -> dict[str, str]:
    """Create the demo school in an empty database; returns role code -> user name. Each
    area adds its part (its declaration's `demo`), in the order of schoolhq/areas.py; the
    tests ask for a small school (fewer assets, a shorter history) to stay quick."""
    rng = random.Random(2026)
    settings.update({"school_name": "阳光小学"})
    departments: dict[str, int] = {}
    for name, parent in DEPARTMENTS:
        departments[name] = people.create_department(name, departments.get(parent)).id

    password_hash = auth.hash_password(DEMO_PASSWORD)
    roles = {role.code: role for role in auth.roles()}
    logins: dict[str, str] = {}
    heads: dict[str, int] = {}
    for code, (username, name, department, title) in DEMO_LOGINS.items():
        person = people.create_person(name, departments[department], title, f"1380000{len(logins):04d}")
        account = auth.create_account(person.id, username, "", password_hash=password_hash)
        auth.assign_role(account.id, roles[code].id)
        if code != "staff":
            auth.assign_role(account.id, roles["staff"].id)
        logins[code] = username
        heads.setdefault(department, person.id)

    staff = []
    teaching = list(TEACHING_TITLES)
    used = {login[1] for login in DEMO_LOGINS.values()}
    while len(staff) < 50:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        if name in used:
            continue
        used.add(name)
        department = teaching[len(staff) % len(teaching)] if len(staff) < 40 else rng.choice(
            ["办公室", "德育处", "总务处", "食堂"])
        title = TEACHING_TITLES.get(department, {"食堂": "帮厨", "总务处": "保洁员"}.get(department, "干事"))
        person = people.create_person(name, departments[department], title, f"139{rng.randrange(10**7, 10**8)}")
        staff.append(person)
        if len(staff) <= 40 and len(staff) % 3 == 0:
            account = auth.create_account(person.id, person.pinyin + str(person.id), "", password_hash=password_hash)
            auth.assign_role(account.id, roles["staff"].id)
        heads.setdefault(department, person.id)
    for name, department_id in departments.items():
        if name in heads:
            people.update_department(department_id, name, heads[name])

    campus = places.create_location("campus", "阳光小学", code="YG")
    keepers = [p.id for p in staff]
    for b_index, (name, code, floors, per_floor, pattern) in enumerate(BUILDINGS):
        building = places.create_location("building", name, campus.id, code, sort_order=b_index,
                                          responsible_person_id=keepers[b_index])
        for f in range(1, floors + 1):
            floor = places.create_location("floor", f"{f}楼", building.id, f"{code}{f}", sort_order=f,
                                           responsible_person_id=keepers[(b_index * 5 + f) % len(keepers)])
            names = SPECIAL_ROOMS.get(code, [])
            for n in range(1, per_floor + 1):
                room_name = pattern.format(floor=f, n=n) if pattern else names[f - 1][n - 1]
                # One room is left without a responsible person, so the dashboard shows it.
                keeper = None if (code == "C" and f == 2 and n == 4) else keepers[(f * per_floor + n) % len(keepers)]
                places.create_location("room", room_name, floor.id, f"{code}{f}0{n}", keeper, sort_order=n)
    for extra, code in (("操场", "PG"), ("门卫室", "GT")):
        places.create_location("building", extra, campus.id, code, sort_order=10,
                               responsible_person_id=keepers[-1])

    logistics = db.session.scalar(select(Person).where(Person.name == DEMO_LOGINS["logistics_head"][1]))
    canteen = db.session.scalar(select(Person).where(Person.name == DEMO_LOGINS["canteen_manager"][1]))
    kitchen = next(loc for loc in places.tree() if loc.name == "操作间")
    people.add_responsibility(logistics.id, "校园安全与后勤总负责", campus.id)
    people.add_responsibility(canteen.id, "食品安全第一责任人", kitchen.parent_id)

    add_school_year(school_year_of(local_today()))  # the demo follows the clock
    db.session.flush()

    from schoolhq.areas import declared

    for area in declared():
        if area.demo is not None:
            area.demo(rng, small)
    return logins
