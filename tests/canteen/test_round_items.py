"""The canteen round's items that the canteen's records answer: the meal round reads the
food samples and the accompanied-meal record, the daily round the morning check; such an
item is not answered by hand while the records are kept, and the submission writes what
they say. A school without a canteen roster answers them by hand as before."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from schoolhq.canteen import companion, morning, samples
from schoolhq.canteen.models import Dish
from schoolhq.checks import judging, services
from schoolhq.checks.models import CheckAnswer
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from tests.canteen.test_receiving import SIGNATURE
from tests.conftest import login, make_account
from tests.factories.canteen import kitchen, menu
from tests.factories.checks import kitchen as building


def _slot(round_, key):
    return next(s for s in services.slots(round_) if s.item.key == key)


def test_the_meal_round_reads_the_samples_and_the_accompanied_meal(app, client, clock):
    with app.test_request_context():
        place, _manager, _head, assets = building()
        fridge = assets["留样冰箱"].id
        k = kitchen()
        lunch = menu()["lunch"]
        morning.all_well(k.cook)
        dishes = db.session.scalars(select(Dish).where(Dish.meal_id == lunch.id).order_by(Dish.position)).all()
        for dish in dishes[:3]:
            samples.record(k.cook, dish.id, "150", k.cook.person_id, fridge)
        db.session.commit()
        clock.set(f"{local_today().isoformat()} 13:00")
        round_ = services.start_adhoc(k.manager, "canteen.meal", place.id)
        db.session.commit()
        read = services.record_answers(round_, services.slots(round_))
        taken, eaten = _slot(round_, "samples_taken"), _slot(round_, "accompanied")
        assert read[taken.dom_id].outcome == "fail" and "紫菜蛋花汤" in read[taken.dom_id].note
        assert read[eaten.dom_id].outcome == "fail"
        with pytest.raises(ServiceError, match="records|记录"):
            services.answer(k.manager, round_.id, taken.item.id, 0, judging.AnswerInput(outcome="pass"))
        db.session.rollback()
        # the soup sampled and a leader's record: the records now say pass
        samples.record(k.cook, dishes[3].id, "150", k.cook.person_id, fridge)
        head = make_account("head", "principal", name="李校长")
        companion.record(head, lunch.id, companion.Record(companion.Grades("good", "good", "good", "good")),
                         SIGNATURE)
        services.all_remaining_pass(k.manager, round_.id)
        assert db.session.scalar(select(CheckAnswer).where(CheckAnswer.round_id == round_.id,
                                                           CheckAnswer.item_id == taken.item.id)) is None
        read = services.record_answers(round_, services.slots(round_))
        assert read[taken.dom_id].outcome == "pass" and "4" in read[taken.dom_id].note
        assert "李校长" in read[eaten.dom_id].note
        round_id = round_.id
        db.session.commit()
    login(client, "kitchen")
    page = client.get(f"/checks/rounds/{round_id}").get_data(as_text=True)
    assert "4 道菜均已留样" in page and "查看记录" in page


def test_the_daily_round_reads_the_morning_check_and_submission_writes_it(app, clock):
    with app.test_request_context():
        place, _manager, _head, _assets = building()
        k = kitchen()
        round_ = services.start_adhoc(k.manager, "canteen.daily", place.id)
        check = _slot(round_, "morning_check_done")
        read = services.record_answers(round_, services.slots(round_))
        assert read[check.dom_id].outcome == "fail" and "李师傅" in read[check.dom_id].note
        morning.all_well(k.cook)
        for the_slot in services.slots(round_):
            if the_slot.item.type == "number":
                services.answer(k.manager, round_.id, the_slot.item.id, the_slot.subject_id,
                                judging.AnswerInput(value="4" if "freezer" not in the_slot.item.key else "-18"))
        services.all_remaining_pass(k.manager, round_.id)
        services.submit(k.manager, round_.id, SIGNATURE)
        written = db.session.scalar(select(CheckAnswer).where(CheckAnswer.round_id == round_.id,
                                                              CheckAnswer.item_id == check.item.id))
        assert written.outcome == "pass" and "离岗" in written.note  # 赵师傅 and 钱阿姨 are off duty
