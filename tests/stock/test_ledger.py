"""The stock ledger: quantities come from movements, the database refuses a negative
balance and any edit of a movement, moving-average value, reversals, transfers and the
bad inputs of each."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from schoolhq.stock import services
from schoolhq.stock.models import StockBalance, StockCategory, StockMovement
from tests.factories.stock import make_item, make_store, receive


def test_quantities_parse_exactly_and_refuse_nonsense(ctx):
    paper = make_item()
    rice = make_item("大米", "千克", decimal=True)
    assert services.parse_quantity("2", paper) == 2000
    assert services.parse_quantity("２.５".replace("２", "2"), rice) == 2500
    assert services.parse_quantity("1,200", paper) == 1_200_000
    for bad, message in (("abc", "not a number"), ("0", "more than zero"), ("-3", "more than zero"),
                         ("1.5", "whole"), ("1.2345", "three decimal"), ("", "Enter a quantity"),
                         ("nan", "not a number"), ("1e20", "too large"), ("1e999999", "too large"),
                         ("1E999999", "too large")):
        with pytest.raises(ServiceError) as error:
            services.parse_quantity(bad, rice if bad == "1.2345" else paper)
        assert message in str(error.value.message), bad
    assert services.format_quantity(2500) == "2.5" and services.format_quantity(1_200_000) == "1,200"


def test_a_receipt_fills_the_balance_through_the_trigger_and_values_at_cost(ctx):
    store, paper = make_store(), make_item()
    receipt = receive(store, paper, "10", "25.00")
    receive(store, paper, "10", "27.00")
    assert receipt.number.startswith("RK") and len(services.receipt_lines(receipt.id)) == 1
    assert services.on_hand(paper.id) == 10_000 * 2
    assert services.average_cost_fen(paper.id) == 2600
    out = services.take(paper, store, 5000)
    assert out.quantity_milli == -5000 and out.value_fen == -13000
    # taking the rest takes exactly the remaining value: nothing is left over in the books
    rest = services.take(paper, store, 15000)
    assert rest.value_fen == -(52000 - 13000)
    balance = db.session.get(StockBalance, (paper.id, store.id))
    db.session.refresh(balance)
    assert (balance.quantity_milli, balance.value_fen) == (0, 0)


def test_the_balance_always_equals_the_sum_of_the_ledger(ctx):
    store, other = make_store(), make_store("文具柜")
    paper = make_item()
    receive(store, paper, "30")
    services.transfer(paper.id, store.id, other.id, "7", "补充")
    services.write_off(paper.id, other.id, "2", "受潮")
    services.take(paper, store, 3000)
    for store_id in (store.id, other.id):
        ledger = db.session.scalar(select(func.sum(StockMovement.quantity_milli)).where(
            StockMovement.item_id == paper.id, StockMovement.store_id == store_id))
        assert services.on_hand(paper.id, store_id) == ledger
    assert services.on_hand(paper.id, store.id) == 20_000 and services.on_hand(paper.id, other.id) == 5000


def test_more_than_is_on_hand_is_refused_and_nothing_is_written(ctx):
    store, paper = make_store(), make_item()
    receive(store, paper, "2")
    before = db.session.scalar(select(func.count(StockMovement.id)))
    with pytest.raises(ServiceError) as error:
        services.take(paper, store, 3000)
    assert "Only 2" in str(error.value.message)
    with pytest.raises(ServiceError):
        services.write_off(paper.id, store.id, "5", "过期")
    assert db.session.scalar(select(func.count(StockMovement.id))) == before


def test_the_database_itself_refuses_a_negative_balance(ctx):
    store, paper = make_store(), make_item()
    receive(store, paper, "1")
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(StockMovement(item_id=paper.id, store_id=store.id, kind="issue", quantity_milli=-2000,
                                         value_fen=0))
            db.session.flush()
    assert services.on_hand(paper.id) == 1000


def test_the_ledger_is_append_only(ctx):
    store, paper = make_store(), make_item()
    receive(store, paper, "5")
    movement_id = db.session.scalar(select(StockMovement.id))
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(update(StockMovement).where(StockMovement.id == movement_id).values(quantity_milli=9000))
    with pytest.raises(DatabaseError):
        with db.session.begin_nested():
            db.session.execute(text("DELETE FROM stock_movement"))
    assert services.on_hand(paper.id) == 5000


def test_a_movement_kind_must_carry_its_sign(ctx):
    store, paper = make_store(), make_item()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(StockMovement(item_id=paper.id, store_id=store.id, kind="issue", quantity_milli=1000,
                                         value_fen=0))
            db.session.flush()


def test_a_reversal_undoes_a_row_once_and_keeps_the_original(ctx):
    store, paper = make_store(), make_item()
    receipt = receive(store, paper, "4")
    wrong = services.take(paper, store, 3000, "issue", reason="录错")
    reversal = services.reverse(wrong.id, "数量录错")
    assert reversal.quantity_milli == 3000 and reversal.reverses_id == wrong.id
    assert services.on_hand(paper.id) == 4000
    with pytest.raises(ServiceError, match="already been reversed"):
        services.reverse(wrong.id, "again")
    with pytest.raises(ServiceError, match="cannot itself"):
        services.reverse(reversal.id, "again")
    with pytest.raises(ServiceError, match="why"):
        services.reverse(services.receipt_lines(receipt.id)[0].id, "  ")
    # undoing a receipt whose goods are partly gone would go negative: refused
    services.take(paper, store, 2000)
    with pytest.raises(ServiceError, match="Only 2"):
        services.reverse(services.receipt_lines(receipt.id)[0].id, "退货")
    assert db.session.scalar(select(func.count(StockMovement.id)).where(StockMovement.kind == "reversal")) == 1


def test_transfer_bad_inputs(ctx):
    store, other, paper = make_store(), make_store("文具柜"), make_item()
    receive(store, paper, "5")
    with pytest.raises(ServiceError, match="different store"):
        services.transfer(paper.id, store.id, store.id, "1")
    with pytest.raises(ServiceError, match="whole"):
        services.transfer(paper.id, store.id, other.id, "0.5")
    with pytest.raises(ServiceError, match="Only 5"):
        services.transfer(paper.id, store.id, other.id, "6")
    with pytest.raises(ServiceError, match="why"):
        services.write_off(paper.id, store.id, "1", "")
    assert services.on_hand(paper.id, other.id) == 0 and services.on_hand(paper.id, store.id) == 5000


def test_receipt_bad_inputs_write_nothing(ctx):
    store, paper = make_store(), make_item()
    line = services.ReceiptLine
    cases = [
        ([], "at least one line"),
        ([line(None, "3", "1")], "choose an item"),
        ([line(paper.id, "3", "1"), line(paper.id, "1", "1")], "two lines"),
        ([line(paper.id, "-1", "1")], "more than zero"),
        ([line(paper.id, "2", "abc")], "Line 1"),
    ]
    for lines, message in cases:
        with pytest.raises(ServiceError) as error:
            services.receive(store.id, lines)
        assert message in str(error.value.message)
    with pytest.raises(ServiceError, match="store"):
        services.receive(None, [line(paper.id, "1", "1")])
    assert db.session.scalar(select(func.count(StockMovement.id))) == 0


def test_item_rules(ctx):
    make_item()
    category = db.session.scalar(select(StockCategory.id))
    data = services.ItemData(name="口罩", category_id=category, unit="只", barcode="690123", min_level="100",
                             target_level="50")
    with pytest.raises(ServiceError, match="target level"):
        services.save_item(data)
    data.target_level, data.reserve_level = "500", "200"
    with pytest.raises(ServiceError, match="reserve"):
        services.save_item(data)
    data.reserve_level = "80"
    masks = services.save_item(data)
    assert masks.pinyin_initials == "kz"
    clash = services.ItemData(name="手套", category_id=category, unit="副", barcode="690123")
    with pytest.raises(ServiceError, match="barcode"):
        services.save_item(clash)
    assert services.find_by_barcode("690123").id == masks.id and services.find_by_barcode("nope") is None


def test_low_and_reserve_levels_show_in_the_list_and_purchase_list(ctx):
    store = make_store()
    paper = make_item(min_level="10", target_level="40")
    masks = make_item("口罩", "只", min_level="100", target_level="500", reserve_level="50")
    receive(store, paper, "8", "25")
    receive(store, masks, "30", "0.5")
    rows = {item.id: quantity for item, quantity, _v in db.session.execute(
        services.item_rows(services.ItemFilters(level="low")))}
    assert rows == {paper.id: 8000, masks.id: 30000}
    reserve = [item.id for item, _q, _v in db.session.execute(services.item_rows(services.ItemFilters(level="reserve")))]
    assert reserve == [masks.id]
    buy = {item.id: to_buy for item, _q, to_buy, _cost in services.purchase_list()}
    assert buy == {paper.id: 32000, masks.id: 470000}
    found = [i.id for i, _q, _v in db.session.execute(services.item_rows(services.ItemFilters(text="fyz")))]
    assert found == [paper.id]


def test_running_balances_on_any_ledger_page_match_the_history(ctx):
    store, other = make_store(), make_store("文具柜")
    paper = make_item()
    receive(store, paper, "100")
    for n in range(35):
        if n % 5 == 0:
            services.transfer(paper.id, store.id, other.id, "2")
        else:
            services.take(paper, store, 1000)
    for store_id in (None, store.id, other.id):
        history = list(db.session.scalars(select(StockMovement).where(
            StockMovement.item_id == paper.id, *([StockMovement.store_id == store_id] if store_id else []))
            .order_by(StockMovement.id)))
        running, expected = 0, {}
        for movement in history:
            running += movement.quantity_milli
            expected[movement.id] = running
        query = services.ledger_query(paper.id, store_id)
        for offset in range(0, len(history), 10):
            rows = services.with_balances(db.session.execute(query.limit(10).offset(offset)).all(), paper.id, store_id)
            assert rows and all(balance == expected[m.id] for m, balance, *_rest in rows), (store_id, offset)


def test_items_are_listed_in_pinyin_order(ctx):
    """U盘 sorted before 中性笔 by code point; a Chinese list goes by pinyin."""
    for name in ("中性笔", "U盘 32G", "剪刀", "便利贴"):
        make_item(name, "个")
    rows = db.session.execute(services.item_rows(services.ItemFilters())).all()
    assert [row[0].name for row in rows] == ["便利贴", "剪刀", "U盘 32G", "中性笔"]
