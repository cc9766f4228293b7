"""What every page shows its reader: a Print button where it is meant for paper, and no
link the reader cannot follow. Not date-sensitive: run once per engine."""

from __future__ import annotations

import re

import pytest

from schoolhq.demo import DEMO_LOGINS, DEMO_PASSWORD
from tests.conftest import engine_name, login
from tests.test_routes import _get_routes, _real_values

#: the pages meant for paper: 借用单, 领用单, reports, ledgers, labels, sheets
PRINTED = {
    "assets.slip", "assets.disposal_print", "assets.card", "assets.labels", "assets.audit_report",
    "assets.report_rooms", "assets.report_categories", "assets.report_idle", "assets.report_unaudited",
    "places.labels", "checks.round_print", "checks.ledger", "checks.compliance", "repairs.sheet", "repairs.summary",
    "stock.requisition_print", "stock.receipt", "stock.register", "stock.count_report", "stock.shelf_sheet",
    "stock.consumption", "stock.valuation", "stock.purchase_list", "canteen.morning_ledger",
    "canteen.sample_ledger", "canteen.delivery_ledger", "canteen.companion_ledger", "canteen.rates_page", "canteen.disinfection_ledger",
    "canteen.additive_ledger", "canteen.waste_ledger", "canteen.menus", "people.certificate_register",
    "hazards.ledger", "water.point_page", "water.ledger", "training.matrix", "training.sign_sheet",
    "training.person_page", "training.ledger", "finance.line_list", "finance.journal", "finance.assets_summary",
    "finance.packet", "finance.request_list",
}


def test_every_page_meant_for_paper_has_a_print_button(app, demo, everything_client):
    """Tablets have no Ctrl+P: each page meant for paper carries a Print button (which
    the printout itself leaves out), and no other page does."""
    values = _real_values(app)
    wrong = []
    for endpoint, url in _get_routes(app, values):
        response = everything_client.get(url)
        if response.status_code >= 500:
            wrong.append(f"{url}: {response.status_code}")
        if response.status_code != 200 or not response.mimetype == "text/html":
            continue
        has_button = "data-print" in response.get_data(as_text=True)
        if has_button != (endpoint in PRINTED):
            wrong.append(f"{url}: {'a' if has_button else 'no'} Print button")
    assert not wrong, wrong


HREF = re.compile(r'href="(/[^"#]*)"')


@pytest.mark.skipif(engine_name() != "sqlite", reason="which links a page shows is the templates' rule, the "
                                                      "same on both engines; crawled once, on SQLite")
@pytest.mark.parametrize("role", ["principal", "storekeeper", "maintenance", "accountant", "canteen_staff", "staff"])
def test_no_page_shows_a_link_its_reader_cannot_follow(app, demo, role):
    """Every link on every page a role opens leads somewhere it may go (校准 led canteen
    staff to 403; a worker's ticket list linked tickets only their assignees may open)."""
    values = _real_values(app)
    client = app.test_client()
    assert login(client, DEMO_LOGINS[role][0], DEMO_PASSWORD).status_code == 303
    followed: dict[str, int] = {}
    refused = []
    for _endpoint, url in _get_routes(app, values):
        response = client.get(url)
        if response.status_code >= 500:
            refused.append(f"{url}: {response.status_code}")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for link in set(HREF.findall(response.get_data(as_text=True))):
            link = link.replace("&amp;", "&")
            if link.startswith("/static/"):
                continue
            if link not in followed:
                followed[link] = client.get(link).status_code
            if followed[link] == 403 or followed[link] >= 500:
                refused.append(f"{url} → {link}: {followed[link]}")
    assert len(followed) > 100
    assert not refused, refused


TAGS = re.compile(r"<[^>]*>")


def test_no_page_shows_an_internal_key(app, demo, everything_client):
    """A check is named by its title (食堂每日检查), never its key (canteen.daily); no page
    names a data file, the audit trail included."""
    from sqlalchemy import select

    from schoolhq.checks.models import CheckTemplate
    from schoolhq.extensions import db

    values = _real_values(app)
    with app.app_context():
        keys = set(db.session.scalars(select(CheckTemplate.key))) | {"assets.yaml", "kinds.yaml", ".yaml"}
    shown = []
    for _endpoint, url in _get_routes(app, values):
        response = everything_client.get(url)
        if response.status_code >= 500:
            shown.append(f"{url}: {response.status_code}")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        text = TAGS.sub(" ", response.get_data(as_text=True))
        shown += [f"{url}: {key}" for key in keys if key in text]
    assert not shown, shown


def vnu_jar() -> str | None:
    """The W3C Nu HTML checker: `SCHOOLHQ_VNU_JAR`, or where `.ci/run` puts it
    (npm's vnu-jar under /opt/vnu)."""
    import os
    import shutil

    path = os.environ.get("SCHOOLHQ_VNU_JAR", "/opt/vnu/node_modules/vnu-jar/build/dist/vnu.jar")
    reason = None
    if shutil.which("java") is None:
        reason = "the HTML check needs Java (apt-get install default-jre-headless)"
    elif not os.path.exists(path):
        reason = "the HTML check needs vnu.jar (npm install --prefix /opt/vnu vnu-jar), or SCHOOLHQ_VNU_JAR"
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must check the HTML: {reason}")
    return None if reason else path


def _as_document(html: str) -> str:
    """An htmx fragment (a table row, a list) put in a page as htmx puts it, so its own
    markup is checked; a whole page as it is."""
    if html.lstrip()[:15].lower().startswith("<!doctype"):
        return html
    if html.lstrip().startswith("<tr"):
        html = f"<table><tbody>{html}</tbody></table>"
    return f"<!doctype html><html lang=\"zh-CN\"><head><title>fragment</title></head><body>{html}</body></html>"


@pytest.mark.skipif(engine_name() != "sqlite", reason="the markup is the templates', the same on both engines; "
                                                      "checked once, on SQLite")
def test_every_page_is_valid_html(app, demo, everything_client, tmp_path):
    """Every page passes the W3C Nu HTML checker with no error: htmx's attributes are
    written data-hx-*, no form or block inside a span, required selects start empty."""
    import io
    import json
    import subprocess

    jar = vnu_jar()
    if jar is None:
        pytest.skip(vnu_jar.__doc__)
    values = _real_values(app)
    pages = {}
    for _endpoint, url in _get_routes(app, values):
        response = everything_client.get(url)
        if response.status_code == 200 and response.mimetype == "text/html":
            name = f"page{len(pages):04d}.html"
            (tmp_path / name).write_text(_as_document(response.get_data(as_text=True)), encoding="utf-8")
            pages[name] = url
    # pages only a post shows: a refused form with its messages, a ledger's import check
    from tests.assets.test_import import _ledger

    answered = [("/assets/new", everything_client.post("/assets/new", data={"name": ""})),
                ("/assets/import", everything_client.post("/assets/import", content_type="multipart/form-data",
                                                          data={"file": (io.BytesIO(_ledger()), "台账.xlsx")}))]
    for url, response in answered:
        assert response.status_code in (200, 422) and response.mimetype == "text/html", url
        name = f"page{len(pages):04d}.html"
        (tmp_path / name).write_text(_as_document(response.get_data(as_text=True)), encoding="utf-8")
        pages[name] = f"POST {url}"
    assert len(pages) > 100
    checked = subprocess.run(["java", "-Xss4m", "-jar", jar, "--errors-only", "--format", "json", "--stdout",
                              str(tmp_path)], capture_output=True, text=True, timeout=300)
    messages = json.loads(checked.stdout or "{}").get("messages", [])
    errors = [f"{pages.get(m.get('url', '').rsplit('/', 1)[-1], m.get('url'))}:{m.get('lastLine')}: {m['message']}"
              for m in messages if m.get("type") == "error"]
    assert not errors, f"{len(errors)} errors:\n" + "\n".join(errors[:60])
