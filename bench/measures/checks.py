"""What the bench measures of the checks area: my checks today and two rounds as the
canteen manager; oversight, findings, ledgers, templates, schedules and compliance as the
logistics head; the check-answer save."""

from __future__ import annotations

from harness.measure import HX, Fixture

#: the canteen manager (does the canteen's rounds) and the logistics head (oversees them all)
PERFORMER, CHECKS_MANAGER = {"as": "checks_performer"}, {"as": "checks_manager"}


def find(fx: Fixture) -> bool:
    """The checks rows and accounts the checks pages open (in an app context); False
    when the area is empty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.checks.models import CheckItem, CheckRound
    from schoolhq.core.timeutil import local_day_bounds_utc, local_today
    from schoolhq.extensions import db

    if not db.session.scalar(select(func.count(CheckRound.id))):
        return False
    today = local_today()
    end = local_day_bounds_utc(today)[1]

    def holder(code: str) -> Account:
        return db.session.scalars(select(Account).join(RoleAssignment, RoleAssignment.account_id == Account.id)
                                  .join(Role, Role.id == RoleAssignment.role_id)
                                  .where(Role.code == code, Account.active.is_(True),
                                         RoleAssignment.location_id.is_(None)).order_by(Account.id)).first()

    def open_today(person_id: int):
        return select(CheckRound).where(CheckRound.assignee_id == person_id, CheckRound.opens_at < end,
                                        CheckRound.status.in_(("open", "in_progress")))

    def slot_count(round_: CheckRound) -> int:
        return sum(len(round_.subjects.get(str(item.id), [])) if item.per else 1 for item in round_.template.items)

    # who signs in: the canteen manager (the most rounds today), the school doctor (the
    # fewest), the school-wide logistics head
    performer, quiet, manager = holder("canteen_manager"), holder("school_doctor"), holder("logistics_head")
    fx.checks_performer, fx.checks_quiet_performer, fx.checks_manager = \
        performer.username, quiet.username, manager.username
    mine = list(db.session.scalars(open_today(performer.person_id)))
    if not mine:
        raise SystemExit("checks: the canteen manager has no open round. The checks builder leaves the rounds of the "
                         "latest school day open until the end of the day after the build: generate the school again.")
    # The measured day: the one whose rounds the builder left open (today on a school day,
    # else the latest school day before it: harness.build.measured_day). On a day without
    # school "my checks today" lists that day's rounds, still open past their due time.
    fx.checks_day = max(r.period_start for r in mine)
    fx.checks_day_note = "" if fx.checks_day == today else \
        f", those of {fx.checks_day:%a} {fx.checks_day.isoformat()}, the latest school day"
    fx.checks_oversight = "/checks/oversight" if fx.checks_day == today else \
        f"/checks/oversight?day={fx.checks_day.isoformat()}"
    fx.checks_today = len(mine)
    fx.checks_quiet_today = len(list(db.session.scalars(open_today(quiet.person_id))))
    biggest = max(mine, key=lambda r: (slot_count(r), r.id))
    fx.checks_open_round = biggest.id
    number = next(i for i in biggest.template.items if i.type == "number" and i.per)
    fx.checks_number_item, fx.checks_number_subject = number.id, biggest.subjects[str(number.id)][0]
    fx.checks_pass_item = next(i.id for i in biggest.template.items if i.type == "pass_fail" and not i.critical)
    done = (select(CheckRound).where(CheckRound.template_key == biggest.template_key, CheckRound.status == "submitted")
            .order_by(CheckRound.id.desc()))
    big = db.session.scalar(done.where(CheckRound.schedule_id == biggest.schedule_id).limit(1))
    small = min(db.session.scalars(done.limit(20)), key=lambda r: (slot_count(r), -r.id))
    fx.checks_big_round, fx.checks_big_slots = big.id, slot_count(big)
    fx.checks_small_round, fx.checks_small_slots = small.id, slot_count(small)
    months: dict[str, int] = {}
    for (start,) in db.session.execute(select(CheckRound.period_start).where(
            CheckRound.template_key == biggest.template_key, CheckRound.status.in_(("submitted", "missed")))):
        months[f"{start:%Y-%m}"] = months.get(f"{start:%Y-%m}", 0) + 1
    fx.checks_month = max(sorted(months, reverse=True), key=months.get)
    fx.checks_quiet_month = min(sorted(months), key=months.get)
    fx.checks_month_rounds, fx.checks_quiet_month_rounds = months[fx.checks_month], months[fx.checks_quiet_month]
    sunday = today - timedelta(days=today.weekday() + 1 + 7)
    fx.checks_quiet_day = sunday.isoformat()
    assert db.session.get(CheckItem, fx.checks_number_item) is not None
    return True


def pages(fx: Fixture) -> list[tuple]:
    """My checks today and two rounds as the canteen manager; oversight, findings, the
    ledgers of the busiest month, templates and schedules as the logistics head."""
    return [
        (f"checks: my checks today (the canteen manager, {fx.checks_today} open{fx.checks_day_note})", "/checks/", {},
         PERFORMER),
        (f"checks: a submitted round ({fx.checks_big_slots} slots: canteen.daily, main kitchen)",
         f"/checks/rounds/{fx.checks_big_round}", {}, PERFORMER),
        (f"checks: an open round ({fx.checks_big_slots} slots, of {fx.checks_day.isoformat()}, not begun)",
         f"/checks/rounds/{fx.checks_open_round}", {}, PERFORMER),
        (f"checks: oversight of {fx.checks_day.isoformat()}", fx.checks_oversight, {}, CHECKS_MANAGER),
        ("checks: findings to follow up", "/checks/findings", {}, CHECKS_MANAGER),
        ("checks: findings, every status, page 1", "/checks/findings?status=all", {}, CHECKS_MANAGER),
        (f"checks: ledger canteen.daily, {fx.checks_month} ({fx.checks_month_rounds} rounds)",
         f"/checks/ledger?key=canteen.daily&month={fx.checks_month}", {}, CHECKS_MANAGER),
        (f"checks: ledger canteen.meal, {fx.checks_month}",
         f"/checks/ledger?key=canteen.meal&month={fx.checks_month}", {}, CHECKS_MANAGER),
        ("checks: templates", "/checks/templates", {}, CHECKS_MANAGER),
        ("checks: schedules", "/checks/schedules", {}, CHECKS_MANAGER),
    ]


def answer_path(fx: Fixture, item: int, subject: int = 0) -> str:
    return f"/checks/rounds/{fx.checks_open_round}/answer/{item}/{subject}"


#: the readings the answer save alternates, so every request changes the row
READINGS = ("4.5", "5.5")


def saves(fx: Fixture) -> list[tuple]:
    """The answer save as the canteen manager on today's open round (htmx: it answers the
    slot's fragment): a fridge's reading, alternating, and a pass/fail item."""
    return [
        ("check answer: a fridge reading (htmx, value=4.5 / 5.5)",
         answer_path(fx, fx.checks_number_item, fx.checks_number_subject), HX,
         lambda n: {"value": READINGS[n % 2]}, PERFORMER),
        ("check answer: pass/fail item (htmx, outcome=pass)", answer_path(fx, fx.checks_pass_item), HX,
         lambda n: {"outcome": "pass"}, PERFORMER),
    ]


def reports(fx: Fixture) -> list[tuple]:
    return [(f"checks: compliance, {fx.checks_month}", f"/checks/compliance?month={fx.checks_month}", {},
             CHECKS_MANAGER)]


GROWTH_PAIRS = [
    ("/checks/ledger?key=canteen.daily&month={checks_quiet_month}",
     "/checks/ledger?key=canteen.daily&month={checks_month}", "checks_manager"),
    ("/checks/ledger?key=canteen.meal&month={checks_quiet_month}",
     "/checks/ledger?key=canteen.meal&month={checks_month}", "checks_manager"),
    ("/checks/", "/checks/", ("checks_quiet_performer", "checks_performer")),
    ("/checks/rounds/{checks_small_round}", "/checks/rounds/{checks_big_round}", "checks_performer"),
    ("/checks/oversight?day={checks_quiet_day}", "{checks_oversight}", "checks_manager"),
    ("/checks/findings", "/checks/findings?status=all", "checks_manager"),
]
