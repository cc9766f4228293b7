"""The home page, made of what every other area's declaration puts on it."""

from flask_babel import lazy_gettext as _l

from schoolhq.core.declare import Area, NavLink

AREA = Area(
    name="dashboard",
    label=_l("Dashboard"),
    blueprint="schoolhq.dashboard.views:bp",
    nav=(NavLink(_l("Dashboard"), "mine", ((None, "dashboard.home"),), endpoints=("dashboard.home",)),),
)
