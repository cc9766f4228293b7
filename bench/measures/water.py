"""What the bench measures of the drinking-water area, as the logistics head: the water
points, the point with the longest history, a lab report, the form for a new one, the
month's hygiene archive (饮水设施卫生管理档案) as A4 and as XLSX, and a lab report saved."""

from __future__ import annotations

from harness.measure import Fixture

#: who the water pages and the save are measured as: a Fixture field with the username
WATER = {"as": "water_manager"}
#: the lab report the save posts: every parameter, all passing (the point stays in use)
LAB_VALUES = {"coliforms": "未检出", "e_coli": "未检出", "colony_count": "12", "colour": "<5", "turbidity": "0.3",
              "odour_taste": "无", "visible_matter": "无", "ph": "7.4", "permanganate_index": "1.1",
              "free_chlorine": "0.12"}


def find(fx: Fixture) -> bool:
    """The water rows and the account the pages open (in an app context); False when the
    area is empty."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.core.timeutil import local_today, to_local
    from schoolhq.extensions import db
    from schoolhq.water.models import FilterChange, LabTest, PointEvent, TankCleaning, WaterPoint

    if not db.session.scalar(select(func.count(WaterPoint.id))):
        return False
    today = local_today()
    # who signs in: a school-wide logistics head (water.view, .record, .manage), as the repairs pages
    fx.water_manager = db.session.scalars(
        select(Account.username).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(Role.code == "logistics_head", Account.active.is_(True), RoleAssignment.location_id.is_(None),
               RoleAssignment.department_id.is_(None)).order_by(Account.id)).first()
    fx.water_points = db.session.scalar(select(func.count(WaterPoint.id)))
    # each point's history: lab tests, events, filter changes and cleanings
    rows: dict[int, int] = {}
    for model in (LabTest, PointEvent, FilterChange, TankCleaning):
        for point_id, count in db.session.execute(select(model.point_id, func.count()).group_by(model.point_id)):
            rows[point_id] = rows.get(point_id, 0) + count
    points = {p.id: p for p in db.session.scalars(select(WaterPoint))}
    drinking = [p for p in points.values() if p.kind == "direct_drinking"]
    busy = max(drinking, key=lambda p: (rows.get(p.id, 0), p.id))
    quiet = min(drinking, key=lambda p: (rows.get(p.id, 0), -p.id))
    fx.water_point, fx.water_point_rows = busy.asset_id, rows.get(busy.id, 0)
    fx.water_quiet_point, fx.water_quiet_rows = quiet.asset_id, rows.get(quiet.id, 0)
    fx.water_tests = db.session.scalar(select(func.count(LabTest.id)).where(LabTest.point_id == busy.id))
    # a lab report: the busiest point's latest failed one, else its latest
    fx.water_test = db.session.scalar(select(LabTest.id).where(LabTest.point_id == busy.id)
                                      .order_by((LabTest.result == "fail").desc(), LabTest.id.desc()).limit(1))
    # the save: a point in use (the busiest if it is), a passing report sampled three days ago
    in_use = busy if busy.status == "in_use" else next(p for p in drinking if p.status == "in_use")
    fx.water_save_point = in_use.asset_id
    fx.water_sampled, fx.water_reported = (today - timedelta(days=3)).isoformat(), today.isoformat()
    # the hygiene archive: the month with the most rows (the latest of equals), the one with the fewest
    months: dict[str, int] = {}

    def add(days) -> None:
        for day in days:
            months[f"{day:%Y-%m}"] = months.get(f"{day:%Y-%m}", 0) + 1

    add(db.session.scalars(select(LabTest.sampled_on)))
    add(db.session.scalars(select(FilterChange.changed_on)))
    add(db.session.scalars(select(TankCleaning.cleaned_on)))
    add(to_local(at).date() for at in db.session.scalars(
        select(PointEvent.at).where(PointEvent.kind.in_(("out_of_use", "back_in_use")))))
    fx.water_month = max(sorted(months, reverse=True), key=months.get)
    fx.water_quiet_month = min(sorted(months), key=months.get)
    fx.water_month_rows, fx.water_quiet_month_rows = months[fx.water_month], months[fx.water_quiet_month]
    fx.water_out = db.session.scalar(select(func.count(WaterPoint.id)).where(WaterPoint.status == "out_of_use"))
    return True


def pages(fx: Fixture) -> list[tuple]:
    """The points, the busiest point, a lab report and the form for one, the busiest month's
    archive, as the logistics head."""
    return [
        (f"water: points ({fx.water_points}, {fx.water_out} out of use)", "/water/", {}, WATER),
        (f"water: a point, longest history ({fx.water_point_rows} rows, {fx.water_tests} lab tests)",
         f"/water/points/{fx.water_point}", {}, WATER),
        ("water: a lab report", f"/water/tests/{fx.water_test}", {}, WATER),
        ("water: enter a lab report (the form)", f"/water/points/{fx.water_point}/tests/new", {}, WATER),
        (f"water: hygiene archive, {fx.water_month} ({fx.water_month_rows} rows)",
         f"/water/ledger?month={fx.water_month}", {}, WATER),
    ]


def lab_fields(fx: Fixture, n: int) -> dict[str, str]:
    """The lab form as it posts a report: each request another report number."""
    return {"sampled_on": fx.water_sampled, "reported_on": fx.water_reported, "laboratory": "市疾病预防控制中心检验所",
            "report_number": f"BENCH{n:05d}", **{f"p_{key}": value for key, value in LAB_VALUES.items()}}


def saves(fx: Fixture) -> list[tuple]:
    """A lab report entered (a plain form POST, 303 to the new report), passing, on a point
    in use: each request another report on the same point."""
    return [("water lab report: 10 parameters, passing (POST, 303 to the report)",
             f"/water/points/{fx.water_save_point}/tests/new", {}, lambda n: lab_fields(fx, n), WATER)]


def reports(fx: Fixture) -> list[tuple]:
    """The month's archive as XLSX: a download, held to the report budget."""
    return [(f"water: hygiene archive, {fx.water_month}, XLSX", f"/water/ledger?month={fx.water_month}&format=xlsx",
             {}, WATER)]


GROWTH_PAIRS = [
    ("/water/ledger?month={water_quiet_month}", "/water/ledger?month={water_month}", "water_manager"),
    ("/water/ledger?month={water_quiet_month}&format=xlsx", "/water/ledger?month={water_month}&format=xlsx",
     "water_manager"),
    ("/water/points/{water_quiet_point}", "/water/points/{water_point}", "water_manager"),
]
