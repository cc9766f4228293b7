"""Rounds: answers judged and saved one at a time, bad input refused with nothing written,
submission with its requirements and signature, frozen afterwards (by the database too),
findings into repair tickets by the item's rule, amendments as new revisions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from schoolhq.checks import findings, judging, packs, queries, services
from schoolhq.checks.models import CheckAnswer, CheckFinding, CheckRound
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.repairs.models import Ticket
from tests.conftest import login, make_account
from tests.factories.checks import kitchen
from tests.factories.repairs import photo

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year

SIGNATURE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def slot_of(round_, key, n=0):
    return [s for s in services.slots(round_) if s.item.key == key][n]


def answer(account, round_, key, n=0, **values):
    the_slot = slot_of(round_, key, n)
    return services.answer(account, round_.id, the_slot.item.id, the_slot.subject_id, judging.AnswerInput(**values))


def fill_daily(account, round_, fridge="4"):
    """Every item of the canteen's daily round, fridges at `fridge` °C."""
    for n in range(2):
        answer(account, round_, "fridge_temp", n, value=fridge)
    answer(account, round_, "freezer_temp", value="-18")
    answer(account, round_, "sample_fridge_temp", value="3")
    services.all_remaining_pass(account, round_.id)


def test_a_number_out_of_range_fails_at_once_and_asks_for_evidence(ctx):
    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    assert len([s for s in services.slots(round_) if s.item.key == "fridge_temp"]) == 2  # one per fridge
    ok = answer(manager, round_, "fridge_temp", 0, value="4")
    assert ok.answer.outcome == "pass" and not ok.needs_evidence
    high = answer(manager, round_, "fridge_temp", 1, value="１１")  # full-width digits, as a pad may type
    assert high.answer.outcome == "fail" and high.answer.number == 11
    assert high.needs_evidence and not high.has_evidence
    assert round_.status == "in_progress" and round_.assignee_id == manager.person_id
    evidenced = services.add_evidence(manager, round_.id, high.item.id, high.subject_id, "温控器坏了",
                                      photo("fridge.jpg"))
    assert evidenced.has_evidence and evidenced.answer.photo_id


@pytest.mark.parametrize("key, values, message", [
    ("fridge_temp", {"value": "abc"}, "Enter a number"),
    ("fridge_temp", {"value": "4..5"}, "Enter a number"),
    ("fridge_temp", {"value": ""}, "Enter a number"),
    ("bright_kitchen", {"outcome": "na"}, "Say why this does not apply"),
    ("storage", {"outcome": "maybe"}, "Choose pass or fail"),
    ("storage", {"outcome": "na", "note": "x"}, "Choose pass or fail"),  # no N/A on a pass/fail item
])
def test_bad_answers_are_refused_and_write_nothing(ctx, key, values, message):
    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    db.session.commit()
    with pytest.raises(ServiceError, match=message):
        answer(manager, round_, key, **values)
    db.session.rollback()
    assert db.session.scalar(select(func.count(CheckAnswer.id))) == 0


def test_an_item_of_another_round_or_asset_is_refused(ctx):
    canteen, manager, _head, made = kitchen()
    daily = services.start_adhoc(manager, "canteen.daily", canteen.id)
    meal = services.start_adhoc(manager, "canteen.meal", canteen.id)
    foreign = meal.template.items[0]
    with pytest.raises(ServiceError, match="not part of this round"):
        services.answer(manager, daily.id, foreign.id, 0, judging.AnswerInput(value="75"))
    fridge_item = slot_of(daily, "fridge_temp").item
    with pytest.raises(ServiceError, match="not part of this round"):  # the freezer is no fridge
        services.answer(manager, daily.id, fridge_item.id, made["冷冻冰柜"].id, judging.AnswerInput(value="4"))
    with pytest.raises(ServiceError, match="not part of this round"):  # a per-asset item needs its asset
        services.answer(manager, daily.id, fridge_item.id, 0, judging.AnswerInput(value="4"))


def test_choices_and_expiry_dates_are_judged_by_their_rule(ctx):
    canteen, manager, head, _assets = kitchen()
    meal = services.start_adhoc(manager, "canteen.meal", canteen.id)
    method = slot_of(meal, "tableware_method")
    failing = len(method.item.options) - 1  # 未消毒
    assert answer(manager, meal, "tableware_method", value=str(failing)).answer.outcome == "fail"
    assert answer(manager, meal, "tableware_method", value="0").answer.outcome == "pass"
    with pytest.raises(ServiceError, match="Choose one of the options"):
        answer(manager, meal, "tableware_method", value="99")
    water = services.start_adhoc(head, "water.monthly", canteen.id)
    today = local_today()
    assert answer(head, water, "filter_due", value=(today - timedelta(days=1)).isoformat()).answer.outcome == "fail"
    assert answer(head, water, "filter_due", value=(today + timedelta(days=5)).isoformat()).answer.outcome == "warn"
    assert answer(head, water, "filter_due", value=(today + timedelta(days=90)).isoformat()).answer.outcome == "pass"
    with pytest.raises(ServiceError, match="YYYY-MM-DD"):
        answer(head, water, "filter_due", value="next week")


def test_an_attachment_must_be_a_pdf_or_an_image(ctx):
    from werkzeug.datastructures import FileStorage

    canteen, _manager, head, _assets = kitchen()
    round_ = services.start_adhoc(head, "fire.yearly", canteen.id)
    report = slot_of(round_, "report")
    with pytest.raises(ServiceError, match="Only images"):
        services.answer(head, round_.id, report.item.id, 0, judging.AnswerInput(
            file=FileStorage(io.BytesIO(b"MZ\x90\x00 not a report"), filename="report.exe")))
    with pytest.raises(ServiceError, match="not a PDF"):
        services.answer(head, round_.id, report.item.id, 0, judging.AnswerInput(
            file=FileStorage(io.BytesIO(b"hello"), filename="report.pdf")))
    saved = services.answer(head, round_.id, report.item.id, 0, judging.AnswerInput(
        file=FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename="report.pdf")))
    assert saved.answer.outcome == "done" and saved.answer.file_id


def test_submitting_needs_every_required_answer_its_evidence_and_a_signature(ctx):
    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    answer(manager, round_, "fridge_temp", 0, value="4")
    with pytest.raises(ServiceError, match="not answered yet"):
        services.submit(manager, round_.id, SIGNATURE)
    fill_daily(manager, round_, fridge="4")
    answer(manager, round_, "fridge_temp", 1, value="11")
    with pytest.raises(ServiceError, match="photo or a note"):
        services.submit(manager, round_.id, SIGNATURE)
    slot = slot_of(round_, "fridge_temp", 1)
    services.add_evidence(manager, round_.id, slot.item.id, slot.subject_id, "门封条老化")
    with pytest.raises(ServiceError, match="signature"):
        services.submit(manager, round_.id, "")
    services.submit(manager, round_.id, SIGNATURE)
    assert round_.status == "submitted" and round_.signature_id and round_.failed_count == 1
    assert round_.result == "pass"  # the fridge item is not critical


def test_a_failed_item_opens_a_ticket_by_its_rule_once_per_asset(ctx):
    canteen, manager, _head, made = kitchen()
    for _ in range(2):
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        fill_daily(manager, round_)
        answer(manager, round_, "fridge_temp", 1, value="11", note="温度偏高")
        services.submit(manager, round_.id, SIGNATURE)
    findings = list(db.session.scalars(select(CheckFinding)))
    assert len(findings) == 2 and {f.status for f in findings} == {"ticketed"}
    tickets = list(db.session.scalars(select(Ticket)))
    assert len(tickets) == 1  # the second failure of the same fridge counts one more occurrence
    ticket = tickets[0]
    assert ticket.occurrences == 2 and ticket.asset_id == made["冷藏冰箱2"].id
    assert ticket.reported_by_id == manager.id  # the inspector follows the ticket and confirms the fix
    assert "11 °C" in ticket.description and "0–8 °C" in ticket.description
    assert "餐饮服务食品安全操作规范" in ticket.description and ticket.category.name == "食堂设备"


def test_a_suggested_ticket_waits_for_the_office_and_a_correction_closes_a_finding(ctx):
    canteen, manager, head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    fill_daily(manager, round_)
    answer(manager, round_, "storage", outcome="fail", note="副食库有过期酱油")  # ticket: suggest
    answer(manager, round_, "hood_clean", outcome="fail")  # ticket: off
    slot = slot_of(round_, "hood_clean")
    services.add_evidence(manager, round_.id, slot.item.id, 0, "当场擦拭干净", corrected=True)
    services.submit(manager, round_.id, SIGNATURE)
    by_item = {f.item.key: f for f in db.session.scalars(select(CheckFinding))}
    assert by_item["storage"].status == "open" and by_item["storage"].ticket_proposed
    assert by_item["hood_clean"].status == "corrected" and by_item["hood_clean"].note == "当场擦拭干净"
    assert db.session.scalar(select(func.count(Ticket.id))) == 0
    with pytest.raises(ServiceError, match="logistics office"):
        findings.ticket_for_finding(manager, by_item["storage"].id)
    ticket = findings.ticket_for_finding(head, by_item["storage"].id)
    assert by_item["storage"].status == "ticketed" and by_item["storage"].ticket_id == ticket.id
    with pytest.raises(ServiceError, match="already dealt with"):
        findings.close_finding(head, by_item["storage"].id, "done")


def test_a_failed_critical_item_fails_the_round_and_alerts_the_head_at_once(ctx):
    from schoolhq.core.notifications import for_account

    canteen, manager, head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    fill_daily(manager, round_)
    answer(manager, round_, "prohibited", outcome="fail", note="发现未加工四季豆")  # critical
    alerts = [n for n in for_account(head.id) if "Critical" in n.title or "关键" in n.title]
    assert len(alerts) == 1 and "食堂楼" in alerts[0].body
    answer(manager, round_, "prohibited", outcome="fail", note="发现未加工四季豆")  # the same failure again
    assert len([n for n in for_account(head.id) if n.area == "checks"]) == 1
    services.submit(manager, round_.id, SIGNATURE)
    assert round_.result == "fail"


def test_a_submitted_round_never_changes_and_an_amendment_is_a_new_revision(ctx):
    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    fill_daily(manager, round_)
    services.submit(manager, round_.id, SIGNATURE)
    db.session.commit()
    with pytest.raises(ServiceError, match="can no longer change"):
        answer(manager, round_, "storage", outcome="fail")
    db.session.rollback()
    # the database refuses it too, whatever the code path
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE check_answer SET outcome = 'fail' WHERE round_id = :id"), {"id": round_.id})
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(text("UPDATE check_round SET result = 'fail' WHERE id = :id"), {"id": round_.id})
    db.session.rollback()
    with pytest.raises(ServiceError, match="Say why"):
        services.amend(manager, round_.id, "")
    revision = services.amend(manager, round_.id, "冰箱2读数记错")
    assert revision.revision == 2 and revision.amends_id == round_.id and revision.status == "in_progress"
    answer(manager, revision, "fridge_temp", 1, value="5")
    services.submit(manager, revision.id, SIGNATURE)
    old = {(a.item_id, a.subject_id): a.value for a in
           db.session.scalars(select(CheckAnswer).where(CheckAnswer.round_id == round_.id))}
    assert "4" in old.values() and "5" not in old.values()
    assert [r.revision for r in services.revisions(round_)] == [2, 1]
    with pytest.raises(ServiceError, match="already been amended"):
        services.amend(manager, round_.id, "again")


def test_answers_belong_to_their_rounds_template_version(ctx):
    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    newer = packs.new_version(round_.template_id)
    packs.save_item(newer.id, packs.ItemData(prompt_zh="砧板生熟分开", type="pass_fail"))
    packs.publish(newer.id)
    db.session.commit()
    # the round keeps its version and its questions
    assert all(s.item.template_id == round_.template_id for s in services.slots(round_))
    assert "砧板生熟分开" not in [s.item.prompt_zh for s in services.slots(round_)]
    # an answer pointing at the other version's item is refused by the database itself
    other = newer.items[0]
    with pytest.raises(IntegrityError):
        db.session.add(CheckAnswer(round_id=round_.id, item_id=other.id, template_id=round_.template_id,
                                   subject_id=0, outcome="pass"))
        db.session.flush()
    db.session.rollback()


def test_a_round_is_not_for_everyone(ctx):
    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    cook = make_account("cook", "canteen_staff", name="刘大勇")
    teacher = make_account("teacher", "staff", name="王芳")
    assert not services.may_perform(cook, round_)  # named for the manager
    with pytest.raises(ServiceError, match="not yours"):
        answer(cook, round_, "storage", outcome="pass")
    assert not services.may_view(teacher, round_)


def test_a_retired_template_starts_no_round(ctx):
    canteen, manager, _head, _assets = kitchen()
    packs.retire(packs.published("canteen.daily").id)
    with pytest.raises(ServiceError, match="published template"):
        services.start_adhoc(manager, "canteen.daily", canteen.id)


def test_the_round_page_saves_an_answer_with_one_small_post(app, client):
    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        fridge = slot_of(round_, "fridge_temp")
        db.session.commit()
        round_id, item_id, subject_id = round_.id, fridge.item.id, fridge.subject_id
    login(client, "canteen")
    page = client.get(f"/checks/rounds/{round_id}")
    assert page.status_code == 200 and f'id="slot-{item_id}-{subject_id}"' in page.text
    url = f"/checks/rounds/{round_id}/answer/{item_id}/{subject_id}"
    saved = client.post(url, data={"value": "12"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200 and len(saved.data) < 5000
    assert "outcome-fail" in saved.text and 'class="evidence"' in saved.text
    bad = client.post(url, data={"value": "十二"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "Enter a number" in bad.text and f'id="slot-{item_id}-{subject_id}"' in bad.text
    # the user's language: the same refusal in Chinese
    client.post("/lang", data={"language": "zh_CN", "next": "/"})
    bad = client.post(url, data={"value": "abc"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "请输入数字" in bad.text
    with app.app_context():
        kept = db.session.scalar(select(CheckAnswer).where(CheckAnswer.round_id == round_id))
        assert kept.value == "12"  # the bad inputs changed nothing
    missing = client.post(f"/checks/rounds/{round_id}/answer/999999/0", data={"value": "1"},
                          headers={"HX-Request": "true"})
    assert missing.status_code == 422


def test_the_pages_of_the_checks_area(app, client):
    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        fill_daily(manager, round_)
        answer(manager, round_, "fridge_temp", 1, value="11", note="偏高")
        services.submit(manager, round_.id, SIGNATURE)
        db.session.commit()
        round_id, month = round_.id, round_.period_start.strftime("%Y-%m")
    login(client, "logistics")
    for url in ("/checks/", "/checks/oversight", "/checks/findings?status=all", f"/checks/rounds/{round_id}",
                f"/checks/rounds/{round_id}/print", "/checks/templates", "/checks/schedules",
                f"/checks/compliance?month={month}"):
        assert client.get(url).status_code == 200, url
    ledger = client.get(f"/checks/ledger?key=canteen.daily&month={month}")
    assert ledger.status_code == 200 and '<td class="num fail">11</td>' in ledger.text
    assert "餐饮服务食品安全操作规范" in ledger.text  # the reference beside the item, in print too
    xlsx = client.get(f"/checks/ledger?key=canteen.daily&month={month}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    from datetime import date, datetime

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    assert "canteen.daily" not in sheet.title  # the template's title, not its key
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    row = [cell.value for cell in sheet[2]]
    assert isinstance(row[0], (date, datetime)) and isinstance(row[-1], datetime)  # dates as dates
    assert 11 in row and 4 in row  # readings as numbers the accountant can sum
    assert client.get("/checks/ledger?key=no.such").status_code == 404


def test_the_scan_box_opens_the_check_of_a_label(app, client):
    with app.test_request_context():
        canteen, manager, _head, made = kitchen()
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        db.session.commit()
        round_id, token = round_.id, canteen.token
    login(client, "canteen")
    found = client.get(f"/checks/scan?code=http://school.test/t/{token}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/checks/rounds/{round_id}")
    assert client.get("/checks/scan?code=nothing-here").status_code == 422


def test_rounds_count_once_in_the_month_and_revisions_replace_in_the_ledger(ctx):
    from schoolhq.checks import reports

    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    fill_daily(manager, round_)
    services.submit(manager, round_.id, SIGNATURE)
    revision = services.amend(manager, round_.id, "补充说明")
    services.submit(manager, revision.id, SIGNATURE)
    book = reports.ledger("canteen.daily", round_.period_start)
    assert [row.round.id for row in book.rows] == [revision.id]
    assert [c.number for c in book.columns][:3] == ["1", "2.1", "2.2"]
    figures = reports.compliance(round_.period_start)
    daily = next(t for t in figures.templates if t.key == "canteen.daily")
    assert daily.due == 1 and daily.on_time == 1 and daily.missed == 0


def test_a_round_past_its_window_is_refused_and_marked_missed(ctx, monkeypatch):
    from schoolhq.checks import schedules

    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    later = round_.closes_at + timedelta(minutes=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    with pytest.raises(ServiceError, match="missed"):
        answer(manager, round_, "storage", outcome="pass")
    assert schedules.mark_missed(later) == 1
    db.session.commit()
    db.session.refresh(round_)
    assert round_.status == "missed"
    assert schedules.mark_missed(later) == 0
    with pytest.raises(ServiceError, match="can no longer change"):
        answer(manager, round_, "storage", outcome="pass")
    db.session.rollback()
    with pytest.raises(DBAPIError):  # a missed round stays missed
        db.session.execute(text("UPDATE check_round SET status = 'submitted' WHERE id = :id"), {"id": round_.id})
    db.session.rollback()
    assert db.session.get(CheckRound, round_.id).status == "missed"


def test_a_second_tap_on_start_opens_the_round_just_started(ctx, clock):
    canteen, manager, _head, _assets = kitchen()
    first = services.start_adhoc(manager, "canteen.daily", canteen.id)
    assert services.start_adhoc(manager, "canteen.daily", canteen.id).id == first.id
    assert services.start_adhoc(manager, "canteen.meal", canteen.id).id != first.id  # another check
    clock.shift(services.ADHOC_REPEAT_WINDOW + timedelta(seconds=1))
    assert services.start_adhoc(manager, "canteen.daily", canteen.id).id != first.id  # a new check, later


def test_a_round_not_yet_begun_starts_on_the_newest_version(ctx):
    canteen, manager, _head, _assets = kitchen()
    first = services.start_adhoc(manager, "canteen.daily", canteen.id)
    answer(manager, first, "storage", outcome="pass")  # begun: a second start is a round of its own
    waiting = services.start_adhoc(manager, "canteen.daily", canteen.id)
    waiting.status, waiting.started_at = "open", None  # as the scheduler leaves it
    newer = packs.new_version(first.template_id)
    packs.save_item(newer.id, packs.ItemData(prompt_zh="砧板生熟分开", type="pass_fail"))
    packs.publish(newer.id)
    answer(manager, first, "hood_clean", outcome="pass")  # begun: keeps its version
    assert first.template_id != newer.id
    answer(manager, waiting, "storage", outcome="pass")  # not begun: moves to the new one
    assert waiting.template_id == newer.id
    assert "砧板生熟分开" in [s.item.prompt_zh for s in services.slots(waiting)]
    assert len([s for s in services.slots(waiting) if s.item.key == "fridge_temp"]) == 2
    packs.retire(newer.id)
    other = services.start_adhoc(manager, "canteen.meal", canteen.id)
    other.status = "open"
    packs.retire(packs.published("canteen.meal").id)
    with pytest.raises(ServiceError, match="retired"):
        answer(manager, other, "core_temp", value="75")


def test_an_amendment_raises_only_new_findings_and_the_record_stands_until_it_is_signed(ctx):
    from schoolhq.checks import reports, schedules

    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    fill_daily(manager, round_)
    answer(manager, round_, "fridge_temp", 1, value="11", note="偏高")
    services.submit(manager, round_.id, SIGNATURE)
    ticket = db.session.scalar(select(Ticket))
    revision = services.amend(manager, round_.id, "补记油烟罩情况")
    assert services.amend(manager, round_.id, "again") is revision  # begun already: continued
    # while it is being made, the submitted record stays in the ledger and is never "missed"
    assert [row.round.id for row in reports.ledger("canteen.daily", round_.period_start).rows] == [round_.id]
    assert schedules.mark_missed(round_.closes_at + timedelta(days=3)) == 0
    answer(manager, revision, "hood_clean", outcome="fail", note="未擦拭")
    services.submit(manager, revision.id, SIGNATURE)
    findings = list(db.session.scalars(select(CheckFinding).order_by(CheckFinding.id)))
    assert [f.item.key for f in findings] == ["fridge_temp", "hood_clean"]  # the fridge once
    assert ticket.occurrences == 1
    assert [row.round.id for row in reports.ledger("canteen.daily", round_.period_start).rows] == [revision.id]


def test_the_worker_fixing_a_ticket_opens_the_checks_photo(app, client):
    from schoolhq.repairs import services as repairs

    with app.test_request_context():
        canteen, manager, head, _assets = kitchen()
        worker = make_account("repair", "maintenance", name="孙师傅")
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        fill_daily(manager, round_)
        slot = slot_of(round_, "fridge_temp", 1)
        services.answer(manager, round_.id, slot.item.id, slot.subject_id,
                        judging.AnswerInput(value="11", photo=photo("warm.jpg")))
        services.submit(manager, round_.id, SIGNATURE)
        ticket = db.session.scalar(select(Ticket))
        repairs.assign(head, ticket.id, worker.person_id)
        photo_id = slot_of(round_, "fridge_temp", 1).answer.photo_id
        db.session.commit()
    login(client, "repair")
    assert client.get(f"/files/{photo_id}").status_code == 200
    login(client, "canteen")
    assert client.get(f"/files/{photo_id}").status_code == 200


def test_a_role_held_in_one_building_does_not_reach_another(app, client):
    from schoolhq.auth import services as auth
    from schoolhq.checks import schedules

    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        elsewhere = places.create_location("building", "教学楼", canteen.parent_id)
        other = make_account("othercanteen", None, name="李梅")
        role = next(r for r in auth.roles() if r.code == "canteen_manager")
        auth.assign_role(other.id, role.id, location_id=elsewhere.id)
        schedule = schedules.save_schedule(schedules.ScheduleData(
            template_key="canteen.daily", location_id=canteen.id, assignee_role="canteen_manager",
            opens_time="00:00", due_time="23:58", grace_minutes="1"))
        schedule.created_at -= timedelta(days=1)
        made = schedules.materialise(local_today())
        db.session.commit()
        rounds = list(db.session.scalars(select(CheckRound)))
        if made:
            assert services.may_perform(manager, rounds[0])
            assert not services.may_perform(other, rounds[0])
            assert not list(db.session.scalars(queries.my_rounds(other)))
    login(client, "othercanteen")
    assert client.get("/checks/findings").status_code == 403  # a scoped viewer: not the whole school's list


@pytest.mark.parametrize("url", ["/checks/oversight?day=0001-01-01", "/checks/oversight?day=9999-12-31",
                                 "/checks/ledger?month=9999-12", "/checks/compliance?month=2026-13",
                                 "/checks/rounds/99999999999", "/checks/scan?code=%C2%B2"])
def test_odd_addresses_answer_without_a_server_error(app, client, url):
    with app.app_context():
        make_account("logistics", "logistics_head")
    login(client, "logistics")
    assert client.get(url).status_code in (200, 404, 422)


def test_a_choice_with_an_odd_digit_is_refused(ctx):
    canteen, manager, _head, _assets = kitchen()
    meal = services.start_adhoc(manager, "canteen.meal", canteen.id)
    for odd in ("²", "9" * 5000):
        with pytest.raises(ServiceError, match="Choose one of the options"):
            answer(manager, meal, "tableware_method", value=odd)
    assert answer(manager, meal, "core_temp", value="+70.50").answer.value == "70.50"  # kept as read


def test_the_dashboard_counts_each_persons_checks(app, client):
    from schoolhq.checks import schedules

    with app.test_request_context():
        canteen, manager, head, _assets = kitchen()
        make_account("principal", "principal", name="张校长")
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        round_.status = "open"
        db.session.commit()
        schedules.mark_missed(round_.closes_at + timedelta(minutes=1))
        db.session.commit()
    login(client, "principal")
    home = client.get("/")
    assert "Checks missed this month" in home.text or "本月漏检" in home.text


def test_a_ledger_can_be_one_sheet_per_place(ctx):
    from schoolhq.checks import reports

    canteen, manager, _head, _assets = kitchen()
    hall = places.create_location("room", "学生餐厅", canteen.id)
    for where in (canteen, hall):  # the hall holds no fridge: its round asks no temperature
        round_ = services.start_adhoc(manager, "canteen.daily", where.id)
        fill_daily(manager, round_) if where is canteen else services.all_remaining_pass(manager, round_.id)
        services.submit(manager, round_.id, SIGNATURE)
    month = round_.period_start
    assert [name for _id, name in reports.ledger_places("canteen.daily", month)] == [
        canteen.full_name, hall.full_name]
    assert len(reports.ledger("canteen.daily", month).rows) == 2
    only = reports.ledger("canteen.daily", month, hall.id)
    assert [row.round.place for row in only.rows] == ["学生餐厅"]


def test_a_warm_answer_save_reads_one_row_and_writes_one(app, client):
    """The busiest write of the day: the round, its place, the slot's answer and the
    asset's label in one locked read, then one UPDATE (the version and the account come
    from the process cache)."""
    from sqlalchemy import event

    with app.test_request_context():
        canteen, _manager, _head, _assets = kitchen()
        round_ = services.start_adhoc(_manager, "canteen.daily", canteen.id)
        the_slot = slot_of(round_, "fridge_temp", 0)
        round_id, item_id, subject_id = round_.id, the_slot.item.id, the_slot.subject_id
        path = f"/checks/rounds/{round_id}/answer/{item_id}/{subject_id}"
        db.session.commit()
    assert login(client, "canteen").status_code == 303
    hx = {"HX-Request": "true"}
    assert client.post(path, data={"value": "4"}, headers=hx).status_code == 200  # begins the round
    sent: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        answered = client.post(path, data={"value": "9"}, headers=hx)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert answered.status_code == 200 and "outcome-fail" in answered.get_data(as_text=True)
    work = [s.split()[0] + " " + s.split()[1] for s in sent if not s.startswith("BEGIN")]
    assert work == ["SELECT check_round.id,", "UPDATE check_answer"], sent
    with app.app_context():
        saved = db.session.scalar(select(CheckAnswer).where(CheckAnswer.round_id == round_id,
                                                            CheckAnswer.item_id == item_id,
                                                            CheckAnswer.subject_id == subject_id))
        assert (saved.value, saved.number, saved.outcome) == ("9", 9, "fail")


def test_a_refused_page_marks_only_the_slot_it_is_about(app, client):
    """Without htmx a refusal comes back as the round's page: a refused answer marks its
    own slot, a refused submission the items it names, every one of them."""
    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        the_slot = slot_of(round_, "fridge_temp", 0)
        round_id, path = round_.id, f"/checks/rounds/{round_.id}/answer/{the_slot.item.id}/{the_slot.subject_id}"
        db.session.commit()
    assert login(client, "canteen").status_code == 303
    refused = client.post(path, data={"value": "warm"})
    assert refused.status_code == 422
    assert refused.get_data(as_text=True).count(" invalid\" data-slot") == 1
    signature = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ"
                 "/PchI7wAAAABJRU5ErkJggg==")
    early = client.post(f"/checks/rounds/{round_id}/submit", data={"signature": signature})
    page = early.get_data(as_text=True)
    assert early.status_code == 422
    with app.test_request_context():
        round_ = db.session.get(CheckRound, round_id)
        required = [s for s in services.slots(round_) if s.item.required]
        prompts = [s.item.prompt("en") for s in required]
    assert page.count(" invalid\" data-slot") == len(required) > 3
    assert all(prompt in page for prompt in prompts)  # all named, none cut short
    assert f'value="{signature}"' in page  # the drawn signature is kept


def test_a_failed_minor_item_in_a_round_that_passed_is_not_a_failed_round(ctx):
    from schoolhq.checks import reports

    canteen, manager, _head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    fill_daily(manager, round_)
    minor = next(s for s in services.slots(round_) if not s.item.critical and s.item.type == "pass_fail")
    services.answer(manager, round_.id, minor.item.id, minor.subject_id,
                    judging.AnswerInput(outcome="fail", note="有油污"))
    services.submit(manager, round_.id, SIGNATURE)
    assert round_.result == "pass" and round_.failed_count == 1  # the premise
    figures = reports.compliance(round_.period_start)
    daily = next(t for t in figures.templates if t.key == "canteen.daily")
    assert daily.failed_rounds == 0
    assert figures.targets == []  # no place "with failed rounds"
    assert [(prompt, failed) for _check, _key, prompt, _answered, failed in figures.items] == \
        [(minor.item.prompt_zh, 1)]
    assert all("canteen.daily" not in str(row) for row in figures.items)  # the check's title, not its key


def test_the_ledger_prints_the_day_of_the_check_and_who_signed_it(ctx):
    """A round of a period that began earlier (a quarter's fire check done weeks into it)
    is printed on the day it was done, under the name of whoever signed it, not the first
    day of its period or the person it was assigned to."""
    from schoolhq.checks import reports

    canteen, manager, head, _assets = kitchen()
    round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
    today = local_today()
    round_.period_start = today.replace(day=1) if today.day > 1 else today
    fill_daily(manager, round_)
    services.submit(head, round_.id, SIGNATURE)  # the logistics head finishes and signs it
    [row] = reports.ledger("canteen.daily", round_.period_start).rows
    assert row.done_on == today.strftime("%m-%d"), (row.done_on, round_.period_start)
    assert row.round.inspector == "王海涛"  # who signed, not 陈红梅 to whom it was assigned


def test_the_ledger_prints_when_it_was_printed_and_how_long_it_is_kept(app, client):
    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        fill_daily(manager, round_)
        services.submit(manager, round_.id, SIGNATURE)
        month = round_.period_start.strftime("%Y-%m")
        db.session.commit()
    assert login(client, "logistics").status_code == 303
    page = client.get(f"/checks/ledger?key=canteen.daily&month={month}").get_data(as_text=True)
    assert "Printed" in page and "3 years" in page


def test_the_fire_inspection_ledger_prints_both_signatures(app, client):
    """61号令 art. 26: the inspector and the head of the department inspected both sign the
    防火检查 record; the printed ledger shows the drawn signatures, not a tick."""
    from schoolhq.places import services as places_

    with app.test_request_context():
        _canteen, _manager, head, _assets = kitchen()
        school = places_.create_location("campus", "消防测试校区")
        round_ = services.start_adhoc(head, "fire.quarterly", school.id)
        services.all_remaining_pass(head, round_.id)
        for the_slot in services.slots(round_):
            if the_slot.item.type == "signature":
                services.answer(head, round_.id, the_slot.item.id, 0, judging.AnswerInput(signature=SIGNATURE))
            elif the_slot.answer is None:
                services.answer(head, round_.id, the_slot.item.id, 0, judging.AnswerInput(value="无"))
        services.submit(head, round_.id, SIGNATURE)
        signed = sorted(a.file_id for a in db.session.scalars(select(CheckAnswer).where(
            CheckAnswer.round_id == round_.id, CheckAnswer.file_id.is_not(None))))
        month = round_.period_start.strftime("%Y-%m")
        db.session.commit()
    assert len(signed) == 2
    assert login(client, "logistics").status_code == 303
    page = client.get(f"/checks/ledger?key=fire.quarterly&month={month}").get_data(as_text=True)
    for file_id in signed:
        assert f'src="/files/{file_id}"' in page, "each signature drawn in the round is printed"
    assert "被检查部门负责人签名" in page


def test_the_fridge_readings_print_as_the_ledger_inspectors_know(app, client):
    """冷藏冷冻温度记录: the canteen's daily round's temperature items alone, under that title."""
    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        fill_daily(manager, round_, fridge="5")
        services.submit(manager, round_.id, SIGNATURE)
        month = round_.period_start.strftime("%Y-%m")
        db.session.commit()
    assert login(client, "logistics").status_code == 303
    page = client.get(f"/checks/ledger?key=cold_storage&month={month}").get_data(as_text=True)
    assert "冷藏冷冻温度记录" in page and "Fridge and freezer temperature record" in page
    legend = page[page.index('<ol class="legend">'):]
    assert "冷藏设备温度" in legend and "冷冻设备温度" in legend
    assert "防蝇" not in legend and "晨检" not in legend, "only the temperature items are printed"
    assert client.get(f"/checks/ledger?key=cold_storage&month={month}&format=xlsx").status_code == 200
