"""What the bench measures of the canteen: the day's screens (the morning check, the food
samples, the week's menu, the roster, the canteen manager's dashboard), each month's
ledgers as HTML and XLSX, and the two saves of the kitchen tablet (a morning check, a
food sample)."""

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
    return True


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
        (f"canteen: morning-check ledger, {month}, XLSX", f"/canteen/ledgers/morning?month={month}&format=xlsx", {},
         CANTEEN),
        (f"canteen: food-sample ledger, {month} ({fx.canteen_month_samples} samples)",
         f"/canteen/ledgers/samples?month={month}", {}, CANTEEN),
        (f"canteen: food-sample ledger, {month}, XLSX", f"/canteen/ledgers/samples?month={month}&format=xlsx", {},
         CANTEEN),
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


def saves(fx: Fixture) -> list[tuple]:
    """The kitchen tablet's saves as the canteen manager: one person's morning check (htmx,
    answers the person's row; the first request records, the rest correct it, the
    temperature alternating so every request writes) and a food sample (htmx, 204 with
    HX-Redirect), each request on its own dish of the pool `before_saves` makes."""
    return [
        ("canteen morning check: one person (htmx, temperature 36.5 / 36.6)",
         f"/canteen/morning/{fx.canteen_person}", HX, lambda n: morning_fields(fx, n), CANTEEN),
        (f"canteen food sample: one dish (htmx, {SAMPLE_GRAMS} g)", "/canteen/samples/<dish not yet sampled>", HX,
         lambda n: sample_fields(fx, n), CANTEEN | {"path_of": lambda n: f"/canteen/samples/{fx.canteen_pool[n]}"}),
    ]


GROWTH_PAIRS = [
    ("/canteen/ledgers/morning?month={canteen_quiet_month}", "/canteen/ledgers/morning?month={canteen_month}",
     "canteen_manager"),
    ("/canteen/ledgers/samples?month={canteen_quiet_month}", "/canteen/ledgers/samples?month={canteen_month}",
     "canteen_manager"),
    ("/canteen/morning?day={canteen_quiet_day}", "/canteen/morning?day={canteen_full_day}", "canteen_manager"),
    ("/canteen/samples?day={canteen_few_dish_day}", "/canteen/samples?day={canteen_dish_day}", "canteen_manager"),
    ("/canteen/menus?week={canteen_quiet_week}", "/canteen/menus?week={canteen_full_week}", "canteen_manager"),
]
