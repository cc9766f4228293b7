"""The demo school's drinking water: every point and tank set up from the register with its
permit, tested before this term; filters changed, tanks cleaned by a firm, the office's
dispenser cleaned by the worker on its seasonal interval; one point failed its colony
count, was out of use and came back with a passing retest; one failed for E. coli three
days ago and is out of use now."""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import local_time_utc, local_today
from schoolhq.extensions import db
from schoolhq.water import services

GOOD = {"coliforms": "未检出", "e_coli": "未检出", "colony_count": "12", "colour": "<5", "turbidity": "0.3",
        "odour_taste": "无", "visible_matter": "无", "ph": "7.4", "permanganate_index": "1.1", "free_chlorine": "0.12"}
LAB = "市疾病预防控制中心检验所"


def _entered(day: date):
    """The report entered at four in the afternoon of its day."""
    return local_time_utc(day, "16:00")


def load(_school_rng: random.Random, small: bool = False) -> None:
    rng = random.Random(5749)
    head = db.session.scalar(select(Account).where(Account.username == "logistics"))
    today = local_today()
    rows = services.points()
    term_test = today - timedelta(days=40)  # the test before the term (the demo's rounds go back 90 days)
    machines = [asset.id for asset, _point in rows if asset.kind.key == "water_point"]
    dispenser = machines[-1] if len(machines) > 3 else None  # the office's bottled-water dispenser
    for number, (asset, _point) in enumerate(rows, start=1):
        permit = (asset.extra or {}).get("permit_expiry")
        kind = "tank" if asset.kind.key == "water_tank" else "dispenser" if asset.id == dispenser else "direct_drinking"
        services.set_up(head, asset.id, kind,
                        f"卫水字（2023）第{3100 + number:04d}号" if asset.kind.key == "water_point" else "",
                        date.fromisoformat(permit) if permit else None)
        values = dict(GOOD, colony_count=str(rng.randrange(3, 40)), turbidity=f"{rng.uniform(0.1, 0.6):.1f}")
        services.record_test(head, asset.id, services.LabInput(term_test, term_test + timedelta(days=3), LAB,
                                                               f"SJ{term_test:%Y%m}{number:03d}", values=values,
                                                               entered_at=_entered(term_test + timedelta(days=3))))
    repair = db.session.scalar(select(Account).where(Account.username == "repair"))
    for number, (asset, _point) in enumerate(rows):
        if asset.id == dispenser:  # cleaned by the worker every 60 days in winter, 30 in summer; due again soon
            cleaned = today - timedelta(days=150)
            while cleaned <= today:
                services.record_dispenser_cleaning(head, asset.id, services.DispenserInput(
                    cleaned, repair.person_id, "含氯消毒片", "有效氯 250mg/L", "拆洗水嘴、内胆，清水冲净"))
                cleaned += timedelta(days=services.dispenser_interval(cleaned) - 2)
        elif asset.kind.key == "water_tank":  # cleaned by a licensed firm, then tested
            cleaned = term_test - timedelta(days=2)
            services.record_cleaning(head, asset.id, services.CleaningInput(
                cleaned, "清源二次供水设施清洗有限公司", "（2024）卫水清字第0087号", date(cleaned.year + 2, 3, 31), True,
                "二氧化氯消毒剂", "有效氯 50mg/L", workers_note="张强、刘伟，健康证均在有效期内"))
            services.record_test(head, asset.id, services.LabInput(cleaned, cleaned + timedelta(days=3), LAB,
                                                                   f"SJ{cleaned:%Y%m}T{number:02d}", values=GOOD,
                                                                   entered_at=_entered(cleaned + timedelta(days=3))))
        else:  # the sediment filter changed by the school's worker, the membrane by the vendor
            changed = today - timedelta(days=20 + 7 * (number % 12))
            services.record_filter_change(head, asset.id, services.FilterInput(
                changed, "sediment_pp", "QG-U5-01 PP棉", f"B{changed:%y%m}", done_by_id=repair.person_id))
            services.record_filter_change(head, asset.id, services.FilterInput(
                today - timedelta(days=300 + number), "membrane", "QG-RO-75G", f"M{number:03d}",
                vendor="沁园售后 李师傅"))
    points = [asset for asset, _p in rows if asset.kind.key == "water_point"]
    if len(points) < 2:
        return
    first, second = points[0], points[1]
    failed_on = term_test + timedelta(days=5)
    services.record_test(head, first.id, services.LabInput(failed_on, failed_on + timedelta(days=2), LAB,
                                                           f"SJ{failed_on:%Y%m%d}01", values=dict(GOOD, colony_count="160"),
                                                           entered_at=_entered(failed_on + timedelta(days=2))))
    retest = failed_on + timedelta(days=4)
    services.record_test(head, first.id, services.LabInput(retest, retest + timedelta(days=2), LAB,
                                                           f"SJ{retest:%Y%m%d}02", values=GOOD,
                                                           entered_at=_entered(retest + timedelta(days=2))))
    sampled = today - timedelta(days=5)
    services.record_test(head, second.id, services.LabInput(sampled, today - timedelta(days=3), LAB,
                                                            f"SJ{sampled:%Y%m%d}03", values=dict(GOOD, e_coli="2"),
                                                            entered_at=_entered(today - timedelta(days=3))))
    db.session.flush()
