"""What the water area contributes: its pages, points out of use and lapsing permits on the
dashboard, a panel on water assets and on rooms with a point out of use, and the notice on
a point's QR card."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import Area, NavLink, Setting, menu
from schoolhq.water import audit_trail, demo, round_items, services
from schoolhq.water.models import WaterPoint

AREA = Area(
    name="water",
    label=_l("Drinking water"),
    blueprint="schoolhq.water.views:bp",
    permissions={
        "water.view": _l("See the water points, their lab results and history"),
        "water.record": _l("Enter water lab results and take a point out of use"),
        "water.manage": _l("Set a water point's kind and hygiene permit"),
    },
    grants={
        "logistics_head": ("water.view", "water.record", "water.manage"),
        "principal": ("water.view",),
        "school_doctor": ("water.view", "water.record"),
        "maintenance": ("water.view", "water.record"),
    },
    nav=(NavLink(_l("Drinking water"), "logistics", (("water.view", "water.point_list"),), blueprint="water"),),
    subnav=menu(
        (_l("Water points"), (("water.view", "water.point_list"),),
         ("water.point_list", "water.point_page", "water.new_test", "water.test_page", "water.dispenser_cleaning")),
        (_l("Hygiene archive (ledger)"), (("water.view", "water.ledger"),)),
        (_l("Settings"), (("water.manage", "water_settings.page"),)),
    ),
    settings=(Setting("water.tank_cleaning_months", services.domain()["water"]["tank_cleaning"]["every_months"],
                      services.months_setting, _l("Months between two cleanings of a water tank"), "number"),),
    settings_permission="water.manage",
    dashboard=services.dashboard_items,
    panels={"places.room": services.room_panel, "assets.asset": services.asset_panel},
    label_notices=(services.label_notices,),
    record_items=round_items.RECORD_ITEMS,
    upload_rules=(services.attachment_rule,),
    status_tones={WaterPoint: services.STATUS_TONES},
    demo=demo.load,
    data_files=("data/water.yaml",),
    audit=audit_trail.AUDIT,
)
