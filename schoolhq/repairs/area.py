"""What repairs contribute: plans and confirmations on the scheduler, the queue on the
dashboard, and each room's and asset's tickets on their pages."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import EVERY_ROLE, Area, NavLink, Setting, menu
from schoolhq.repairs import audit_trail, demo, panels, services
from schoolhq.repairs.models import Ticket

AREA = Area(
    name="repairs",
    label=_l("Repairs"),
    blueprint="schoolhq.repairs.views:bp",
    permissions={
        "repairs.report": _l("Report something that needs fixing"),
        "repairs.work": _l("Work on repair tickets"),
        "repairs.manage": _l("Assign, decline and oversee repair tickets"),
    },
    grants={
        **{role: ("repairs.report",) for role in EVERY_ROLE},
        "maintenance": ("repairs.report", "repairs.work"),
        "logistics_head": ("repairs.report", "repairs.work", "repairs.manage"),
        "principal": ("repairs.report", "repairs.manage"),
    },
    nav=(NavLink(_l("Repairs"), "mine", (("repairs.work", "repairs.queue"), ("repairs.report", "repairs.mine")),
                 blueprint="repairs"),),
    subnav=menu(
        (_l("Report a problem"), "repairs.report_page"),
        (_l("My reports"), "repairs.mine"),
        (_l("My repair queue"), (("repairs.work", "repairs.queue"),)),
        (_l("All tickets"), (("repairs.manage", "repairs.index"), ("repairs.work", "repairs.index"))),
        (_l("Monthly summary"), (("repairs.manage", "repairs.summary"),)),
        (_l("Maintenance plans"), (("repairs.manage", "repairs.plan_list"),)),
        (_l("Settings"), (("repairs.manage", "repairs.settings_page"),),
         ("repairs.settings_page", "repairs_settings.page")),
    ),
    settings=(
        Setting("repairs.auto_verify_school_days", services.domain()["auto_verify_school_days"],
                services.positive_int, _l("A completed repair counts as confirmed after this many school days"),
                "number"),
        Setting("repairs.reports_per_hour", 10, services.positive_int,
                _l("Repair reports one person may make in an hour"), "number"),
    ),
    settings_permission="repairs.manage",
    seeders=(services.seed,),
    jobs={"repairs.plans": services.materialise_plans, "repairs.auto_verify": services.auto_verify},
    dashboard=services.dashboard_items,
    upload_rules=(services.attachment_rule,),
    panels={"places.room": panels.room_panel, "assets.asset": panels.asset_panel},
    status_tones={Ticket: services.STATUS_TONES},
    demo=demo.load,
    data_files=("data/repairs.yaml",),
    audit=audit_trail.AUDIT,
)
