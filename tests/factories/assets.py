"""Assets for tests: loanable laptops in a store room, a borrower, a signature."""

from __future__ import annotations

import base64
import io

from PIL import Image
from sqlalchemy import select

from schoolhq.assets import services
from schoolhq.assets.models import AssetCategory, AssetKind
from schoolhq.extensions import db
from schoolhq.places import services as places
from tests.conftest import make_account


def signature() -> str:
    """A signature pad's data URL, as the tablet sends it."""
    image = Image.new("RGB", (300, 100), "white")
    image.putpixel((10, 10), (0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def loanable_items(loanable=True, n=2):
    """n laptops in 综合楼's store room, and the teacher 王芳 who borrows: (assets, person id)."""
    campus = places.create_location("campus", "阳光小学")
    building = places.create_location("building", "综合楼", campus.id)
    floor = places.create_location("floor", "1楼", building.id)
    store = places.create_location("room", "仓库", floor.id)
    laptop = db.session.scalar(select(AssetKind).where(AssetKind.key == "laptop"))
    category = db.session.scalar(select(AssetCategory).where(AssetCategory.code == "A02010108"))
    assets = [services.register_asset({"name": f"笔记本{i}", "category_id": category.id, "kind_id": laptop.id,
                                       "unit_price_fen": 520000, "loanable": loanable}, store.id, status="in_storage")
              for i in range(n)]
    teacher = make_account("teacher", "staff", name="王芳")
    return assets, teacher.person_id


#: routes of this area that also narrow by the record: a borrower sees their own loan slip
OWN_RECORDS_ONLY = {"assets.slip"}


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    from schoolhq.assets.models import Asset, AuditScan, Disposal, Loan

    asset = db.session.scalar(select(Asset).order_by(Asset.id))
    scan = db.session.scalar(select(AuditScan).order_by(AuditScan.id))
    return {"asset_id": asset.id, "category_id": asset.category_id,
            "kind_id": db.session.scalar(select(AssetKind.id)),
            "slip": db.session.scalar(select(Loan.slip).order_by(Loan.id)),
            "campaign_id": scan.campaign_id, "scan_id": scan.id,
            "disposal_id": db.session.scalar(select(Disposal.id).order_by(Disposal.id)), "step": "appraise"}
