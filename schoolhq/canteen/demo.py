"""The demo canteen: its staff with health certificates (one about to run out), four
suppliers (the eggs-and-milk one's licence ran out yesterday), and a month of school
days up to yesterday — menus, signed morning checks (one cook sent home with a fever),
food samples of every dish but one, deliveries three times a week (staples received by
two, one crate of eggs rejected). Today's menu is set and today's morning check, samples
and deliveries are left for a visitor to do. Nothing is dated after now."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.canteen import meals, services, suppliers
from schoolhq.canteen.models import (
    Delivery,
    Dish,
    FoodSample,
    Meal,
    MorningCheck,
    MorningSheet,
)
from schoolhq.core.calendar import is_school_day
from schoolhq.core.timeutil import local_time_utc, local_today
from schoolhq.extensions import db
from schoolhq.people import certificates
from schoolhq.people.models import Department, Person

BREAKFASTS = ["肉包", "菜包", "豆浆", "牛奶", "鸡蛋", "小米粥", "花卷", "玉米"]
MAINS = ["红烧肉", "宫保鸡丁", "鱼香肉丝", "糖醋排骨", "清蒸鱼块", "土豆烧牛肉", "香菇鸡块", "番茄牛腩"]
SIDES = ["番茄炒蛋", "清炒菜心", "醋溜白菜", "麻婆豆腐", "蒜蓉西兰花", "炒胡萝卜丝", "干煸豆角", "地三鲜"]
SOUPS = ["紫菜蛋花汤", "冬瓜排骨汤", "番茄蛋汤", "青菜豆腐汤"]
POSTS = ["切配", "面点", "洗消", "保洁", "配餐"]


def _staff() -> list:
    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    kitchen = db.session.scalar(select(Department).where(Department.name == "食堂"))
    helpers = list(db.session.scalars(select(Person).where(Person.department_id == kitchen.id)
                                      .order_by(Person.id))) if kitchen else []
    members = [(accounts["canteen"].person_id, "仓管"), (accounts["cook"].person_id, "厨师")]
    members += [(person.id, POSTS[n % len(POSTS)]) for n, person in enumerate(helpers)
                if person.id not in {m[0] for m in members}]
    return [services.add_staff(person_id, post) for person_id, post in members]


def _certificates(rng, staff, manager) -> None:
    today = local_today()
    for n, member in enumerate(staff):
        # the third person's certificate runs out in twelve days: the warning shows
        issued = today - timedelta(days=353 if n == 2 else rng.randint(20, 300))
        certificates.add(manager, member.person_id, certificates.CertificateData(
            "health", f"JK{today.year}{member.person_id:05d}", issued, issuer="区疾病预防控制中心"))
    certificates.add(manager, manager.person_id, certificates.CertificateData(
        "food_safety_manager", f"SA{today.year - 1}0318", today - timedelta(days=400), issuer="区市场监督管理局"))


def _menu(rng) -> dict[str, list[str]]:
    return {"breakfast": rng.sample(BREAKFASTS, 3),
            "lunch": [rng.choice(MAINS), *rng.sample(SIDES, 2), rng.choice(SOUPS)]}


def _at(day, clock: str) -> datetime:
    return local_time_utc(day, clock)


def _past_day(rng, day, staff, manager, cook, sick_day, unsampled_day) -> None:
    """One school day as the kitchen recorded it."""
    sheet = MorningSheet(day=day, signed_at=_at(day, "07:05"), signed_by_id=manager.id)
    db.session.add(sheet)
    db.session.flush()
    held = certificates.best([m.person_id for m in staff], services.HEALTH_CERTIFICATE, day)
    for n, member in enumerate(staff):
        certificate = held[member.person_id]
        fever = day == sick_day and n == 1
        db.session.add(MorningCheck(
            sheet_id=sheet.id, day=day, person_id=member.person_id, post=member.post,
            temperature_dc=381 if fever else rng.choice((362, 364, 365, 366, 368)), fit=not fever,
            reason="体温 38.1 ℃" if fever else "", action="离岗" if fever else "",
            certificate_until=certificate.expires_on if certificate else None,
            checked_at=_at(day, "06:40"), checked_by_id=manager.id))
    sampler = staff[0].person_id if day == sick_day else cook.person_id
    for kind, names in _menu(rng).items():
        meal = Meal(day=day, kind=kind, updated_at=_at(day - timedelta(days=3), "15:00"))
        db.session.add(meal)
        db.session.flush()
        taken = _at(day, "07:10" if kind == "breakfast" else "11:30")
        for position, name in enumerate(names):
            dish = Dish(meal_id=meal.id, position=position, name=name)
            db.session.add(dish)
            db.session.flush()
            if day == unsampled_day and kind == "lunch" and position == len(names) - 1:
                continue  # the soup was not sampled that day: a failure on the record
            db.session.add(FoodSample(
                dish_id=dish.id, meal_id=meal.id, weight_g=rng.randint(128, 180), sampled_at=taken,
                sampler_id=sampler, keep_until=taken + timedelta(hours=48),
                container_code=f"{day:%m%d}-{meals.label_mark(kind)}-{position + 1}", recorded_by_id=cook.id,
                reviewed_at=taken + timedelta(minutes=40), reviewed_by_id=manager.id,
                discarded_at=taken + timedelta(hours=49) if day < local_today() - timedelta(days=2) else None,
                discarded_by_id=cook.id if day < local_today() - timedelta(days=2) else None))


#: (name, kind, address and contact, licence kind, days its licence has left; None: without end)
SUPPLIERS = [
    ("金穗粮油贸易有限公司", "trader", "城东粮油批发市场 A12", "陈经理 13905170001", "food_trade", 400),
    ("润和肉类食品有限公司", "producer", "经济开发区食品园 8 号", "刘经理 13905170002", "food_production", 26),
    ("青禾农产品合作社", "farm", "城郊青禾村", "周社长 13905170003", "business", None),
    ("鲜源蛋奶配送中心", "trader", "中山北路 66 号", "吴经理 13905170004", "food_trade", -1),
    ("绿城餐厨废弃物收运有限公司", "waste_collector", "环保产业园 3 号", "郑师傅 13905170005", "waste", 300),
]
#: what each supplier brings: (category, product, spec, quantity, unit, shelf life, producer)
GOODS = {
    "金穗粮油贸易有限公司": [("grain", "东北大米", "25kg/袋", "4", "袋", "12个月", "五常市稻香米业有限公司"),
                    ("grain", "高筋面粉", "25kg/袋", "1", "袋", "12个月", "金沙河面业集团"),
                    ("oil", "大豆油", "20L/桶", "1", "桶", "18个月", "九三粮油工业集团")],
    "润和肉类食品有限公司": [("meat", "猪后腿肉", "冷鲜", "18", "kg", "3天", "润和肉类食品有限公司"),
                    ("meat", "鸡胸肉", "冷鲜", "10", "kg", "3天", "润和肉类食品有限公司")],
    "青禾农产品合作社": [("vegetable", "小白菜", "", "15", "kg", "", "青禾农产品合作社"),
                 ("vegetable", "土豆", "", "20", "kg", "", "青禾农产品合作社"),
                 ("vegetable", "番茄", "", "12", "kg", "", "青禾农产品合作社")],
    "鲜源蛋奶配送中心": [("egg_milk", "鲜鸡蛋", "15kg/箱", "2", "箱", "30天", "城南蛋品有限公司"),
                 ("egg_milk", "纯牛奶", "200ml×24", "10", "箱", "6个月", "光明乳业股份有限公司")],
}


def _suppliers(manager) -> list:
    today = local_today()
    made = []
    for name, kind, address, contact, licence, days_left in SUPPLIERS:
        supplier = suppliers.add_supplier(suppliers.SupplierData(name, kind, address, contact,
                                                                 today - timedelta(days=60)))
        expires = None if days_left is None else today + timedelta(days=days_left)
        suppliers.add_licence(manager, supplier.id, suppliers.LicenceData(
            licence, f"{'JY' if licence == 'food_trade' else 'SC' if licence == 'food_production' else '9132'}"
                     f"{3201060000 + supplier.id * 37}", today - timedelta(days=1500), expires))
        made.append(supplier)
    return made


def _delivery(rng, day, supplier, receiver_id, co_receiver_id, reject_eggs: bool) -> None:
    from schoolhq.canteen.receiving import LineData, check_line, is_staple

    lines, keeps = [], []
    for number, (category, product, spec, quantity, unit, life, producer) in enumerate(GOODS[supplier.name], 1):
        made_on = day - timedelta(days=rng.randint(0, 1) if life in ("", "3天") else rng.randint(2, 10))
        rejected = reject_eggs and product == "鲜鸡蛋"
        docs = ["voucher", "licence"] + (["quarantine"] if category == "meat" else []) + \
            (["test_report"] if category in ("grain", "oil", "egg_milk") else [])
        line, keep = check_line(LineData(category, product, spec, quantity, unit, made_on if life else None,
                                    f"{made_on:%Y%m%d}" if life else "当日采摘", life, producer, docs,
                                    look_ok=not rejected, test_result="农残快检 阴性" if category == "vegetable" else "",
                                    temperature="3.5" if category == "meat" else "", accepted=not rejected,
                                    rejected_reason="蛋壳破损较多，当场退货" if rejected else ""), number, day)
        lines.append(line)
        keeps.append(keep)
    staple = any(is_staple(line.category) for line in lines)
    db.session.add(Delivery(received_on=day, received_at=_at(day, "06:30"), supplier_id=supplier.id,
                            receiver_id=receiver_id, co_receiver_id=co_receiver_id if staple else None,
                            keep_until=max(keeps), lines=lines))


def _signature(rng) -> int:
    """A scribble as the tablet's signature pad would post it, saved once per leader."""
    import base64
    import io

    from PIL import Image, ImageDraw

    from schoolhq.core.uploads import save_signature

    image = Image.new("RGBA", (300, 80), (255, 255, 255, 0))
    points = [(10 + n * 28, rng.randint(15, 65)) for n in range(10)]
    ImageDraw.Draw(image).line(points, fill=(20, 20, 60, 255), width=3)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return save_signature("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), "").id


COMMENTS = ["饭菜温度适宜，学生反映口味好", "分量充足，学生基本光盘", "菜品色香味俱佳，秩序良好",
            "青菜略咸，已告知厨师", "排队有序，学生满意"]


def _companions(rng, days, leaders) -> None:
    """The rota (the principal at lunch Monday, Wednesday and Friday, the logistics head
    the other days and every breakfast) and each leader's record of the meals they ate,
    but one lunch last week that nobody recorded."""
    from schoolhq.canteen import companion
    from schoolhq.canteen.models import CompanionMeal

    principal, logistics = leaders
    companion.set_rota({**{(d, "lunch"): principal.person_id if d in (0, 2, 4) else logistics.person_id
                           for d in range(5)},
                        **{(d, "breakfast"): logistics.person_id for d in range(5)}})
    signatures = {account.person_id: _signature(rng) for account in leaders}
    missed = days[-3] if len(days) >= 3 else None
    for day in days:
        for meal in db.session.scalars(select(Meal).where(Meal.day == day)):
            if day == missed and meal.kind == "lunch":
                continue
            leader = principal if meal.kind == "lunch" and day.weekday() in (0, 2, 4) else logistics
            grade = lambda: rng.choice(("excellent", "excellent", "good"))  # noqa: E731
            db.session.add(CompanionMeal(
                meal_id=meal.id, person_id=leader.person_id, food_quality=grade(), hygiene=grade(), order=grade(),
                service=grade(), notes=rng.choice(COMMENTS) + "，无不良反应", signature_id=signatures[leader.person_id],
                recorded_at=_at(day, "08:00" if meal.kind == "breakfast" else "12:30"), recorded_by_id=leader.id))


def _kitchen_logs(rng, day, staff, manager, collector, failed_day) -> None:
    """A school day's disinfection batches (the dishwasher after breakfast, the infrared
    cabinet after lunch; one cabinet batch fell short and was run again), the additive
    used for the steamed buns on Mondays, and the day's waste (oil on Fridays)."""
    from schoolhq.canteen.models import AdditiveUse, DisinfectionBatch, WasteHandover

    washer, checker = staff[-1].person_id, manager.person_id
    batches = [("breakfast", "dishwasher", "08:10", "08:30", rng.choice((850, 860, 870)), "餐盘、碗、勺", 320)]
    if day == failed_day:
        batches.append(("lunch", "infrared", "12:50", "13:00", 1080, "餐盘、碗、筷子、汤勺", 640))
    batches.append(("lunch", "infrared", "13:00", "13:20", rng.choice((1200, 1210, 1250)), "餐盘、碗、筷子、汤勺", 640))
    for number, (kind, method, start, end, reading, items, quantity) in enumerate(batches, start=1):
        short = reading < 1200 and method == "infrared"
        db.session.add(DisinfectionBatch(
            day=day, batch_no=number, meal_kind=kind, method=method, started_at=_at(day, start), ended_at=_at(day, end),
            reading=reading, items=items, quantity=quantity, place="洗消间", operator_id=washer, checker_id=checker,
            meets_limit=not short, remarks="温度未达120℃，已重新消毒（见下一批）" if short else "",
            recorded_at=_at(day, end), recorded_by_id=manager.id))
    if day.weekday() == 0:
        db.session.add(AdditiveUse(used_on=day, additive="食用碱（碳酸钠）", producer="天津渤海化工有限公司",
                                   production_date=day - timedelta(days=60), amount_mg=rng.choice((15000, 20000)),
                                   function="酸度调节剂", food="馒头", food_amount="600个", user_id=staff[0].person_id,
                                   recorded_at=_at(day, "06:00"), recorded_by_id=manager.id))
    db.session.add(WasteHandover(day=day, kind="food_waste", quantity_g=rng.randint(28, 45) * 1000,
                                 handed_at=_at(day, "13:30"), collector_id=collector.id,
                                 collector_person="郑师傅 13905170005", recorder_id=manager.person_id,
                                 recorded_at=_at(day, "13:35"), recorded_by_id=manager.id))
    if day.weekday() == 4:
        db.session.add(WasteHandover(day=day, kind="waste_oil", quantity_g=rng.randint(8, 15) * 1000,
                                     handed_at=_at(day, "13:40"), collector_id=collector.id,
                                     collector_person="郑师傅 13905170005", recorder_id=manager.person_id,
                                     recorded_at=_at(day, "13:45"), recorded_by_id=manager.id))


def load(rng, small: bool = False) -> None:
    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    manager, cook = accounts["canteen"], accounts["cook"]
    staff = _staff()
    _certificates(rng, staff, manager)
    today = local_today()
    days = [today - timedelta(days=n) for n in range(1, 9 if small else 32)]
    days = sorted(day for day in days if is_school_day(day))
    sick_day = days[len(days) // 2] if days else None
    unsampled_day = days[-1] if days else None
    stocked = _suppliers(manager)
    collector = next(supplier for supplier in stocked if supplier.name not in GOODS)
    for day in days:
        _past_day(rng, day, staff, manager, cook, sick_day, unsampled_day)
        _kitchen_logs(rng, day, staff, manager, collector, failed_day=unsampled_day)
        if day.weekday() in (0, 2, 4):  # deliveries on Monday, Wednesday and Friday
            for supplier in stocked:
                if supplier.name not in GOODS:
                    continue
                if supplier.name != "鲜源蛋奶配送中心" or day < local_today() - timedelta(days=1):
                    # staples with the logistics head (总务主任) as the second receiver
                    _delivery(rng, day, supplier, manager.person_id, accounts["logistics"].person_id,
                              reject_eggs=day == sick_day)
    db.session.flush()
    _companions(rng, days, (accounts["principal"], accounts["logistics"]))
    for kind, names in _menu(rng).items():  # today's menu, for the visitor to sample from
        meals.set_dishes(today, kind, "\n".join(names))
    db.session.flush()

