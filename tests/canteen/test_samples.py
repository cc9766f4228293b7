"""The week's menu and the food samples (留样) taken of it: every dish at least 125 g,
by someone on duty, kept 48 hours and not discarded before, one sample per dish, a meal
that is over with a dish not sampled shown as a failure, and the month's log."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from schoolhq.canteen import meals, samples
from schoolhq.canteen.models import Dish, FoodSample, Meal
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from tests.conftest import login
from tests.factories.canteen import kitchen, menu


def _sample_count() -> int:
    return db.session.scalar(select(func.count(FoodSample.id)))


def _dish(name: str) -> int:
    return db.session.scalar(select(Dish.id).where(Dish.name == name))


def _kitchen_with_a_sample(dish: str):
    """The kitchen, today's menu, everyone checked, and `dish` sampled by 李师傅 (call
    inside a request context); returns (kitchen, sample)."""
    from schoolhq.canteen import morning

    k = kitchen()
    menu()
    morning.all_well(k.cook)
    sample = samples.record(k.cook, _dish(dish), "130", k.cook.person_id, None)
    db.session.commit()
    return k, sample


def test_the_menu_is_planned_copied_and_a_past_day_stays(app, client):
    with app.test_request_context():
        kitchen()
        today = local_today()
        last_week = today - timedelta(days=7)
        meal = Meal(day=last_week, kind="lunch")  # last week's record, as it was served
        db.session.add(meal)
        db.session.flush()
        for n, name in enumerate(("糖醋排骨", "青菜")):
            db.session.add(Dish(meal_id=meal.id, name=name, position=n))
        db.session.commit()
    login(client, "kitchen")
    day = today.isoformat()
    saved = client.post(f"/canteen/menus/{day}/lunch", data={f"m{today:%Y%m%d}lunch-dishes": "米饭\n红烧肉、青菜\n\n米饭"})
    assert saved.status_code == 303
    with app.app_context():
        lunch = db.session.scalar(select(Meal).where(Meal.day == today, Meal.kind == "lunch"))
        assert [d.name for d in lunch.dishes] == ["米饭", "红烧肉", "青菜"]
    too_long = client.post(f"/canteen/menus/{day}/lunch", data={f"m{today:%Y%m%d}lunch-dishes": "菜" * 61})
    assert too_long.status_code == 422 and "60" in too_long.get_data(as_text=True)
    past = client.post(f"/canteen/menus/{last_week.isoformat()}/lunch",
                       data={f"m{last_week:%Y%m%d}lunch-dishes": "改过的菜"})
    assert past.status_code == 422
    assert client.post(f"/canteen/menus/{day}/supper", data={}).status_code == 422
    assert client.post("/canteen/menus/not-a-day/lunch", data={}).status_code == 404
    page = client.get(f"/canteen/menus?week={day}").get_data(as_text=True)
    assert "红烧肉" in page and "data-print" in page
    copied = client.post(f"/canteen/menus/copy?week={day}")
    assert copied.status_code in (303, 422)  # today's lunch is filled; other days may be in the past


def test_samples_obey_weight_duty_and_one_per_dish(app, client):
    with app.test_request_context():
        k = kitchen()
        menu()
        cook, late_cook = k.cook.person_id, k.late_cook.person_id
        pork, eggs = _dish("红烧肉"), _dish("番茄炒蛋")
    login(client, "cook")
    client.post("/canteen/morning/all-well")
    prefix = f"d{pork}-"
    for weight, message in (("一百克", "不是重量"), ("100", "至少 125 g"), ("", "称重"), ("12500", "2000")):
        refused = client.post(f"/canteen/samples/{pork}", data={f"{prefix}weight": weight,
                                                                 f"{prefix}sampler_id": str(cook)})
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), weight
    off_duty = client.post(f"/canteen/samples/{pork}", data={f"{prefix}weight": "150",
                                                              f"{prefix}sampler_id": str(late_cook)})
    assert off_duty.status_code == 422 and "赵师傅" in off_duty.get_data(as_text=True)
    bad_photo = client.post(f"/canteen/samples/{pork}", content_type="multipart/form-data", data={
        f"{prefix}weight": "150", f"{prefix}sampler_id": str(cook), f"{prefix}photo": (BytesIO(b"text"), "a.jpg")})
    assert bad_photo.status_code == 422
    with app.app_context():
        assert _sample_count() == 0
    done = client.post(f"/canteen/samples/{pork}", data={f"{prefix}weight": "150g", f"{prefix}sampler_id": str(cook)})
    assert done.status_code == 303
    again = client.post(f"/canteen/samples/{pork}", data={f"{prefix}weight": "150", f"{prefix}sampler_id": str(cook)})
    assert again.status_code == 422
    # on the tablet (htmx) a save answers with the dish's row and its meal's heading, not the page
    light = client.post(f"/canteen/samples/{eggs}", data={f"d{eggs}-weight": "90", f"d{eggs}-sampler_id": str(cook)},
                        headers={"HX-Request": "true"})
    text = light.get_data(as_text=True)
    assert light.status_code == 422 and f'id="dish-{eggs}"' in text and "至少 125 g" in text and "<html" not in text
    kept = client.post(f"/canteen/samples/{eggs}", data={f"d{eggs}-weight": "140", f"d{eggs}-sampler_id": str(cook)},
                       headers={"HX-Request": "true"})
    text = kept.get_data(as_text=True)
    assert kept.status_code == 200 and "已留样" in text and 'data-hx-swap-oob="true"' in text
    assert len(kept.data) < 5 * 1024, f"the fragment is {len(kept.data)} bytes"
    with app.app_context():
        sample = db.session.scalars(select(FoodSample).where(FoodSample.dish_id == pork)).one()
        assert sample.weight_g == 150 and sample.keep_until - sample.sampled_at == timedelta(hours=48)
        assert sample.container_code == f"{local_today():%m%d}-午-1"
        with pytest.raises(ServiceError, match="before|之前|不能"):
            samples.discard(None, sample.id)


def test_a_sample_is_discarded_only_after_48_hours_and_reviewed_by_the_manager(app, client, clock):
    with app.test_request_context():
        _k, sample = _kitchen_with_a_sample("番茄炒蛋")
        sample_id, meal_id = sample.id, sample.meal_id
    login(client, "kitchen")
    assert client.post(f"/canteen/meals/{meal_id}/review").status_code == 303
    assert client.post(f"/canteen/meals/{meal_id}/review").status_code == 422  # nothing left to review
    assert client.post(f"/canteen/samples/{sample_id}/discard").status_code == 422
    clock.traveller.shift(timedelta(hours=49))
    assert client.post(f"/canteen/samples/{sample_id}/discard").status_code == 303
    with app.app_context():
        kept = db.session.get(FoodSample, sample_id)
        assert kept.discarded_at and kept.reviewed_at


def test_a_meal_over_with_a_dish_not_sampled_is_a_failure(app):
    with app.test_request_context():
        _kitchen_with_a_sample("肉包")
        day = samples.of_day(local_today())
        breakfast = next(m for m in day if m.meal.kind == "breakfast")
        lunch = next(m for m in day if m.meal.kind == "lunch")
        assert breakfast.over and [d.name for d in breakfast.missing] == ["豆浆"]  # held at 10:00, after 08:00
        assert not lunch.over and len(lunch.missing) == 4
        failed = samples.unsampled(local_today() - timedelta(days=7), local_today())
        assert [(meal.kind, dish.name) for meal, dish in failed] == [("breakfast", "豆浆")]


def test_a_sampled_dish_stays_on_the_menu(app):
    with app.test_request_context():
        _kitchen_with_a_sample("红烧肉")
        with pytest.raises(ServiceError, match="红烧肉"):
            meals.set_dishes(local_today(), "lunch", "番茄炒蛋")


def test_the_month_sample_log_prints_and_exports(app, client):
    with app.test_request_context():
        _kitchen_with_a_sample("红烧肉")
    login(client, "kitchen")
    month = local_today().strftime("%Y-%m")
    page = client.get(f"/canteen/ledgers/samples?month={month}").get_data(as_text=True)
    assert "食品留样记录" in page and "红烧肉" in page and "第28条" in page
    book = load_workbook(BytesIO(client.get(f"/canteen/ledgers/samples?month={month}&format=xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][4] == 130 and rows[1][0].date() == local_today()
    assert client.get("/canteen/samples").status_code == 200


def test_the_dashboard_names_unsampled_dishes_unseen_staff_and_lapsed_certificates(app, client):
    from schoolhq.core.calendar import is_school_day

    with app.test_request_context():
        kitchen()
        menu()
        from tests.conftest import make_account

        make_account("teacher", "staff")
        school_day = is_school_day(local_today())
    login(client, "kitchen")
    page = client.get("/").get_data(as_text=True)
    assert "未留样的菜品" in page and "豆浆" in page and "红烧肉" not in page  # lunch is not over at 10:00
    assert "证件过期或缺失" in page and "赵师傅" in page
    if school_day:
        assert "晨检未完成" in page
    client.post("/canteen/morning/all-well")
    assert "晨检未完成" not in client.get("/").get_data(as_text=True)
    client.post("/auth/logout")
    login(client, "teacher")
    page = client.get("/").get_data(as_text=True)
    assert "未留样的菜品" not in page and "赵师傅" not in page
