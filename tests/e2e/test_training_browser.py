"""A training session in real browsers: the trainer shows the rotating sign-in code on a
1024×768 screen; three trainees sign in from phones (390×844) by opening it, and say they
attended and understood — a code from an old screen is refused with the reason; the
trainer's screen counts them, the trainer confirms the attendance, and the matrix prints
on A4 landscape with their training valid. The database agrees."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import TEST_PASSWORD  # noqa: E402
from tests.e2e.pages import pdf_pages, shoot, sign_in  # noqa: E402

TRAINEES = {"canteen": "陈红梅", "cook": "刘大勇", "helper": "钱阿姨"}


def test_trainees_sign_in_from_phones_and_the_trainer_confirms(browser, browsing, app):
    from sqlalchemy import func, select

    from schoolhq.core.timeutil import local_today, to_local, utcnow
    from schoolhq.extensions import db
    from schoolhq.training.models import Attendance, Completion
    from tests.factories.training import school, session_on

    with app.app_context():
        s = school()
        now = to_local(utcnow())
        starts = (now - timedelta(minutes=5)).strftime("%H:%M")
        session = session_on(s.head, "food_safety", local_today(), starts, (now + timedelta(minutes=80)).strftime("%H:%M"))
        session_id = session.id
        db.session.commit()

    trainer = browsing.page
    sign_in(trainer, "logistics", TEST_PASSWORD)
    trainer.goto(f"/training/sessions/{session_id}")
    trainer.get_by_role("link", name="显示签到二维码").click()
    expect(trainer.locator("#signin-code svg")).to_be_visible()
    link = trainer.locator("#signin-code p.small").inner_text().strip()
    path = re.sub(r"^https?://[^/]+", "", link)
    assert path.startswith(f"/training/in/{session_id}/"), link
    shoot(trainer, "training-signin-screen")

    for username, name in TRAINEES.items():
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                    base_url=browsing.base_url, timezone_id="Asia/Shanghai", is_mobile=True)
        phone.set_default_timeout(5000)
        page = phone.new_page()
        sign_in(page, username, TEST_PASSWORD)
        if username == "helper":  # a photo of an old screen first: refused, with what to do
            page.goto(f"/training/in/{session_id}/0123456789ab")
            page.get_by_role("button", name=re.compile("签到")).click()
            expect(page.locator("main .alert.error")).to_contain_text("签到码已过期")
        page.goto(path)
        page.get_by_role("button", name=f"签到：{name}").click()
        expect(page).to_have_url(re.compile(rf"/training/sessions/{session_id}$"))
        page.get_by_role("button", name="我已参加并理解").click()
        expect(page.locator("main")).to_contain_text("你已于")
        if username == "cook":
            shoot(page, "training-phone-signed-in")
        phone.close()

    trainer.reload()
    expect(trainer.locator("#signin-code h2")).to_contain_text("已签到：3 / 3")
    trainer.get_by_role("link", name="返回培训页面").click()
    trainer.once("dialog", lambda dialog: dialog.accept())
    trainer.get_by_role("button", name="确认考勤").click()
    expect(trainer.locator("main .tag.status-confirmed")).to_have_text("培训人已确认")
    shoot(trainer, "training-session-confirmed", full_page=True)

    with app.app_context():
        assert db.session.scalar(select(func.count(Attendance.id)).where(Attendance.signed_in_how == "qr")) == 3
        assert db.session.scalar(select(func.count(Completion.id))) == 3

    trainer.goto("/training/?category=food_safety")
    expect(trainer.locator("table.matrix")).to_contain_text("刘大勇")
    expect(trainer.locator("table.matrix .state-valid")).to_have_count(3)
    pages = pdf_pages(trainer, "training-matrix")
    assert len(pages) == 1, pages


def test_the_test_on_phones_and_the_practical_on_the_tablet(browser, browsing, app):
    """Three trainees take the theory test on their phones — one fails and retakes — and
    the assessor signs their practicals off on the tablet, one "not yet" with its reason;
    the two who passed both are complete on the matrix."""
    from sqlalchemy import select

    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from schoolhq.training import assessment, services
    from schoolhq.training.models import Completion, Question
    from tests.e2e.pages import sign
    from tests.factories.training import requirement, school, session_on

    with app.app_context():
        s = school()
        food = requirement("food_safety")
        data = services.RequirementInput(
            name_zh=food.name_zh, name_en=food.name_en, category=food.category, roles=list(food.roles),
            validity_months="12", duties=list(food.duties), stages=["theory", "practical"], retakes="1",
            practical_steps="七步洗手法\n留样：每样不少于125克，标注时间")
        services.save_requirement(s.head, food.id, data)
        session = session_on(s.head, "food_safety", local_today() - timedelta(days=1))
        services.mark_all(s.head, session.id, {p: ("present", "") for p in
                                               (s.manager.person_id, s.cook.person_id, s.helper.person_id)})
        services.confirm(s.head, session.id)
        people = {"canteen": s.manager.person_id, "cook": s.cook.person_id, "helper": s.helper.person_id}
        answers = {q.id: q.answer for q in db.session.scalars(select(Question).where(
            Question.requirement_id == food.id))}
        food_id = food.id
        db.session.commit()

    def answer(page, wrong: int) -> None:
        expect(page.get_by_role("button", name="交卷")).to_be_visible()  # the sitting's page, not the one before
        for n, fieldset in enumerate(page.locator("ol.questions fieldset").all()):
            qid = int(fieldset.locator("input").first.get_attribute("name")[1:])
            right = answers[qid]
            picks = right if n >= wrong else [i for i in range(8) if i not in right][:1]
            for index in picks:
                fieldset.locator(f"input[value='{index}']").check()
        page.get_by_role("button", name="交卷").click()

    for username, person_id in people.items():
        phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                    base_url=browsing.base_url, timezone_id="Asia/Shanghai", is_mobile=True)
        phone.set_default_timeout(5000)
        page = phone.new_page()
        sign_in(page, username, TEST_PASSWORD)
        page.goto(f"/training/people/{person_id}")
        page.get_by_role("link", name="参加考试").click()
        page.get_by_role("button", name="开始考试").click()
        answer(page, wrong=3 if username == "cook" else 0)
        if username == "cook":  # fails, goes back and retakes
            expect(page.locator("main .alert")).to_contain_text("未通过")
            shoot(page, "training-quiz-failed", full_page=True)
            page.get_by_role("link", name="返回考试").click()
            expect(page.locator("main")).to_contain_text("剩余考试次数：1")
            page.get_by_role("button", name="开始考试").click()
            answer(page, wrong=0)
        expect(page.locator("main .alert")).to_contain_text("通过")
        phone.close()

    assessor = browsing.page
    sign_in(assessor, "logistics", TEST_PASSWORD)
    for username, person_id in people.items():
        assessor.goto(f"/training/requirements/{food_id}/practical/{person_id}")
        steps = assessor.locator("ol.steps li")
        steps.nth(0).get_by_label("通过").check()
        if username == "helper":
            steps.nth(1).get_by_label("暂不合格").check()
            steps.nth(1).locator("input[name='note-1']").fill("留样未标注时间")
            assessor.locator("#reason").fill("留样标识不全，需复练")
        else:
            steps.nth(1).get_by_label("通过").check()
        sign(assessor, hidden="signature")
        if username == "helper":
            shoot(assessor, "training-practical-not-yet", full_page=True)
        assessor.get_by_role("button", name="签名确认实操考核").click()
        expect(assessor).to_have_url(re.compile(rf"/training/people/{person_id}$"))
    expect(assessor.locator("main")).to_contain_text("暂不合格")
    expect(assessor.locator("main")).to_contain_text("留样标识不全")

    with app.app_context():
        done = set(db.session.scalars(select(Completion.person_id).where(Completion.requirement_id == food_id)))
        assert done == {people["canteen"], people["cook"]}
        sittings = assessment.attempts(people["cook"], food_id, this_cycle=False)
        assert [a.passed for a in sittings] == [False, True], "failed, then passed the one retake allowed"
        assert assessment.sittings_left(people["cook"], requirement("food_safety")) == 2, "completed: a new cycle"
    assessor.goto("/training/?category=food_safety")
    expect(assessor.locator("table.matrix .state-valid")).to_have_count(2)
