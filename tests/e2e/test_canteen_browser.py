"""The morning check on a kitchen tablet held upright (768×1024): everyone well with one
tap, a cook sent home with a fever, the manager signs the day's sheet; then the month's
从业人员晨检记录 printed on A4 and looked at."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.conftest import TEST_PASSWORD  # noqa: E402
from tests.e2e.pages import pdf_pages, shoot, sign, sign_in, sign_out  # noqa: E402


def test_a_morning_check_on_a_kitchen_tablet(browsing, app):
    from tests.factories.canteen import kitchen

    with app.app_context():
        k = kitchen()
        cook_id = k.cook.person_id
    page = browsing.page
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "cook", TEST_PASSWORD)
    page.goto("/canteen/morning")
    expect(page.locator("main h1")).to_contain_text("晨检")
    page.get_by_role("button", name="其余人员全部正常").click()
    expect(page.locator("main")).to_contain_text("已检 4 / 4 人，离岗 2 人。")
    row = page.locator(f"#mc-{cook_id}")
    expect(page.locator("main ul.morning form")).to_have_count(0)  # everyone seen: no forms until asked
    row.get_by_role("link", name="更正").click()
    expect(row.locator("details[open] input[name$=temperature]")).to_be_visible()
    row.locator("input[name$=temperature]").fill("38.1")
    row.get_by_role("button", name="记录").click()
    expect(page.locator(f"#mc-{cook_id}")).to_contain_text("体温 38.1 ℃")
    expect(page.locator(f"#mc-{cook_id} .tag.tone-danger")).to_have_text("离岗")
    shoot(page, "canteen-morning-portrait", full_page=True)

    # lunch's dishes sampled from the menu; one under weight is refused and says why
    with app.test_request_context():
        from tests.factories.canteen import menu

        menu()
    page.goto("/canteen/samples")
    lunch = page.locator("section.card", has=page.locator("h2", has_text="午餐"))
    dishes = lunch.locator("li.row")
    expect(dishes).to_have_count(4)
    first = dishes.first
    first.locator("select[name$=sampler_id]").select_option(label="王经理")  # the cook went home
    first.locator("input[name$=weight]").fill("100")
    first.get_by_role("button", name="登记留样").click()
    expect(page.locator("main .field-error, main .alert.error").first).to_contain_text("至少 125 g")
    expect(page.locator("select[name$=sampler_id] option", has_text="李师傅")).to_have_count(0)
    for n in range(4):
        row = lunch.locator("li.row").nth(n)
        row.locator("input[name$=weight]").fill("150")
        row.locator("select[name$=sampler_id]").select_option(label="王经理")
        row.get_by_role("button", name="登记留样").click()
        expect(lunch.locator("li.row").nth(n).locator(".tag.tone-ok")).to_have_text("已留样")
    expect(lunch.locator("h2 .tag.tone-ok")).to_have_text("已全部留样")
    shoot(page, "canteen-samples-portrait", full_page=True)
    sign_out(page)

    sign_in(page, "kitchen", TEST_PASSWORD)
    page.goto("/canteen/morning")
    sign(page)
    page.get_by_role("button", name="签字确认").click()
    expect(page.locator("canvas[data-signature-for]")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("王经理 于")

    page.goto("/canteen/ledgers/morning")
    expect(page.locator("main table.sheet tbody tr")).to_have_count(4)
    expect(page.locator("main table.sheet img.signature")).to_have_count(1)
    sheets = pdf_pages(page, "canteen-morning-ledger")
    assert len(sheets) == 1, sheets
    assert re.search(r"/canteen/ledgers/morning", page.url)


def test_goods_received_on_a_kitchen_tablet(browsing, app):
    """A delivery on the tablet held upright: the supplier whose licence ran out yesterday
    cannot be chosen, staples without a second receiver are refused with the reason, a
    shelf life of -3 names its line, then rice and greens are received by two and the
    month's 进货查验记录 prints on A4 landscape."""
    from schoolhq.canteen import morning
    from tests.factories.canteen import kitchen, supplier

    with app.test_request_context():
        k = kitchen()
        morning.all_well(k.cook)
        supplier()
        lapsed = supplier("鲜源蛋奶配送中心", expires_in_days=-1)
        lapsed_id = lapsed.id
        from schoolhq.extensions import db

        db.session.commit()
    page = browsing.page
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "kitchen", TEST_PASSWORD)
    page.goto("/canteen/deliveries")
    page.get_by_role("link", name="进货验收").click()
    expect(page.locator("main h1")).to_contain_text("进货验收")
    expect(page.locator(f"select[name=g-supplier_id] option[value='{lapsed_id}']")).to_be_disabled()
    page.locator("select[name=g-supplier_id]").select_option(label="绿源蔬菜配送有限公司")
    first = page.locator("fieldset.delivery-line").first
    first.locator("select[name$=category]").select_option(label="米面粮食")
    first.locator("input[name$=-product]").fill("东北大米")
    first.locator("input[name$=quantity]").fill("4")
    first.locator("select[name$=unit]").select_option("袋")
    first.locator("input[name$=batch]").fill("20261114")
    first.locator("input[name$=shelf_life]").fill("-3")
    first.get_by_label("购货凭证").check()
    page.get_by_role("button", name="登记进货").click()
    expect(page.locator("main .alert.error")).to_contain_text("第1行")
    expect(first.locator(".field-error")).to_contain_text("保质期")
    first.locator("input[name$=shelf_life]").fill("12个月")
    page.get_by_role("button", name="登记进货").click()
    expect(page.locator("main .alert.error")).to_contain_text("两人共同验收")
    page.get_by_role("button", name="再加一行").click()
    expect(page.locator("fieldset.delivery-line")).to_have_count(4)
    expect(first.locator("input[name$=-product]")).to_have_value("东北大米")
    second = page.locator("fieldset.delivery-line").nth(1)
    second.locator("select[name$=category]").select_option(label="蔬菜水果")
    second.locator("input[name$=-product]").fill("小白菜")
    second.locator("input[name$=quantity]").fill("15")
    second.locator("input[name$=batch]").fill("当日采摘")
    second.get_by_label("购货凭证").check()
    page.locator("select[name=g-co_receiver_id]").select_option(label="李师傅")
    sign(page, hidden="g-signature")
    shoot(page, "canteen-delivery-portrait", full_page=True)
    page.get_by_role("button", name="登记进货").click()
    expect(page.locator("main h1")).to_contain_text("绿源蔬菜配送有限公司")
    expect(page.locator("main")).to_contain_text("东北大米")
    expect(page.locator("main img.signature")).to_have_count(1)

    page.goto("/canteen/ledgers/deliveries")
    expect(page.locator("main table.sheet tbody tr")).to_have_count(2)
    sheets = pdf_pages(page, "canteen-delivery-ledger")
    assert len(sheets) == 1, sheets


def test_an_accompanied_meal_is_signed_on_a_tablet(browsing, app, clock):
    """The leader on the rota eats lunch with the pupils and records it upright on the
    tablet: an ungraded aspect is refused, then graded, signed, and in the month's log."""
    from schoolhq.canteen import companion
    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from tests.conftest import make_account
    from tests.factories.canteen import kitchen, menu

    with app.test_request_context():
        kitchen()
        head = make_account("head", "principal", name="李校长")
        menu()
        companion.set_rota({(local_today().weekday(), "lunch"): head.person_id})
        db.session.commit()
    clock.set(f"{local_today().isoformat()} 12:10")
    page = browsing.page
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "head", TEST_PASSWORD)
    expect(page.locator("main")).to_contain_text("今天陪餐")
    page.goto("/canteen/companion")
    lunch = page.locator("section.card", has=page.locator("h2", has_text="午餐"))
    expect(lunch).to_contain_text("值班：李校长")
    for aspect, grade in (("饭菜质量", "优"), ("食堂卫生", "良"), ("就餐秩序", "优")):
        lunch.locator("fieldset", has=page.locator("legend", has_text=aspect)).get_by_label(grade, exact=True).check()
    lunch.locator("textarea[name$=notes]").fill("饭菜温度适宜，学生基本光盘")
    sign(page, lunch.locator("canvas[data-signature-for]"), hidden=lunch.locator("input[name$=signature]")
         .get_attribute("id"))
    lunch.get_by_role("button", name="签字确认陪餐记录").click()
    expect(page.locator("main .alert.error")).to_contain_text("四项")
    lunch = page.locator("section.card", has=page.locator("h2", has_text="午餐"))
    for aspect, grade in (("饭菜质量", "优"), ("食堂卫生", "良"), ("就餐秩序", "优"), ("服务情况", "良")):
        lunch.locator("fieldset", has=page.locator("legend", has_text=aspect)).get_by_label(grade, exact=True).check()
    sign(page, lunch.locator("canvas[data-signature-for]"), hidden=lunch.locator("input[name$=signature]")
         .get_attribute("id"))
    shoot(page, "canteen-companion-portrait", full_page=True)
    lunch.get_by_role("button", name="签字确认陪餐记录").click()
    lunch = page.locator("section.card", has=page.locator("h2", has_text="午餐"))
    expect(lunch.locator(".tag.tone-ok")).to_have_text("已记录")
    expect(lunch.locator("img.signature")).to_have_count(1)
    page.goto("/canteen/ledgers/companion")
    expect(page.locator("main table.sheet tbody tr")).to_have_count(1)
    sheets = pdf_pages(page, "canteen-companion-ledger")
    assert len(sheets) == 1, sheets


def test_disinfection_and_waste_on_a_kitchen_tablet(browsing, app, clock):
    """After lunch: a cabinet batch under 120 ℃ needs what was done, then the waste goes to
    the collector; the month's disinfection log prints on one A4 landscape sheet."""
    from schoolhq.canteen import morning
    from schoolhq.core.timeutil import local_today
    from schoolhq.extensions import db
    from tests.factories.canteen import kitchen, supplier

    with app.test_request_context():
        k = kitchen()
        morning.all_well(k.cook)
        supplier("绿城餐厨废弃物收运有限公司", kind="waste_collector", licence_kind="waste")
        db.session.commit()
    clock.set(f"{local_today().isoformat()} 14:00")
    page = browsing.page
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, "kitchen", TEST_PASSWORD)
    page.goto("/canteen/hygiene")
    card = page.locator("#disinfection")
    card.locator("select[name=d-method]").select_option(label="红外线消毒柜")
    card.locator("input[name=d-started]").fill("13:00")
    card.locator("input[name=d-ended]").fill("13:20")
    card.locator("input[name=d-reading]").fill("110")
    card.locator("input[name=d-items]").fill("餐盘、碗、筷子")
    card.locator("select[name=d-checker_id]").select_option(label="李师傅")
    card.get_by_role("button", name="登记消毒").click()
    expect(page.locator("#disinfection .field-error")).to_contain_text("重新消毒")
    page.locator("#disinfection input[name=d-remarks]").fill("温度不足，已重新消毒")
    page.locator("#disinfection").get_by_role("button", name="登记消毒").click()
    expect(page.locator("#disinfection .tag.tone-danger")).to_have_text("未达限值")
    waste = page.locator("#waste")
    waste.locator("input[name=w-quantity]").fill("35.5")
    waste.locator("input[name=w-handed]").fill("13:30")
    waste.locator("select[name=w-collector_id]").select_option(label="绿城餐厨废弃物收运有限公司")
    waste.get_by_role("button", name="登记处置").click()
    expect(page.locator("#waste")).to_contain_text("35.5 kg")
    shoot(page, "canteen-hygiene-portrait", full_page=True)
    page.goto("/canteen/ledgers/disinfection")
    expect(page.locator("main table.sheet tbody tr")).to_have_count(1)
    expect(page.locator("main table.sheet tbody tr")).to_contain_text("13:00")
    assert len(pdf_pages(page, "canteen-disinfection-ledger")) == 1
