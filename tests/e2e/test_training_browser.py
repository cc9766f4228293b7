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
