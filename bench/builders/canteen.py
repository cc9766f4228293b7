"""The canteen area: its staff roster over the school's people with their yearly health
certificates, a decade of morning checks (晨检), the menus of both meals, a food sample
(留样) of every dish, and goods receiving (进货查验): the suppliers with their licences and
three deliveries a week."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

# Sizes (issue 14: "a decade of one canteen: two meals a day, 6–8 dishes, 15 staff, 3
# deliveries a week") ------------------------------------------------------------------
#: on the roster now (canteen_staff, active), and former members who have left the school
CANTEEN_STAFF = 15
CANTEEN_FORMER = 3
#: the posts of the roster besides the canteen manager's (仓管), in the order they are filled
#: (the data file's posts); a 帮厨 of the 食堂 department goes to 切配 first
CANTEEN_POSTS = ["厨师", "厨师", "厨师", "厨师", "切配", "切配", "面点", "面点", "洗消", "洗消", "保洁", "保洁",
                 "配餐", "采购"]
CANTEEN_SAMPLERS = ("厨师", "配餐")
#: dishes in each meal
CANTEEN_DISHES = (6, 8)
#: the health certificate (12 months): renewed this many days before it runs out, or, this
#: share of the time, this many days after it ran out (off duty meanwhile)
CANTEEN_RENEW_EARLY, CANTEEN_RENEW_LATE, CANTEEN_LATE_DAYS = (3, 25), 0.06, (1, 8)
#: per morning check: clothing or hygiene found wrong (put right, on duty), a symptom (off
#: duty), a temperature at or above the fever setting (off duty), no temperature taken
CANTEEN_UNTIDY, CANTEEN_SYMPTOM, CANTEEN_FEVER, CANTEEN_NO_TEMPERATURE = 0.012, 0.004, 0.003, 0.03
#: how often each of the data file's symptoms is the one found
CANTEEN_SYMPTOM_MIX = {"fever": 2, "diarrhoea": 3, "vomiting": 1, "jaundice": 0.1, "sore_throat": 4, "hand_wound": 5,
                       "skin_infection": 2}
#: past sheets never signed; dishes whose sample was not taken (a failure on the record)
CANTEEN_UNSIGNED, CANTEEN_UNSAMPLED = 0.01, 0.003
#: samples the manager never confirmed, and never recorded as discarded
CANTEEN_UNREVIEWED, CANTEEN_UNDISCARDED = 0.03, 0.05
#: today: staff left unseen at the morning check, and dishes of each meal left unsampled
#: (the saves record them: bench/measures/canteen.py)
CANTEEN_UNSEEN_TODAY, CANTEEN_UNSAMPLED_TODAY = 5, 2
#: goods receiving (进货查验, 附录B): a delivery on each of these weekdays that is a school
#: day, Monday, Wednesday and Friday (CANTEEN_DELIVERIES_PER_WEEK), from 06:00–07:30, of this
#: many products; this share of the lines rejected on arrival (with the reason and what was done)
CANTEEN_DELIVERIES_PER_WEEK = 3
CANTEEN_DELIVERY_DAYS = (0, 2, 4)
CANTEEN_DELIVERY_LINES = (2, 5)
CANTEEN_REJECTED = 0.02
#: the suppliers (供应商档案): (name, kind, address, contact, food licence (None: a farm, on its
#: business licence alone), days the current food licence has left today (one ran out 12 days
#: ago and was not renewed: its deliveries stop then), years after the decade's start it came).
#: Every company also has a business licence without end; a food licence runs 5 years and is
#: renewed 10–45 days before it runs out, keeping its number
CANTEEN_SUPPLIERS = [
    ("青禾农产品合作社", "farm", "城郊青禾村", "周社长 13905170003", None, None, 0),
    ("润和肉类食品有限公司", "producer", "经济开发区食品园 8 号", "刘经理 13905170002", "food_production", 26, 0),
    ("金穗粮油贸易有限公司", "trader", "城东粮油批发市场 A12", "陈经理 13905170001", "food_trade", 400, 0),
    ("鲜源蛋奶配送中心", "trader", "中山北路 66 号", "吴经理 13905170004", "food_trade", -12, 0),
    ("康源食品配送有限公司", "trader", "城北物流园 3 号库", "孙经理 13905170005", "food_trade", 1500, 0),
    ("东海水产经营部", "trader", "农副产品批发市场水产区 21 号", "林老板 13905170006", "food_trade", 900, 3),
]
#: who delivers on each delivery weekday, cycled week by week: vegetables on Monday, meat (fish
#: every third week, once 东海 supplies) on Wednesday, grain and oil / eggs and milk / condiments
#: and dry goods on Friday (康源 brings the eggs and milk once 鲜源's licence has run out)
CANTEEN_ROTA = {0: ["青禾农产品合作社"],
                2: ["润和肉类食品有限公司", "润和肉类食品有限公司", "东海水产经营部"],
                4: ["金穗粮油贸易有限公司", "鲜源蛋奶配送中心", "康源食品配送有限公司"]}
#: what each supplier brings: (category, product, spec, quantity range, unit, shelf life,
#: producer, days made before delivery, temperature on arrival in tenths of a degree or None)
CANTEEN_GOODS = {
    "青禾农产品合作社": [
        ("vegetable", p, "", q, "kg", "", "青禾农产品合作社 城郊青禾村 13905170003", (0, 0), None)
        for p, q in (("小白菜", (10, 20)), ("土豆", (15, 30)), ("番茄", (8, 15)), ("黄瓜", (8, 15)),
                     ("青椒", (5, 10)), ("胡萝卜", (8, 15)), ("西兰花", (8, 12)), ("包菜", (10, 20)),
                     ("冬瓜", (10, 25)), ("苹果", (15, 30)), ("香蕉", (10, 20)))],
    "润和肉类食品有限公司": [
        ("meat", "猪后腿肉", "冷鲜", (12, 25), "kg", "3天", "润和肉类食品有限公司 经济开发区食品园 8 号", (0, 1), (10, 40)),
        ("meat", "猪五花肉", "冷鲜", (8, 15), "kg", "3天", "润和肉类食品有限公司 经济开发区食品园 8 号", (0, 1), (10, 40)),
        ("meat", "猪小排", "冷鲜", (8, 15), "kg", "3天", "润和肉类食品有限公司 经济开发区食品园 8 号", (0, 1), (10, 40)),
        ("meat", "鸡胸肉", "冷鲜", (8, 15), "kg", "3天", "润和肉类食品有限公司 经济开发区食品园 8 号", (0, 1), (10, 40)),
        ("meat", "鸡翅中", "1kg/袋 冷冻", (5, 10), "袋", "12个月", "山东凤祥股份有限公司", (10, 60), (-200, -180)),
        ("meat", "牛腩", "冷冻", (8, 15), "kg", "12个月", "内蒙古科尔沁牛业股份有限公司", (10, 60), (-200, -180)),
        ("meat", "羊肉卷", "500g/袋 冷冻", (6, 12), "袋", "12个月", "内蒙古小肥羊食品有限公司", (10, 60), (-200, -180))],
    "金穗粮油贸易有限公司": [
        ("grain", "东北大米", "25kg/袋", (3, 6), "袋", "12个月", "五常市稻香米业有限公司", (10, 90), None),
        ("grain", "高筋面粉", "25kg/袋", (1, 2), "袋", "12个月", "金沙河面业集团有限责任公司", (10, 90), None),
        ("grain", "中筋面粉", "25kg/袋", (1, 3), "袋", "12个月", "河北五得利面粉集团有限公司", (10, 90), None),
        ("grain", "小米", "5kg/袋", (1, 3), "袋", "12个月", "山西沁州黄小米集团有限公司", (10, 90), None),
        ("oil", "大豆油", "20L/桶", (1, 2), "桶", "18个月", "九三粮油工业集团有限公司", (20, 120), None),
        ("oil", "菜籽油", "5L/桶", (2, 4), "桶", "18个月", "山东鲁花集团有限公司", (20, 120), None)],
    "鲜源蛋奶配送中心": [
        ("egg_milk", "鲜鸡蛋", "15kg/箱", (2, 4), "箱", "30天", "城南蛋品有限公司", (1, 4), None),
        ("egg_milk", "纯牛奶", "200ml×24", (8, 15), "箱", "6个月", "光明乳业股份有限公司", (3, 30), None),
        ("egg_milk", "酸奶", "100g×24", (3, 6), "箱", "21天", "光明乳业股份有限公司", (1, 4), (30, 60)),
        ("egg_milk", "鹌鹑蛋", "2.5kg/箱", (1, 2), "箱", "30天", "城南蛋品有限公司", (1, 4), None),
        ("other", "内酯豆腐", "400g×20", (2, 4), "箱", "15天", "城南豆制品厂", (0, 2), (30, 60))],
    "康源食品配送有限公司": [
        ("condiment", "生抽酱油", "500ml×12", (1, 2), "箱", "18个月", "佛山市海天调味食品股份有限公司", (20, 150), None),
        ("condiment", "食用盐", "400g×50", (1, 1), "件", "36个月", "中盐江苏盐业有限公司", (30, 300), None),
        ("condiment", "白砂糖", "1kg×20", (1, 1), "件", "24个月", "广西糖业集团有限公司", (30, 200), None),
        ("condiment", "米醋", "500ml×12", (1, 1), "箱", "24个月", "江苏恒顺醋业股份有限公司", (20, 200), None),
        ("condiment", "料酒", "500ml×12", (1, 1), "箱", "18个月", "浙江古越龙山绍兴酒股份有限公司", (20, 200), None),
        ("other", "干木耳", "500g/袋", (2, 4), "袋", "12个月", "黑龙江东宁木耳有限公司", (30, 150), None),
        ("other", "粉丝", "5kg/箱", (1, 2), "箱", "24个月", "龙口粉丝有限公司", (30, 200), None),
        ("other", "紫菜", "50g×20", (1, 2), "盒", "12个月", "福建晋江紫菜有限公司", (30, 150), None)],
    "东海水产经营部": [
        ("aquatic", "冰鲜鲈鱼", "冰鲜", (8, 15), "kg", "2天", "舟山市普陀水产有限公司", (0, 0), (0, 40)),
        ("aquatic", "带鱼段", "冷冻", (8, 12), "kg", "9个月", "舟山市普陀水产有限公司", (15, 90), (-200, -180)),
        ("aquatic", "虾仁", "1kg/袋 冷冻", (4, 8), "袋", "12个月", "湛江国联水产开发股份有限公司", (15, 90), (-200, -180)),
        ("aquatic", "巴沙鱼柳", "冷冻", (8, 12), "kg", "18个月", "湛江国联水产开发股份有限公司", (15, 120), (-200, -180)),
        ("other", "海带结", "1kg/袋", (3, 6), "袋", "6个月", "荣成市海带加工厂", (10, 60), None)],
}
#: a line rejected on arrival, by category: (reason, looked wrong, what it does to the line)
CANTEEN_REJECTIONS = {
    "vegetable": [("腐烂变质较多，当场退货", False, ""), ("农残快检 阳性，当场退货", True, "test")],
    "meat": [("到货中心温度超过 8 ℃，当场退货", True, "warm"), ("无动物检疫合格证明，拒收退货", True, "papers"),
             ("色泽发暗有异味，当场退货", False, "")],
    "egg_milk": [("破损渗漏较多，当场退货", False, ""), ("已过保质期，当场退货", True, "expired")],
    "grain": [("包装破损受潮，当场退货", False, "")],
    "oil": [("桶身渗漏，当场退货", False, "")],
    "aquatic": [("解冻后复冻，冰衣过厚，当场退货", False, ""), ("到货温度不达标，当场退货", True, "warm")],
    "condiment": [("包装破损，当场退货", False, "")],
    "other": [("包装破损，当场退货", False, ""), ("已过保质期，当场退货", True, "expired")],
}

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("canteen_staff", "certificate", "canteen_morning_sheet", "canteen_morning_check", "canteen_meal",
          "canteen_dish", "canteen_food_sample", "canteen_supplier", "canteen_supplier_licence", "canteen_delivery",
          "canteen_delivery_line")

CANTEEN_BREAKFAST = ["肉包", "菜包", "豆沙包", "花卷", "馒头", "鸡蛋", "茶叶蛋", "豆浆", "牛奶", "小米粥", "八宝粥",
                     "皮蛋瘦肉粥", "玉米", "红薯", "油条", "葱油饼", "煎饺", "蒸饺", "小馄饨", "拌黄瓜", "榨菜"]
CANTEEN_MAINS = ["红烧肉", "宫保鸡丁", "鱼香肉丝", "糖醋排骨", "清蒸鱼块", "土豆烧牛肉", "香菇鸡块", "番茄牛腩",
                 "可乐鸡翅", "咖喱鸡块", "木须肉", "红烧狮子头", "黄焖鸡", "京酱肉丝", "梅菜扣肉", "孜然羊肉"]
CANTEEN_SIDES = ["番茄炒蛋", "清炒菜心", "醋溜白菜", "麻婆豆腐", "蒜蓉西兰花", "炒胡萝卜丝", "干煸豆角", "地三鲜",
                 "酸辣土豆丝", "家常豆腐", "手撕包菜", "蚝油生菜", "西芹百合", "韭菜炒蛋", "红烧冬瓜", "素炒三丁"]
CANTEEN_SOUPS = ["紫菜蛋花汤", "冬瓜排骨汤", "番茄蛋汤", "青菜豆腐汤", "玉米排骨汤", "海带汤"]
CANTEEN_STAPLES = ["米饭", "二米饭", "杂粮饭", "馒头"]
CANTEEN_FRUIT = ["苹果", "香蕉", "橙子", "梨", "西瓜"]
CANTEEN_UNTIDY_REMARKS = ["未戴发网，已整改", "指甲过长，已修剪", "佩戴戒指，已摘除", "工作服不洁，已更换",
                          "未戴口罩，已补戴"]
CANTEEN_OFF_ACTIONS = ["离岗", "调岗", "就医"]
CANTEEN_ISSUER = "区疾病预防控制中心"


def build(conn: Connection, school: School) -> None:
    """The canteen of the decade: CANTEEN_STAFF people on the roster now (the accounts
    holding the canteen roles, the 食堂 department, then whoever has been there longest)
    and CANTEEN_FORMER who left the school; each with a health certificate from before
    they started, renewed yearly (CANTEEN_RENEW_LATE of them late, the person off duty
    until renewed). Every school day of the generated calendar: a
    morning sheet signed by that day's canteen manager (whoever the checks builder gave the
    post: the assignee of the day's canteen.daily round) with a check of everyone on the
    roster that day (since they came, until they left), a few off duty; breakfast and lunch
    (the meals the data file serves) with CANTEEN_DISHES dishes each, planned the Friday
    before; a food sample of every dish but a few, taken by a cook on duty, kept 48 hours in
    the main kitchen's food-sample fridge, confirmed by the manager and discarded after.
    Today always has its menu (whatever the calendar says, so the bench's saves have
    dishes to sample) with CANTEEN_UNSAMPLED_TODAY dishes of each meal not yet sampled, and
    an unsigned sheet with CANTEEN_UNSEEN_TODAY people not yet seen. Then the suppliers and
    the deliveries (`_deliveries`). Nothing is dated after now."""
    from schoolhq.canteen.services import domain
    from schoolhq.core.calendar import is_school_day
    from schoolhq.people.certificates import months_later

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    decade_day = (school.start + SCHOOL_OFFSET).date()
    person, account, grants, role = T["person"], T["account"], T["role_assignment"], T["role"]

    def local_day(moment: datetime) -> date:
        return (moment + SCHOOL_OFFSET).date()

    # 0. Who works in the kitchen: the people, their accounts, the canteen's roles.
    people = {row.id: row for row in conn.execute(select(person.c.id, person.c.name, person.c.job_title,
                                                          person.c.department_id, person.c.created_at,
                                                          person.c.left_at).order_by(person.c.id))}
    account_of = dict(conn.execute(select(account.c.person_id, account.c.id).where(account.c.active.is_(True))).all())
    role_rows = conn.execute(select(account.c.person_id, role.c.code, grants.c.location_id)
                             .join(grants, grants.c.account_id == account.c.id)
                             .join(role, role.c.id == grants.c.role_id).order_by(account.c.id)).all()
    roles: dict[int, set[str]] = {}
    for person_id, code, _location in role_rows:
        roles.setdefault(person_id, set()).add(code)
    # the canteen manager now: the active, unscoped holder (the checks builder may have moved the post)
    manager = next(person_id for person_id, code, location in role_rows
                   if code == "canteen_manager" and location is None and person_id in account_of
                   and people[person_id].left_at is None)
    admin_person = conn.execute(select(account.c.person_id).where(account.c.id == school.admin_account_id)).scalar()
    others = {"admin", "principal", "logistics_head", "storekeeper", "maintenance", "school_doctor", "accountant"}
    canteen_department = school.department_ids["食堂"]

    def rank(p) -> tuple:
        """The canteen's own first (its roles, its department), then whoever has been there longest."""
        held = roles.get(p.id, set())
        return ("canteen_manager" not in held, "canteen_staff" not in held, p.department_id != canteen_department,
                p.created_at, p.id)

    free = [p for p in people.values() if p.id != admin_person and not (roles.get(p.id, set()) & others)]
    current = sorted((p for p in free if p.left_at is None), key=rank)[:CANTEEN_STAFF]
    former = sorted((p for p in free if p.left_at is not None and p.left_at > school.start
                     and p.created_at < school.start + (now - school.start) / 2), key=rank)[:CANTEEN_FORMER]
    assert current[0].id == manager, "the canteen manager leads the roster"
    posts = {manager: "仓管"}
    open_posts = list(CANTEEN_POSTS)
    for p in current[1:] + former:
        wanted = "切配" if p.job_title == "帮厨" else None
        post = wanted if wanted in open_posts else open_posts[0]
        open_posts.remove(post)
        if not open_posts:
            open_posts = list(CANTEEN_POSTS)
        posts[p.id] = post
    members = current + former
    # on the roster from the later of the decade's start and the day they came, until they left
    since = {p.id: max(local_day(p.created_at) + timedelta(days=1), decade_day) for p in members}
    until = {p.id: local_day(p.left_at) if p.left_at else None for p in members}
    conn.execute(insert(T["canteen_staff"]), [
        {"person_id": p.id, "post": posts[p.id], "active": p.left_at is None,
         "added_at": school_time(since[p.id], 9)} for p in members])

    # The canteen manager of each day: who the checks builder gave the post (the assignee of
    # the day's canteen.daily rounds); the manager now where there is no round.
    check_round = T["check_round"]
    manager_of = {day: person_id for day, person_id in conn.execute(
        select(check_round.c.period_start, check_round.c.assignee_id)
        .where(check_round.c.template_key == "canteen.daily").order_by(check_round.c.id))}

    def manager_account(day: date) -> int:
        return account_of.get(manager_of.get(day, manager)) or account_of[manager]

    # 1. Health certificates: one before each starts, renewed every year (late now and then).
    certificate_rows: list[dict] = []
    #: person -> [(first day valid, last day valid)], in order
    valid: dict[int, list[tuple[date, date]]] = {}
    for p in members:
        start = since[p.id]
        issued = start - timedelta(days=rng.randint(3, 30) if start > decade_day else rng.randint(0, 330))
        number = 0
        last_day = until[p.id] or today
        while issued <= last_day:
            number += 1
            expires = months_later(issued, 12)
            valid.setdefault(p.id, []).append((issued, expires))
            left = (expires - today).days
            certificate_rows.append({
                "person_id": p.id, "type_key": "health", "number": f"JK{issued.year}{p.id:04d}{number:02d}",
                "issued_on": issued, "expires_on": expires, "issuer": CANTEEN_ISSUER, "scan_id": None,
                "created_at": min(school_time(max(issued, decade_day), 10), now),
                "created_by_id": manager_account(max(issued, decade_day)),
                # as the daily warnings leave it: 0 once it ran out, else the last threshold passed
                "warned_days": 0 if left < 0 else (min(t for t in (30, 7, 0) if t >= left) if left <= 30 else None),
                "withdrawn_at": None, "withdrawn_reason": "", "extra": {}})
            renewed = expires + timedelta(days=rng.randint(*CANTEEN_LATE_DAYS))
            if rng.random() >= CANTEEN_RENEW_LATE or renewed > today:  # nobody on the roster works without one now
                renewed = expires - timedelta(days=rng.randint(*CANTEEN_RENEW_EARLY))
            issued = renewed
    certificate_rows.append({
        "person_id": manager, "type_key": "food_safety_manager", "number": f"SA{today.year - 3}0318",
        "issued_on": today - timedelta(days=3 * 365), "expires_on": None, "issuer": "区市场监督管理局",
        "scan_id": None, "created_at": now - timedelta(days=3 * 365), "created_by_id": account_of[manager],
        "warned_days": None, "withdrawn_at": None, "withdrawn_reason": "", "extra": {}})
    insert_rows(conn, "certificate", certificate_rows)

    def certificate_on(person_id: int, day: date) -> tuple[date | None, bool]:
        """The last day of the longest-lasting certificate issued by `day` (as
        certificates.best finds it), and whether it covers the day."""
        held = [expires for issued, expires in valid[person_id] if issued <= day]
        if not held:
            return None, False
        return max(held), max(held) >= day

    # 2. The days the canteen served: the calendar's school days from the first day anyone
    # was on its roster (its records begin with its staff), and today.
    days = []
    day = min(since.values())
    while day <= today:
        if is_school_day(day) or day == today:
            days.append(day)
        day += timedelta(days=1)
    served = [row for row in domain()["meals"] if row.get("served", True)]
    fridge_kind = T["asset_kind"]
    asset = T["asset"]
    # the food-sample fridges of the main kitchen (the place with the most of them)
    kitchens: dict[int, list[int]] = {}
    for asset_id, place in conn.execute(
            select(asset.c.id, asset.c.location_id).join(fridge_kind, fridge_kind.c.id == asset.c.kind_id)
            .where(fridge_kind.c.key == "sample_fridge", asset.c.status == "in_use").order_by(asset.c.number)):
        kitchens.setdefault(place, []).append(asset_id)
    fridges = max(kitchens.values(), key=len) if kitchens else [None]
    fever = 373  # the setting's default, canteen.fever_c
    symptom_keys = [(row["key"], row["zh"]) for row in domain()["morning_check"]["symptoms"]]
    symptom_weights = [CANTEEN_SYMPTOM_MIX.get(key, 1) for key, _name in symptom_keys]

    sheets, checks, meals, dishes, samples = [], [], [], [], []
    #: day -> who was sent off duty at that morning's check
    unfit: dict[date, set[int]] = {}
    for day in days:
        is_today = day == today
        boss = manager_account(day)
        on_roster = [p for p in members if since[p.id] <= day and (until[p.id] is None or day < until[p.id])]
        on_roster.sort(key=lambda p: (posts[p.id], p.id))
        # The morning check: everyone on the roster, from 06:30; today only up to now, some unseen.
        sheet_id = len(sheets) + 1
        seen = on_roster[:max(len(on_roster) - CANTEEN_UNSEEN_TODAY, 0)] if is_today else on_roster
        fit_today: list[int] = []
        for n, p in enumerate(seen):
            checked_at = school_time(day, 6.5 + n * 0.025 + rng.random() * 0.02).replace(microsecond=0)
            if checked_at > now:
                break
            certificate_until, covered = certificate_on(p.id, day)
            reasons, clothing, hygiene, remarks, symptoms = [], True, True, "", []
            if not covered:
                reasons.append(f"健康证已于 {certificate_until.isoformat()} 过期" if certificate_until else "无健康证记录")
            if rng.random() < CANTEEN_UNTIDY:
                clothing, hygiene = (False, True) if rng.random() < 0.6 else (True, False)
                remarks = rng.choice(CANTEEN_UNTIDY_REMARKS)
            temperature = None if rng.random() < CANTEEN_NO_TEMPERATURE else rng.choice(
                (360, 362, 363, 364, 365, 365, 366, 366, 367, 368, 369, 370))
            if rng.random() < CANTEEN_SYMPTOM:
                key, name = rng.choices(symptom_keys, symptom_weights)[0]
                symptoms = [key]
                reasons.append(name)
            if rng.random() < CANTEEN_FEVER:
                temperature = rng.randint(fever, 392)
                reasons.append(f"体温 {temperature // 10}.{temperature % 10} ℃")
            fit = not reasons
            checks.append({
                "sheet_id": sheet_id, "day": day, "person_id": p.id, "post": posts[p.id],
                "clothing_ok": clothing, "hygiene_ok": hygiene, "symptoms": symptoms, "temperature_dc": temperature,
                "remarks": remarks, "fit": fit, "reason": "；".join(reasons)[:200],
                "action": "" if fit else rng.choice(CANTEEN_OFF_ACTIONS), "certificate_until": certificate_until,
                "checked_at": checked_at, "checked_by_id": boss})
            if fit:
                fit_today.append(p.id)
            else:
                unfit.setdefault(day, set()).add(p.id)
        if seen and school_time(day, 6.5) <= now:
            signed = None if is_today or rng.random() < CANTEEN_UNSIGNED else \
                school_time(day, 7 + rng.random() * 0.5).replace(microsecond=0)
            sheets.append({"id": sheet_id, "day": day, "signed_at": signed,
                           "signed_by_id": boss if signed else None, "signature_id": None})
        # The meals, planned the Friday before the week, and their samples.
        samplers = [pid for pid in fit_today if posts[pid] in CANTEEN_SAMPLERS] or fit_today or [manager]
        planned = school_time(day - timedelta(days=day.weekday() + 3), 15 + rng.random() * 1.5).replace(microsecond=0)
        for meal_row in served:
            meal_id = len(meals) + 1
            meals.append({"id": meal_id, "day": day, "kind": meal_row["key"], "updated_at": min(planned, now)})
            names = _menu(rng, meal_row["key"])
            hour, minute = (int(part) for part in meal_row["ends"].split(":"))
            first_taken = school_time(day, hour + minute / 60 - 1.2 + rng.random() * 0.3).replace(microsecond=0)
            sampler = rng.choice(samplers)
            recorder = account_of.get(sampler, boss)
            fridge = rng.choice(fridges)
            review = first_taken + timedelta(hours=rng.uniform(0.5, 4))
            reviewed = review <= now and rng.random() >= CANTEEN_UNREVIEWED
            for position, name in enumerate(names):
                dish_id = len(dishes) + 1
                dishes.append({"id": dish_id, "meal_id": meal_id, "position": position, "name": name,
                               "removed": False})
                taken = first_taken + timedelta(minutes=position, seconds=rng.randrange(60))
                if taken > now or rng.random() < CANTEEN_UNSAMPLED or \
                        (is_today and position >= len(names) - CANTEEN_UNSAMPLED_TODAY):
                    continue
                keep = taken + timedelta(hours=48)
                discarded = keep + timedelta(hours=rng.uniform(0, 8))
                discard = discarded <= now and rng.random() >= CANTEEN_UNDISCARDED
                samples.append({
                    "dish_id": dish_id, "meal_id": meal_id, "weight_g": rng.choice((125, 130, 135, 140, 150, 150, 160,
                                                                                    170, 180, 200, 220)),
                    "sampled_at": taken, "sampler_id": sampler, "fridge_id": fridge, "keep_until": keep,
                    "container_code": f"{day:%m%d}-{meal_row['zh'][:1]}-{position + 1}", "photo_id": None,
                    "recorded_by_id": recorder, "reviewed_at": review.replace(microsecond=0) if reviewed else None,
                    "reviewed_by_id": boss if reviewed else None,
                    "discarded_at": discarded.replace(microsecond=0) if discard else None,
                    "discarded_by_id": recorder if discard else None})
    insert_rows(conn, "canteen_morning_sheet", sheets)
    insert_rows(conn, "canteen_morning_check", checks)
    insert_rows(conn, "canteen_meal", meals)
    insert_rows(conn, "canteen_dish", dishes)
    insert_rows(conn, "canteen_food_sample", samples)
    started = time.perf_counter()
    received = _deliveries(conn, school, days, {p.id for p in members}, certificate_on, unfit, manager_of, manager,
                           account_of, manager_account)
    received += f" in {time.perf_counter() - started:.1f} s"
    print(f"    (canteen: {len(current)} on the roster, {len(former)} former, {len(certificate_rows)} certificates, "
          f"{len(days):,} days, {len(checks):,} morning checks ({sum(not c['fit'] for c in checks)} off duty), "
          f"{len(dishes):,} dishes, {len(samples):,} samples; {received})", flush=True)


def _menu(rng, kind: str) -> list[str]:
    """A meal's dishes, CANTEEN_DISHES of them: breakfast from its list, lunch as mains,
    sides, a soup, the staple and sometimes fruit."""
    count = rng.randint(*CANTEEN_DISHES)
    if kind == "breakfast":
        return rng.sample(CANTEEN_BREAKFAST, count)
    names = [rng.choice(CANTEEN_STAPLES), rng.choice(CANTEEN_SOUPS)]
    if rng.random() < 0.5:
        names.append(rng.choice(CANTEEN_FRUIT))
    mains = rng.randint(2, 3)
    names[:0] = rng.sample(CANTEEN_MAINS, mains) + rng.sample(CANTEEN_SIDES, count - len(names) - mains)
    return names


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _deliveries(conn: Connection, school: School, days: list[date], members: set[int], certificate_on, unfit,
                manager_of: dict[date, int], manager: int, account_of: dict[int, int], manager_account) -> str:
    """The suppliers of CANTEEN_SUPPLIERS with their licences over the decade, and a
    delivery on every Monday, Wednesday and Friday the canteen served (CANTEEN_ROTA says
    from whom) up to now: received by the day's canteen manager (someone else on duty when
    the manager was sent off duty), staples with the logistics head of the week as the
    second receiver (no signature image), CANTEEN_DELIVERY_LINES products from the
    supplier's CANTEEN_GOODS, CANTEEN_REJECTED of them rejected on arrival. Each line goes
    through `receiving.check_line`, the app's own rule (use-by, shelf life in days, the
    documents in the data file's order, what may be accepted) and the record's retention,
    `keep_until`, is the latest of its lines', as `receive()` keeps it. Returns a summary."""
    import bisect

    from schoolhq.canteen.receiving import LineData, check_line, is_staple, parse_shelf_life

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    decade_day = (school.start + SCHOOL_OFFSET).date()
    first_day = days[0]

    # 1. The suppliers and their licences, renewed every five years back from today's.
    suppliers, licences = [], []
    supplier_id: dict[str, int] = {}
    since: dict[str, date] = {}
    lapsed: dict[str, date] = {}  # supplier -> the day its food licence ran out (not renewed)
    school_year = today.year if today.month >= 9 else today.year - 1
    for number, (name, kind, address, contact, licence_kind, days_left, joined) in enumerate(CANTEEN_SUPPLIERS, 1):
        start = max(first_day, decade_day + timedelta(days=round(365.25 * joined))) - timedelta(days=3)
        supplier_id[name], since[name] = number, start
        goods = {row[0] for row in CANTEEN_GOODS[name]}
        staple = any(is_staple(category) for category in goods)
        suppliers.append({
            "id": number, "name": name, "kind": kind, "address": address, "contact": contact,
            # staple suppliers: the list of serious violators searched when the school year's contract was signed
            "blacklist_checked_on": min(date(school_year, 8, 20 + number), today) if staple else None,
            "incidents": "", "contract_until": date(school_year + 1, 8, 31), "active": True,
            "added_at": school_time(start, 10)})
        credit = f"9{'3' if kind == 'farm' else '1'}3201{rng.randrange(10**10, 10**11)}" \
                 f"{rng.choice('0123456789ABCDEFGHJKLMNPQRTUWXY')}"
        licences.append({"supplier_id": number, "kind": "business", "number": credit,
                         "issued_on": start - timedelta(days=rng.randint(400, 3000)), "expires_on": None,
                         "added_at": school_time(start, 10), "added_by_id": manager_account(start), "warned_days": None})
        if licence_kind is None:
            continue
        code = f"{'SC' if licence_kind == 'food_production' else 'JY'}1{rng.randrange(10**12, 10**13)}"
        chain = []  # (issued, expires), newest first: five years each, renewed 10-45 days before running out
        expires = today + timedelta(days=days_left)
        while True:
            issued = _years_before(expires + timedelta(days=1), 5)
            chain.append((issued, expires))
            if issued <= start:
                break
            expires = issued + timedelta(days=rng.randint(10, 45))
        chain.reverse()
        if days_left < 0:
            lapsed[name] = chain[-1][1]
        for n, (issued, expires) in enumerate(chain):
            if n + 1 < len(chain):  # replaced: the 30-day reminder went out if it was still current then
                warned = 30 if (expires - chain[n + 1][0]).days <= 30 else None
            else:  # current: as the daily reminders leave it
                left = (expires - today).days
                warned = 0 if left < 0 else (min(t for t in (30, 7, 0) if t >= left) if left <= 30 else None)
            filed = max(issued, start)
            licences.append({"supplier_id": number, "kind": licence_kind, "number": code, "issued_on": issued,
                             "expires_on": expires, "added_at": min(school_time(filed, 10.5), now),
                             "added_by_id": manager_account(filed), "warned_days": warned})
    for row in licences:
        row["scan_id"] = None
    insert_rows(conn, "canteen_supplier", suppliers)
    insert_rows(conn, "canteen_supplier_licence", licences)

    # 2. Who received: the day's canteen manager, with the logistics head of the week (the
    # assignee of canteen.weekly, as the checks builder gave the post) for staples.
    check_round = T["check_round"]
    weekly = conn.execute(select(check_round.c.period_start, check_round.c.assignee_id)
                          .where(check_round.c.template_key == "canteen.weekly")
                          .order_by(check_round.c.period_start)).all()
    weeks, heads = [row[0] for row in weekly], [row[1] for row in weekly]
    staff_t, account_t = T["canteen_staff"], T["account"]
    buyers = [person_id for person_id, in conn.execute(select(staff_t.c.person_id)
                                                        .where(staff_t.c.post.in_(("采购", "仓管")))
                                                        .order_by(staff_t.c.id)) if person_id in account_of]
    logistics_now = conn.execute(select(account_t.c.person_id).join(T["role_assignment"], T["role_assignment"].c
                                        .account_id == account_t.c.id).join(T["role"], T["role"].c.id == T[
                                            "role_assignment"].c.role_id)
                                 .where(T["role"].c.code == "logistics_head", account_t.c.active.is_(True))
                                 .order_by(account_t.c.id)).scalars().first()

    def on_duty(person_id: int, day: date) -> bool:
        return person_id not in members or (person_id not in unfit.get(day, ()) and certificate_on(person_id, day)[1])

    # 3. The deliveries.
    deliveries, lines = [], []
    week_number: dict[date, int] = {}
    rejected = staples = 0
    for day in days:
        if day.weekday() not in CANTEEN_DELIVERY_DAYS:
            continue
        received_at = school_time(day, 6 + rng.random() * 1.5).replace(microsecond=0)
        if received_at > now:
            continue
        monday = day - timedelta(days=day.weekday())
        week = week_number.setdefault(monday, len(week_number))
        rota = CANTEEN_ROTA[day.weekday()]
        name = goods_of = rota[week % len(rota)]
        if day < since[name]:  # not a supplier yet: the first of the day's rota brings its goods
            name = goods_of = rota[0]
        if name in lapsed and day > lapsed[name]:  # its licence ran out: 康源 brings the same goods
            name = "康源食品配送有限公司"
        receiver = manager_of.get(day, manager)
        if not on_duty(receiver, day):
            receiver = next((b for b in buyers if b != receiver and on_duty(b, day)), None) or receiver
        goods = rng.sample(CANTEEN_GOODS[goods_of], min(rng.randint(*CANTEEN_DELIVERY_LINES),
                                                        len(CANTEEN_GOODS[goods_of])))
        delivery_id = len(deliveries) + 1
        keeps, staple = [], False
        for number, (category, product, spec, amount, unit, life, producer, made, warm) in enumerate(goods, 1):
            made_on = day - timedelta(days=rng.randint(*made)) if life else None
            documents = ["voucher", "business_licence" if category == "vegetable" else "licence"]
            documents += ["quarantine"] if category == "meat" else []
            documents += ["test_report"] if category in ("grain", "oil", "egg_milk") else []
            temperature = rng.randint(*warm) if warm else None
            test = "农残快检 阴性" if category == "vegetable" else ""
            quantity = rng.randint(*amount)
            if unit == "kg" and rng.random() < 0.5:
                quantity = f"{quantity + rng.choice((0.5, 0.2, 0.8)):.1f}"
            look_ok, reason = True, ""
            if rng.random() < CANTEEN_REJECTED:
                reason, look_ok, what = rng.choice(CANTEEN_REJECTIONS[category])
                if what == "warm":
                    temperature = rng.randint(-90, -50) if warm and warm[0] < 0 else rng.randint(85, 120)
                elif what == "papers":
                    documents.remove("quarantine")
                elif what == "test":
                    test = "农残快检 阳性"
                elif what == "expired" and life:
                    shelf = parse_shelf_life(life)
                    made_on = day - timedelta(days=(shelf.last_day(day) - day).days + rng.randint(1, 10))
            line, keep = check_line(LineData(
                category, product, spec, str(quantity), unit, made_on,
                f"{made_on:%Y%m%d}{rng.randrange(10, 99)}" if made_on else f"{day:%m%d}采摘", life, producer,
                documents, look_ok=look_ok, temperature=f"{temperature / 10:.1f}" if temperature is not None else "",
                test_result=test, accepted=not reason, rejected_reason=reason), number, day)
            keeps.append(keep)
            staple = staple or is_staple(category)
            rejected += not line.accepted
            lines.append({"delivery_id": delivery_id, "position": number - 1, "received_on": day,
                          "category": line.category, "product": line.product, "spec": line.spec,
                          "quantity_milli": line.quantity_milli, "unit": line.unit,
                          "production_date": line.production_date, "batch": line.batch,
                          "shelf_life": line.shelf_life, "shelf_life_days": line.shelf_life_days,
                          "use_by": line.use_by, "producer": line.producer, "documents": line.documents,
                          "look_ok": line.look_ok, "temperature_dc": line.temperature_dc,
                          "test_result": line.test_result, "accepted": line.accepted,
                          "rejected_reason": line.rejected_reason})
        co_receiver = None
        if staple:
            staples += 1
            co_receiver = heads[bisect.bisect_right(weeks, day) - 1] if weeks and weeks[0] <= day else logistics_now
            if co_receiver == receiver:
                co_receiver = logistics_now
            assert co_receiver not in (None, receiver), f"no second receiver for the staples of {day}"
        deliveries.append({
            "id": delivery_id, "received_on": day, "received_at": received_at, "supplier_id": supplier_id[name],
            "receiver_id": receiver, "co_receiver_id": co_receiver, "co_signature_id": None,
            "voucher_photo_id": None, "remarks": "", "keep_until": max(keeps),
            "recorded_by_id": account_of.get(receiver) or manager_account(day)})
    insert_rows(conn, "canteen_delivery", deliveries)
    insert_rows(conn, "canteen_delivery_line", lines)
    return (f"{len(suppliers)} suppliers with {len(licences)} licences ({'、'.join(lapsed)} ran out), "
            f"{len(deliveries):,} deliveries ({staples:,} with staples), {len(lines):,} lines ({rejected} rejected)")
