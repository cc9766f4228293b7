"""Real-browser checks of what the Flask test client cannot see: htmx swaps, the CSP,
the language switch, the session-expiry redirect, touch targets, and print output."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import pytest

from schoolhq.demo import DEMO_PASSWORD
from tests.e2e.conftest import SCREENS, why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import sign_in, sign_out  # noqa: E402

TAP = 44  # px: the smallest comfortable touch target


def test_principal_signs_in_in_chinese(page, demo):
    page.goto("/auth/login")
    expect(page.locator("main h1")).to_have_text("登录")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    page.fill("#username", "principal")
    page.fill("#password", DEMO_PASSWORD)
    page.click("main form [type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("header nav")).to_contain_text("工作台")
    expect(page.locator("main")).to_contain_text("待办事项")
    expect(page.locator("header")).to_contain_text("李建国")
    expect(page).to_have_title(re.compile("工作台"))


def test_language_switch_is_remembered_per_user(browsing, demo):
    page = browsing.page
    sign_in(page, "principal")
    expect(page.locator("header nav")).to_contain_text("工作台")

    page.get_by_role("button", name="English").click()
    expect(page.locator("header nav")).to_contain_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="中文").click()
    expect(page.locator("header nav")).to_contain_text("工作台")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    # The last choice is English; it belongs to the account, not to the browser session.
    page.get_by_role("button", name="English").click()
    expect(page.locator("header nav")).to_contain_text("Dashboard")
    sign_out(page)
    browsing.context.clear_cookies()
    page.goto("/auth/login")
    expect(page.locator("main h1")).to_have_text("登录")  # a stranger gets the school default
    sign_in(page, "principal")
    expect(page.locator("header nav")).to_contain_text("Dashboard")

    page.get_by_role("button", name="中文").click()
    expect(page.locator("header nav")).to_contain_text("工作台")
    sign_out(page)
    browsing.context.clear_cookies()
    sign_in(page, "principal")
    expect(page.locator("header nav")).to_contain_text("工作台")


def _role_and_scope(app):
    from sqlalchemy import select

    from schoolhq.auth.models import Role
    from schoolhq.extensions import db
    from schoolhq.people.models import Department

    with app.app_context():
        role = db.session.scalar(select(Role).where(Role.code == "storekeeper"))
        department = db.session.scalar(select(Department).where(Department.name == "语文组"))
        return str(role.id), role.name, f"d{department.id}"


def test_admin_gives_and_removes_a_scoped_role_in_place(page, demo, app):
    role_id, role_name, scope = _role_and_scope(app)
    sign_in(page, "admin")
    page.goto("/auth/accounts")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true"):
        page.fill("#q", "王芳")
    page.locator("#account-rows a", has_text=re.compile(r"^王芳$")).click()
    expect(page.locator("main h1")).to_contain_text("王芳")

    roles = page.locator("#account-roles")
    rows = roles.locator("li.row")
    before = rows.count()
    page.evaluate("window.__noReload = 'still here'")

    roles.locator("select[name=role_id]").select_option(role_id)
    roles.locator("select[name=scope]").select_option(scope)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/roles")) as sent:
        roles.locator("form.form [type=submit]").click()
    assert sent.value.status == 200
    assert sent.value.request.headers.get("hx-request") == "true"
    expect(rows).to_have_count(before + 1)
    new_row = rows.filter(has_text=role_name).filter(has_text="语文组")
    expect(new_row).to_have_count(1)
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"

    remove = new_row.get_by_role("button", name=re.compile(r"^(Remove|移除)$"))
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/remove")) as sent:
        remove.click()
    assert sent.value.status == 200
    expect(rows).to_have_count(before)
    expect(rows.filter(has_text=role_name).filter(has_text="语文组")).to_have_count(0)
    assert page.evaluate("window.__noReload") == "still here", "the page was reloaded"


def test_htmx_request_after_session_ends_goes_to_sign_in(browsing, demo):
    page = browsing.page
    sign_in(page, "principal")
    page.goto("/people/")
    expect(page.locator("#people-rows")).to_be_visible()
    browsing.context.clear_cookies()
    with page.expect_response(lambda r: "/people/" in r.url and r.request.headers.get("hx-request") == "true") as sent:
        page.fill("#q", "wf")
    assert sent.value.status == 401
    assert "/auth/login" in (sent.value.headers.get("hx-redirect") or "")
    expect(page).to_have_url(re.compile(r"/auth/login"))
    expect(page.locator("main h1")).to_have_text("登录")
    expect(page.locator("#people-rows")).to_have_count(0)


_SMALL_TARGETS = """
(minimum) => {
  const found = [];
  for (const el of document.querySelectorAll(
      'main a.btn, main button, main input, main select, header a.btn, header button, header input, header select')) {
    if (el.type === 'hidden') continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.height < minimum) {
      const text = (el.innerText || el.value || el.name || el.id || '').trim().slice(0, 40);
      found.push(`${el.tagName.toLowerCase()} "${text}" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return found;
}
"""


def test_touch_targets_are_44px(browsing, demo):
    page = browsing.page
    sign_in(page, "admin")
    offenders = []
    checked = 0
    for width, height in ((1024, 768), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        for path in ("/", "/places/"):
            page.goto(path)
            checked += page.locator("main a.btn, main button, header button, main select").count()
            offenders += [f"{path} at {width}px: {o}" for o in page.evaluate(_SMALL_TARGETS, TAP)]
    assert checked > 0
    assert not offenders, "Touch targets under 44 px:\n" + "\n".join(offenders)


def test_screenshots(browsing, demo):
    """Pictures for a person to look at, saved to /tmp/screens; nothing is asserted
    beyond the pages loading."""
    os.makedirs(SCREENS, exist_ok=True)
    page = browsing.page
    page.goto("/auth/login")
    page.screenshot(path=f"{SCREENS}/login-zh.png")
    sign_in(page, "principal")
    page.screenshot(path=f"{SCREENS}/dashboard-1024-zh.png")
    sign_out(page)
    sign_in(page, "admin")
    page.goto("/auth/accounts?q=王芳")
    page.locator("#account-rows a", has_text=re.compile(r"^王芳$")).click()
    expect(page.locator("#account-roles")).to_be_visible()
    page.screenshot(path=f"{SCREENS}/account-zh.png", full_page=True)
    page.goto("/places/")
    page.screenshot(path=f"{SCREENS}/places-zh.png", full_page=True)
    page.locator("tr.kind-room a").first.click()
    expect(page.locator(".qr-box svg")).to_be_visible()
    page.screenshot(path=f"{SCREENS}/room-zh.png", full_page=True)
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto("/places/")
    page.screenshot(path=f"{SCREENS}/places-768-zh.png")
    page.goto("/places/labels")
    page.screenshot(path=f"{SCREENS}/labels-768-zh.png")
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/places/labels")
    page.screenshot(path=f"{SCREENS}/labels-screen-zh.png")
    page.emulate_media(media="print")
    page.screenshot(path=f"{SCREENS}/labels-print-zh.png", full_page=True)
    pdf = f"{SCREENS}/labels.pdf"
    page.pdf(path=pdf, format="A4")
    assert os.path.getsize(pdf) > 1000
    for old in glob.glob(f"{SCREENS}/labels-pdf-*.png"):
        os.remove(old)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "50", pdf, f"{SCREENS}/labels-pdf"], check=True, timeout=30)
