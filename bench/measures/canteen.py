"""What the bench measures of the canteen: the day's screens (the morning check, the food
samples, the week's menu, the roster, the canteen manager's dashboard), goods receiving
(the day's deliveries, a delivery, the receiving form, the suppliers and a supplier),
each month's ledgers as HTML and XLSX, and the kitchen tablet's saves (a morning check, a
food sample, a delivery received)."""

from __future__ import annotations

from harness.measure import HX, Fixture

#: who the canteen pages and saves are measured as: a Fixture field with the username
CANTEEN = {"as": "canteen_manager"}
#: the temperatures the morning-check save alternates, so every request changes the row
TEMPERATURES = ("36.5", "36.6")
#: the food sample's weight (g): at least the canteen.sample_min_g setting (125)
SAMPLE_GRAMS = "150"


def find(fx: Fixture) -> bool:
    """The canteen rows and the account the canteen pages open (in an app context); False
    when the area is empty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.canteen import samples
    from schoolhq.canteen.models import CanteenStaff, Dish, FoodSample, Meal, MorningCheck
    from schoolhq.canteen.services import HEALTH_CERTIFICATE
    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from schoolhq.people.models import Certificate, Person

    if not db.session.scalar(select(func.count(CanteenStaff.id))):
        return False
    today = local_today()
    # who signs in: the canteen manager (the school-wide holder, as the checks pages)
    manager = db.session.scalars(select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
                                 .join(Role, Role.id == RoleAssignment.role_id)
                                 .where(Role.code == "canteen_manager", Account.active.is_(True),
                                        RoleAssignment.location_id.is_(None)).order_by(Account.id)).first()
    fx.canteen_manager = manager.username
    # the roster now, with whether each may work today (a health certificate covering today,
    # not sent off duty at this morning's check) and whether each has been seen today
    roster = list(db.session.scalars(select(CanteenStaff.person_id).join(Person, Person.id == CanteenStaff.person_id)
                                     .where(CanteenStaff.active.is_(True), Person.left_at.is_(None))
                                     .order_by(CanteenStaff.id)))
    covered = set(db.session.scalars(select(Certificate.person_id).where(
        Certificate.type_key == HEALTH_CERTIFICATE, Certificate.withdrawn_at.is_(None), Certificate.issued_on <= today,
        Certificate.expires_on >= today)))
    seen = dict(db.session.execute(select(MorningCheck.person_id, MorningCheck.fit).where(MorningCheck.day == today)).all())
    fx.canteen_roster, fx.canteen_unseen = len(roster), sum(person_id not in seen for person_id in roster)
    may_sample = [person_id for person_id in roster if person_id in covered and seen.get(person_id, True)]
    # the sampler: the manager when on duty (the form's default), else the first who is
    fx.canteen_sampler = manager.person_id if manager.person_id in may_sample else may_sample[0]
    # the morning-check save: someone not yet seen today (the first request records them, the
    # rest correct it), else anyone on the roster
    unseen = [person_id for person_id in roster if person_id not in seen and person_id != fx.canteen_sampler]
    fx.canteen_person = (unseen or [p for p in roster if p != fx.canteen_sampler])[0]
    fridges = samples.fridges()
    fx.canteen_fridge = str(fridges[0].id) if fridges else ""
    # today's meals and dishes, and the roster's size on the fullest and the quietest day
    fx.canteen_today_dishes = db.session.scalar(select(func.count(Dish.id)).join(Meal, Meal.id == Dish.meal_id)
                                                .where(Meal.day == today)) or 0
    per_day = dict(db.session.execute(select(MorningCheck.day, func.count()).where(MorningCheck.day < today)
                                      .group_by(MorningCheck.day)).all())
    fx.canteen_full_day = max(sorted(per_day, reverse=True), key=per_day.get).isoformat()
    fx.canteen_quiet_day = min(sorted(per_day), key=per_day.get).isoformat()
    dishes_per_day = dict(db.session.execute(select(Meal.day, func.count(Dish.id)).join(Dish, Dish.meal_id == Meal.id)
                                             .where(Meal.day < today).group_by(Meal.day)).all())
    # the days with the most and the fewest dishes, the weeks with the most and the fewest
    fx.canteen_dish_day = max(sorted(dishes_per_day, reverse=True), key=dishes_per_day.get).isoformat()
    fx.canteen_few_dish_day = min(sorted(dishes_per_day), key=dishes_per_day.get).isoformat()
    per_week: dict = {}
    for day, count in dishes_per_day.items():
        monday = day - timedelta(days=day.weekday())
        per_week[monday] = per_week.get(monday, 0) + count
    fx.canteen_full_week = max(sorted(per_week, reverse=True), key=per_week.get).isoformat()
    fx.canteen_quiet_week = min(sorted(per_week), key=per_week.get).isoformat()
    # the ledgers: the month with the most morning checks (the latest of equals) and the one
    # with the fewest (the earliest), and each one's food samples
    months: dict[str, int] = {}
    for (day,) in db.session.execute(select(MorningCheck.day)):
        months[f"{day:%Y-%m}"] = months.get(f"{day:%Y-%m}", 0) + 1
    fx.canteen_month = max(sorted(months, reverse=True), key=months.get)
    fx.canteen_quiet_month = min(sorted(months), key=months.get)
    fx.canteen_month_checks = months[fx.canteen_month]
    sampled = {}
    for (day,) in db.session.execute(select(Meal.day).join(FoodSample, FoodSample.meal_id == Meal.id)):
        sampled[f"{day:%Y-%m}"] = sampled.get(f"{day:%Y-%m}", 0) + 1
    fx.canteen_month_samples = sampled.get(fx.canteen_month, 0)
    _find_deliveries(fx, today)
    return True


def _find_deliveries(fx: Fixture, today) -> None:
    """Goods receiving: today's deliveries, the past day with the most lines (the latest of
    equals) and the one with the fewest (the earliest), the delivery with the most lines
    (one with a line rejected, the latest), the suppliers with the most and the fewest
    deliveries, the ledger months with the most and the fewest lines (of those with any),
    and what the receiving save posts."""
    from sqlalchemy import func, select

    from schoolhq.canteen import suppliers
    from schoolhq.canteen.models import Delivery, DeliveryLine, Supplier
    from schoolhq.extensions import db

    fx.canteen_deliveries_today = db.session.scalar(select(func.count(Delivery.id))
                                                    .where(Delivery.received_on == today)) or 0
    per_day = dict(db.session.execute(select(DeliveryLine.received_on, func.count()).where(
        DeliveryLine.received_on < today).group_by(DeliveryLine.received_on)).all())
    if not per_day:  # no goods receiving: its pages are left out, its pairs find nothing
        fx.canteen_delivery_day = fx.canteen_quiet_delivery_day = today.isoformat()
        fx.canteen_delivery = fx.canteen_small_delivery = fx.canteen_supplier = fx.canteen_quiet_supplier = 0
        fx.canteen_delivery_month = fx.canteen_delivery_quiet_month = f"{today:%Y-%m}"
        return
    busy = max(sorted(per_day, reverse=True), key=per_day.get)
    fx.canteen_delivery_day, fx.canteen_delivery_day_lines = busy.isoformat(), per_day[busy]
    fx.canteen_delivery_day_count = db.session.scalar(select(func.count(Delivery.id))
                                                      .where(Delivery.received_on == busy))
    fx.canteen_quiet_delivery_day = min(sorted(per_day), key=per_day.get).isoformat()
    lines = func.count(DeliveryLine.id)
    rejected = func.sum(func.iif(DeliveryLine.accepted, 0, 1))
    biggest = db.session.execute(select(DeliveryLine.delivery_id, lines, rejected).group_by(DeliveryLine.delivery_id)
                                 .order_by(lines.desc(), (rejected > 0).desc(), DeliveryLine.delivery_id.desc())
                                 .limit(1)).one()
    fx.canteen_delivery, fx.canteen_delivery_lines, fx.canteen_delivery_rejected = biggest
    fx.canteen_small_delivery = db.session.scalar(select(DeliveryLine.delivery_id).group_by(DeliveryLine.delivery_id)
                                                  .order_by(lines, DeliveryLine.delivery_id).limit(1))
    per_supplier = dict(db.session.execute(select(Delivery.supplier_id, func.count())
                                           .group_by(Delivery.supplier_id)).all())
    fx.canteen_supplier = max(sorted(per_supplier), key=per_supplier.get)
    fx.canteen_quiet_supplier = min(sorted(per_supplier), key=per_supplier.get)
    fx.canteen_supplier_deliveries = per_supplier[fx.canteen_supplier]
    fx.canteen_suppliers = db.session.scalar(select(func.count(Supplier.id)))
    months: dict[str, int] = {}
    for day, count in per_day.items():
        months[f"{day:%Y-%m}"] = months.get(f"{day:%Y-%m}", 0) + count
    fx.canteen_delivery_month = max(sorted(months, reverse=True), key=months.get)
    fx.canteen_delivery_quiet_month = min(sorted(months), key=months.get)
    fx.canteen_delivery_month_lines = months[fx.canteen_delivery_month]
    fx.canteen_delivery_quiet_month_lines = months[fx.canteen_delivery_quiet_month]
    # the receiving save: vegetables (no staple, so no second receiver and no signature) from
    # a farm that may supply today, received by the sampler (the manager when on duty)
    fx.canteen_farm = next(s.id for s in suppliers.listed() if s.kind == "farm" and not suppliers.standing(s).blocked)


def before_saves(app, fx: Fixture, count: int) -> None:
    """`count` dishes not yet sampled on today's menu, one for each food-sample save (a dish
    has one sample; request n samples dish n). Today's meals are the builder's; on a run on
    a later day they are made through `meals.set_dishes`, as the menu page does. The pool
    goes in as rows, past the menu form's 20 dishes a meal: it is the bench's, not a menu.
    The run works on a copy: nothing stays."""
    from sqlalchemy import func, insert, select

    from schoolhq.canteen import meals
    from schoolhq.canteen.models import Dish, Meal
    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db

    with app.test_request_context():
        today = local_today()
        kinds = [kind.key for kind in meals.kinds()]
        found = {meal.kind: meal.id for meal in db.session.scalars(select(Meal).where(Meal.day == today))}
        for kind in kinds:
            if kind not in found:
                found[kind] = meals.set_dishes(today, kind, "米饭\n番茄炒蛋").id
        fx.canteen_pool = []
        for n in range(count):
            meal_id = found[kinds[n % len(kinds)]]
            position = (db.session.scalar(select(func.max(Dish.position)).where(Dish.meal_id == meal_id)) or 0) + 1
            fx.canteen_pool.append(db.session.execute(insert(Dish).values(
                meal_id=meal_id, position=position, name=f"基准留样菜{n + 1}", removed=False)).inserted_primary_key[0])
        db.session.commit()


def pages(fx: Fixture) -> list[tuple]:
    """The day's screens and the busiest month's ledgers, as the canteen manager."""
    month = fx.canteen_month
    return [
        ("canteen: dashboard of the canteen manager", "/", {}, CANTEEN),
        (f"canteen: morning check today ({fx.canteen_roster} on the roster, {fx.canteen_unseen} not yet seen)",
         "/canteen/morning", {}, CANTEEN),
        (f"canteen: food samples today ({fx.canteen_today_dishes} dishes)", "/canteen/samples", {}, CANTEEN),
        ("canteen: menu, this week", "/canteen/menus", {}, CANTEEN),
        ("canteen: staff roster", "/canteen/staff", {}, CANTEEN),
        (f"canteen: morning-check ledger, {month} ({fx.canteen_month_checks} checks)",
         f"/canteen/ledgers/morning?month={month}", {}, CANTEEN),
        (f"canteen: food-sample ledger, {month} ({fx.canteen_month_samples} samples)",
         f"/canteen/ledgers/samples?month={month}", {}, CANTEEN),
        *_delivery_pages(fx),
    ]



def reports(fx: Fixture) -> list[tuple]:
    """The months' ledgers as XLSX files: a download, held to the report budget (DESIGN.md
    §9's 25 ms is for pages; openpyxl writing a few thousand cells takes longer)."""
    month = fx.canteen_month
    found = [(f"canteen: morning-check ledger, {month}, XLSX", f"/canteen/ledgers/morning?month={month}&format=xlsx",
              {}, CANTEEN),
             (f"canteen: food-sample ledger, {month}, XLSX", f"/canteen/ledgers/samples?month={month}&format=xlsx",
              {}, CANTEEN)]
    if fx.canteen_delivery:
        found.append((f"canteen: goods-receiving ledger, {fx.canteen_delivery_month}, XLSX",
                      f"/canteen/ledgers/deliveries?month={fx.canteen_delivery_month}&format=xlsx", {}, CANTEEN))
    return found

def _delivery_pages(fx: Fixture) -> list[tuple]:
    """Goods receiving, as the canteen manager: the day's deliveries (today and the busiest
    day), a delivery, the receiving form, the suppliers and the busiest one, and the month
    with the most lines of the goods-receiving ledger as HTML and XLSX."""
    if not fx.canteen_delivery:
        return []
    month = fx.canteen_delivery_month
    return [
        (f"canteen: goods received today ({fx.canteen_deliveries_today} deliveries)", "/canteen/deliveries", {},
         CANTEEN),
        (f"canteen: goods received on {fx.canteen_delivery_day} ({fx.canteen_delivery_day_count} delivery, "
         f"{fx.canteen_delivery_day_lines} lines: the busiest day)", f"/canteen/deliveries?day={fx.canteen_delivery_day}",
         {}, CANTEEN),
        (f"canteen: a delivery ({fx.canteen_delivery_lines} lines, {fx.canteen_delivery_rejected} rejected)",
         f"/canteen/deliveries/{fx.canteen_delivery}", {}, CANTEEN),
        ("canteen: receive a delivery (the form)", "/canteen/deliveries/new", {}, CANTEEN),
        (f"canteen: suppliers ({fx.canteen_suppliers})", "/canteen/suppliers", {}, CANTEEN),
        (f"canteen: a supplier ({fx.canteen_supplier_deliveries} deliveries, the latest 20 shown)",
         f"/canteen/suppliers/{fx.canteen_supplier}", {}, CANTEEN),
        (f"canteen: goods-receiving ledger, {month} ({fx.canteen_delivery_month_lines} lines)",
         f"/canteen/ledgers/deliveries?month={month}", {}, CANTEEN),
    ]


def morning_fields(fx: Fixture, n: int) -> dict[str, str]:
    """One person's morning check as the row's form posts it (fields prefixed p<person>-):
    all well, the temperature alternating."""
    prefix = f"p{fx.canteen_person}-"
    return {f"{prefix}clothing_ok": "1", f"{prefix}hygiene_ok": "1", f"{prefix}temperature": TEMPERATURES[n % 2],
            f"{prefix}remarks": ""}


def sample_fields(fx: Fixture, n: int) -> dict[str, str]:
    """The sample of dish n of the pool as its form posts it (fields prefixed d<dish>-)."""
    prefix = f"d{fx.canteen_pool[n]}-"
    return {f"{prefix}weight": SAMPLE_GRAMS, f"{prefix}sampler_id": str(fx.canteen_sampler),
            f"{prefix}fridge_id": fx.canteen_fridge}


#: the receiving save's delivery: vegetables from the farm, three lines (no staple: one receiver)
RECEIVED = [("小白菜", "12.5"), ("土豆", "20"), ("番茄", "8")]


def delivery_fields(fx: Fixture, n: int) -> dict[str, object]:
    """A delivery as the receiving form posts it (fields prefixed g-, lines g-lines-N-):
    three lines of vegetables, accepted, with the voucher and the farm's business licence
    checked and a pesticide rapid test; no staple, so no second receiver or signature."""
    fields: dict[str, object] = {"g-supplier_id": str(fx.canteen_farm), "g-receiver_id": str(fx.canteen_sampler),
                                 "g-co_receiver_id": "", "g-signature": "", "g-remarks": "",
                                 "g-submit": "1"}
    for number, (product, quantity) in enumerate(RECEIVED):
        prefix = f"g-lines-{number}-"
        fields |= {f"{prefix}category": "vegetable", f"{prefix}product": product, f"{prefix}spec": "",
                   f"{prefix}quantity": quantity, f"{prefix}unit": "kg", f"{prefix}production_date": "",
                   f"{prefix}batch": f"当日采摘{n}", f"{prefix}shelf_life": "", f"{prefix}producer": "青禾农产品合作社",
                   f"{prefix}documents": ["voucher", "business_licence"], f"{prefix}look_ok": "1",
                   f"{prefix}temperature": "", f"{prefix}test_result": "农残快检 阴性", f"{prefix}accepted": "1",
                   f"{prefix}rejected_reason": ""}
    return fields


def saves(fx: Fixture) -> list[tuple]:
    """The kitchen tablet's saves as the canteen manager: one person's morning check (htmx,
    answers the person's row; the first request records, the rest correct it, the
    temperature alternating so every request writes), a food sample (htmx, 204 with
    HX-Redirect), each request on its own dish of the pool `before_saves` makes, and a
    delivery received (a plain form POST, 303 to the new delivery; each request another
    delivery of three lines)."""
    return [
        ("canteen morning check: one person (htmx, temperature 36.5 / 36.6)",
         f"/canteen/morning/{fx.canteen_person}", HX, lambda n: morning_fields(fx, n), CANTEEN),
        (f"canteen food sample: one dish (htmx, {SAMPLE_GRAMS} g)", "/canteen/samples/<dish not yet sampled>", HX,
         lambda n: sample_fields(fx, n), CANTEEN | {"path_of": lambda n: f"/canteen/samples/{fx.canteen_pool[n]}"}),
        *([("canteen delivery received: 3 lines of vegetables (POST, 303 to the delivery)", "/canteen/deliveries/new",
            {}, lambda n: delivery_fields(fx, n), CANTEEN)] if fx.canteen_delivery else []),
    ]


GROWTH_PAIRS = [
    ("/canteen/ledgers/morning?month={canteen_quiet_month}", "/canteen/ledgers/morning?month={canteen_month}",
     "canteen_manager"),
    ("/canteen/ledgers/samples?month={canteen_quiet_month}", "/canteen/ledgers/samples?month={canteen_month}",
     "canteen_manager"),
    ("/canteen/morning?day={canteen_quiet_day}", "/canteen/morning?day={canteen_full_day}", "canteen_manager"),
    ("/canteen/samples?day={canteen_few_dish_day}", "/canteen/samples?day={canteen_dish_day}", "canteen_manager"),
    ("/canteen/menus?week={canteen_quiet_week}", "/canteen/menus?week={canteen_full_week}", "canteen_manager"),
    ("/canteen/ledgers/deliveries?month={canteen_delivery_quiet_month}",
     "/canteen/ledgers/deliveries?month={canteen_delivery_month}", "canteen_manager"),
    ("/canteen/ledgers/deliveries?month={canteen_delivery_quiet_month}&format=xlsx",
     "/canteen/ledgers/deliveries?month={canteen_delivery_month}&format=xlsx", "canteen_manager"),
    ("/canteen/deliveries?day={canteen_quiet_delivery_day}", "/canteen/deliveries?day={canteen_delivery_day}",
     "canteen_manager"),
    ("/canteen/deliveries/{canteen_small_delivery}", "/canteen/deliveries/{canteen_delivery}", "canteen_manager"),
    ("/canteen/suppliers/{canteen_quiet_supplier}", "/canteen/suppliers/{canteen_supplier}", "canteen_manager"),
]
