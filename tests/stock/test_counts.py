"""Stock counts: a snapshot at the start, movements during the count accounted for,
differences applied only on approval by someone else, each with a reason; and the
reports built on the ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.stock import counts, reports, requisitions, services
from schoolhq.stock.models import StockMovement
from tests.conftest import login, make_account
from tests.factories.stock import make_item, make_store, receive

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _setup():
    keeper = make_account("store", "storekeeper", name="赵敏")
    logistics = make_account("logistics", "logistics_head", name="王海涛")
    store = make_store()
    paper, pens = make_item(barcode="6901"), make_item("中性笔", "支", barcode="6902")
    receive(store, paper, "10", "25")
    receive(store, pens, "50", "1.5")
    return keeper, logistics, store, paper, pens


def test_a_count_accounts_for_goods_issued_while_counting(ctx):
    keeper, logistics, store, paper, pens = _setup()
    count = counts.start(keeper, store.id)
    assert counts.progress(count) == (0, 2)
    with pytest.raises(ServiceError, match="already under way"):
        counts.start(keeper, store.id)
    # 3 reams go out after the count started and before the shelf is counted: 7 are
    # expected there, and 6 are found
    services.take(paper, store, 3000)
    counts.record(keeper, count.id, paper.id, "6")
    counts.record(keeper, count.id, pens.id, "50")
    # goods issued after the line was counted do not change its difference
    services.take(pens, store, 5000)
    rows = {row.line.item_id: row for row in counts.variances(count)}
    assert (rows[paper.id].expected_milli, rows[paper.id].variance_milli) == (7000, -1000)
    assert rows[paper.id].value_fen == -2500
    assert rows[pens.id].variance_milli == 0
    with pytest.raises(ServiceError, match="reason"):
        counts.submit(keeper, count.id)
    counts.set_reason(count.id, rows[paper.id].line.id, "受潮报损未登记")
    counts.submit(keeper, count.id)
    with pytest.raises(ServiceError, match="no longer be changed"):
        counts.record(keeper, count.id, paper.id, "7")
    with pytest.raises(ServiceError, match="cannot approve"):
        counts.approve(keeper, count.id)
    assert services.on_hand(paper.id) == 7000
    counts.approve(logistics, count.id)
    assert count.status == "approved"
    assert services.on_hand(paper.id) == 6000 and services.on_hand(pens.id) == 45000
    adjustment = db.session.scalar(select(StockMovement).where(StockMovement.kind == "adjustment"))
    assert adjustment.count_id == count.id and adjustment.reason == "受潮报损未登记"


def test_count_bad_inputs_write_nothing(ctx):
    keeper, _logistics, store, paper, _pens = _setup()
    other = make_store("文具柜")
    glue = make_item("胶水", "支", barcode="6903")
    count = counts.start(keeper, store.id)
    with pytest.raises(ServiceError, match="not stocked"):
        counts.record(keeper, count.id, glue.id, "3")
    with pytest.raises(ServiceError, match="not a number"):
        counts.record(keeper, count.id, paper.id, "six")
    with pytest.raises(ServiceError, match="whole"):
        counts.record(keeper, count.id, paper.id, "6.5")
    with pytest.raises(ServiceError, match="not stocked"):
        counts.line_for(count, services.find_by_barcode("6903"))
    with pytest.raises(ServiceError, match="barcode"):
        counts.line_for(count, services.find_by_barcode("0000"))
    with pytest.raises(ServiceError, match="not counted yet"):
        counts.submit(keeper, count.id)
    empty = counts.start(_logistics, other.id)
    assert counts.progress(empty) == (0, 0)
    counts.submit(_logistics, empty.id)
    with pytest.raises(ServiceError, match="other than"):
        counts.approve(_logistics, empty.id)
    assert counts.progress(count) == (0, 2)


def test_a_loss_larger_than_what_is_left_is_refused_on_approval(ctx):
    keeper, logistics, store, paper, pens = _setup()
    count = counts.start(keeper, store.id)
    counts.record(keeper, count.id, paper.id, "10")
    counts.record(keeper, count.id, pens.id, "40")
    counts.set_reason(count.id, counts.line_for(count, pens).id, "丢失")
    counts.submit(keeper, count.id)
    services.take(pens, store, 45000)  # issued after counting: only 5 left, the loss is 10
    with pytest.raises(ServiceError, match="Only 5"):
        with db.session.begin_nested():
            counts.approve(logistics, count.id)
    assert services.on_hand(pens.id) == 5000


def test_count_pages(app, client):
    with app.app_context():
        keeper, logistics, store, paper, _pens = _setup()
        db.session.commit()
        store_id, paper_id = store.id, paper.id
    login(client, "store")
    response = client.post("/stock/counts", data={"store_id": store_id})
    assert response.status_code == 303
    count_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = client.post(f"/stock/counts/{count_id}/items/{paper_id}", data={"counted": "x"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and "not a number" in response.get_data(as_text=True)
    response = client.post(f"/stock/counts/{count_id}/items/{paper_id}", data={"counted": "9"},
                           headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="count-line-') and "-1" in body
    assert len(response.data) < 5000
    response = client.post(f"/stock/counts/{count_id}/scan", data={"tag": "6902"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Retarget"].startswith("#count-line-")
    response = client.post(f"/stock/counts/{count_id}/scan", data={"tag": "nope"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert client.post(f"/stock/counts/{count_id}/approve").status_code == 403
    assert client.get(f"/stock/counts/{count_id}/report").status_code == 200


def test_consumption_and_valuation(ctx):
    from schoolhq.people import services as people

    department = people.create_department("语文组")
    teacher = make_account("teacher", "staff", name="王芳", department_id=department.id)
    keeper, _logistics, store, paper, pens = _setup()
    requisitions.issue_at_counter(keeper, store.id, teacher.person_id,
                                  [requisitions.CounterLine(paper.id, "2"), requisitions.CounterLine(pens.id, "10")],
                                  "备课", on_paper=True)
    today = local_today()
    by_department = reports.consumption(today - timedelta(days=1), today, "department")
    assert [(r.label, r.value_fen) for r in by_department] == [("语文组", 2 * 2500 + 10 * 150)]
    by_item = {r.label: r.quantity_milli for r in reports.consumption(today, today, "item")}
    assert by_item == {"复印纸 A4 70g": 2000, "中性笔 A4 70g": 10000}
    by_month = reports.consumption(today, today, "month")
    assert [r.key for r in by_month] == [today.strftime("%Y-%m")]
    earlier = (today.replace(day=1) - timedelta(days=40)).replace(day=3)
    from schoolhq.core.timeutil import local_day_bounds_utc

    requisitions.issue_at_counter(keeper, store.id, teacher.person_id, [requisitions.CounterLine(pens.id, "1")],
                                  "备课", on_paper=True, issued_at=local_day_bounds_utc(earlier)[0])
    by_month = reports.consumption(earlier, today, "month")
    assert [(r.key, r.value_fen) for r in by_month] == [(earlier.strftime("%Y-%m"), 150),
                                                        (today.strftime("%Y-%m"), 2 * 2500 + 10 * 150)]
    rows, by_category, total = reports.valuation()
    assert total == 8 * 2500 + 39 * 150 == sum(by_category.values())
    assert {r.item.name: r.average_fen for r in rows} == {"复印纸": 2500, "中性笔": 150}
    # nothing before the period
    assert reports.consumption(today - timedelta(days=30), today - timedelta(days=2)) == []
    assert db.session.scalar(select(func.count(StockMovement.id))) == 5


def test_report_pages_render_and_export(app, client):
    with app.app_context():
        make_account("principal", "principal", name="李建国")
        keeper, _logistics, store, paper, _pens = _setup()
        requisitions.issue_at_counter(keeper, store.id, keeper.person_id, [requisitions.CounterLine(paper.id, "2")],
                                      "备课", on_paper=True)
        db.session.commit()
    login(client, "principal")
    for url in ("/stock/reports/consumption?group=item", "/stock/reports/consumption?group=month",
                "/stock/reports/consumption?start=2026-12-01&end=2026-01-01", "/stock/reports/valuation",
                "/stock/purchase-list", "/stock/register?month=bad"):
        assert client.get(url).status_code == 200, url
    for url in ("/stock/reports/consumption?format=xlsx", "/stock/reports/valuation?format=xlsx",
                "/stock/purchase-list?format=xlsx"):
        response = client.get(url)
        assert response.status_code == 200 and response.data[:2] == b"PK", url
    assert "<svg" in client.get("/stock/reports/consumption?group=item").get_data(as_text=True)
