"""What departments and staff contribute: staff badges open a person's page."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import EVERY_ROLE, Area, NavLink
from schoolhq.people import audit_trail, certificates, services

AREA = Area(
    name="people",
    label=_l("People"),
    blueprint="schoolhq.people.views:bp",
    permissions={
        "people.view": _l("See staff and departments"),
        "people.manage": _l("Edit staff profiles, departments and responsibilities"),
        "people.certificates": _l("Keep the register of staff certificates (健康证 and others)"),
    },
    grants={**{role: ("people.view",) for role in EVERY_ROLE},
            "admin": ("people.view", "people.manage", "people.certificates"),
            "principal": ("people.view", "people.manage", "people.certificates"),
            "logistics_head": ("people.view", "people.manage", "people.certificates"),
            "canteen_manager": ("people.view", "people.certificates")},
    nav=(NavLink(_l("People"), "administration", (("people.view", "people.index"),), blueprint="people"),),
    code_resolvers=(services.open_badge,),
    seeders=(certificates.seed,),
    jobs={"people.certificate_warnings": certificates.warn_expiring},
    upload_rules=(certificates.attachment_rule,),
    dashboard=certificates.dashboard_items,
    data_files=("data/certificates.yaml",),
    audit=audit_trail.AUDIT,
)
