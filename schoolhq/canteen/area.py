"""What the canteen contributes: its staff roster and the morning check (晨检) on the
kitchen tablet, with the monthly 从业人员晨检记录."""

from flask_babel import lazy_gettext as _l

from schoolhq.canteen import audit_trail, demo, round_items, services, suppliers
from schoolhq.core.declare import Area, NavLink, Setting, menu

AREA = Area(
    name="canteen",
    label=_l("Canteen"),
    blueprint="schoolhq.canteen.views:bp",
    permissions={
        "canteen.view": _l("See the canteen's food-safety records"),
        "canteen.record": _l("Record the canteen's morning checks, food samples, goods received, disinfection, additives and waste"),
        "canteen.manage": _l("Keep the canteen's staff roster, menu and suppliers, and sign and review its records"),
        "canteen.accompany": _l("Eat with the pupils as a school leader and record the meal (陪餐)"),
    },
    grants={
        "canteen_manager": ("canteen.view", "canteen.record", "canteen.manage"),
        "canteen_staff": ("canteen.view", "canteen.record"),
        "principal": ("canteen.view", "canteen.accompany"),
        "logistics_head": ("canteen.view", "canteen.accompany"),
    },
    nav=(NavLink(_l("Canteen"), "logistics", (("canteen.view", "canteen.morning_page"),), blueprint="canteen"),),
    subnav=menu(
        (_l("Morning check"), (("canteen.view", "canteen.morning_page"),)),
        (_l("Menu"), (("canteen.view", "canteen.menus"),)),
        (_l("Food samples"), (("canteen.view", "canteen.samples_page"),)),
        (_l("Goods received"), (("canteen.view", "canteen.deliveries"),)),
        (_l("Disinfection, additives and waste"), (("canteen.view", "canteen.hygiene_page"),)),
        (_l("Accompanied meals"), (("canteen.view", "canteen.companion_page"),
                                   ("canteen.accompany", "canteen.companion_page"))),
        (_l("Morning-check log"), (("canteen.view", "canteen.morning_ledger"),)),
        (_l("Food-sample log"), (("canteen.view", "canteen.sample_ledger"),)),
        (_l("Goods-receiving log"), (("canteen.view", "canteen.delivery_ledger"),)),
        (_l("Accompanied-meal log"), (("canteen.view", "canteen.companion_ledger"),)),
        (_l("Disinfection log"), (("canteen.view", "canteen.disinfection_ledger"),)),
        (_l("Additive log"), (("canteen.view", "canteen.additive_ledger"),)),
        (_l("Kitchen-waste log"), (("canteen.view", "canteen.waste_ledger"),)),
        (_l("Canteen rates"), (("canteen.view", "canteen.rates_page"),)),
        (_l("Suppliers"), (("canteen.view", "canteen.supplier_list"),)),
        (_l("Canteen staff"), (("canteen.manage", "canteen.staff"),)),
        (_l("Health certificates"), (("people.certificates", "people.certificate_register"),)),
        (_l("Settings"), (("canteen.manage", "canteen_settings.page"),)),
    ),
    settings=(
        Setting("canteen.fever_c", "37.3", services.temperature_setting,
                _l("A temperature at or above this (℃) keeps a person off duty at the morning check"), "text"),
        Setting("canteen.sample_min_g", 125, services.grams_setting,
                _l("The least a food sample of one dish may weigh (g)"), "number"),
        Setting("canteen.sample_keep_hours", 48, services.hours_setting,
                _l("Hours a food sample is kept before it may be discarded"), "number"),
    ),
    settings_permission="canteen.manage",
    data_files=("data/canteen.yaml",),
    audit=audit_trail.AUDIT,
    demo=demo.load,
    dashboard=services.dashboard_items,
    jobs={"canteen.supplier_warnings": suppliers.warn_expiring},
    upload_rules=(services.attachment_rule,),
    record_items=round_items.RECORD_ITEMS,
    certificate_needs={services.HEALTH_CERTIFICATE: services.needing_health_certificates},
    role_members={"canteen_staff": services.needing_health_certificates},
)
