"""Real-browser walk of a fire-patrol finding through the hazard register at 1024×768:
the maintenance worker's daily patrol finds a fire door wedged open and does not put it
right on the spot; submitting the round registers the hazard for the logistics head, who
records the rectification and may not re-check it himself; the principal re-checks it,
signs on the canvas and closes it; the month's 隐患整改台账 prints on A4 with her
signature. The database agrees at each step. The round is started by hand, so the demo's
own patrol rounds (open or not, by the time of day) do not matter."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import pdf_pages, shoot, sign, sign_in, sign_out  # noqa: E402

WORKER, HEAD, PRINCIPAL = "repair", "logistics", "principal"
BUILDING = "综合楼"
NOTE = "三楼防火门被木楔顶住常开"


def slots_of(app, round_id: int) -> dict[str, dict]:
    from schoolhq.checks import services

    with app.app_context():
        return {s.item.key: {"dom_id": s.dom_id, "item_id": s.item.id, "type": s.item.type}
                for s in services.slots(services.get_round(round_id))}


def hazard_of(app, round_id: int) -> dict | None:
    from sqlalchemy import select

    from schoolhq.checks.models import CheckFinding
    from schoolhq.extensions import db
    from schoolhq.hazards.models import Hazard

    with app.app_context():
        hazard = db.session.scalar(select(Hazard).join(CheckFinding, CheckFinding.id == Hazard.finding_id)
                                   .where(CheckFinding.round_id == round_id))
        if hazard is None:
            return None
        return {"id": hazard.id, "status": hazard.status, "level": hazard.level, "source": hazard.source,
                "responsible": hazard.responsible.name, "ticket_id": hazard.ticket_id,
                "rectified_by": hazard.rectified_by_id, "rechecked_by": hazard.rechecked_by_id,
                "signature": hazard.recheck_signature_id, "found_on": hazard.found_on.strftime("%Y-%m")}


def click_and_wait(page, button, item_id: int) -> None:
    with page.expect_response(lambda r: r.request.method == "POST" and f"/{item_id}/" in r.url) as info:
        button.click()
    assert info.value.status == 200, info.value.status


def test_a_patrol_finding_is_rectified_and_rechecked_by_someone_else(browsing, demo, app):
    page = browsing.page

    # The worker's daily fire patrol of 综合楼, started by hand.
    sign_in(page, WORKER)
    page.goto("/checks/")
    start_form = "form[action$='/checks/start']"
    page.locator("main details.action", has=page.locator(start_form)).locator("summary").click()
    start = page.locator(f"main {start_form}")
    start.locator("#template_key").select_option("fire.daily")
    building = start.locator("#location_id option").filter(has_text=re.compile(f"{BUILDING}$"))
    start.locator("#location_id").select_option(building.get_attribute("value"))
    start.locator("button.primary[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/checks/rounds/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[1])
    slots = slots_of(app, round_id)
    assert {"fire_doors", "findings", "supervisor_signature"} <= set(slots), sorted(slots)

    doors = page.locator(f"#{slots['fire_doors']['dom_id']}")
    click_and_wait(page, doors.locator("button.fail"), slots["fire_doors"]["item_id"])
    evidence = doors.locator("form.evidence")
    evidence.locator("input[name=note]").fill(NOTE)
    with page.expect_response(lambda r: "/evidence/" in r.url):
        evidence.locator("button[type=submit]").click()
    expect(doors.locator("form.evidence input[name=note]")).to_have_value(NOTE)

    page.locator(f"main form[action$='/checks/rounds/{round_id}/all-pass'] button[type=submit]").click()
    expect(page.locator(f"#{slots['exits']['dom_id']}")).to_have_class(re.compile(r"\boutcome-pass\b"))
    findings = page.locator(f"#{slots['findings']['dom_id']}")
    findings.locator("input[name=value]").fill("防火门已报告总务处")
    with page.expect_response(lambda r: f"/answer/{slots['findings']['item_id']}/" in r.url):
        findings.locator("input[name=value]").press("Tab")
    supervisor = page.locator(f"#{slots['supervisor_signature']['dom_id']}")
    sign(page, supervisor.locator("canvas"), f"sig-{slots['supervisor_signature']['dom_id']}")
    click_and_wait(page, supervisor.locator("button.primary[type=submit]"), slots["supervisor_signature"]["item_id"])
    submit = page.locator("main form#submit")
    sign(page, submit.locator("canvas[data-signature-for='round-signature']"), "round-signature")
    submit.locator("button.primary[type=submit]").click()
    expect(page.locator("main .page-head .tag.status-submitted")).to_have_count(1)

    hazard = hazard_of(app, round_id)
    assert hazard is not None, "the finding not put right on the spot is a hazard"
    assert (hazard["status"], hazard["level"], hazard["source"], hazard["responsible"]) == \
        ("open", "general", "patrol", "王海涛"), hazard
    assert hazard["ticket_id"] is None  # the item's rule only proposes a ticket
    sign_out(page)

    # The logistics head, who answers for it, records the rectification.
    sign_in(page, HEAD)
    page.goto("/")
    expect(page.locator("main")).to_contain_text("我负责整改的隐患")
    page.goto(f"/hazards/{hazard['id']}")
    expect(page.locator("main h1")).to_contain_text("防火门")
    rectify = page.locator("main form[action$='/rectify']")
    rectify.locator("textarea[name=note]").fill("已拔除木楔，防火门恢复常闭")
    rectify.locator("button.primary[type=submit]").click()
    expect(page.locator("main .page-head .tag")).to_contain_text("已整改待复查")
    expect(page.locator("main form[action$='/recheck']")).to_have_count(0)  # not his own re-check
    expect(page.locator("main p.hint")).to_contain_text("以外的人复查")
    assert hazard_of(app, round_id)["status"] == "rectified"
    sign_out(page)

    # The principal re-checks it on the tablet: a re-check without a signature is refused.
    sign_in(page, PRINCIPAL)
    page.goto(f"/hazards/{hazard['id']}")
    recheck = page.locator("main form[action$='/recheck']")
    recheck.locator("button.primary[type=submit]").click()
    expect(page.locator("main .alert.error, main p.error, main .field-error").first).to_contain_text("签名")
    assert hazard_of(app, round_id)["status"] == "rectified"
    recheck = page.locator("main form[action$='/recheck']")
    sign(page, recheck.locator("canvas"), "recheck-signature")
    shoot(page, "hazard-recheck-1024-zh")
    recheck.locator("button.primary[type=submit]").click()
    expect(page.locator("main .page-head .tag")).to_contain_text("已销号")
    shoot(page, "hazard-closed-1024-zh", full_page=True)
    closed = hazard_of(app, round_id)
    assert closed["status"] == "closed" and closed["signature"] and closed["rechecked_by"] != closed["rectified_by"]

    # The month's register, printed.
    page.goto(f"/hazards/ledger?month={closed['found_on']}")
    row = page.locator("main table.ledger tbody tr").filter(has_text=NOTE)  # the patrol's own words
    expect(row).to_contain_text("合格销号")
    expect(row).to_contain_text("李建国")
    expect(row.locator("img.signature")).to_have_count(1)
    sheets = pdf_pages(page, "hazard-ledger-a4")
    assert sheets, "the register prints"
