"""Real-browser check of a check round from end to end at 1024×768: the canteen manager
starts the canteen's daily round by hand, a number typed as letters is refused in its
slot and saves nothing, one fridge reads out of range (the slot turns failed and asks
for evidence, a note is saved), the rest is answered, the round is signed on the canvas
and submitted, its finding opens a repair ticket, and the month's ledger shows the
reading in a failed cell, on screen and in print. The database agrees at each step.

Robust to the time of day: the demo's own daily round may be closed, open or absent,
so the round here is always started by hand and told apart from the demo's by its id."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import pytest

from tests.e2e.conftest import SCREENS, why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import (  # noqa: E402
    sign,  # noqa: E402
    sign_in,
    sign_out,
)

MANAGER, HEAD = "canteen", "logistics"
MANAGER_NAME = "陈红梅"
TEMPLATE = "canteen.daily"
BUILDING = "食堂楼"
READINGS = {"fridge_temp": "11", "freezer_temp": "-18", "sample_fridge_temp": "4"}
EVIDENCE_NOTE = "冷藏冰箱门封条老化，已将食材转移至备用冰箱"


# Database helpers (run in the test's own thread, outside any request) ------------------

def today_and_month(app) -> tuple[str, str]:
    """Today in school time as the ledger's date column shows it ("MM-DD"), and its month."""
    from schoolhq.core.timeutil import local_today

    with app.app_context():
        today = local_today()
    return today.strftime("%m-%d"), today.strftime("%Y-%m")


def round_slots(app, round_id: int) -> dict[str, dict]:
    """The round's slots by item key; each per-asset item has one asset at the canteen."""
    from schoolhq.checks import services
    from schoolhq.extensions import db

    with app.app_context():
        found: dict[str, dict] = {}
        for slot in services.slots(services.get_round(round_id)):
            assert slot.item.key not in found, f"{slot.item.key} is asked for more than one asset"
            found[slot.item.key] = {"dom_id": slot.dom_id, "type": slot.item.type, "label": slot.subject_label,
                                    "item_id": slot.item.id, "prompt_zh": slot.item.prompt_zh,
                                    "evidence": slot.item.evidence, "ticket": slot.item.ticket}
        db.session.remove()
    return found


def round_facts(app, round_id: int) -> dict:
    from sqlalchemy import select

    from schoolhq.auth.models import Account
    from schoolhq.checks.models import CheckAnswer, CheckFinding, CheckItem, CheckRound
    from schoolhq.extensions import db

    with app.app_context():
        round_ = db.session.get(CheckRound, round_id)
        answers = {key: {"value": a.value, "outcome": a.outcome, "note": a.note, "number": a.number}
                   for a, key in db.session.execute(
                       select(CheckAnswer, CheckItem.key).join(CheckItem, CheckItem.id == CheckAnswer.item_id)
                       .where(CheckAnswer.round_id == round_id))}
        findings = [{"item": f.item.key, "status": f.status, "ticket_id": f.ticket_id, "summary": f.summary}
                    for f in db.session.scalars(select(CheckFinding).where(CheckFinding.round_id == round_id)
                                                .order_by(CheckFinding.id))]
        manager = db.session.scalar(select(Account).where(Account.username == MANAGER))
        facts = {"template_key": round_.template_key, "schedule_id": round_.schedule_id,
                 "location": round_.location.name, "status": round_.status, "result": round_.result,
                 "failed_count": round_.failed_count, "signature_id": round_.signature_id,
                 "submitted_by_id": round_.submitted_by_id, "started_by_id": round_.started_by_id,
                 "assignee_id": round_.assignee_id, "manager_account": manager.id,
                 "manager_person": manager.person_id, "answers": answers, "findings": findings}
        db.session.remove()
    return facts


def ticket_facts(app, ticket_id: int) -> dict:
    from schoolhq.extensions import db
    from schoolhq.repairs.models import Ticket

    with app.app_context():
        ticket = db.session.get(Ticket, ticket_id)
        facts = {"number": ticket.number, "status": ticket.status, "source_key": ticket.source_key,
                 "description": ticket.description, "asset_id": ticket.asset_id}
        db.session.remove()
    return facts


# Page helpers ------------------------------------------------------------------------

def shoot(page, name: str, **options) -> str:
    """A screenshot that leaves the page as it was (Playwright's default caret hiding
    leaves style="" on inputs, which htmx copies while settling and the CSP reports)."""
    os.makedirs(SCREENS, exist_ok=True)
    path = f"{SCREENS}/{name}.png"
    page.screenshot(path=path, caret="initial", **options)
    return path


def answer_number(page, slot: dict, value: str, status: int = 200) -> None:
    """Type a reading and leave the field (the change event saves it); wait for the
    slot's POST and its swap."""
    field = page.locator(f"#{slot['dom_id']} input[name=value]")
    field.fill(value)
    with page.expect_response(lambda r: r.request.method == "POST" and
                              f"/answer/{slot['item_id']}/" in r.url) as info:
        field.press("Tab")
    assert info.value.status == status, f"saving {value!r} answered {info.value.status}"


def assert_image_loaded(image) -> None:
    expect(image).to_be_attached()
    loaded = image.evaluate("""img => img.complete ? img.naturalWidth > 0 :
        new Promise(done => { img.onload = () => done(img.naturalWidth > 0); img.onerror = () => done(false); })""")
    assert loaded, f"the image {image.get_attribute('src')} did not load"


def print_ledger(page, name: str) -> list[str]:
    """The ledger as the browser prints it (print.css: the ledger on A4 landscape),
    rendered as PNG sheets next to the PDF when pdftoppm is there."""
    pdf = f"{SCREENS}/{name}.pdf"
    for old in glob.glob(f"{SCREENS}/{name}-*.png"):
        os.remove(old)
    page.pdf(path=pdf, print_background=True, prefer_css_page_size=True)
    assert os.path.getsize(pdf) > 1000
    if not shutil.which("pdftoppm"):
        return []
    subprocess.run(["pdftoppm", "-png", "-r", "50", pdf, f"{SCREENS}/{name}"], check=True, timeout=30)
    return sorted(glob.glob(f"{SCREENS}/{name}-*.png"))


# The test ----------------------------------------------------------------------------

def test_canteen_daily_round_with_a_warm_fridge_to_the_ledger(browsing, demo, app):
    page = browsing.page
    assert page.viewport_size == {"width": 1024, "height": 768}
    day, month = today_and_month(app)
    with app.test_request_context():  # the kitchen's morning check, which the round reads
        from sqlalchemy import select as select_

        from schoolhq.auth.models import Account
        from schoolhq.canteen import morning
        from schoolhq.extensions import db

        morning.all_well(db.session.scalar(select_(Account).where(Account.username == "canteen")))
        db.session.commit()

    # The canteen manager starts the daily round by hand for the canteen building.
    sign_in(page, MANAGER)
    page.goto("/checks/")
    expect(page.locator("main h1")).to_be_visible()
    start_form = "form[action$='/checks/start']"
    start = page.locator(f"main {start_form}")
    page.locator("main details.action", has=page.locator(start_form)).locator("summary").click()
    expect(start).to_be_visible()
    start.locator("#template_key").select_option(TEMPLATE)
    building = start.locator("#location_id option").filter(has_text=re.compile(f"{BUILDING}$"))
    expect(building).to_have_count(1)
    start.locator("#location_id").select_option(building.get_attribute("value"))
    expect(start.locator("#location_id option:checked")).to_have_text(re.compile(f" / {BUILDING}$"))
    start.locator("button.primary[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/checks/rounds/\d+$"))
    round_id = int(page.url.rsplit("/", 1)[1])
    round_url = f"/checks/rounds/{round_id}"
    expect(page.locator("main .page-head .tag.status-in_progress")).to_have_count(1)
    expect(page.locator("main .alert.error")).to_have_count(0)
    facts = round_facts(app, round_id)
    assert (facts["template_key"], facts["schedule_id"], facts["location"]) == (TEMPLATE, None, BUILDING)
    assert facts["status"] == "in_progress" and facts["answers"] == {}
    assert facts["started_by_id"] == facts["manager_account"]
    assert facts["assignee_id"] == facts["manager_person"]
    slots = round_slots(app, round_id)
    assert set(READINGS) <= set(slots), sorted(slots)
    fridge = slots["fridge_temp"]
    assert (fridge["type"], fridge["evidence"], fridge["ticket"]) == ("number", "on_fail", "auto")
    expect(page.locator("main .slot[data-slot]")).to_have_count(len(slots))
    expect(page.locator("main .slot.answered")).to_have_count(0)
    fridge_slot = page.locator(f"#{fridge['dom_id']}")
    expect(fridge_slot).to_contain_text(fridge["label"])

    # Letters for a temperature: refused in the slot, the letters kept, nothing saved.
    answer_number(page, fridge, "abc", status=422)
    expect(fridge_slot).to_have_class(re.compile(r"\binvalid\b"))
    expect(fridge_slot).not_to_have_class(re.compile(r"\banswered\b"))
    error = fridge_slot.locator("p.field-error[role=alert]")
    expect(error).to_be_visible()
    expect(error).not_to_have_text(re.compile(r"^\s*$"))
    expect(fridge_slot.locator("input[name=value]")).to_have_value("abc")
    expect(fridge_slot.locator("form.evidence")).to_have_count(0)
    assert round_facts(app, round_id)["answers"] == {}

    # 11 °C in a fridge allowed 0–8 °C: failed at once, and evidence is asked for.
    answer_number(page, fridge, READINGS["fridge_temp"])
    expect(fridge_slot).to_have_class(re.compile(r"\boutcome-fail\b"))
    expect(fridge_slot).not_to_have_class(re.compile(r"\binvalid\b"))
    expect(fridge_slot.locator("p.field-error")).to_have_count(0)
    expect(fridge_slot.locator(".slot-state .tag.outcome-fail")).to_be_visible()
    evidence = fridge_slot.locator("form.evidence")
    expect(evidence).to_be_visible()
    expect(evidence.locator("p.needs")).to_be_visible()
    expect(evidence.locator("input[name=corrected]")).not_to_be_checked()
    answers = round_facts(app, round_id)["answers"]
    assert answers == {"fridge_temp": {"value": "11", "outcome": "fail", "note": "", "number": 11.0}}, answers

    evidence.locator("input[name=note]").fill(EVIDENCE_NOTE)
    with page.expect_response(lambda r: r.request.method == "POST" and
                              f"/evidence/{fridge['item_id']}/" in r.url) as info:
        evidence.locator("button[type=submit]").click()
    assert info.value.status == 200
    expect(fridge_slot.locator("form.evidence p.needs")).to_have_count(0)
    expect(fridge_slot.locator("form.evidence input[name=note]")).to_have_value(EVIDENCE_NOTE)
    expect(fridge_slot).to_have_class(re.compile(r"\boutcome-fail\b"))
    assert round_facts(app, round_id)["answers"]["fridge_temp"]["note"] == EVIDENCE_NOTE
    fridge_slot.scroll_into_view_if_needed()
    shoot(page, "checks-round-fridge-failed-1024-zh")
    shoot(page, "checks-round-fridge-failed-1024-zh-full", full_page=True)

    # The freezer and the food-sample fridge are typed in; they pass.
    for key in ("freezer_temp", "sample_fridge_temp"):
        answer_number(page, slots[key], READINGS[key])
        expect(page.locator(f"#{slots[key]['dom_id']}")).to_have_class(re.compile(r"\boutcome-pass\b"))

    # Everything else passes with one button (a boosted form: the page comes back whole).
    page.locator(f"main form[action$='/checks/rounds/{round_id}/all-pass'] button[type=submit]").click()
    # all but the morning check, which the canteen's records answer when the round is submitted
    expect(page.locator("main .slot.answered")).to_have_count(len(slots) - 1)
    expect(page.locator(f"#{slots['morning_check_done']['dom_id']} .from-record")).to_contain_text("均已晨检")
    expect(page.locator("main .slot.outcome-fail")).to_have_count(1)
    expect(page.locator(f"#{fridge['dom_id']}")).to_have_class(re.compile(r"\boutcome-fail\b"))
    expect(page.locator(f"#{fridge['dom_id']} form.evidence input[name=note]")).to_have_value(EVIDENCE_NOTE)
    submit = page.locator("main form#submit")
    expect(submit).to_be_visible()
    expect(submit.locator("p.muted")).to_have_count(0)  # nothing left to answer, no evidence owed
    answers = round_facts(app, round_id)["answers"]
    assert set(answers) == set(slots) - {"morning_check_done"}
    assert {key: a["outcome"] for key, a in answers.items() if a["outcome"] != "pass"} == {"fridge_temp": "fail"}
    assert {key: answers[key]["value"] for key in READINGS} == READINGS

    # Signed on the canvas and submitted.
    sign(page, submit.locator("canvas[data-signature-for='round-signature']"), "round-signature")
    submit.locator("button.primary[type=submit]").click()
    expect(page).to_have_url(re.compile(f"{round_url}$"))
    expect(page.locator("main .page-head .tag.status-submitted")).to_have_count(1)
    expect(page.locator("main .page-head .tag.ok")).to_have_count(1)  # the fridge item is not critical
    expect(page.locator("main .alert.error")).to_have_count(0)
    expect(page.locator("main form#submit")).to_have_count(0)
    expect(page.locator("main .slot form")).to_have_count(0)  # frozen: no more answering
    expect(page.locator(f"#{fridge['dom_id']}")).to_have_class(re.compile(r"\boutcome-fail\b"))
    expect(page.locator(f"#{fridge['dom_id']} .slot-value")).to_contain_text(EVIDENCE_NOTE)
    assert_image_loaded(page.locator("main dl.facts img.signature"))

    facts = round_facts(app, round_id)
    assert (facts["status"], facts["result"], facts["failed_count"]) == ("submitted", "pass", 1)
    assert facts["answers"]["morning_check_done"]["outcome"] == "pass"  # written from the records
    assert facts["signature_id"] and facts["submitted_by_id"] == facts["manager_account"]
    [finding] = facts["findings"]
    assert (finding["item"], finding["status"]) == ("fridge_temp", "ticketed"), finding
    assert finding["ticket_id"] and "11" in finding["summary"], finding
    ticket_id = finding["ticket_id"]
    finding_row = page.locator("main section.card ul.list li.row")
    expect(finding_row).to_have_count(1)
    expect(finding_row).to_contain_text("11")
    expect(finding_row.locator(f"a[href$='/repairs/{ticket_id}']")).to_have_count(1)
    ticket = ticket_facts(app, ticket_id)
    assert ticket["source_key"] == f"check:{TEMPLATE}:fridge_temp"
    assert ticket["status"] not in ("completed", "verified", "closed", "declined"), ticket
    assert "11" in ticket["description"], ticket

    # The month's ledger: today's row of this round has the 11 in the fridge's column,
    # marked failed, and the signature.
    page.goto(f"/checks/ledger?key={TEMPLATE}&month={month}")
    table = page.locator("main table.sheet.ledger")
    expect(table).to_be_visible()
    headers = table.locator("thead th")
    titles = [headers.nth(i).get_attribute("title") for i in range(headers.count())]
    texts = headers.all_inner_texts()
    fridge_columns = [i for i, (title, text) in enumerate(zip(titles, texts, strict=True))
                      if title == fridge["prompt_zh"] and fridge["label"].split()[-1] in text]
    assert len(fridge_columns) == 1, list(zip(titles, texts, strict=True))
    rows = table.locator("tbody tr:not(.missed)").filter(
        has=page.locator("td:first-child", has_text=re.compile(f"^{day}$")))
    expect(rows).to_have_count(1)  # the demo's own round of today is open or missed, never submitted
    row = rows.first
    expect(row).to_contain_text(MANAGER_NAME)
    cell = row.locator("td").nth(fridge_columns[0])
    expect(cell).to_have_text("11")
    expect(cell).to_have_class(re.compile(r"\bfail\b"))
    expect(row.locator("td.fail")).to_have_count(1)
    expect(row.locator("td.fail")).to_have_text(["11"])
    for key in ("freezer_temp", "sample_fridge_temp"):
        expect(row.locator("td.pass", has_text=re.compile(f"^{re.escape(READINGS[key])}$"))).to_have_count(1)
    assert_image_loaded(row.locator("img.signature"))
    shoot(page, "checks-ledger-1024-zh")
    shoot(page, "checks-ledger-1024-zh-full", full_page=True)

    page.emulate_media(media="print")
    expect(page.locator("main form.filters")).to_be_hidden()
    expect(page.locator("header.topbar")).to_be_hidden()
    expect(cell).to_be_visible()
    shoot(page, "checks-ledger-print-zh", full_page=True)
    # Only the last sheet is checked: today print.css leaves the print header on a portrait
    # sheet of its own before the landscape ledger (a known layout bug, not asserted here).
    sheets = print_ledger(page, "checks-ledger-pdf")
    if sheets:
        from PIL import Image

        with Image.open(sheets[-1]) as last:
            assert last.width > last.height, f"the ledger does not print landscape: {sheets[-1]} {last.size}"
        print(f"the ledger prints on {len(sheets)} sheet(s): {sheets}")
    page.emulate_media(media="screen")

    # The logistics office opens the ticket the finding opened.
    sign_out(page)
    sign_in(page, HEAD)
    page.goto(f"/repairs/{ticket_id}")
    expect(page.locator("main h1")).to_contain_text(ticket["number"])
    expect(page.locator("main dl.facts")).to_contain_text("11")

    # Beyond the fixture's CSP and page-error check: the only console errors are the
    # deliberate 422 of the letters (Chromium logs every failed request).
    errors = [m for m in browsing.console if m.startswith(("[error]", "[warning]"))
              and not re.search(r"status of 422", m)]
    assert not errors, "the browser console reported:\n" + "\n".join(errors)


def _manager_on_a_new_round(browsing, app):
    """The canteen manager signed in on a round just started: (round id, its storage
    slot, the page)."""
    from sqlalchemy import select

    from schoolhq.auth.models import Account
    from schoolhq.checks import services
    from schoolhq.extensions import db
    from schoolhq.places.models import Location

    with app.test_request_context():
        manager = db.session.scalar(select(Account).where(Account.username == MANAGER))
        building = db.session.scalar(select(Location).where(Location.name == BUILDING))
        round_id = services.start_adhoc(manager, TEMPLATE, building.id).id
        db.session.commit()
    page = browsing.page
    sign_in(page, MANAGER)
    page.goto(f"/checks/rounds/{round_id}")
    return round_id, round_slots(app, round_id)["storage"], page


def test_an_answer_given_offline_is_marked_unsaved_and_sent_again(browsing, demo, app):
    """Wi-Fi drops during a round: the tapped answer shows as not saved, nothing is
    written, and it goes through by itself once the connection is back."""
    from sqlalchemy import select

    from schoolhq.checks.models import CheckAnswer
    from schoolhq.extensions import db

    round_id, storage, page = _manager_on_a_new_round(browsing, app)
    slot = page.locator(f"#{storage['dom_id']}")
    expect(slot.locator(".unsaved-note")).to_be_hidden()

    browsing.context.set_offline(True)
    slot.locator("button[name=outcome][value=pass]").click()
    expect(slot).to_have_class(re.compile(r"\bunsaved\b"))
    expect(slot.locator(".unsaved-note")).to_be_visible()
    expect(page.locator("#toast.error")).to_be_visible()
    with app.app_context():
        assert db.session.scalar(select(CheckAnswer.id).where(CheckAnswer.round_id == round_id)) is None

    browsing.context.set_offline(False)
    answered = page.locator(f"#{storage['dom_id']}.outcome-pass")
    expect(answered).to_be_visible(timeout=15000)
    expect(answered).not_to_have_class(re.compile(r"\bunsaved\b"))
    with app.app_context():
        outcomes = list(db.session.scalars(select(CheckAnswer.outcome).where(CheckAnswer.round_id == round_id)))
    assert outcomes == ["pass"]


def test_an_answer_the_server_was_too_busy_to_save_is_sent_again(browsing, demo, app):
    """The database was locked elsewhere and the save answered 503 "busy, try again": the
    tablet keeps the answer as unsaved, says why, and sends it again by itself."""
    from urllib.parse import quote

    from sqlalchemy import select

    from schoolhq.checks.models import CheckAnswer
    from schoolhq.extensions import db

    round_id, storage, page = _manager_on_a_new_round(browsing, app)
    busy_once = []

    def busy_the_first_time(route):
        if busy_once:
            route.continue_()
            return
        busy_once.append(route.request.url)
        route.fulfill(status=503, body="busy", headers={"X-Message": quote("服务器正忙，本次没有保存。请过几秒再试。"),
                                                        "HX-Reswap": "none", "Retry-After": "5"})

    page.route("**/answer/**", busy_the_first_time)
    slot = page.locator(f"#{storage['dom_id']}")
    slot.locator("button[name=outcome][value=pass]").click()
    expect(slot).to_have_class(re.compile(r"\bunsaved\b"))
    expect(page.locator("#toast.error")).to_contain_text("服务器正忙")
    answered = page.locator(f"#{storage['dom_id']}.outcome-pass")
    expect(answered).to_be_visible(timeout=15000)
    assert len(busy_once) == 1
    with app.app_context():
        outcomes = list(db.session.scalars(select(CheckAnswer.outcome).where(CheckAnswer.round_id == round_id)))
    assert outcomes == ["pass"]
