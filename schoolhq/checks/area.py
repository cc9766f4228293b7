"""What checks contribute: rounds made and marked missed by the scheduler, today's rounds
and findings on the dashboard."""

from flask_babel import lazy_gettext as _l

from schoolhq.checks import audit_trail, demo, packs, schedules, services
from schoolhq.checks.models import CheckFinding, CheckRound, CheckTemplate
from schoolhq.core.declare import Area, NavLink, Setting, menu

AREA = Area(
    name="checks",
    label=_l("Checks"),
    blueprint="schoolhq.checks.views:bp",
    permissions={
        "checks.perform": _l("Do check rounds"),
        "checks.view": _l("See check ledgers, findings and compliance"),
        "checks.manage": _l("Set up check templates and schedules, and follow up findings"),
    },
    grants={
        "canteen_manager": ("checks.perform", "checks.view"),
        "canteen_staff": ("checks.perform",),
        "school_doctor": ("checks.perform", "checks.view"),
        "maintenance": ("checks.perform",),
        "logistics_head": ("checks.perform", "checks.view", "checks.manage"),
        "principal": ("checks.view",),
    },
    nav=(NavLink(_l("Checks"), "logistics", (("checks.perform", "checks.today"), ("checks.view", "checks.ledger")),
                 blueprint="checks"),),
    subnav=menu(
        (_l("My checks today"), (("checks.perform", "checks.today"),), ("checks.today", "checks.scan")),
        (_l("All rounds"), (("checks.manage", "checks.oversight"),)),
        (_l("Findings"), (("checks.manage", "checks.finding_list"), ("checks.view", "checks.finding_list"))),
        (_l("Ledgers"), (("checks.view", "checks.ledger"),)),
        (_l("Compliance"), (("checks.view", "checks.compliance"),)),
        (_l("Templates"), (("checks.manage", "checks.template_list"),), ("checks.template_list", "checks.template_page")),
        (_l("Schedules"), (("checks.manage", "checks.schedule_list"),)),
    ),
    settings=(Setting("checks.meals", schedules.DEFAULT_MEALS, schedules.meals_setting, _l("Meal times"), "custom"),),
    settings_permission="checks.manage",
    seeders=(packs.seed,),
    jobs={"checks.rounds": services.materialise_and_mark_missed},
    dashboard=services.dashboard_items,
    upload_rules=(services.attachment_rule,),
    status_tones={CheckRound: services.STATUS_TONES, CheckFinding: services.FINDING_TONES,
                  CheckTemplate: packs.TEMPLATE_STATUS_TONES},
    demo=demo.load,
    data_files=("data/check-packs.yaml",),
    audit=audit_trail.AUDIT,
)
