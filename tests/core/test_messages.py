"""Text written for others shows in the reader's language (core.messages): notifications,
ticket descriptions written by a failed check or a damaged return, check findings. An
English-speaking account's action writes for a Chinese-speaking reader and the reverse;
each reads it in their own language, a language switch renders it again, a note a person
typed stays as typed, and rows written before (plain text) show as they were."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.core import messages, settings
from schoolhq.core.messages import Bilingual, Message
from schoolhq.core.models import Notification
from schoolhq.extensions import db
from schoolhq.repairs.models import Ticket, TicketEvent
from tests.conftest import login, make_account

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year

EN, ZH = "en", "zh_CN"
SIGNATURE = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/5+hHgAHggJ/PchI7wAAAABJRU5ErkJggg=="


def _other(language: str) -> str:
    return ZH if language == EN else EN


def _school_language(app, language: str) -> None:
    with app.app_context():
        settings.update({"default_language": language})
        db.session.commit()


def _client(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return unescape(response.get_data(as_text=True))


def _keys(value) -> set[str]:
    """Every message key in a stored message's JSON."""
    if isinstance(value, dict):
        found = {value["key"]} if isinstance(value.get("key"), str) else set()
        for param in (value.get("params") or {}).values():
            found |= _keys(param)
        return found
    if isinstance(value, list):
        return set().union(*(_keys(part) for part in value)) if value else set()
    return set()


def _stored_keys() -> set[str]:
    """The message keys kept by every notification, ticket and timeline line so far."""
    from schoolhq.checks.models import CheckFinding

    found: set[str] = set()
    for column in (Notification.title_message, Notification.body_message, Ticket.description_message,
                   TicketEvent.note_message, CheckFinding.summary_message):
        for stored in db.session.scalars(select(column).where(column.is_not(None))):
            found |= _keys(stored)
    return found


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The msgids `pybabel extract -F babel.cfg -k _l -k lazy_gettext` finds."""
    from tests.test_i18n import _extract

    return {m.id for m in _extract(tmp_path_factory.mktemp("pot")) if isinstance(m.id, str) and m.id}


# The module ------------------------------------------------------------------------------

def test_a_lazy_string_is_kept_as_its_key_and_parameters(ctx):
    with force_locale(ZH):
        text, stored = messages.store(_l("Ticket %(number)s: %(status)s", number="BX2027-00001",
                                         status=_l("Assigned")))
    assert stored == {"key": "Ticket %(number)s: %(status)s",
                      "params": {"number": "BX2027-00001", "status": {"key": "Assigned"}}}
    assert text == "报修单 BX2027-00001：已派单"  # the school's language, for whatever reads the column
    with force_locale(EN):
        assert messages.shown(stored, text) == "Ticket BX2027-00001: Assigned"
        assert str(Message("Ticket %(number)s: %(status)s", {"number": "X", "status": _l("Assigned")})) == \
            "Ticket X: Assigned"
    with force_locale(ZH):
        assert messages.shown(stored, text) == "报修单 BX2027-00001：已派单"


def test_typed_text_is_kept_as_typed(ctx):
    assert messages.store("屏幕裂了, screen cracked") == ("屏幕裂了, screen cracked", None)
    assert messages.store(None) == ("", None)
    with force_locale(EN):
        assert messages.shown(None, "旧的文字") == "旧的文字"
        # a typed note inside a message is a plain parameter: never translated
        _text_, stored = messages.store(_l("Returned damaged: %(note)s", note="Assigned"))
        assert messages.shown(stored, "") == "Returned damaged: Assigned"
    with force_locale(ZH):
        assert messages.shown(stored, "") == "归还时损坏：Assigned"


def test_bilingual_data_and_parts_show_in_the_readers_language(ctx):
    value = [Bilingual("冷藏设备温度", "Refrigerator temperature"), ": 11 °C ", _l("(allowed %(range)s)", range="0–8 °C")]
    _text_, stored = messages.store(value)
    with force_locale(EN):
        assert messages.shown(stored, "") == "Refrigerator temperature: 11 °C (allowed 0–8 °C)"
        assert messages.render(Bilingual("只有中文")) == "只有中文"  # no English: the Chinese rather than nothing
    with force_locale(ZH):
        assert messages.shown(stored, "") == "冷藏设备温度: 11 °C （允许范围 0–8 °C）"
        assert messages.render(Bilingual("", "English only")) == "English only"


def test_a_key_missing_from_the_catalogue_shows_in_english_with_its_parameters(ctx):
    stored = {"key": "A message no catalogue has yet: %(what)s", "params": {"what": {"key": "Assigned"}}}
    with force_locale(ZH):
        assert messages.shown(stored, "x") == "A message no catalogue has yet: 已派单"
    with force_locale(EN):
        assert messages.shown({"key": "Nothing to fill, 100%"}, "x") == "Nothing to fill, 100%"


@pytest.mark.parametrize("stored, expected", [
    # a parameter missing: a dash in its place
    ({"key": "Ticket %(number)s: %(status)s", "params": {"number": "BX1"}}, "报修单 BX1：—"),
    ({"key": "Ticket %(number)s: %(status)s"}, "报修单 —：—"),
    # a parameter that is not what the placeholder wants: filled in by hand
    ({"key": "%(n)d things and %(what)s", "params": {"n": "many", "what": "more"}}, "many things and more"),
    # a parameter it cannot read, a broken format
    ({"key": "Ticket %(number)s: %(status)s", "params": {"number": {"odd": 1}, "status": "x"}}, "报修单 —：x"),
    ({"key": "Broken %(x", "params": {"x": "1"}}, "Broken %(x"),
    # a shape it does not know at all: the row's plain text
    ({"key": 5}, "the text"),
    ({"key": "Ticket %(number)s: %(status)s", "params": ["BX1"]}, "the text"),
    ({"what": "ever"}, "the text"),
    (["part, ", {"bad": True}], "the text"),
    (12, "12"),
])
def test_bad_or_missing_parameters_never_fail(ctx, stored, expected):
    with force_locale(ZH):
        assert messages.shown(stored, "the text") == expected


def test_a_message_nested_too_deep_is_cut_short(ctx):
    stored: dict = {"key": "Assigned"}
    for _ in range(20):
        stored = {"key": "Ticket %(number)s: %(status)s", "params": {"number": "1", "status": stored}}
    with force_locale(EN):
        assert messages.shown(stored, "x").endswith("—")


def test_only_lazy_gettext_is_taken_apart(ctx):
    from flask_babel import lazy_ngettext

    with pytest.raises(TypeError):
        messages.store(lazy_ngettext("%(num)s item", "%(num)s items", 2))


def test_a_damaged_row_still_shows_the_page(app):
    with app.app_context():
        reader = make_account("reader", "staff", language=EN)
        db.session.add(Notification(account_id=reader.id, area="core", title="标题原文", body="正文原文",
                                    title_message={"key": 5}, body_message={"key": "Ticket %(number)s: %(status)s",
                                                                            "params": {"number": ["x", {"?": 1}]}}))
        db.session.commit()
    page = _text(_client(app, "reader").get("/notifications"))
    assert "标题原文" in page and "Ticket —: —" in page


# Notifications across languages ----------------------------------------------------------

def _repair_school(app, head_language: str, reader_language: str):
    """Room 301, a category; a reporter and a worker speaking one language, the logistics
    head the other."""
    from tests.factories.core import school_years

    with app.app_context():
        from schoolhq.places import services as places

        school_years()
        campus = places.create_location("campus", "阳光小学")
        room = places.create_location("room", "301教室", campus.id)
        make_account("teacher", "staff", name="王芳", language=reader_language)
        worker = make_account("repair", "maintenance", name="孙师傅", language=reader_language)
        make_account("logistics", "logistics_head", name="王海涛", language=head_language)
        from schoolhq.repairs.services import categories

        db.session.commit()
        return room.id, categories()[0].id, worker.person_id


def _report(client, room_id: int, category_id: int, description: str) -> int:
    response = client.post("/repairs/report", data={"location_id": room_id, "category_id": category_id,
                                                    "priority": "normal", "description": description})
    assert response.status_code == 303, response.status_code
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


@pytest.mark.parametrize("school", [ZH, EN])
@pytest.mark.parametrize("head", [EN, ZH])
def test_a_ticket_assigned_in_one_language_is_read_in_the_other(app, school, head):
    reader = _other(head)
    _school_language(app, school)
    room_id, category_id, worker_person = _repair_school(app, head, reader)
    teacher, worker, office = (_client(app, name) for name in ("teacher", "repair", "logistics"))
    ticket_id = _report(teacher, room_id, category_id, "窗户关不上 (window will not close)")
    assert office.post(f"/repairs/{ticket_id}/assign", data={"assignee_id": worker_person}).status_code == 303
    with app.app_context():
        number = db.session.get(Ticket, ticket_id).number
    told_worker, told_teacher = _text(worker.get("/notifications")), _text(teacher.get("/notifications"))
    if reader == EN:
        assert f"New ticket {number} for you" in told_worker and "您有新的报修单" not in told_worker
        assert f"Ticket {number}: Assigned" in told_teacher and "已派单" not in told_teacher
    else:
        assert f"您有新的报修单 {number}" in told_worker and "New ticket" not in told_worker
        assert f"报修单 {number}：已派单" in told_teacher and ": Assigned" not in told_teacher
    # what the teacher typed is what both read
    assert "窗户关不上 (window will not close)" in told_worker and "窗户关不上 (window will not close)" in told_teacher


def test_switching_language_renders_the_notifications_again(app):
    room_id, category_id, worker_person = _repair_school(app, EN, ZH)
    teacher, worker, office = (_client(app, name) for name in ("teacher", "repair", "logistics"))
    ticket_id = _report(teacher, room_id, category_id, "灯不亮")
    office.post(f"/repairs/{ticket_id}/assign", data={"assignee_id": worker_person})
    assert "您有新的报修单" in _text(worker.get("/notifications"))
    assert worker.post("/lang", data={"language": EN}).status_code == 303
    english = _text(worker.get("/notifications"))
    assert "New ticket" in english and "您有新的报修单" not in english and "灯不亮" in english
    worker.post("/lang", data={"language": ZH})
    assert "您有新的报修单" in _text(worker.get("/notifications"))


# A damaged return's ticket ---------------------------------------------------------------

@pytest.mark.parametrize("storekeeper", [EN, ZH])
def test_a_damaged_return_writes_a_ticket_each_reads_in_their_language(app, storekeeper, extracted):
    from schoolhq.assets import loans
    from schoolhq.core.timeutil import utcnow
    from tests.factories.assets import loanable_items, signature

    office_language = _other(storekeeper)
    with app.app_context():
        assets, borrower = loanable_items()
        asset_id = assets[0].id
        loans.checkout([asset_id], borrower, utcnow() + timedelta(days=1), "完好", signature())
        make_account("keeper", "storekeeper", name="李库管", language=storekeeper)
        make_account("logistics", "logistics_head", name="王海涛", language=office_language)
        worker = make_account("repair", "maintenance", name="孙师傅", language=office_language)
        worker_person = worker.person_id
        db.session.commit()
    keeper, office, repairer = (_client(app, name) for name in ("keeper", "logistics", "repair"))
    assert keeper.post("/assets/checkin", data={"asset_id": [str(asset_id)], f"damaged-{asset_id}": "1",
                                                f"condition-{asset_id}": "屏幕裂了"}).status_code == 303
    with app.app_context():
        ticket = db.session.scalar(select(Ticket).where(Ticket.asset_id == asset_id))
        ticket_id = ticket.id
        assert ticket.description_message == {"key": "Returned damaged: %(note)s", "params": {"note": "屏幕裂了"}}
        assert _stored_keys() <= extracted  # pybabel finds every message it keeps
    office.post(f"/repairs/{ticket_id}/assign", data={"assignee_id": worker_person})
    wording = {EN: "Returned damaged: 屏幕裂了", ZH: "归还时损坏：屏幕裂了"}
    mine, theirs = wording[office_language], wording[storekeeper]
    for client, url in ((office, f"/repairs/{ticket_id}"), (office, "/repairs/?status=open"),
                        (office, f"/repairs/{ticket_id}/sheet"), (repairer, "/repairs/queue"),
                        (repairer, "/notifications"), (office, f"/assets/{asset_id}")):
        page = _text(client.get(url))
        assert mine in page and theirs not in page, url
    reporter_page = _text(keeper.get(f"/repairs/{ticket_id}"))
    assert theirs in reporter_page and mine not in reporter_page


# A failed check's alert, finding and ticket ----------------------------------------------

def _slot_url(round_, key: str, n: int = 0) -> str:
    from schoolhq.checks import services

    the_slot = [s for s in services.slots(round_) if s.item.key == key][n]
    return f"/checks/rounds/{round_.id}/answer/{the_slot.item.id}/{the_slot.subject_id}"


@pytest.mark.parametrize("inspector", [EN, ZH])
def test_a_failed_check_writes_for_each_reader_in_their_language(app, inspector, extracted):
    from schoolhq.auth.services import set_language
    from schoolhq.checks import services
    from tests.factories.checks import kitchen

    with app.app_context():
        canteen, manager, head, _made = kitchen()
        set_language(manager, inspector)
        set_language(head, ZH)
        make_account("office", "logistics_head", name="Office", language=EN)
        round_ = services.start_adhoc(manager, "canteen.daily", canteen.id)
        for n in range(2):
            services.answer(manager, round_.id, *_ids(round_, "fridge_temp", n), services.judging.AnswerInput(value="4"))
        services.answer(manager, round_.id, *_ids(round_, "freezer_temp"), services.judging.AnswerInput(value="-18"))
        services.answer(manager, round_.id, *_ids(round_, "sample_fridge_temp"), services.judging.AnswerInput(value="3"))
        services.all_remaining_pass(manager, round_.id)
        urls = {"prohibited": _slot_url(round_, "prohibited"), "fridge": _slot_url(round_, "fridge_temp", 1)}
        round_id = round_.id
        db.session.commit()
    canteen_client, zh_head, en_office = (_client(app, name) for name in ("canteen", "logistics", "office"))
    # the inspector's requests write: a critical item failed (an alert at once), a fridge too warm (a ticket)
    assert canteen_client.post(urls["prohibited"], data={"outcome": "fail", "note": "发现未加工四季豆"}).status_code == 303
    assert canteen_client.post(urls["fridge"], data={"value": "11", "note": "温度偏高"}).status_code == 303
    assert canteen_client.post(f"/checks/rounds/{round_id}/submit", data={"signature": SIGNATURE}).status_code == 303
    with app.app_context():
        ticket_id = db.session.scalar(select(Ticket.id))
        assert _stored_keys() <= extracted  # pybabel finds every message it keeps
    chinese, english = _text(zh_head.get("/notifications")), _text(en_office.get("/notifications"))
    assert "关键项检查不合格：食堂每日检查" in chinese and "无亚硝酸盐" in chinese and "Critical" not in chinese
    assert "Critical check failed: Canteen check, every school day" in english and "No nitrite" in english
    assert ": Fail" in english and "不合格" not in english
    chinese, english = _text(zh_head.get(f"/repairs/{ticket_id}")), _text(en_office.get(f"/repairs/{ticket_id}"))
    assert re.search(r"检查“食堂每日检查”不合格：冷藏设备温度 \(冷藏冰箱2 [^)]*\): 11 °C （允许范围 0–8 °C）", chinese)
    assert re.search(r"Check “Canteen check, every school day” failed: Refrigerator temperature \(冷藏冰箱2 [^)]*\): "
                     r"11 °C \(allowed 0–8 °C\)", english)
    assert "Refrigerator" not in chinese and "冷藏设备温度" not in english
    chinese, english = _text(zh_head.get("/checks/findings?status=all")), _text(en_office.get("/checks/findings?status=all"))
    assert "冷藏设备温度 (冷藏冰箱2" in chinese and "Refrigerator temperature (冷藏冰箱2" in english
    assert "No nitrite" in english and "Refrigerator" not in chinese
    assert "Refrigerator temperature (冷藏冰箱2" in _text(en_office.get(f"/checks/rounds/{round_id}"))
    # the audit trail names the finding the office closed in its reader's language too
    with app.app_context():
        from schoolhq.checks.models import CheckFinding

        open_finding = db.session.scalar(select(CheckFinding.id).where(CheckFinding.status == "open"))
        make_account("principal_en", "principal", language=EN)
        make_account("principal_zh", "principal", language=ZH)
    assert en_office.post(f"/checks/findings/{open_finding}/close", data={"note": "已处理"}).status_code == 303
    english = _text(_client(app, "principal_en").get("/audit?area=checks"))
    chinese = _text(_client(app, "principal_zh").get("/audit?area=checks"))
    assert "No nitrite" in english and "无亚硝酸盐" not in english
    assert "无亚硝酸盐" in chinese and "No nitrite" not in chinese


def _ids(round_, key: str, n: int = 0) -> tuple[int, int]:
    from schoolhq.checks import services

    the_slot = [s for s in services.slots(round_) if s.item.key == key][n]
    return the_slot.item.id, the_slot.subject_id


# A job's notification ------------------------------------------------------------------------

@pytest.mark.parametrize("holder", [EN, ZH])
def test_a_certificate_warning_sent_by_the_scheduler_reads_in_each_language(app, holder):
    """No request, no reader while it is written: the holder and the canteen manager each
    read it in their own language, the certificate's kind too."""
    from schoolhq.auth.services import set_language
    from schoolhq.core.timeutil import local_today
    from schoolhq.people import certificates
    from tests.factories.canteen import kitchen

    with app.app_context():
        k = kitchen()
        set_language(k.late_cook, holder)
        set_language(k.manager, _other(holder))
        due = local_today() + timedelta(days=30)
        certificates.add(k.manager, k.late_cook.person_id, certificates.CertificateData(
            "health", "JK-030", local_today() - timedelta(days=300), due))
        db.session.commit()
    with app.app_context():
        assert certificates.warn_expiring() >= 1
        db.session.commit()
    wording = {EN: f"赵师傅's Health certificate runs out on {due.isoformat()}",
               ZH: f"赵师傅 的健康证将于 {due.isoformat()} 到期"}
    for username, language in (("cook2", holder), ("kitchen", _other(holder))):
        page = _text(_client(app, username).get("/notifications"))
        assert wording[language] in page and wording[_other(language)] not in page, username


# Rows written before -----------------------------------------------------------------------

def test_rows_written_before_show_as_they_were(app):
    """Before the messages, the text was stored once, in the language of whoever's request
    wrote it; such a row (no message) shows that text to every reader."""
    from schoolhq.repairs import services as repairs

    room_id, category_id, _worker = _repair_school(app, EN, ZH)
    with app.test_request_context():
        from schoolhq.auth.models import Account

        teacher = db.session.scalar(select(Account).where(Account.username == "teacher"))
        db.session.add(Notification(account_id=teacher.id, area="repairs", title="Ticket BX2026-00007: Assigned",
                                    body="归还时损坏：屏幕裂了"))
        ticket = repairs.report(teacher, repairs.Report(location_id=room_id, category_id=category_id, priority="normal",
                                                        description="Returned damaged: keyboard missing"))
        assert ticket.description_message is None
        ticket_id = ticket.id
        db.session.commit()
    for language in (EN, ZH):
        with app.app_context():
            from schoolhq.auth.models import Account

            account = db.session.scalar(select(Account).where(Account.username == "teacher"))
            account.language = language
            db.session.commit()
        teacher_client = _client(app, "teacher")
        page = _text(teacher_client.get("/notifications"))
        assert "Ticket BX2026-00007: Assigned" in page and "归还时损坏：屏幕裂了" in page
        page = _text(teacher_client.get(f"/repairs/{ticket_id}"))
        assert page.count("Returned damaged: keyboard missing") == 2  # the description and the timeline's first line
