"""Disposal: appraisal, approval by someone else (the principal above the threshold), the
authority's document before execution, rejection restores statuses."""

from __future__ import annotations

import io

import pytest
from flask_login import login_user
from sqlalchemy import select

from schoolhq.assets import disposals, services
from schoolhq.assets.models import Asset, AssetCategory
from schoolhq.auth.models import Account
from schoolhq.core.errors import ServiceError
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import login, make_account


def _assets(prices=(450000, 120000)):
    campus = places.create_location("campus", "阳光小学")
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010105"))
    return [services.register_asset({"name": f"旧电脑{i}", "category_id": category.id, "unit_price_fen": p},
                                    campus.id) for i, p in enumerate(prices)]


def _as(username):
    login_user(db.session.scalar(select(Account).where(Account.username == username)))


def test_the_whole_way_from_request_to_disposed(app):
    with app.test_request_context():
        make_account("store", "storekeeper")
        make_account("head", "logistics_head")
        make_account("principal", "principal")
        items = _assets(prices=(900000, 300000))  # ¥12,000: above the principal's threshold
        _as("store")
        disposal = disposals.request_disposal([a.id for a in items], "使用年限已满")
        assert all(a.status == "pending_disposal" for a in items)
        with pytest.raises(ServiceError):
            disposals.decide(disposal.id, True)  # not appraised yet
        disposals.appraise(disposal.id, "主板损坏，无维修价值")
        with pytest.raises(ServiceError):
            disposals.decide(disposal.id, True)  # the requester
        _as("head")
        with pytest.raises(ServiceError):
            disposals.decide(disposal.id, True)  # above the threshold: the principal
        _as("principal")
        disposals.decide(disposal.id, True, "同意报废")
        _as("store")
        with pytest.raises(ServiceError):
            disposals.execute(disposal.id, "回收")  # 先报批、后处置
        from werkzeug.datastructures import FileStorage

        disposals.attach_document(disposal.id, FileStorage(io.BytesIO(b"%PDF-1.4 ok"), filename="pifu.pdf"),
                                  "教装〔2026〕12号")
        disposals.execute(disposal.id, "交回收公司")
        assert all(a.status == "disposed" for a in items)
        assert services.history(items[0].id)[0].kind == "disposed"
        assert items[0].id not in [a.id for a in db.session.scalars(services.search(services.Filters()))]


def test_a_rejection_restores_the_statuses(app):
    with app.test_request_context():
        make_account("store", "storekeeper")
        make_account("head", "logistics_head")
        items = _assets(prices=(50000,))
        services.change_status(items[0].id, "in_storage")
        _as("store")
        disposal = disposals.request_disposal([items[0].id], "坏了")
        disposals.appraise(disposal.id, "可以修")
        _as("head")
        with pytest.raises(ServiceError):
            disposals.decide(disposal.id, False, "")  # a rejection says why
        disposals.decide(disposal.id, False, "维修即可继续使用")
        assert items[0].status == "in_storage"


def test_bad_requests_change_nothing(ctx):
    items = _assets()
    for ids, reason in (([], "x"), ([items[0].id], " "), ([items[0].id, items[0].id], "x")):
        with pytest.raises(ServiceError):
            disposals.request_disposal(ids, reason)
    assert all(a.status == "in_use" for a in items)


def test_disposal_through_the_web(app, client):
    with app.test_request_context():
        make_account("store", "storekeeper")
        items = _assets()
        db.session.commit()
        numbers = [a.number for a in items]
    login(client, "store")
    unknown = client.post("/assets/disposals", data={"tags": "NOPE-1\n" + numbers[0], "reason": "坏了"})
    assert unknown.status_code == 422 and "NOPE-1" in unknown.get_data(as_text=True)
    created = client.post("/assets/disposals", data={"tags": "\n".join(numbers), "reason": "坏了"})
    assert created.status_code == 303
    disposal_id = int(created.headers["Location"].rsplit("/", 1)[1])
    assert client.post(f"/assets/disposals/{disposal_id}/appraise", data={"appraisal": ""}).status_code == 422
    assert client.post(f"/assets/disposals/{disposal_id}/appraise", data={"appraisal": "损坏"}).status_code == 303
    assert client.post(f"/assets/disposals/{disposal_id}/approve", data={"note": ""}).status_code == 422  # own request
    assert client.post(f"/assets/disposals/{disposal_id}/fly").status_code == 404
    page = client.get(f"/assets/disposals/{disposal_id}/print").get_data(as_text=True)
    assert numbers[0] in page and "¥5,700.00" in page
    with app.app_context():
        assert {a.status for a in db.session.scalars(select(Asset))} == {"pending_disposal"}
