"""Requisitions: the cart, approvals by someone other than the requester, the emergency
reserve, full and partial issues with a signature, the counter, quotas, and the last
unit asked for twice at once."""

from __future__ import annotations

import threading

import pytest
from flask_login import login_user
from sqlalchemy import func, select

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.stock import requisitions, services
from schoolhq.stock.models import Requisition, StockIssue, StockMovement
from tests.conftest import login, make_account
from tests.factories.assets import signature
from tests.factories.stock import make_item, make_store, receive

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _school():
    department = people.create_department("语文组")
    teacher = make_account("teacher", "staff", name="王芳", department_id=department.id)
    head = make_account("head", "staff", name="张组长", department_id=department.id)
    people.update_department(department.id, "语文组", head.person_id)
    keeper = make_account("store", "storekeeper", name="赵敏")
    logistics = make_account("logistics", "logistics_head", name="王海涛")
    store = make_store()
    return teacher, head, keeper, logistics, store


def _ask(account, lines, purpose="期末复习", for_department=False, store=None):
    for item, quantity in lines:
        requisitions.add_to_cart(account, item.id, quantity)
    return requisitions.submit(account, requisitions.Submission(purpose, for_department, store.id if store else None))


def test_a_plain_requisition_is_ready_and_issues_in_parts(ctx):
    teacher, _head, keeper, _l, store = _school()
    pens, paper, chalk = make_item("中性笔", "支"), make_item("复印纸"), make_item("粉笔", "盒")
    for item in (pens, paper, chalk):
        receive(store, item, "20", "2")
    requisition = _ask(teacher, [(pens, "10"), (paper, "5"), (chalk, "4")], store=store)
    assert requisition.status == "ready" and requisition.number.startswith("LY")
    assert requisitions.cart_of(teacher) is None
    lines = {line.item_id: line.id for line in requisition.lines}
    requisitions.issue(keeper, requisition.id, {lines[pens.id]: "10", lines[paper.id]: "5", lines[chalk.id]: "1"},
                       signature_data_url=signature())
    assert requisition.status == "partly_issued"
    assert requisitions.issued_by_line(requisition.id) == {lines[pens.id]: 10000, lines[paper.id]: 5000,
                                                           lines[chalk.id]: 1000}
    with pytest.raises(ServiceError, match="still to be issued"):
        requisitions.issue(keeper, requisition.id, {lines[chalk.id]: "4"}, signature_data_url=signature())
    requisitions.issue(keeper, requisition.id, {lines[chalk.id]: "3"}, on_paper=True)
    assert requisition.status == "issued" and requisition.closed_at is not None
    assert services.on_hand(chalk.id) == 16000 and services.on_hand(pens.id) == 10000
    issues = db.session.scalars(select(StockIssue).where(StockIssue.requisition_id == requisition.id)
                                .order_by(StockIssue.id)).all()
    assert [bool(i.signature_id) for i in issues] == [True, False]
    register = requisitions.register_rows(requisitions.month_start())
    assert [(r.item.name, r.quantity_milli) for r in register] == [("中性笔", 10000), ("复印纸", 5000), ("粉笔", 1000),
                                                                    ("粉笔", 3000)]


def test_issuing_needs_a_signature_or_the_paper_register_and_a_quantity(ctx):
    teacher, _head, keeper, _l, store = _school()
    pens = make_item("中性笔", "支")
    receive(store, pens, "5")
    requisition = _ask(teacher, [(pens, "2")], store=store)
    line = requisition.lines[0].id
    with pytest.raises(ServiceError, match="not signed"):
        requisitions.issue(keeper, requisition.id, {line: "2"})
    with pytest.raises(ServiceError, match="at least one"):
        requisitions.issue(keeper, requisition.id, {line: "0"}, on_paper=True)
    with pytest.raises(ServiceError, match="not a number"):
        requisitions.issue(keeper, requisition.id, {line: "two"}, on_paper=True)
    assert services.on_hand(pens.id) == 5000 and requisition.status == "ready"


def test_special_items_wait_for_the_department_head_never_the_requester(ctx):
    teacher, head, keeper, logistics, store = _school()
    toner = make_item("硒鼓", "个", needs_approval=True)
    receive(store, toner, "3", "380")
    requisition = _ask(teacher, [(toner, "1")], store=store)
    assert requisition.status == "pending" and requisition.needs_department_approval
    with pytest.raises(ServiceError, match="waiting for approval"):
        requisitions.issue(keeper, requisition.id, {requisition.lines[0].id: "1"}, on_paper=True)
    with pytest.raises(ServiceError, match="other than the requester"):
        requisitions.approve(teacher, requisition.id, "department")
    assert requisitions.may_approve_department(head, requisition)
    assert not requisitions.may_approve_department(keeper, requisition)
    requisitions.approve(head, requisition.id, "department")
    assert requisition.status == "ready"
    # the head's own request for a special item goes to someone else: the logistics head
    own = _ask(head, [(toner, "1")], store=store)
    with pytest.raises(ServiceError):
        requisitions.approve(head, own.id, "department")
    requisitions.approve(logistics, own.id, "department")
    assert own.status == "ready"


def test_rejection_needs_a_reason_and_tells_the_requester(ctx):
    teacher, head, _keeper, _logistics, store = _school()
    toner = make_item("硒鼓", "个", needs_approval=True)
    receive(store, toner, "3")
    requisition = _ask(teacher, [(toner, "1")], store=store)
    with pytest.raises(ServiceError, match="why"):
        requisitions.reject(head, requisition.id, " ")
    requisitions.reject(head, requisition.id, "本月已领")
    assert requisition.status == "rejected"
    from schoolhq.core.notifications import for_account

    assert any("rejected" in n.title for n in for_account(teacher.id))


def test_the_emergency_reserve_needs_the_logistics_head(ctx):
    teacher, _head, keeper, logistics, store = _school()
    masks = make_item("口罩", "只", min_level="100", target_level="500", reserve_level="50")
    receive(store, masks, "60", "0.5")
    fine = _ask(teacher, [(masks, "10")], store=store)
    assert fine.status == "ready"
    requisitions.issue(keeper, fine.id, {fine.lines[0].id: "10"}, on_paper=True)
    deep = _ask(teacher, [(masks, "20")], store=store)
    assert deep.status == "pending" and deep.needs_reserve_approval
    with pytest.raises(ServiceError, match="logistics head"):
        requisitions.approve(keeper, deep.id, "reserve")
    requisitions.approve(logistics, deep.id, "reserve")
    requisitions.issue(keeper, deep.id, {deep.lines[0].id: "20"}, on_paper=True)
    assert services.on_hand(masks.id) == 30000
    # at the counter the storekeeper alone cannot dig into the reserve
    with pytest.raises(ServiceError, match="emergency reserve"):
        requisitions.issue_at_counter(keeper, store.id, teacher.person_id,
                                      [requisitions.CounterLine(masks.id, "5")], "发放", on_paper=True)
    assert services.on_hand(masks.id) == 30000


def test_the_counter_issues_by_barcode_and_refuses_special_items(ctx):
    teacher, _head, keeper, _logistics, store = _school()
    pens = make_item("中性笔", "支", barcode="6901")
    toner = make_item("硒鼓", "个", needs_approval=True)
    receive(store, pens, "10")
    receive(store, toner, "2")
    requisition = requisitions.issue_at_counter(keeper, store.id, teacher.person_id,
                                                [requisitions.CounterLine(pens.id, "3")], "班级", signature())
    assert requisition.at_counter and requisition.status == "issued"
    assert services.on_hand(pens.id) == 7000
    for lines, purpose, message in (
        ([requisitions.CounterLine(toner.id, "1")], "打印", "approval"),
        ([], "打印", "at least one"),
        ([requisitions.CounterLine(pens.id, "1")], "", "for"),
        ([requisitions.CounterLine(pens.id, "99")], "班级", "Only 7"),
    ):
        with pytest.raises(ServiceError, match=message):
            with db.session.begin_nested():
                requisitions.issue_at_counter(keeper, store.id, teacher.person_id, lines, purpose, on_paper=True)
    assert services.on_hand(pens.id) == 7000


def test_quota_is_a_warning_not_a_block(ctx):
    teacher, _head, keeper, _logistics, store = _school()
    pens = make_item("中性笔", "支", quota_person="5")
    receive(store, pens, "50")
    first = _ask(teacher, [(pens, "4")], store=store)
    requisitions.issue(keeper, first.id, {first.lines[0].id: "4"}, on_paper=True)
    requisitions.add_to_cart(teacher, pens.id, "3")
    cart = requisitions.cart_of(teacher)
    warnings = requisitions.quota_warnings(cart)
    assert len(warnings) == 1 and "quota" in warnings[0]
    second = requisitions.submit(teacher, requisitions.Submission("再领", False, store.id))
    assert second.status == "ready"


def test_cart_bad_inputs(ctx):
    teacher, _head, _keeper, _logistics, store = _school()
    paper = make_item()
    with pytest.raises(ServiceError, match="empty"):
        requisitions.submit(teacher, requisitions.Submission("x", False, store.id))
    with pytest.raises(ServiceError, match="whole"):
        requisitions.add_to_cart(teacher, paper.id, "0.5")
    with pytest.raises(ServiceError, match="Choose an item"):
        requisitions.add_to_cart(teacher, 999999, "1")
    line = requisitions.add_to_cart(teacher, paper.id, "2")
    with pytest.raises(ServiceError, match="what the items are for"):
        requisitions.submit(teacher, requisitions.Submission("  ", False, store.id))
    assert requisitions.set_cart_line(teacher, line.id, "0") is None
    assert requisitions.cart_of(teacher).lines == []


def test_a_requisition_moves_through_the_pages(app, client):
    with app.app_context():
        teacher, _head, keeper, _logistics, store = _school()
        pens = make_item("中性笔", "支", barcode="6901")
        receive(store, pens, "10")
        db.session.commit()
        pens_id, store_id = pens.id, store.id
    assert login(client, "teacher").status_code == 303
    assert "中性笔" in client.get("/stock/request/search?q=zxb").get_data(as_text=True)
    response = client.post("/stock/request/add", data={"item_id": pens_id, "quantity": "abc"})
    assert response.status_code == 422 and "not a number" in response.get_data(as_text=True)
    assert client.post("/stock/request/add", data={"item_id": pens_id, "quantity": "3"}).status_code == 200
    response = client.post("/stock/request/submit", data={"purpose": "", "store_id": store_id})
    assert response.status_code == 422
    response = client.post("/stock/request/submit", data={"purpose": "班会", "store_id": store_id})
    assert response.status_code == 303
    requisition_id = int(response.headers["Location"].rsplit("/", 1)[1])
    # the teacher cannot issue; the storekeeper can
    assert client.post(f"/stock/requisitions/{requisition_id}/issue", data={}).status_code == 403
    client.post("/auth/logout")
    assert login(client, "store").status_code == 303
    with app.app_context():
        line_id = db.session.get(Requisition, requisition_id).lines[0].id
    response = client.post(f"/stock/requisitions/{requisition_id}/issue",
                           data={f"line-{line_id}": "9", "on_paper": "y"})
    assert response.status_code == 422 and "still to be issued" in response.get_data(as_text=True)
    response = client.post(f"/stock/requisitions/{requisition_id}/issue",
                           data={f"line-{line_id}": "3", "signature": signature()})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Requisition, requisition_id).status == "issued"
        assert services.on_hand(pens_id) == 7000
    page = client.get("/stock/register").get_data(as_text=True)
    assert "班会" in page and "中性笔" in page
    import io
    from datetime import date

    from openpyxl import load_workbook

    xlsx = client.get("/stock/register?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.data)).worksheets[0]
    row = [cell.value for cell in sheet[2]]
    assert isinstance(row[0], date) and row[1] == "中性笔" and row[3] == 3 and row[5] == "班会"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I2"
    # the printed 领用单 carries the recipient's signature; the ledger names the storekeeper
    # who issued and the person who took the goods in columns of their own
    slip = client.get(f"/stock/requisitions/{requisition_id}/print").get_data(as_text=True)
    assert "王芳" in slip and 'class="signature small" src="/files/' in slip
    ledger = client.get(f"/stock/items/{pens_id}").get_data(as_text=True)
    assert "<td>赵敏</td>" in ledger and "<td>王芳</td>" in ledger


def test_two_counters_issuing_the_last_unit_at_once(app):
    with app.app_context():
        teacher, _head, _keeper, _logistics, store = _school()
        make_account("store2", "storekeeper", name="钱敏")
        pens = make_item("中性笔", "支")
        receive(store, pens, "1")
        db.session.commit()
        pens_id, store_id, person_id = pens.id, store.id, teacher.person_id
    barrier = threading.Barrier(2)
    results = []

    def counter(username):
        client = app.test_client()
        login(client, username)
        barrier.wait()
        response = client.post("/stock/counter/issue", data={
            "store_id": store_id, "recipient_id": person_id, "purpose": "班级", "on_paper": "y",
            "item_id": pens_id, "quantity": "1"})
        results.append((response.status_code, response.get_data(as_text=True)))

    threads = [threading.Thread(target=counter, args=(name,)) for name in ("store", "store2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted(code for code, _body in results)
    assert codes == [303, 422], codes
    refused = next(body for code, body in results if code == 422)
    assert "Only 0" in refused
    with app.app_context():
        assert services.on_hand(pens_id) == 0
        assert db.session.scalar(select(func.count(StockMovement.id)).where(StockMovement.kind == "issue")) == 1
        assert db.session.scalar(select(func.count(Requisition.id)).where(Requisition.at_counter.is_(True))) == 1


def test_services_act_as_the_signed_in_person(app):
    """Movements name who recorded them."""
    with app.test_request_context():
        _teacher, _head, keeper, _logistics, store = _school()
        login_user(keeper)
        paper = make_item()
        receive(store, paper, "2")
        assert db.session.scalar(select(StockMovement.actor_id)) == keeper.id


def test_a_keeper_scoped_to_one_place_acts_only_on_its_store(app, client):
    with app.app_context():
        main, cupboard = make_store(), make_store("文具柜")
        make_account("floorkeeper", "storekeeper", name="钱敏", location_id=cupboard.location_id)
        pens = make_item("中性笔", "支")
        receive(main, pens, "10")
        db.session.commit()
        ids = {"main": main.id, "cupboard": cupboard.id, "pens": pens.id}
    login(client, "floorkeeper")
    refused = [
        client.post(f"/stock/items/{ids['pens']}/write-off", data={"store_id": ids["main"], "quantity": "1",
                                                                 "reason": "x"}),
        client.post(f"/stock/items/{ids['pens']}/transfer", data={"from_store_id": ids["main"],
                                                                "to_store_id": ids["cupboard"], "quantity": "1"}),
        client.post("/stock/receive", data={"store_id": ids["main"], "received_on": "2026-01-05",
                                            "item_id": ids["pens"], "quantity": "1", "unit_price": "1"}),
        client.post("/stock/counts", data={"store_id": ids["main"]}),
    ]
    assert [r.status_code for r in refused] == [403] * 4
    with app.app_context():
        assert services.on_hand(ids["pens"], ids["main"]) == 10000
        assert services.on_hand(ids["pens"], ids["cupboard"]) == 0


def _race(app, requests):
    """Send the (username, url, data) requests at the same moment; their status codes."""
    barrier = threading.Barrier(len(requests))
    codes = []

    def send(username, url, data):
        client = app.test_client()
        login(client, username)
        barrier.wait()
        codes.append(client.post(url, data=data).status_code)

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(codes)


def test_two_windows_cannot_over_issue_one_requisition(app):
    with app.app_context():
        teacher, _head, _keeper, _logistics, store = _school()
        make_account("store2", "storekeeper", name="钱敏")
        pens = make_item("中性笔", "支")
        receive(store, pens, "20")
        requisition = _ask(teacher, [(pens, "3")], store=store)
        db.session.commit()
        url, data = f"/stock/requisitions/{requisition.id}/issue", {f"line-{requisition.lines[0].id}": "3",
                                                                      "on_paper": "y"}
        pens_id = pens.id
    assert _race(app, [("store", url, data), ("store2", url, data)]) == [303, 422]
    with app.app_context():
        assert services.on_hand(pens_id) == 17000


def test_two_issues_cannot_both_slip_under_the_reserve(app):
    with app.app_context():
        teacher, _head, _keeper, _logistics, store = _school()
        make_account("store2", "storekeeper", name="钱敏")
        masks = make_item("口罩", "只", min_level="5", target_level="20", reserve_level="5")
        receive(store, masks, "10")
        first, second = (_ask(teacher, [(masks, "3")], store=store) for _ in range(2))
        db.session.commit()
        requests = [(user, f"/stock/requisitions/{r.id}/issue", {f"line-{r.lines[0].id}": "3", "on_paper": "y"})
                    for user, r in (("store", first), ("store2", second))]
        masks_id = masks.id
    assert _race(app, requests) == [303, 422]
    with app.app_context():
        assert services.on_hand(masks_id) == 7000


def test_a_reserve_hit_after_approval_goes_to_the_logistics_head(ctx):
    teacher, _head, keeper, logistics, store = _school()
    masks = make_item("口罩", "只", min_level="10", target_level="40", reserve_level="10")
    receive(store, masks, "30")
    requisition = _ask(teacher, [(masks, "15")], store=store)
    assert requisition.status == "ready"
    services.write_off(masks.id, store.id, "10", "过期")  # now 20 left: 15 would leave 5
    assert [i.id for i in requisitions.held_by_reserve(requisition)] == [masks.id]
    with pytest.raises(ServiceError, match="emergency reserve"):
        requisitions.issue(keeper, requisition.id, {requisition.lines[0].id: "15"}, on_paper=True)
    requisitions.ask_reserve_release(keeper, requisition.id)
    assert requisition.status == "pending"
    requisitions.approve(logistics, requisition.id, "reserve")
    requisitions.issue(keeper, requisition.id, {requisition.lines[0].id: "15"}, on_paper=True)
    assert services.on_hand(masks.id) == 5000


def test_reversing_an_issue_reopens_the_requisition_and_leaves_the_register(ctx):
    teacher, _head, keeper, _logistics, store = _school()
    pens = make_item("中性笔", "支", quota_person="5")
    receive(store, pens, "10")
    requisition = _ask(teacher, [(pens, "4")], store=store)
    requisitions.issue(keeper, requisition.id, {requisition.lines[0].id: "4"}, on_paper=True)
    assert requisition.status == "issued"
    issued = db.session.scalar(select(StockMovement).where(StockMovement.kind == "issue"))
    services.reverse(issued.id, "发错了")
    db.session.refresh(requisition)
    assert requisition.status == "ready" and requisition.closed_at is None
    assert requisitions.register_rows(requisitions.month_start()) == []
    # what was reversed no longer counts against the quota
    requisitions.add_to_cart(teacher, pens.id, "5")
    assert requisitions.quota_warnings(requisitions.cart_of(teacher)) == []


def test_scoped_keepers_read_only_their_store_and_change_no_school_rules(app, client):
    with app.app_context():
        teacher, _head, keeper, _logistics, main = _school()
        cupboard = make_store("文具柜")
        make_account("floorkeeper", "storekeeper", name="钱敏", location_id=cupboard.location_id)
        pens = make_item("中性笔", "支")
        receive(main, pens, "10")
        requisition = _ask(teacher, [(pens, "1")], store=main)
        from schoolhq.stock import counts

        count = counts.start(keeper, main.id)
        db.session.commit()
        ids = {"r": requisition.id, "c": count.id, "main": main.id, "loc": cupboard.location_id, "pens": pens.id}
    login(client, "floorkeeper")
    assert client.get(f"/stock/requisitions/{ids['r']}").status_code == 403
    assert client.get(f"/stock/counts/{ids['c']}/report").status_code == 403
    assert client.post(f"/stock/stores/{ids['main']}/edit", data={"name": "总务仓库", "location_id": ids["loc"]}
                       ).status_code == 403
    assert client.post(f"/stock/items/{ids['pens']}/edit", data={"name": "中性笔", "unit": "支"}).status_code == 403


def test_odd_inputs_get_messages_not_errors(app, client):
    with app.app_context():
        _teacher, _head, _keeper, _logistics, store = _school()
        pens = make_item("中性笔", "支", barcode="6901")
        db.session.commit()
        store_id, pens_id = store.id, pens.id
    login(client, "store")
    today = str(local_today())
    for url in ("/stock/register?month=9999-12", "/stock/register?month=0001-01",
                "/stock/reports/consumption?end=9999-12-31", "/stock/reports/consumption?start=0001-01-01"):
        assert client.get(url).status_code in (200, 403), url
    response = client.post("/stock/counter/scan", data={"tag": "6901", "item_id": pens_id, "quantity": "nan"})
    assert response.status_code == 200 and 'value="nan"' in response.get_data(as_text=True)
    for received_on, quantity, price, message in (("0001-01-01", "1", "1", "more than a year ago"),
                                                  ("", "3000000", "1", "too large"),
                                                  ("", "1", "abc", "Line 1")):
        response = client.post("/stock/receive", data={"store_id": store_id, "received_on": received_on or today,
                                                       "item_id": pens_id, "quantity": quantity, "unit_price": price})
        assert response.status_code == 422 and message in response.get_data(as_text=True), message
    # a large but honest value fits the ledger's big integers on both engines
    response = client.post("/stock/receive", data={"store_id": store_id, "received_on": today, "item_id": pens_id,
                                                   "quantity": "1000", "unit_price": "30000000"})
    assert response.status_code == 303
    with app.app_context():
        assert services.average_cost_fen(pens_id) == 3_000_000_000


def test_the_window_checks_each_typed_quantity_as_it_is_entered(app, client):
    with app.app_context():
        teacher, _head, _keeper, _logistics, store = _school()
        pens = make_item("中性笔", "支")
        receive(store, pens, "5")
        requisition = _ask(teacher, [(pens, "4")], store=store)
        db.session.commit()
        url = f"/stock/requisitions/{requisition.id}/lines/{requisition.lines[0].id}/check"
        field = f"line-{requisition.lines[0].id}"
    login(client, "store")
    ok = client.get(url, query_string={field: "3"}, headers={"HX-Request": "true"})
    assert ok.status_code == 200 and "field-error" not in ok.get_data(as_text=True) and len(ok.data) < 5000
    for typed, message in (("9", "still to be issued"), ("x", "not a number"), ("1.5", "whole")):
        response = client.get(url, query_string={field: typed}, headers={"HX-Request": "true"})
        assert response.status_code == 422 and message in response.get_data(as_text=True), typed
    with app.app_context():
        assert services.on_hand(db.session.get(Requisition, requisition.id).lines[0].item_id) == 5000
