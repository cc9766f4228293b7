"""What the finance area contributes: budget lines and their adjustments, purchase requests
approved by amount (the limits are settings), acceptance before payment, the expenditure
journal; the requests waiting for the reader's approval on the dashboard."""

from flask_babel import lazy_gettext as _l

from schoolhq.assets.services import money_setting
from schoolhq.core.declare import Area, NavLink, Setting, menu
from schoolhq.finance import audit_trail, demo, purchasing, services, splitting
from schoolhq.finance.models import PurchaseRequest

AREA = Area(
    name="finance",
    label=_l("Finances"),
    blueprint="schoolhq.finance.views:bp",
    permissions={
        "finance.view": _l("See the budget, every purchase request and the expenditure journal"),
        "finance.request": _l("Make purchase requests"),
        "finance.manage": _l("Keep the budget lines and record payments (报账)"),
        "finance.approve": _l("Approve purchase requests as the logistics head"),
        "finance.approve_principal": _l("Approve purchase requests as the principal, and record 行政会 decisions"),
        "finance.accept": _l("Accept delivered goods (验收)"),
    },
    grants={
        "accountant": ("finance.view", "finance.request", "finance.manage"),
        "principal": ("finance.view", "finance.approve_principal"),
        "logistics_head": ("finance.view", "finance.request", "finance.approve", "finance.accept"),
        "storekeeper": ("finance.request", "finance.accept"),
        "canteen_manager": ("finance.request",),
        "maintenance": ("finance.request",),
        "school_doctor": ("finance.request",),
    },
    nav=(NavLink(_l("Finances"), "logistics", (("finance.view", "finance.line_list"),
                                              ("finance.request", "finance.request_list")), blueprint="finance"),),
    subnav=menu(
        (_l("Budget lines"), (("finance.view", "finance.line_list"),),
         ("finance.line_list", "finance.line_page", "finance.new_line", "finance.edit_line")),
        (_l("Purchase requests"), (("finance.view", "finance.request_list"), ("finance.request", "finance.request_list")),
         ("finance.request_list", "finance.request_page", "finance.new_request")),
        (_l("Expenditure journal"), (("finance.view", "finance.journal"),),
         ("finance.journal", "finance.new_expenditure")),
        (_l("Split purchases"), (("finance.view", "finance.split"),)),
        (_l("Total assets"), (("finance.view", "finance.assets_summary"),)),
    ),
    settings=(
        Setting("finance.head_limit_fen", 50_000, money_setting,
                _l("Purchase requests up to this amount need the logistics head only (yuan)"), "money"),
        Setting("finance.principal_limit_fen", 1_000_000, money_setting,
                _l("Up to this amount the principal approves too; above it a 行政会 decides (yuan)"), "money"),
        Setting("finance.split_tiers", splitting.DEFAULT_TIERS, splitting.tiers_setting,
                _l("Split-purchase tiers: what one kind may add up to in a year (yuan, smallest first)"), "text",
                _l("The school's own (three quotes from 5,000; a 行政会 from 50,000) and the province's 分散采购限额 "
                   "(the national 1,000,000 for goods and services, 国办发〔2019〕55号; a province often sets less).")),
    ),
    settings_permission="finance.manage",
    dashboard=purchasing.dashboard_items,
    upload_rules=(services.attachment_rule,),
    status_tones={PurchaseRequest: services.REQUEST_TONES},
    demo=demo.load,
    audit=audit_trail.AUDIT,
)
