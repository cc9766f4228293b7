"""The frame: `schoolhq/areas.py` is the only list of areas. Each area's declaration names
what it contributes, and nothing outside its folder names it by hand."""

from __future__ import annotations

import re
from pathlib import Path

from schoolhq.areas import AREAS, audit_labels, declared
from schoolhq.core.declare import NAV_GROUPS

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "schoolhq"
#: the frame's own parts, which the base page and the factory may name
FRAME = {"core", "auth", "dashboard"}


def test_every_area_package_is_listed_once_and_every_listed_area_declares_itself():
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/area.py"))
    assert sorted(AREAS) == packages, "schoolhq/areas.py and the packages with an area.py differ"
    assert len(set(AREAS)) == len(AREAS)
    assert [a.name for a in declared()] == list(AREAS)


def test_each_area_owns_its_blueprint_templates_and_tests(app):
    for area in declared():
        if area.blueprint:
            assert area.name in app.blueprints, f"{area.name}: blueprint not registered"
        if (ROOT / "templates" / area.name).exists() or area.blueprint:
            assert (ROOT / "templates" / area.name).is_dir() or area.name == "dashboard", area.name
        assert (ROOT / "tests" / area.name).is_dir(), f"tests/{area.name}/ is missing"


def test_every_data_file_an_area_ships_is_declared_and_exists():
    for area in declared():
        folder = PACKAGE / area.name
        shipped = sorted(str(p.relative_to(folder)) for p in (folder / "data").glob("**/*") if p.is_file())
        assert sorted(area.data_files) == shipped, f"{area.name}: declared {area.data_files}, ships {shipped}"


def test_no_template_test_or_package_list_names_an_area_by_hand():
    named = "|".join(sorted(set(AREAS) - FRAME))
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    hand_links = re.findall(rf"url_for\('({named})\.", base)
    assert not hand_links, f"templates/base.html links to {hand_links} by hand; declare nav in area.py"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    listed = re.findall(rf"\b({named})/", pyproject)
    assert not listed, f"pyproject.toml lists {listed} by hand; package data by glob"
    factory = (PACKAGE / "__init__.py").read_text(encoding="utf-8")
    assert not re.findall(rf"schoolhq\.({named})\b", factory), "create_app names an area by hand"


def test_nav_links_point_at_real_endpoints_in_known_groups(app):
    endpoints = set(app.view_functions)
    for area in declared():
        for link in area.nav:
            assert link.group in NAV_GROUPS
            for _permission, endpoint in link.targets:
                assert endpoint in endpoints, f"{area.name}: nav endpoint {endpoint} does not exist"


def test_every_area_that_writes_the_audit_trail_has_a_label():
    recorded = set()
    for source in PACKAGE.glob("**/*.py"):
        recorded.update(re.findall(r'audit\.record\(\s*"([a-z_]+)"', source.read_text(encoding="utf-8")))
    missing = recorded - set(audit_labels())
    assert not missing, f"audit areas without a label: {missing}"


def test_every_permission_belongs_to_a_declared_area(app):
    from schoolhq.core.permissions import DEFAULT_GRANTS, PERMISSIONS

    declared_names = {name for area in declared() for name in area.permissions}
    assert set(PERMISSIONS) == declared_names
    granted = set().union(*DEFAULT_GRANTS.values())
    assert granted <= declared_names


def test_the_header_groups_links_mine_logistics_administration(app, admin_client):
    from tests.conftest import make_account

    with app.app_context():
        make_account("head", "logistics_head")
    page = admin_client.get("/").get_data(as_text=True)
    groups = re.findall(r'class="nav-group nav-(\w+)"', page)
    assert groups == sorted(groups, key=NAV_GROUPS.index) and "administration" in groups


def test_an_areas_settings_page_shows_saves_and_refuses_by_kind(app, client):
    from schoolhq.core import settings
    from tests.conftest import login, make_account

    with app.app_context():
        make_account("head", "logistics_head")
        make_account("teacher", "staff")
    login(client, "teacher")
    assert client.get("/repairs/settings/general").status_code == 403
    login(client, "head")
    page = client.get("/repairs/settings/general")
    assert page.status_code == 200 and 'name="repairs__reports_per_hour"' in page.text
    refused = client.post("/repairs/settings/general", data={"repairs__auto_verify_school_days": "5",
                                                             "repairs__reports_per_hour": "many"})
    assert refused.status_code == 422 and "请输入整数" in refused.text  # on its own field, in Chinese
    with app.app_context():
        assert settings.get("repairs.auto_verify_school_days") != 5  # nothing written
    saved = client.post("/repairs/settings/general", data={"repairs__auto_verify_school_days": "5",
                                                           "repairs__reports_per_hour": "20"})
    assert saved.status_code == 303
    with app.app_context():
        assert (settings.get("repairs.auto_verify_school_days"), settings.get("repairs.reports_per_hour")) == (5, 20)


def test_the_shared_settings_page_lists_each_areas_page_its_reader_may_edit(app, admin_client):
    page = admin_client.get("/settings").get_data(as_text=True)
    assert "/settings/general" in page  # the working day, the core's own
    core = admin_client.get("/settings/general")
    assert core.status_code == 200 and 'name="work_day_start"' in core.text
    bad = admin_client.post("/settings/general", data={"work_day_start": "7 o'clock", "work_day_end": "17:30"})
    assert bad.status_code == 422
