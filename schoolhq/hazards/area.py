"""What the hazard register contributes: its pages and ledger, hazards past their deadline
on the logistics head's and principal's dashboards, each person's hazards to rectify, and
the re-checks waiting."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import Area, NavLink, Setting, menu
from schoolhq.hazards import audit_trail, demo, services
from schoolhq.hazards.models import Hazard

AREA = Area(
    name="hazards",
    label=_l("Hazards"),
    blueprint="schoolhq.hazards.views:bp",
    permissions={
        "hazards.view": _l("See the hazard register, and rectify the hazards one answers for"),
        "hazards.register": _l("Register a hazard found"),
        "hazards.manage": _l("Set a hazard's level, person, deadline and measures"),
        "hazards.recheck": _l("Re-check a rectified hazard and close it"),
    },
    grants={
        "logistics_head": ("hazards.view", "hazards.register", "hazards.manage", "hazards.recheck"),
        "principal": ("hazards.view", "hazards.register", "hazards.recheck"),
        "maintenance": ("hazards.view", "hazards.register"),
        "school_doctor": ("hazards.view", "hazards.register"),
    },
    nav=(NavLink(_l("Hazards"), "logistics", (("hazards.view", "hazards.hazard_list"),), blueprint="hazards"),),
    subnav=menu(
        (_l("Hazard list"), (("hazards.view", "hazards.hazard_list"),), ("hazards.hazard_list", "hazards.hazard_page")),
        (_l("Register a hazard"), (("hazards.register", "hazards.new_hazard"),)),
        (_l("Hazard register (ledger)"), (("hazards.view", "hazards.ledger"),)),
        (_l("Settings"), (("hazards.manage", "hazards_settings.page"),)),
    ),
    settings=(
        Setting("hazards.general_days", services.domain()["deadline_days"]["general"], services.days_setting,
                _l("Days a general hazard may take to be rectified"), "number"),
        Setting("hazards.major_days", services.domain()["deadline_days"]["major"], services.days_setting,
                _l("Days a major hazard may take to be rectified"), "number"),
    ),
    settings_permission="hazards.manage",
    dashboard=services.dashboard_items,
    panels={"repairs.ticket": services.ticket_panel},
    upload_rules=(services.attachment_rule,),
    status_tones={Hazard: services.STATUS_TONES},
    demo=demo.load,
    data_files=("data/hazards.yaml",),
    audit=audit_trail.AUDIT,
)
