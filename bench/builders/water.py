"""The drinking-water area: every water point and tank on the register set up as a point
(a direct-drinking machine with its hygiene permit, or a tank), and a decade of its records:
lab tests before each term (a few failing, each taking the point out of use until a passing
retest some days later), the filters of the direct-drinking points changed stage by stage,
the tanks cleaned every six months by a licensed firm with a test after each, and each
point's history; one point is out of use now."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from builders.hazards import post_holders
from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

# Sizes (issue 15: "a decade of 60 water points and 2 tanks") -----------------------------
#: what the register must hold (the assets builder's 直饮水机 and the checks builder's
#: tanks, CHECK_WATER_TANKS); every one of them, however many, is set up as a point
WATER_POINTS, WATER_TANKS = 60, 2
#: lab tests: sampled this many days before each term starts, reported days after the
#: sample, entered days after the report; this share failing, each retested (a passing
#: sample) days after the failed report was entered
WATER_SAMPLED_BEFORE_TERM = (5, 20)
WATER_REPORTED_AFTER = (3, 7)
WATER_ENTERED_AFTER = (0, 2)
WATER_FAILING = 0.03
WATER_RETEST_AFTER = (2, 6)
#: a direct-drinking point's filters: stage -> (days between changes, model, changed by the
#: vendor's fitter rather than the school's plumber); each change this many days either side
#: of its due day (data/water.yaml filters.by_stage_days)
WATER_FILTERS = {"sediment_pp": (90, "QG-U5-01 PP棉", False), "activated_carbon": (180, "QG-C2 活性炭", False),
                 "membrane": (365, "QG-RO-75G", True)}
WATER_FILTER_SLACK = (-6, 5)
#: the maker's hygiene permit (涉水产品卫生许可批件): years valid, renewed days before it runs out
WATER_PERMIT_YEARS = 4
WATER_PERMIT_RENEWED = (5, 40)
#: tanks: cleaned every this many months (the water.tank_cleaning_months setting), by this
#: firm, whose hygiene licence is renewed every four years
WATER_TANK_MONTHS = 6
WATER_FIRM = ("清源二次供水设施清洗有限公司", "卫水清字", "张强、刘伟，健康证均在有效期内")
WATER_LABS = ("市疾病预防控制中心检验所", "区疾病预防控制中心检验科")
WATER_VENDOR = "沁园售后 李师傅"

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("water_point", "water_lab_test", "water_point_event", "water_filter_change", "water_tank_cleaning")


def _values(rng, tank: bool, failing: str | None) -> dict:
    """A lab report's values as `services.judge()` reads them, one parameter failing when asked."""
    from schoolhq.water.services import judge, parameters

    raw = {"coliforms": "未检出", "e_coli": "未检出", "colony_count": str(rng.randrange(2, 45)),
           "colour": "<5", "turbidity": f"{rng.uniform(0.1, 0.6):.1f}", "odour_taste": "无", "visible_matter": "无",
           "ph": f"{rng.uniform(6.9, 7.8):.1f}", "permanganate_index": f"{rng.uniform(0.6, 1.8):.1f}",
           "free_chlorine": f"{rng.uniform(0.3, 0.8) if tank else rng.uniform(0.06, 0.3):.2f}"}
    bad = {"colony_count": str(rng.randrange(120, 400)), "coliforms": str(rng.randrange(1, 6)),
           "e_coli": str(rng.randrange(1, 3)), "turbidity": f"{rng.uniform(1.2, 2.5):.1f}",
           "free_chlorine": "<0.05", "odour_taste": "有异味"}
    if failing:
        raw[failing] = bad[failing]
    values = {p["key"]: judge(p, raw[p["key"]]) for p in parameters()}
    return {key: value for key, value in values.items() if value is not None}


def build(conn: Connection, school: School) -> None:
    """Every water_point and water_tank asset ever on the register gets its point, set up
    the day it was registered (the tanks, registered the day before the decade, on its
    first day); its records run until now or until the asset was disposed of or lost (its
    last event). Lab tests go in in the order they were entered, so their ids follow time,
    and the history (append-only) in the order it happened. Nothing is dated after now; the
    logistics head of the day enters the records (the assignee of that day's
    buildings.monthly round, as in builders/hazards.py), the school's plumber (the repairs
    builder's 水暖工) changes the sediment and carbon filters."""
    from schoolhq.core.timeutil import add_months
    from schoolhq.water.services import parameters

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    decade_day = (school.start + SCHOOL_OFFSET).date()

    def local_day(moment: datetime) -> date:
        return (moment + SCHOOL_OFFSET).date()

    def weekday(day: date) -> date:
        """The day, or the Monday after a weekend (labs, firms and fitters work on weekdays)."""
        return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)

    def entered(day: date) -> datetime:
        return min(school_time(day, rng.uniform(14, 17.5)).replace(microsecond=0), now - timedelta(minutes=5))

    # 0. The register's water points and tanks, when each came and went.
    asset, kind_t, event_t = T["asset"], T["asset_kind"], T["asset_event"]
    rows = conn.execute(select(asset.c.id, asset.c.number, asset.c.created_at, asset.c.status, kind_t.c.key)
                        .join(kind_t, kind_t.c.id == asset.c.kind_id)
                        .where(kind_t.c.key.in_(("water_point", "water_tank"))).order_by(asset.c.id)).all()
    on_register = [r for r in rows if r.status not in ("disposed", "lost")]
    points_now = sum(r.key == "water_point" for r in on_register)
    tanks_now = sum(r.key == "water_tank" for r in on_register)
    assert points_now >= WATER_POINTS and tanks_now >= WATER_TANKS, (
        f"the register holds {points_now} water points and {tanks_now} tanks, fewer than {WATER_POINTS} and "
        f"{WATER_TANKS}: add them in builders/checks.py (as CHECK_WATER_TANKS), so its rounds cover them")
    # The size: 60 points and 2 tanks on the register now, and the points of the
    # decade gone since in the same proportion (the asset builder's register holds more
    # drinking machines; those beyond the 60 are not kept in the water area).
    gone_points = [r for r in rows if r.status in ("disposed", "lost") and r.key == "water_point"]
    kept = ([r for r in on_register if r.key == "water_point"][:WATER_POINTS]
            + [r for r in on_register if r.key == "water_tank"][:WATER_TANKS]
            + gone_points[:max(1, -(-len(gone_points) * WATER_POINTS // points_now))])
    rows = sorted(kept, key=lambda r: r.id)
    on_register = [r for r in rows if r.status not in ("disposed", "lost")]
    points_now = sum(r.key == "water_point" for r in on_register)
    tanks_now = sum(r.key == "water_tank" for r in on_register)
    gone = dict(conn.execute(select(event_t.c.asset_id, func.max(event_t.c.at))
                             .where(event_t.c.asset_id.in_([r.id for r in rows if r.status in ("disposed", "lost")]))
                             .group_by(event_t.c.asset_id)).all())
    terms = [row.starts_on for row in conn.execute(select(T["school_term"].c.starts_on)
                                                   .order_by(T["school_term"].c.starts_on))]
    account_of = dict(conn.execute(select(T["account"].c.person_id, T["account"].c.id)).all())
    office_on = post_holders(conn, "buildings.monthly")

    def office(day: date) -> int:
        return account_of[office_on(day)]

    person = T["person"]
    plumbers = conn.execute(select(person.c.id, person.c.created_at, person.c.left_at).where(
        person.c.job_title == "水暖工", person.c.department_id == school.department_ids["总务处"])
        .order_by(person.c.created_at)).all()

    def plumber(day: date) -> int | None:
        moment = school_time(day, 12)
        return next((p.id for p in plumbers if p.created_at <= moment and (p.left_at is None or p.left_at > moment)),
                    None)

    # 1. Each point, its tests, filters, cleanings and history.
    points, tests, events, changes, cleanings = [], [], [], [], []
    keys = [p["key"] for p in parameters()]
    failing_keys = ["colony_count", "colony_count", "coliforms", "coliforms", "e_coli", "turbidity", "free_chlorine"]
    reports = {}  # report number prefix -> how many so far

    def report_number(day: date) -> str:
        prefix = f"SJ{day:%Y%m%d}"
        reports[prefix] = reports.get(prefix, 0) + 1
        return f"{prefix}{reports[prefix]:03d}"

    def test(point: dict, sampled: date, failing: str | None = None, lab: str | None = None,
             reported: date | None = None) -> dict | None:
        """A lab report, if it is in by now: its row, entered some days after the report."""
        reported = reported or sampled + timedelta(days=rng.randint(*WATER_REPORTED_AFTER))
        if reported > today:
            return None
        when = entered(reported + timedelta(days=rng.randint(*WATER_ENTERED_AFTER)))
        if local_day(when) > today:
            when = entered(today)
        values = _values(rng, point["kind"] == "tank", failing)
        row = {"point_id": point["id"], "sampled_on": sampled, "reported_on": reported,
               "laboratory": lab or WATER_LABS[0], "report_number": report_number(reported), "report_file_id": None,
               "values": values, "result": "fail" if any(v["outcome"] == "fail" for v in values.values()) else "pass",
               "created_at": when, "created_by_id": office(local_day(when))}
        tests.append(row)
        return row

    def event(point: dict, kind: str, when: datetime, note: str = "", test_row: dict | None = None) -> None:
        events.append({"point_id": point["id"], "at": when, "actor_id": office(local_day(when)), "kind": kind,
                       "note": note, "_test": test_row})

    def fail_and_retest(point: dict, failed: dict) -> None:
        """Out of use at once, back in use with the passing retest of a sample taken since."""
        names = {p["key"]: p["zh"] for p in parameters()}
        what = "、".join(names[k] for k in keys if failed["values"].get(k, {}).get("outcome") == "fail")
        reason = f"检测报告 {failed['report_number']} 不合格：{what}"
        event(point, "out_of_use", failed["created_at"], reason, failed)
        sampled = weekday(local_day(failed["created_at"]) + timedelta(days=rng.randint(*WATER_RETEST_AFTER)))
        retest = test(point, sampled)
        assert retest is not None and retest["result"] == "pass", "a failure is retested before now"
        event(point, "back_in_use", retest["created_at"], retest["report_number"], retest)

    for number, row in enumerate(rows, start=1):
        tank = row.key == "water_tank"
        set_up = max(row.created_at + timedelta(hours=rng.uniform(2, 60)), school.start + timedelta(hours=2))
        set_up = min(set_up, now - timedelta(hours=1)).replace(microsecond=0)
        first, last = local_day(set_up), local_day(gone[row.id]) if row.id in gone else today
        point = {"id": number, "asset_id": row.id, "kind": "tank" if tank else "direct_drinking",
                 "permit_number": "", "permit_expires_on": None, "status": "in_use", "out_since": None,
                 "out_reason": "", "ticket_id": None, "created_at": set_up}
        points.append(point)
        event(point, "set_up", set_up)
        if not tank:  # the maker's permit, renewed before it runs out
            issued = first - timedelta(days=rng.randint(30, 900))
            while True:
                point["permit_number"] = f"卫水字（{issued.year}）第{rng.randrange(1000, 9999):04d}号"
                point["permit_expires_on"] = issued.replace(year=issued.year + WATER_PERMIT_YEARS, day=min(issued.day, 28))
                renewed = point["permit_expires_on"] - timedelta(days=rng.randint(*WATER_PERMIT_RENEWED))
                if renewed > last:
                    break
                if renewed >= first:
                    event(point, "changed", entered(renewed))
                issued = renewed
        # before each term: a sample, its report; now and then a failure and its retest
        for starts in terms:
            sampled = weekday(starts - timedelta(days=rng.randint(*WATER_SAMPLED_BEFORE_TERM)))
            if sampled <= first or sampled > last:
                continue
            fails = rng.random() < WATER_FAILING and sampled < today - timedelta(days=40)
            row_test = test(point, sampled, rng.choice(failing_keys) if fails else None,
                            lab=WATER_LABS[0] if sampled.year < decade_day.year + 5 else WATER_LABS[1])
            if row_test is not None and row_test["result"] == "fail":
                fail_and_retest(point, row_test)
        if tank:  # cleaned every six months by the firm, tested after
            cleaned = weekday(add_months(first, 1))
            while cleaned <= min(last, today):
                licensed = date(cleaned.year - (cleaned.year - decade_day.year) % 4, 3, 31)
                after = test(point, cleaned + timedelta(days=1))
                cleanings.append({
                    "point_id": number, "cleaned_on": cleaned, "firm": WATER_FIRM[0],
                    "firm_licence": f"（{licensed.year}）{WATER_FIRM[1]}第0087号",
                    "firm_licence_expires_on": licensed.replace(year=licensed.year + 4),
                    "workers_certified": True, "workers_note": WATER_FIRM[2], "disinfectant": "二氧化氯消毒剂",
                    "concentration": "有效氯 50mg/L", "report_file_id": None, "_test": after,
                    "next_due_on": add_months(cleaned, WATER_TANK_MONTHS),
                    "created_at": entered(cleaned), "created_by_id": office(cleaned)})
                cleaned = weekday(add_months(cleaned, WATER_TANK_MONTHS) + timedelta(days=rng.randint(-3, 4)))
        else:  # the filters, stage by stage from the day it was set up
            for stage, (interval, model, vendor) in WATER_FILTERS.items():
                changed = weekday(first + timedelta(days=interval + rng.randint(*WATER_FILTER_SLACK)))
                while changed <= min(last, today):
                    fitter = None if vendor else plumber(changed)
                    changes.append({
                        "point_id": number, "stage": stage, "changed_on": changed, "filter_model": model,
                        "batch": f"{'M' if vendor else 'B'}{changed:%y%m}{rng.randrange(10, 99)}",
                        "done_by_id": fitter, "vendor": WATER_VENDOR if fitter is None else "", "requisition_id": None,
                        "interval_days": interval, "next_due_on": changed + timedelta(days=interval), "note": "",
                        "created_at": entered(changed), "created_by_id": office(changed)})
                    changed = weekday(changed + timedelta(days=interval + rng.randint(*WATER_FILTER_SLACK)))

    # 2. One point out of use now: a direct-drinking point in use whose sample of five days
    #    ago failed (reported two days later): its page, card, room and the dashboard say so.
    stopped = next(p for p in reversed(points) if p["kind"] == "direct_drinking"
                   and rows[p["id"] - 1].status == "in_use" and p["created_at"] < now - timedelta(days=30))
    sampled = today - timedelta(days=5)
    failed = test(stopped, sampled, "e_coli", reported=today - timedelta(days=3))
    names = {p["key"]: p["zh"] for p in parameters()}
    stopped.update(status="out_of_use", out_since=failed["created_at"],
                   out_reason=f"检测报告 {failed['report_number']} 不合格：{names['e_coli']}")
    event(stopped, "out_of_use", failed["created_at"], stopped["out_reason"], failed)

    # 3. In: points, tests in the order they were entered, then what refers to them.
    insert_rows(conn, "water_point", points)
    tests.sort(key=lambda t: (t["created_at"], t["point_id"]))
    first_id = (conn.execute(select(func.max(T["water_lab_test"].c.id))).scalar() or 0) + 1
    for n, row in enumerate(tests):
        row["id"] = first_id + n
    insert_rows(conn, "water_lab_test", tests)
    events.sort(key=lambda e: (e["at"], e["point_id"]))
    for row in events:
        test_row = row.pop("_test")
        row["test_id"] = test_row["id"] if test_row else None
    insert_rows(conn, "water_point_event", events)
    changes.sort(key=lambda c: (c["created_at"], c["point_id"]))
    insert_rows(conn, "water_filter_change", changes)
    cleanings.sort(key=lambda c: (c["created_at"], c["point_id"]))
    for row in cleanings:
        test_row = row.pop("_test")
        row["test_id"] = test_row["id"] if test_row else None
    insert_rows(conn, "water_tank_cleaning", cleanings)
    failed_count = sum(t["result"] == "fail" for t in tests)
    print(f"    (water: {len(points)} points ({points_now} water points and {tanks_now} tanks on the register now), "
          f"{len(tests):,} lab tests ({failed_count} failed, {failed_count / max(len(tests), 1):.1%}), "
          f"{len(events):,} events, {len(changes):,} filter changes, {len(cleanings)} tank cleanings; "
          f"out of use now: {stopped['asset_id']})", flush=True)
