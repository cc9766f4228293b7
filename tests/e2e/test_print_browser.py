"""The Print button (issue #13, section 3): a tablet has no Ctrl+P, so pages meant for
paper carry a button that opens the print dialog, and the printout leaves it out."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import why_no_browser

if why_no_browser():
    pytest.skip(why_no_browser(), allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

from tests.e2e.pages import shoot, sign_in  # noqa: E402


def test_the_print_button_prints_and_is_not_printed(browsing, demo):
    page = browsing.page
    page.add_init_script("window.print = function () { window.__printed = (window.__printed || 0) + 1; };")
    sign_in(page, "store")
    page.goto("/stock/reports/valuation")
    button = page.locator("[data-print]")
    expect(button).to_be_visible()
    expect(button).to_have_text("打印")
    button.click()
    assert page.evaluate("window.__printed") == 1
    shoot(page, "valuation-print-button-zh")
    page.emulate_media(media="print")
    expect(button).to_be_hidden()
    page.emulate_media(media="screen")
