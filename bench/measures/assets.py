"""What the bench measures of the assets area: the register, an asset's page and card, the
desks' scans, the reports, and the tag lookup alone."""

from __future__ import annotations

import statistics
import time
import urllib.parse

from harness.measure import HX, Fixture, percentile

#: the asset register as a spreadsheet, every row on the register
EXPORT_PATH = "/assets/export.xlsx"
#: the printable reports over the whole register, each opened once over HTTP before the
#: serving process's memory is read (the whole school's room ledgers as asked for by name)
REPORT_PATHS = ("/assets/reports/rooms", "/assets/reports/rooms?location=all", "/assets/reports/idle",
                "/assets/reports/categories")


def find(fx: Fixture) -> bool:
    from sqlalchemy import func, select

    from schoolhq.assets.models import Asset, AssetEvent, Loan
    from schoolhq.extensions import db
    from schoolhq.places.models import Location

    # a building (its assets: everything on its floors and in its rooms)
    fx.building_id = db.session.scalar(select(Location.id).where(
        Location.kind == "building", Location.archived_at.is_(None), Location.parent_id.is_not(None))
        .order_by(Location.id)) or 0
    per_asset = (select(AssetEvent.asset_id, func.count().label("n")).group_by(AssetEvent.asset_id)
                 .subquery())
    # the asset with the longest history, and one of its category with the shortest
    fx.busy_asset_id = db.session.scalar(select(per_asset.c.asset_id).order_by(per_asset.c.n.desc())) or 0
    if not fx.busy_asset_id:
        return False
    busy = db.session.get(Asset, fx.busy_asset_id)
    fx.busy_asset_token = busy.token
    # same category: the value (depreciation) looks up the same category chain
    fx.quiet_asset_id = db.session.scalar(
        select(per_asset.c.asset_id).join(Asset, Asset.id == per_asset.c.asset_id)
        .where(Asset.status == "in_use", Asset.category_id == busy.category_id)
        .order_by(per_asset.c.n, Asset.id)) or 0
    # a loanable asset in the store, not on loan: what the lending desk scans
    lend = db.session.scalar(select(Asset).where(
        Asset.loanable.is_(True), Asset.status == "in_storage",
        ~select(Loan.id).where(Loan.asset_id == Asset.id, Loan.returned_at.is_(None)).exists())
        .order_by(Asset.id))
    fx.lend_number, fx.lend_token = lend.number, lend.token
    # an asset on loan: what the returns desk scans
    fx.return_number = db.session.scalar(select(Asset.number).join(Loan, Loan.asset_id == Asset.id)
                                         .where(Loan.returned_at.is_(None)).order_by(Loan.id))
    return True


def pages(fx: Fixture) -> list[tuple]:
    return [
        ("asset register", "/assets/", {}),
        ("asset search fragment", "/assets/?q=" + urllib.parse.quote("电脑"), HX),
        ("asset register, a building, in use", f"/assets/?location={fx.building_id}&status=in_use", {}),
        ("asset detail (longest history)", f"/assets/{fx.busy_asset_id}", {}),
        ("asset card (A5, printable)", f"/assets/{fx.busy_asset_id}/card", {}),
        ("loans on the desk", "/assets/loans", {}),
        ("my items", "/assets/mine", {}),
        ("QR label, signed in (redirect)", f"/t/{fx.busy_asset_token}", {}),
    ]


def saves(fx: Fixture) -> list[tuple]:
    return [
        ("desk scan by number (htmx cart)", "/assets/desk/scan", HX, lambda n: {"tag": fx.lend_number}),
        ("desk scan by label URL (htmx cart)", "/assets/desk/scan", HX,
         lambda n: {"tag": f"https://school.example/t/{fx.lend_token}"}),
        ("returns scan (htmx list)", "/assets/checkin/scan", HX, lambda n: {"tag": fx.return_number}),
    ]


def reports(fx: Fixture) -> list[tuple]:
    """Printable reports over the whole register (HTML), measured REPORT_ITERATIONS times."""
    return [
        ("asset report: category ledger (分类明细账)", "/assets/reports/categories", {}),
        ("asset report: room ledgers, one building", f"/assets/reports/rooms?location={fx.building_id}", {}),
        ("asset report: room ledgers, as first opened (one building, said on the page)", "/assets/reports/rooms", {}),
        ("asset report: room ledgers, the whole school asked for by name", "/assets/reports/rooms?location=all", {}),
        ("asset report: idle for 12 months", "/assets/reports/idle", {}),
    ]


GROWTH_PAIRS = [
    ("/assets/?q={lend_number}", "/assets/"),
    ("/assets/loans?overdue=1", "/assets/loans"),
    ("/assets/{quiet_asset_id}", "/assets/{busy_asset_id}"),
]


def tag_lookups(app, fx: Fixture, repeat: int = 200) -> list[tuple[str, float, float]]:
    """services.resolve_tag on its own, as the scanner's keystrokes reach it: (what was
    scanned, median ms, p95 ms)."""
    from schoolhq.assets.services import resolve_tag

    results = []
    with app.app_context():
        for name, text in (("asset number", fx.lend_number), ("label token", fx.lend_token),
                           ("label URL", f"https://school.example/t/{fx.lend_token}"),
                           ("unknown tag", "ZC209900000")):
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                resolve_tag(text)
                times.append((time.perf_counter() - started) * 1000)
            results.append((name, statistics.median(times), percentile(times, 0.95)))
    return results
