"""What the asset register contributes: asset labels and numbers in the scan box, its
files, loans and stocktakes on the dashboard."""

from flask_babel import lazy_gettext as _l

from schoolhq.assets import audit_trail, audits, catalogue, demo, disposals, reservations, services
from schoolhq.assets.models import Asset, AuditCampaign, Disposal, Reservation
from schoolhq.core.declare import EVERY_ROLE, Area, NavLink, Setting

_FACTS = services.domain()["settings"]

AREA = Area(
    name="assets",
    label=_l("Assets"),
    blueprint="schoolhq.assets.views:bp",
    permissions={
        "assets.view": _l("See the asset register"),
        "assets.manage": _l("Register and edit assets, move them, change custodians"),
        "assets.loan": _l("Check assets out and in at the desk"),
        "assets.borrow": _l("See one's own items and ask to borrow"),
        "assets.settings": _l("Set asset thresholds and numbering for the school"),
        "assets.audit": _l("Run stocktakes room by room"),
        "assets.approve": _l("Approve writing off missing assets"),
    },
    grants={
        **{role: ("assets.borrow",) for role in EVERY_ROLE},
        "admin": ("assets.view", "assets.borrow"),
        "principal": ("assets.view", "assets.borrow", "assets.settings", "assets.approve"),
        "accountant": ("assets.view", "assets.borrow", "assets.settings"),
        "logistics_head": ("assets.view", "assets.manage", "assets.loan", "assets.borrow", "assets.settings",
                           "assets.audit"),
        "storekeeper": ("assets.view", "assets.manage", "assets.loan", "assets.borrow", "assets.audit"),
    },
    nav=(
        NavLink(_l("Assets"), "logistics", (("assets.view", "assets.index"),), blueprint="assets",
                except_endpoints=("assets.mine",)),
        NavLink(_l("My items"), "mine", (("assets.borrow", "assets.mine"),), endpoints=("assets.mine",)),
    ),
    settings=(
        Setting("assets.fixed_asset_threshold_fen", _FACTS["fixed_asset_threshold_yuan"] * 100,
                services.money_setting, _l("Fixed-asset threshold (yuan)"), "money",
                _l("The defaults follow the rules for public institutions (事业单位财务规则, 财政部令第68号, art. 40); local rules may differ.")),
        Setting("assets.special_equipment_threshold_fen", _FACTS["special_equipment_threshold_yuan"] * 100,
                services.money_setting, _l("Threshold for special equipment (yuan)"), "money"),
        Setting("assets.disposal_principal_threshold_fen", 1_000_000, services.money_setting,
                _l("Disposals from this original value go to the principal (yuan)"), "money"),
        Setting("assets.number_pattern", "ZC{year}{seq:05d}", services.pattern_setting, _l("Asset number pattern"),
                hint=_l("Number pattern: {year} is the year, {category} the first three characters of the category code, {seq:05d} a running number of five digits.")),
        Setting("assets.public_label_info", True, bool,
                _l("A label scanned without sign-in shows the asset's name, room and status, and a room's "
                   "responsible person"), "bool"),
        Setting("assets.after_school", "16:30", services.time_setting, _l("Loans due “after school” at"), "time"),
        Setting("assets.periods", reservations.DEFAULT_PERIODS, reservations.periods_setting,
                _l("Lesson periods"), "custom"),
    ),
    # on the generic page, /assets/settings/general (templates/assets/_settings_note.html
    # adds the link to the categories and kinds)
    settings_permission="assets.settings",
    seeders=(catalogue.seed,),
    dashboard=services.dashboard_items,
    label_resolvers=(services.label_target,),
    code_resolvers=(services.open_by_number,),
    upload_rules=(services.attachment_rule, disposals.attachment_rule),
    status_tones={Asset: services.STATUS_TONES, AuditCampaign: audits.STATUS_TONES, Disposal: disposals.STATUS_TONES,
                  Reservation: reservations.STATUS_TONES},
    demo=demo.load,
    data_files=("data/assets.yaml", "data/kinds.yaml"),
    audit=audit_trail.AUDIT,
)
