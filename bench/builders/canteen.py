"""The canteen area: its staff roster over the school's people with their yearly health
certificates, a decade of morning checks (晨检), the menus of both meals and a food sample
(留样) of every dish."""

from __future__ import annotations

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
# TODO(canteen deliveries): 3 deliveries a week (进货查验记录: supplier, goods, licences,
# the receiver's check) go here once the deliveries part of the canteen lands; its tables
# are being built now, so none is invented here.
CANTEEN_DELIVERIES_PER_WEEK = 3

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("canteen_staff", "certificate", "canteen_morning_sheet", "canteen_morning_check", "canteen_meal",
          "canteen_dish", "canteen_food_sample")

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
    an unsigned sheet with CANTEEN_UNSEEN_TODAY people not yet seen. Nothing is dated after
    now."""
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
    print(f"    (canteen: {len(current)} on the roster, {len(former)} former, {len(certificate_rows)} certificates, "
          f"{len(days):,} days, {len(checks):,} morning checks ({sum(not c['fit'] for c in checks)} off duty), "
          f"{len(dishes):,} dishes, {len(samples):,} samples)", flush=True)


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
