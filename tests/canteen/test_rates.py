"""The five rates a bureau scores a canteen on, counted from the records: a day with
some of everything missing gives exactly the fractions the records say."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from schoolhq.canteen import companion, morning, rates, receiving, samples
from schoolhq.canteen.models import Dish
from schoolhq.core.calendar import is_school_day
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from tests.canteen.test_receiving import SIGNATURE, _greens, _rice
from tests.conftest import login, make_account
from tests.factories.canteen import kitchen, menu, supplier


def _a_day_with_gaps(clock):
    """Breakfast (2 dishes) unsampled, lunch 3 of 4 sampled, lunch accompanied, breakfast
    not; everyone checked; rice with its documents, greens without the supplier's licence;
    two of four staff with a valid health certificate."""
    k = kitchen()
    made = menu()
    morning.all_well(k.cook)
    head = make_account("head", "principal", name="李校长")
    for dish in db.session.scalars(select(Dish).where(Dish.meal_id == made["lunch"].id).order_by(Dish.position))\
            .all()[:3]:
        samples.record(k.cook, dish.id, "150", k.cook.person_id, None)
    source = supplier()
    receiving.receive(k.manager, receiving.DeliveryData(source.id, k.manager.person_id, k.cook.person_id, SIGNATURE,
                                                        "", [_rice(), _greens()]))
    db.session.commit()
    clock.set(f"{local_today().isoformat()} 13:00")
    companion.record(head, made["lunch"].id, companion.Record(companion.Grades("good", "good", "good", "good")),
                     SIGNATURE)
    db.session.commit()
    return k


def test_each_rate_is_the_records_count_over_what_was_due(app, clock):
    with app.test_request_context():
        _a_day_with_gaps(clock)
        today = local_today()
        found = {rate.key: (rate.done, rate.due) for rate in rates.of_period(today, today)}
        assert found["samples"] == (3, 6), "breakfast's two dishes and lunch's soup were not sampled"
        # everyone on the roster is seen at the morning check, on a school day; none is due on another
        assert found["morning"] == ((4, 4) if is_school_day(today) else (0, 0))
        assert found["companion"] == (1, 2), "lunch was accompanied, breakfast was not"
        assert found["documents"] == (1, 2), "the greens came without the supplier's licence checked"
        assert found["certificates"] == (2, 4), "赵师傅's ran out yesterday, 钱阿姨 has none"
        month = {rate.key: rate for rate in rates.of_month(today.year, today.month)}
        assert month["samples"].percent == 50.0 and not month["samples"].complete
        daily = dict(rates.by_day(today.year, today.month))
        assert [(r.done, r.due) for r in daily[today]] == [found[key] for key in rates.KEYS]


def test_nothing_due_is_no_rate_rather_than_a_perfect_one(app):
    with app.test_request_context():
        today = local_today()
        found = rates.of_period(today, today)
        assert all(rate.percent is None and rate.shown() == "—" for rate in found)


def test_the_rates_page_and_the_manager_dashboard(app, client, clock):
    with app.test_request_context():
        _a_day_with_gaps(clock)
        today = local_today()
    login(client, "kitchen")
    page = client.get(f"/canteen/rates?month={today:%Y-%m}")
    html = page.get_data(as_text=True)
    for words in ("留样完成率", "晨检完成率", "陪餐记录完整率", "索证索票完整率", "健康证有效率", "50%", "3 / 6"):
        assert words in html, words
    export = client.get(f"/canteen/rates?month={today:%Y-%m}&format=xlsx")
    rows = list(load_workbook(BytesIO(export.data)).active.iter_rows(values_only=True))
    assert rows[-1][1] == 50.0 and rows[-1][3] == 50.0
    dashboard = client.get("/").get_data(as_text=True)
    assert "本月未达100%的食堂指标" in dashboard and "留样完成率 50%" in dashboard
