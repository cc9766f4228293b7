"""The dashboard names what needs doing: today's failed check items, overdue tickets and
the approvals waiting for the reader, each with a link to its page, on the dashboards of
those who may open them and on no other; "and N more" leads to the list. Read from the
outside, as a person signed in sees the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from flask_login import login_user
from sqlalchemy import event, select

from schoolhq.auth.models import Account
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.places import services as places
from schoolhq.places.models import Location
from tests.conftest import login, make_account

pytestmark = pytest.mark.dated  # the clock is the test's: nothing here depends on the kind of day


@dataclass
class Named:
    """One named item of a dashboard as its reader sees it."""

    title: str
    link: str
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (words, link, note)
    more: tuple[str, str] | None = None  # ("还有 2 项", link)


class _Reader(HTMLParser):
    """The named items of a dashboard page: each `section.work`, its heading, entries and more link."""

    def __init__(self):
        super().__init__()
        self.items: list[Named] = []
        self._in: str | None = None
        self._href = ""
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "section" and "work" in classes:
            self.items.append(Named("", ""))
        elif not self.items:
            return
        elif tag == "h3":
            self._in, self._text = "title", []
        elif tag == "a" and self._in == "title":
            self.items[-1].link = attrs["href"]
        elif tag == "li":
            self._in, self._text, self._href = "entry", [], ""
        elif tag == "a" and self._in == "entry":
            self._href = attrs["href"]
        elif tag == "span" and "note" in classes:
            self.items[-1].entries.append((" ".join("".join(self._text).split()), self._href, ""))
            self._in, self._text = "note", []
        elif "more" in classes:
            self._in, self._text, self._href = "more", [], attrs.get("href", "")

    def handle_endtag(self, tag):
        text = " ".join("".join(self._text).split())
        if tag == "h3" and self._in == "title":
            self.items[-1].title, self._in = text, None
        elif tag == "li" and self._in == "entry":
            self.items[-1].entries.append((text, self._href, ""))
            self._in = None
        elif tag == "span" and self._in == "note":
            words, link, _ = self.items[-1].entries[-1]
            self.items[-1].entries[-1] = (words, link, text)
            self._in = "after-note"
        elif tag == "li" and self._in == "after-note":
            self._in = None
        elif tag in ("a", "p") and self._in == "more":
            self.items[-1].more, self._in = (text, self._href), None

    def handle_data(self, data):
        if self._in in ("title", "entry", "note", "more"):
            self._text.append(data)


def named_items(client) -> list[Named]:
    page = client.get("/")
    assert page.status_code == 200
    reader = _Reader()
    reader.feed(page.get_data(as_text=True))
    return reader.items


def entries_of(client) -> list[tuple[str, str, str]]:
    return [entry for item in named_items(client) for entry in item.entries]


def signed_in(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 303
    return client


def every_link_opens(client) -> bool:
    """Every heading, entry and "more" link of the reader's named items opens for them."""
    items = named_items(client)
    links = [item.link for item in items if item.link] + [link for item in items for _w, link, _n in item.entries] \
        + [item.more[1] for item in items if item.more and item.more[1]]
    refused = [link for link in links if client.get(link.split("#")[0]).status_code != 200]
    assert not refused, refused
    return bool(links)


def _as(username: str) -> None:
    login_user(db.session.scalar(select(Account).where(Account.username == username)))


# Checks ---------------------------------------------------------------------------------

def test_a_failed_check_item_is_named_for_the_office_and_the_principal(app):
    from schoolhq.checks import judging
    from schoolhq.checks import services as checks
    from tests.factories.checks import kitchen

    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        make_account("principal", "principal", name="李建国")
        make_account("teacher", "staff", name="王芳")
        elsewhere = places.create_location("building", "教学楼", canteen.parent_id)
        make_account("doctor", "school_doctor", name="周静", location_id=elsewhere.id)  # sees checks over there
        round_ = checks.start_adhoc(manager, "canteen.daily", canteen.id)
        fridge = next(s for s in checks.slots(round_) if s.item.key == "fridge_temp")
        checks.answer(manager, round_.id, fridge.item.id, fridge.subject_id, judging.AnswerInput(value="9.5"))
        db.session.commit()
        round_link = f"/checks/rounds/{round_.id}"
    for reader in ("logistics", "principal", "canteen"):  # the canteen manager sees the school's checks too
        client = signed_in(app, reader)
        failed = next(item for item in named_items(client) if "今天不合格的检查项" in item.title)
        words, link, note = failed.entries[0]
        assert "食堂每日检查" in words and "食堂楼" in words and "冷藏设备温度" in words and "9.5" in words
        assert link == round_link and note == "进行中"  # named while the round is still being done
        assert client.get(link).status_code == 200
        assert client.get(failed.link).status_code == 200
    for reader in ("teacher", "doctor"):  # a teacher; the doctor, who sees the checks of another building
        assert all(link != round_link for _words, link, _note in entries_of(signed_in(app, reader))), reader


def test_missed_and_late_rounds_are_named_for_the_office(app):
    from schoolhq.checks import schedules
    from schoolhq.checks import services as checks
    from schoolhq.checks.models import CheckRound
    from tests.factories.checks import kitchen

    with app.test_request_context():
        canteen, manager, _head, _assets = kitchen()
        make_account("principal", "principal", name="李建国")
        late = checks.start_adhoc(manager, "canteen.daily", canteen.id)
        late.due_at = utcnow() - timedelta(hours=3)
        late.closes_at = utcnow() + timedelta(hours=1)
        missed = checks.start_adhoc(manager, "canteen.weekly", canteen.id)
        missed.status, missed.due_at = "open", utcnow() - timedelta(minutes=30)
        missed.closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        schedules.mark_missed()
        db.session.commit()
        assert db.session.get(CheckRound, missed.id).status == "missed"
        late_id, missed_id = late.id, missed.id
    office = {item.title: item for item in named_items(signed_in(app, "logistics"))}
    late_item = next(item for title, item in office.items() if "已过截止时间的检查" in title)
    assert late_item.entries[0][1] == f"/checks/rounds/{late_id}" and late_item.entries[0][2] == "逾期 3 小时"
    missed_item = next(item for title, item in office.items() if "今天漏检" in title)
    assert [link for _w, link, _n in missed_item.entries] == [f"/checks/rounds/{missed_id}"]
    assert missed_item.entries[0][0] == "食堂每周排查 · 食堂楼"
    principal = signed_in(app, "principal")  # the month at a glance
    month = next(item for item in named_items(principal) if "本月漏检" in item.title)
    assert [link for _w, link, _n in month.entries] == [f"/checks/rounds/{missed_id}"]
    assert principal.get(month.entries[0][1]).status_code == 200


# Repairs --------------------------------------------------------------------------------

def _tickets(room, reporter, n: int, late_by=timedelta(days=2)) -> list:
    from schoolhq.repairs import services as repairs
    from schoolhq.repairs.models import RepairCategory

    category = db.session.scalar(select(RepairCategory).where(RepairCategory.name == "电工/照明"))
    made = []
    for i in range(n):
        ticket = repairs.report(reporter, repairs.Report(location_id=room.id, category_id=category.id,
                                                         priority="normal", description=f"灯管不亮 {i + 1} 号"),
                                rate_limited=False)
        ticket.due_at = utcnow() - late_by - timedelta(minutes=i)
        made.append(ticket)
    db.session.commit()
    return made


def test_an_overdue_ticket_is_named_for_the_managers_whose_places_it_is_at(app):
    from tests.factories.repairs import school

    with app.test_request_context():
        room, teacher, _worker, _head = school()
        other = places.create_location("building", "综合楼", room.parent_id)
        make_account("principal", "principal", name="李建国")
        make_account("near", "principal", name="管这间的", location_id=room.id)
        make_account("far", "principal", name="管别处的", location_id=other.id)
        ticket = _tickets(room, teacher, 1)[0]
        number, link = ticket.number, f"/repairs/{ticket.id}"
    for reader in ("logistics", "principal", "near"):
        client = signed_in(app, reader)
        overdue = next(item for item in named_items(client) if "已超时的报修单" in item.title)
        assert overdue.entries == [(f"{number} · 301教室 · 电工/照明 · 灯管不亮 1 号", link, "逾期 2 天")]
        assert client.get(link).status_code == 200
        assert number in client.get(overdue.link).get_data(as_text=True)
    for reader in ("far", "teacher", "repair"):  # another building's manager; a teacher; a worker not on it
        assert all(link != entry_link for _w, entry_link, _n in entries_of(signed_in(app, reader))), reader
    for reader in ("near", "far"):  # a manager of some places is sent only where their grant reaches
        every_link_opens(signed_in(app, reader))


def test_five_are_named_and_the_rest_are_and_n_more_on_the_list(app):
    from tests.factories.repairs import school

    with app.test_request_context():
        room, teacher, _worker, _head = school()
        numbers = [t.number for t in _tickets(room, teacher, 7)]
    client = signed_in(app, "logistics")
    overdue = next(item for item in named_items(client) if "已超时的报修单" in item.title)
    assert overdue.title.startswith("7 ")
    assert len(overdue.entries) == 5
    assert [words.split(" · ")[0] for words, _l, _n in overdue.entries] == numbers[6:1:-1]  # the longest late first
    assert overdue.more == ("还有 2 项", "/repairs/?overdue=1")
    the_list = client.get(overdue.more[1]).get_data(as_text=True)
    assert all(number in the_list for number in numbers)


def test_each_named_item_is_one_query_however_many_it_names(app):
    """The entries' names come with the count: the dashboard sends as many statements for
    seven overdue tickets as for one."""
    from tests.factories.repairs import school

    with app.test_request_context():
        room, teacher, _worker, _head = school()
        _tickets(room, teacher, 1)
        room_id, teacher_id = room.id, teacher.id
    client = signed_in(app, "logistics")
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        sent.append(statement)

    def statements() -> int:
        sent.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(sent)

    client.get("/")  # warm: the process cache holds the account, grants and settings
    one = statements()
    with app.test_request_context():
        _tickets(places.get_location(room_id), db.session.get(Account, teacher_id), 6)
    assert statements() == one


# Approvals ------------------------------------------------------------------------------

def test_a_requisition_waiting_for_approval_is_named_for_its_approver_only(app):
    from schoolhq.people import services as people
    from schoolhq.stock import requisitions
    from tests.factories.stock import make_item, make_store, receive

    with app.test_request_context():
        chinese = people.create_department("语文组")
        teacher = make_account("teacher", "staff", name="王芳", department_id=chinese.id)
        make_account("principal", "principal", name="李建国")
        make_account("store", "storekeeper", name="赵敏")
        store = make_store()
        toner = make_item("硒鼓", "个", needs_approval=True)
        receive(store, toner, "5")
        requisitions.add_to_cart(teacher, toner.id, "2")
        requisition = requisitions.submit(teacher, requisitions.Submission("打印试卷", False, store.id))
        db.session.commit()
        number, link = requisition.number, f"/stock/requisitions/{requisition.id}"
    principal = signed_in(app, "principal")
    waiting = next(item for item in named_items(principal) if "待您审批的领用单" in item.title)
    words, entry_link, note = waiting.entries[0]
    assert words == f"{number} · 王芳 · 语文组 · 硒鼓 ×2" and entry_link == link and note.startswith("已等")
    assert principal.get(link).status_code == 200
    for reader in ("teacher", "store"):  # the requester; the store, which issues but does not approve
        assert all(entry_link != link for _w, entry_link, _n in entries_of(signed_in(app, reader))), reader


def test_a_disposal_is_named_for_whoever_takes_its_next_step(app):
    from schoolhq.assets import disposals
    from schoolhq.assets import services as assets
    from schoolhq.assets.models import AssetCategory

    with app.test_request_context():
        make_account("store", "storekeeper", name="赵敏")
        make_account("logistics", "logistics_head", name="王海涛")
        make_account("principal", "principal", name="李建国")
        make_account("teacher", "staff", name="王芳")
        campus = places.create_location("campus", "阳光小学")
        category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
        items = [assets.register_asset({"name": f"旧电脑{i}", "category_id": category.id, "unit_price_fen": price},
                                       campus.id) for i, price in enumerate((900000, 300000))]  # ¥12,000
        _as("store")
        disposal = disposals.request_disposal([a.id for a in items], "使用年限已满")
        db.session.commit()
        disposal_id, number = disposal.id, disposal.number
    link = f"/assets/disposals/{disposal_id}"

    def entry(reader):
        return next((e for e in entries_of(signed_in(app, reader)) if e[1] == link), None)

    # submitted: those who manage the register appraise it
    assert entry("logistics") == (f"{number} · 旧电脑0 等 2 件 · ¥12,000.00", link, "待鉴定")
    assert entry("principal") is None and entry("teacher") is None
    with app.test_request_context():
        _as("store")
        disposals.appraise(disposal_id, "主板损坏，无维修价值")
        db.session.commit()
    # appraised, above the threshold: the principal decides; not the requester, not the office
    principal = signed_in(app, "principal")
    assert entry("principal") == (f"{number} · 旧电脑0 等 2 件 · ¥12,000.00", link, "待审批")
    assert principal.get(link).status_code == 200
    assert entry("store") is None and entry("logistics") is None and entry("teacher") is None


def test_stocktake_losses_are_named_for_someone_other_than_who_closed_it(app):
    from schoolhq.assets import audits
    from tests.factories.assets import loanable_items

    with app.test_request_context():
        assets, _borrower = loanable_items(n=3)
        make_account("logistics", "logistics_head", name="王海涛")
        make_account("principal", "principal", name="李建国")
        campus = db.session.scalar(select(Location).where(Location.kind == "campus"))
        make_account("far", "principal", name="管别处的",
                     location_id=places.create_location("building", "教学楼", campus.id).id)
        _as("logistics")
        campaign = audits.start("期末清查", assets[0].location_id)
        audits.record_scan(campaign.id, assets[0].location_id, assets[0].number)
        audits.close(campaign.id)
        later = audits.start("复查", assets[0].location_id)  # what a later count finds is not this one's
        audits.record_scan(later.id, assets[0].location_id, assets[1].number)
        db.session.commit()
        link = f"/assets/audits/{campaign.id}"
    principal = signed_in(app, "principal")
    losses = next(item for item in named_items(principal) if "待审批的清查盘亏" in item.title)
    assert losses.entries[0][:2] == ("期末清查 · 盘亏 2 件，¥10,400.00", link)
    assert principal.get(link).status_code == 200
    for reader in ("logistics", "far", "teacher"):  # who closed it; a principal of another building; the borrower
        assert all(entry_link != link for _w, entry_link, _n in entries_of(signed_in(app, reader))), reader


def test_a_request_to_borrow_is_named_for_the_loan_desk(app):
    from schoolhq.assets import reservations
    from schoolhq.core.timeutil import local_today
    from tests.factories.assets import loanable_items

    with app.test_request_context():
        assets, borrower = loanable_items(n=1)
        make_account("store", "storekeeper", name="赵敏")
        first = local_today() + timedelta(days=3)
        request = reservations.request_borrow(assets[0].id, borrower, first, first + timedelta(days=2), "公开课")
        db.session.commit()
        anchor = f"/assets/requests#request-{request.id}"
    desk = signed_in(app, "store")
    asked = next(item for item in named_items(desk) if "待审批的借用申请" in item.title)
    words, link, _note = asked.entries[0]
    assert link == anchor and words.startswith("王芳 · 笔记本0 · ")
    assert f"{first:%m-%d} 至 {first + timedelta(days=2):%m-%d}" in words
    page = desk.get(link.split("#")[0]).get_data(as_text=True)
    assert f'id="{link.split("#")[1]}"' in page
    assert all(entry_link != anchor for _w, entry_link, _n in entries_of(signed_in(app, "teacher")))


# The demo school ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["principal", "logistics_head"])
def test_every_named_entry_of_the_demo_dashboards_opens(app, demo, role):
    from schoolhq.demo import DEMO_LOGINS, DEMO_PASSWORD

    client = app.test_client()
    assert login(client, DEMO_LOGINS[role][0], DEMO_PASSWORD).status_code == 303
    assert any("已超时的报修单" in item.title for item in named_items(client))
    assert every_link_opens(client)
