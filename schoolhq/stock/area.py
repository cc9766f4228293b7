"""What the stock area contributes: barcodes in the scan box, low stock and requisitions
on the dashboard."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import EVERY_ROLE, Area, NavLink, menu
from schoolhq.stock import audit_trail, counts, demo, requisitions, services
from schoolhq.stock.models import Requisition, StockCount

AREA = Area(
    name="stock",
    label=_l("Stock"),
    blueprint="schoolhq.stock.views:bp",
    permissions={
        "stock.request": _l("Ask the store for supplies"),
        "stock.view": _l("See stock levels, the ledger and stock reports"),
        "stock.issue": _l("Receive, issue, transfer and count stock"),
        "stock.manage": _l("Set up stock items, stores and levels"),
        "stock.approve": _l("Approve requisitions of special items and stock count adjustments"),
        "stock.reserve": _l("Release the emergency reserve"),
    },
    grants={
        **{role: ("stock.request",) for role in EVERY_ROLE},
        "principal": ("stock.request", "stock.view", "stock.approve"),
        "accountant": ("stock.request", "stock.view"),
        "logistics_head": ("stock.request", "stock.view", "stock.issue", "stock.manage", "stock.approve",
                           "stock.reserve"),
        "storekeeper": ("stock.request", "stock.view", "stock.issue", "stock.manage"),
    },
    nav=(
        NavLink(_l("Stock"), "logistics", (("stock.view", "stock.index"), ("stock.issue", "stock.index")),
                blueprint="stock", except_endpoints=("stock.request_page", "stock.my_requests")),
        NavLink(_l("Supplies"), "mine", (("stock.request", "stock.request_page"),),
                endpoints=("stock.request_page", "stock.my_requests")),
    ),
    subnav=menu(
        (_l("Stock list"), (("stock.view", "stock.index"), ("stock.issue", "stock.index")), ("stock.index", "stock.item")),
        (_l("Ask for supplies"), "stock.request_page"),
        (_l("My requisitions"), "stock.my_requests"),
        (_l("Approvals"), "stock.approvals"),
        (_l("Pickup window"), (("stock.issue", "stock.window"),)),
        (_l("Counter issue"), (("stock.issue", "stock.counter"),)),
        (_l("Receive"), (("stock.issue", "stock.receive"),)),
        (_l("Counts"), (("stock.issue", "stock.count_list"), ("stock.approve", "stock.count_list")),
         ("stock.count_list", "stock.count")),
        (_l("Receipts"), (("stock.view", "stock.receipts"), ("stock.issue", "stock.receipts"))),
        (_l("Issue register"), (("stock.view", "stock.register"), ("stock.issue", "stock.register"))),
        (_l("Purchase list"), (("stock.view", "stock.purchase_list"), ("stock.issue", "stock.purchase_list"))),
        (_l("Consumption"), (("stock.view", "stock.consumption"),)),
        (_l("Valuation"), (("stock.view", "stock.valuation"),)),
        (_l("Stores"), (("stock.view", "stock.store_list"), ("stock.issue", "stock.store_list"),
                        ("stock.manage", "stock.store_list")), ("stock.store_list", "stock.store_edit")),
        (_l("Categories"), (("stock.manage", "stock.category_list"),)),
    ),
    seeders=(services.seed,),
    dashboard=services.dashboard_items,
    code_resolvers=(services.open_by_barcode,),
    upload_rules=(services.attachment_rule,),
    status_tones={Requisition: requisitions.STATUS_TONES, StockCount: counts.STATUS_TONES},
    demo=demo.load,
    data_files=("data/stock.yaml",),
    audit=audit_trail.AUDIT,
)
