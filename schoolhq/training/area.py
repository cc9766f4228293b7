"""What the training area contributes: requirements, sessions and drills with attendance,
the matrix and each person's record, the monthly 培训记录; reminders before a training
runs out; the trainings that stop or warn about a duty other areas ask of."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import Area, NavLink, menu
from schoolhq.training import assessment, audit_trail, demo, services
from schoolhq.training.models import TrainingSession

AREA = Area(
    name="training",
    label=_l("Training"),
    blueprint="schoolhq.training.views:bp",
    permissions={
        "training.view": _l("See the training matrix, sessions and everyone's training record"),
        "training.manage": _l("Set training requirements, plan sessions and confirm attendance"),
        "training.assess": _l("Assess others' practicals and observe their work on the job"),
    },
    grants={
        "logistics_head": ("training.view", "training.manage", "training.assess"),
        "principal": ("training.view", "training.manage", "training.assess"),
        "canteen_manager": ("training.view", "training.assess"),
        "school_doctor": ("training.view", "training.assess"),
    },
    nav=(NavLink(_l("Training"), "logistics", (("training.view", "training.matrix"),), blueprint="training"),),
    subnav=menu(
        (_l("Matrix"), (("training.view", "training.matrix"),)),
        (_l("Who needs what next"), (("training.view", "training.due"),)),
        (_l("Sessions"), (("training.view", "training.session_list"),),
         ("training.session_list", "training.session_page", "training.new_session", "training.sign_sheet",
          "training.signin_screen", "training.sign_in", "training.quiz", "training.attempt_page")),
        (_l("Requirements"), (("training.view", "training.requirement_list"),),
         ("training.requirement_list", "training.requirement_page", "training.new_requirement",
          "training.question_bank", "training.practical")),
        (_l("Training record (ledger)"), (("training.view", "training.ledger"),)),
        (_l("Import past records"), (("training.manage", "training.import_start"),),
         ("training.import_start", "training.import_run")),
    ),
    seeders=(services.seed,),
    jobs={"training.reminders": services.warn_expiring, "training.on_job": assessment.evaluate_on_job},
    dashboard=services.dashboard_items,
    duty_problems=services.duty_gate,
    upload_rules=(services.attachment_rule,),
    status_tones={TrainingSession: services.SESSION_TONES},
    demo=demo.load,
    data_files=("data/training.yaml",),
    audit=audit_trail.AUDIT,
)
