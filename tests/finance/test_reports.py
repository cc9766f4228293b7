"""Finance reports: the split-purchase guard (a kind's year total against the tiers, a
cluster of requests just under one tier flagged for the principal), the total-assets
summary, the 报账 packet and the XLSX exports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from schoolhq.core import settings
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.finance import purchasing, services, splitting
from schoolhq.finance.summary import assets_summary
from tests.conftest import login
from tests.factories.finance import ask, asset_category_id, office

pytestmark = pytest.mark.dated


def test_the_tiers_setting_reads_amounts_as_people_write_them(ctx):
    assert splitting.tiers_setting("5000, 50,000、1,000,000") == "5000, 50000, 1000000"
    assert splitting.tiers_setting("3000；20000") == "3000, 20000"
    for bad in ("", "50000, 5000", "5000, 5000", "0, 100", "五千"):
        with pytest.raises(ServiceError):
            splitting.tiers_setting(bad)
    settings.update({"finance.split_tiers": "3000, 20000"})
    assert splitting.tiers() == [300000, 2000000]


def test_a_request_that_takes_its_kind_past_a_tier_is_named(ctx):
    o = office("100000")
    first = ask(o, [("other", "一楼窗帘", 20, "200")], title="一楼窗帘")  # 4,000: close to 5,000
    warnings = splitting.warnings_for(first)
    assert [(w.tier_fen, w.crosses) for w in warnings] == [(500000, False)]
    assert "接近" in warnings[0].text and "¥4,000.00" in warnings[0].text
    second = ask(o, [("other", "二楼窗帘", 20, "200")], title="二楼窗帘")  # 8,000 in all: past 5,000
    crossing = splitting.warnings_for(second)
    assert [(w.tier_fen, w.before_fen, w.after_fen, w.crosses) for w in crossing] == [(500000, 400000, 800000, True)]
    assert "化整为零" in crossing[0].text
    stock = ask(o, [("stock", "", 10, "25", o.item.id)], title="复印纸")
    assert splitting.warnings_for(stock) == [], "another kind, far from any tier"
    purchasing.decide(o.head, second.id, False, note="与一楼合并采购")
    assert splitting.year_totals(services.fiscal_year()) == {"other": 400000, f"stock:{o.item.category_id}": 25000}, \
        "a rejected request does not count"


def test_requests_each_just_under_a_tier_within_months_are_flagged(ctx, clock):
    today = local_today()
    if (today - timedelta(days=80)).year != today.year:
        pytest.skip("the three requests would straddle a new year on this held day")
    o = office("100000")
    made = []
    for days_ago, floor in ((80, "一楼"), (40, "二楼"), (5, "三楼")):
        clock.set(f"{today - timedelta(days=days_ago)} 10:00")
        made.append(ask(o, [("other", f"{floor}窗帘", 23, "200")], title=f"{floor}窗帘"))  # 4,600 each
    clock.set(f"{today} 10:00")
    db.session.commit()
    flagged = splitting.clusters(services.fiscal_year())
    assert [(c.kind, c.tier_fen, [r.id for r in c.requests]) for c in flagged] == \
        [("other", 500000, [r.id for r in made])]
    assert flagged[0].total_fen == 1380000
    from schoolhq.finance.purchasing import dashboard_items

    items = dashboard_items(o.principal)
    assert any("化整为零" in str(item.title) for item in items)
    assert not any("化整为零" in str(item.title) for item in dashboard_items(o.head)), "for the principal"


def test_three_requests_spread_over_the_year_are_not_a_cluster(ctx, clock):
    o = office("100000")
    today = local_today()
    if today.timetuple().tm_yday < 250:
        pytest.skip("needs 240 days of this year before the held day")
    for days_ago in (240, 120, 1):
        clock.set(f"{today - timedelta(days=days_ago)} 10:00")
        ask(o, [("other", "窗帘", 23, "200")], title="窗帘")
    clock.set(f"{today} 10:00")
    assert splitting.clusters(services.fiscal_year()) == []


def test_the_total_assets_summary_by_class_with_stock_at_cost(ctx):
    from schoolhq.places import services as places
    from tests.factories.stock import receive

    o = office("100000")
    request = ask(o, [("asset", "投影仪", 2, "5680", asset_category_id())], title="投影仪")
    for level, account in (("head", o.head), ("principal", o.principal), ("meeting", o.principal)):
        if purchasing.next_level(request) == level:
            purchasing.decide(account, request.id, True, minutes="2026年第9次行政会纪要")
    room = places.create_location("room", "会议室", places.tree()[0].id)
    purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(True, local_today(), "赵敏", location_id=room.id))
    receive(o.stock_store, o.item, quantity="10", price="25.00")
    db.session.commit()
    summary = assets_summary(services.fiscal_year())
    assert summary.total.original_fen == 1136000 and summary.total.added_fen == 1136000
    assert summary.total.count == 2 and summary.total.disposed_fen == 0
    assert summary.stock_fen == 25000 and summary.total_fen == summary.total.net_fen + 25000
    assert len(summary.classes) == 1 and summary.classes[0].added_count == 2


def test_the_packet_the_summary_and_the_exports(app, client):
    with app.test_request_context():
        o = office()
        request = ask(o, [("stock", "", 40, "25", o.item.id)], title="复印纸")
        purchasing.decide(o.head, request.id, True)
        purchasing.decide(o.principal, request.id, True)
        purchasing.accept(o.head, request.id, purchasing.AcceptanceInput(True, local_today(), "赵敏",
                                                                           store_id=o.stock_store.id))
        services.record_expenditure(o.accountant, services.ExpenditureInput(
            line_id=None, paid_on=local_today(), amount="1000", request_id=request.id, invoice_no="No.00981",
            invoice_date=local_today()))
        db.session.commit()
        request_id = request.id
    login(client, "accountant")
    packet = client.get(f"/finance/requests/{request_id}/packet").get_data(as_text=True)
    assert "报账单" in packet and "No.00981" in packet and "王海涛" in packet and "RK" in packet and "报账员" in packet
    summary = client.get("/finance/assets").get_data(as_text=True)
    assert "资产价值汇总表" in summary and "库存物资" in summary
    assert "拆分采购检查" in client.get("/finance/split").get_data(as_text=True)
    journal = client.get("/finance/expenditures").get_data(as_text=True)
    reverse_url = re.search(r'href="(/finance/expenditures/\d+/reverse)"', journal).group(1)
    assert "冲销原因" in client.get(reverse_url).get_data(as_text=True)
    refused = client.post(reverse_url, data={"reason": ""})
    assert refused.status_code == 422 and "请写明冲销原因" in refused.get_data(as_text=True)
    assert client.post(reverse_url, data={"reason": "发票抬头有误"}).status_code == 303
    assert "已被冲销" in client.get(reverse_url).get_data(as_text=True)
    assert "冲销：发票抬头有误" in client.get("/finance/expenditures").get_data(as_text=True)
    for url in ("/finance/?format=xlsx", "/finance/expenditures?format=xlsx", "/finance/requests?format=xlsx",
                "/finance/assets?format=xlsx"):
        response = client.get(url)
        assert response.status_code == 200 and response.data[:2] == b"PK", url
    client.get("/auth/logout")
    login(client, "store")
    assert client.get(f"/finance/requests/{request_id}/packet").status_code == 403
    assert client.get("/finance/assets").status_code == 403
    own = client.get(f"/finance/requests/{request_id}").get_data(as_text=True)
    assert f"/finance/requests/{request_id}/packet" not in own, "no link the storekeeper cannot follow"


def test_the_demo_school_flags_its_split_curtains(app, demo):
    with app.test_request_context():
        flagged = splitting.clusters(services.fiscal_year())
        assert [c.name for c in flagged] == ["服务与工程"]
        assert {"教学楼一楼教室窗帘更换", "教学楼二楼教室窗帘更换", "教学楼三楼教室窗帘更换"} <= \
            {r.title for r in flagged[0].requests}
        lines = services.figures_of(services.lines(services.fiscal_year()))
        office_line = next(f for f in lines if f.line.code == "302-01")
        assert 0.9 < office_line.spent_rate <= 1, "one line near its limit"
        assert db.session.scalar(select(services.Expenditure.id).where(
            services.Expenditure.paid_on > local_today())) is None, "nothing dated after today"
