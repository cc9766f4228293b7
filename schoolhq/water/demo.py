"""The demo school's drinking water: every point and tank set up from the register with its
permit, tested before this term; one point failed its colony count, was out of use and came
back with a passing retest; one failed for E. coli three days ago and is out of use now."""

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


def load(_school_rng: random.Random, small: bool = False) -> None:
    rng = random.Random(5749)
    head = db.session.scalar(select(Account).where(Account.username == "logistics"))
    today = local_today()
    rows = services.points()
    term_test = today - timedelta(days=40)  # the test before the term (the demo's rounds go back 90 days)
    for number, (asset, _point) in enumerate(rows, start=1):
        permit = (asset.extra or {}).get("permit_expiry")
        services.set_up(head, asset.id, "tank" if asset.kind.key == "water_tank" else "direct_drinking",
                        f"卫水字（2023）第{3100 + number:04d}号" if asset.kind.key == "water_point" else "",
                        date.fromisoformat(permit) if permit else None)
        values = dict(GOOD, colony_count=str(rng.randrange(3, 40)), turbidity=f"{rng.uniform(0.1, 0.6):.1f}")
        services.record_test(head, asset.id, services.LabInput(term_test, term_test + timedelta(days=3), LAB,
                                                               f"SJ{term_test:%Y%m}{number:03d}", values=values))
    points = [asset for asset, _p in rows if asset.kind.key == "water_point"]
    if len(points) < 2:
        return
    first, second = points[0], points[1]
    failed_on = term_test + timedelta(days=5)
    services.record_test(head, first.id, services.LabInput(failed_on, failed_on + timedelta(days=2), LAB,
                                                           f"SJ{failed_on:%Y%m%d}01", values=dict(GOOD, colony_count="160")))
    point = services.point_of(first.id)
    point.out_since = local_time_utc(failed_on + timedelta(days=2), "16:00")  # when the report came
    retest = failed_on + timedelta(days=4)
    services.record_test(head, first.id, services.LabInput(retest, retest + timedelta(days=2), LAB,
                                                           f"SJ{retest:%Y%m%d}02", values=GOOD))
    sampled = today - timedelta(days=5)
    services.record_test(head, second.id, services.LabInput(sampled, today - timedelta(days=3), LAB,
                                                            f"SJ{sampled:%Y%m%d}03", values=dict(GOOD, e_coli="2")))
    services.point_of(second.id).out_since = local_time_utc(today - timedelta(days=3), "16:00")
    db.session.flush()
