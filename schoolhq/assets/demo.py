"""The demo school's assets: about 800 across the rooms, every operational kind, loans
(one overdue)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from schoolhq.assets import loans, services
from schoolhq.assets.models import Asset, AssetCategory, AssetKind
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.places.models import Location

#: (name, category code, kind key or None, unit price yuan, brand, model, loanable)
CLASSROOM_KIT = [
    ("交互式电子白板", "A02020700", None, 12800, "希沃", "MAXHUB-86", False),
    ("投影仪", "A02020000", "projector", 4200, "爱普生", "CB-X06", False),
    ("教师台式计算机", "A02010105", None, 4500, "联想", "启天M437", False),
    ("空调机", "A02061804", None, 3600, "格力", "KFR-72LW", False),
    ("学生课桌椅（套）", "A05010304", None, 380, "", "升降式", False),
    ("灭火器", "A02000000", "extinguisher", 95, "淮海", "MFZ/ABC4", False),
]
SHARED_KIT = [
    ("便携式投影仪", "A02020000", "projector", 3200, "明基", "GS50", True),
    ("笔记本电脑", "A02010108", "laptop", 5200, "联想", "ThinkPad E14", True),
    ("数码相机", "A02000000", "camera", 3900, "佳能", "EOS 200D", True),
    ("平板充电车", "A02010000", "tablet_cart", 18000, "希沃", "T-CART 40", True),
]
KITCHEN_KIT = [
    ("冷藏冰箱", "A02000000", "fridge", 5600, "海尔", "SC-650", False),
    ("冷冻冰柜", "A02000000", "freezer", 4800, "海尔", "BC/BD-519", False),
    ("留样冰箱", "A02000000", "sample_fridge", 2600, "澳柯玛", "SC-230", False),
]


def load(rng: random.Random, small: bool = False) -> None:
    size = 80 if small else 800
    rng = rng or random.Random(2026)
    categories = {c.code: c.id for c in db.session.scalars(select(AssetCategory))}
    kinds = {k.key: k.id for k in db.session.scalars(select(AssetKind))}
    rooms = list(db.session.scalars(select(Location).where(Location.kind == "room").order_by(Location.id)))
    by_name = {room.name: room for room in rooms}
    classrooms = [room for room in rooms if room.name.endswith("教室") and room.name[0].isdigit()]
    store = by_name.get("仓库") or rooms[0]
    kitchen = by_name.get("操作间") or rooms[0]
    count = 0

    def add(name, code, kind, price, brand, model, loanable, room, bought, extra=None, status="in_use"):
        nonlocal count
        if count >= size:
            return None
        values = {"name": name, "category_id": categories[code], "kind_id": kinds.get(kind) if kind else None,
                  "unit_price_fen": price * 100, "brand": brand, "model": model,
                  "serial": f"SN{rng.randrange(10**8, 10**9)}", "purchased_on": bought, "booked_on": bought,
                  "funding_source": rng.choice(["财政拨款", "财政拨款", "自筹资金"]),
                  "acquisition_method": "政府采购", "use_direction": "教学", "loanable": loanable,
                  "supplier": "阳光教育装备有限公司"}
        count += 1
        return services.register_asset(values, room.id, room.responsible_person_id, status, extra=extra)

    for name, code, kind, price, brand, model, _loanable in KITCHEN_KIT:
        add(name, code, kind, price, brand, model, False, kitchen, date(2022, 8, 20),
            {"target_temp": "0～8" if kind != "freezer" else "≤-18"} if kind != "sample_fridge" else None)
    water_rooms = [by_name.get(n) for n in ("学生餐厅", "图书室", "会议室")] + classrooms[::6]
    for index, room in enumerate(r for r in water_rooms if r is not None):
        add("直饮水机", "A02000000", "water_point", 6800, "沁园", "JZY-A2XB", False, room, date(2023, 3, 1),
            {"filter_model": "QG-U5-01", "filter_interval_days": 90,
             "permit_expiry": date(2027, 6, 30 - index % 5).isoformat()})
    roof = by_name.get("仓库") or store
    for n in range(2):
        add(f"二次供水水箱{n + 1}号", "A02000000", "water_tank", 26000, "", "SUS304", False, roof, date(2018, 7, 1),
            {"volume_m3": 12})
    # special equipment: the lift has its own statutory plan (repairs), due by its certificate
    add("综合楼乘客电梯", "A02000000", "lift", 280000, "日立", "HGP-800", False, by_name.get("会议室") or store,
        date(2019, 8, 1), {"registration_number": "梯11苏A05521(19)", "registered_on": "2019-08-20",
                           "inspection_valid_until": (local_today() + timedelta(days=150)).isoformat(),
                           "inspection_body": "市特种设备检验研究院", "maintainer": "日立电梯（中国）有限公司 TS3110001"})
    shared = []
    for name, code, kind, price, brand, model, loanable in SHARED_KIT:
        for n in range(6 if kind != "tablet_cart" else 2):
            asset = add(f"{name}{n + 1:02d}", code, kind, price, brand, model, loanable, store, date(2024, 9, 1),
                        status="in_storage")
            if asset is not None:
                shared.append(asset)
    for room in classrooms:
        bought = date(2019 + rng.randrange(0, 6), rng.randrange(1, 13), 1)
        for name, code, kind, price, brand, model, loanable in CLASSROOM_KIT:
            add(name, code, kind, price, brand, model, loanable, room, bought,
                {"agent": "ABC干粉", "refill_due": (local_today() + timedelta(days=rng.randrange(30, 400))).isoformat()}
                if kind == "extinguisher" else None)
    others = [room for room in rooms if room not in classrooms]
    furniture = [("文件柜", "A05010502", 1200), ("办公椅", "A05010301", 450), ("书柜", "A05010501", 980),
                 ("A4彩色打印机", "A02021004", 2600), ("碎纸机", "A02021301", 900), ("台式计算机", "A02010105", 4300)]
    while count < size and others:
        room = rng.choice(others)
        name, code, price = rng.choice(furniture)
        add(name, code, None, price, "", "", False, room, date(2016 + rng.randrange(0, 9), rng.randrange(1, 13), 1))

    if len(shared) >= 3:
        from schoolhq.people.models import Person

        teachers = list(db.session.scalars(select(Person).where(Person.job_title.like("%教师")).limit(3)))
        due = utcnow() + timedelta(days=3)
        for asset, teacher in zip(shared[:2], teachers, strict=False):
            loans.checkout([asset.id], teacher.id, due, "完好", require_signature=False)
        # One loan that ran over: lent a week ago, due two days ago.
        overdue = loans.checkout([shared[6].id if len(shared) > 6 else shared[2].id], teachers[-1].id, due,
                                    "完好", require_signature=False)[0]
        overdue.out_at = utcnow() - timedelta(days=7)
        overdue.due_at = utcnow() - timedelta(days=2)
    # A projector booked for a lesson tomorrow, and a request to borrow a camera next week.
    if len(shared) >= 13 and teachers:
        from schoolhq.assets import reservations
        from schoolhq.core.calendar import is_school_day

        tomorrow = local_today() + timedelta(days=1)
        for _ in range(14):  # the next school day
            if is_school_day(tomorrow):
                break
            tomorrow += timedelta(days=1)
        reservations.reserve_slot(shared[3].id, teachers[0].id, tomorrow, "3", "公开课")
        reservations.request_borrow(shared[12].id, teachers[-1].id, tomorrow + timedelta(days=7),
                                    tomorrow + timedelta(days=9), "春游拍照")

    # Two worn-out machines put up for disposal, awaiting appraisal.
    from schoolhq.assets import disposals

    old = list(db.session.scalars(select(Asset).where(Asset.status == "in_use", Asset.loanable.is_(False))
                                  .order_by(Asset.purchased_on, Asset.id).limit(2)))
    if old:
        disposals.request_disposal([a.id for a in old], "使用年限已满，主板损坏，维修费用高于残值。")

    # One stocktake under way in the 综合楼, a few rooms counted.
    from schoolhq.assets import audits

    building = db.session.scalar(select(Location).where(Location.kind == "building", Location.name == "综合楼"))
    if building is not None and count:
        from schoolhq.core.errors import ServiceError

        try:
            campaign = audits.start("2026年秋季资产清查（综合楼）", building.id)
        except ServiceError:  # a demo too small to hold assets there
            campaign = None
        if campaign is not None:
            expected, _scans, _found = audits.room_view(campaign, store.id)
            for row in expected[: max(1, len(expected) - 2)]:
                audits.record_scan(campaign.id, store.id, row.asset.number)
            audits.record_scan(campaign.id, store.id, "ZC-OLD-0007")
    db.session.flush()

