"""What every browser test does to a page: sign in and out, sign on a canvas, take a
screenshot. Imported only by modules that have already skipped without a browser."""

from __future__ import annotations

import os
import re

from playwright.sync_api import expect

from schoolhq.demo import DEMO_PASSWORD
from tests.e2e.conftest import SCREENS


def sign_in(page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main form [type=submit]")
    expect(page).not_to_have_url(re.compile(r"/auth/login"))
    expect(page.locator("header form[action$='/auth/logout']")).to_be_attached()


def sign_out(page) -> None:
    page.locator("header form[action$='/auth/logout'] button").click()
    expect(page).to_have_url(re.compile(r"/auth/login"))


def sign(page, canvas=None, hidden: str = "signature") -> None:
    """Draw a scribble on a signature canvas (the page's only one by default) with the mouse."""
    canvas = canvas or page.locator("canvas[data-signature-for]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 50, f"signature canvas too small: {box}"
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.6)
    page.mouse.down()
    for fx, fy in ((0.25, 0.3), (0.4, 0.7), (0.55, 0.3), (0.7, 0.7), (0.85, 0.4)):
        page.mouse.move(x + w * fx, y + h * fy, steps=4)
    page.mouse.up()
    expect(page.locator(f"#{hidden}")).to_have_value(re.compile(r"^data:image/png;base64,.{200,}"))


def shoot(page, name: str, **options) -> str:
    """A screenshot that leaves the page as it was: Playwright's default caret hiding
    leaves style="" on every input, which htmx then copies while settling a swap and
    the CSP (style-src 'self') reports."""
    os.makedirs(SCREENS, exist_ok=True)
    path = f"{SCREENS}/{name}.png"
    page.screenshot(path=path, caret="initial", **options)
    return path


def pdf_pages(page, name: str, paper: str = "A4") -> list[str]:
    """Print the page to a PDF (the page's own @page size wins over `paper`) and render
    each sheet as PNG (60 dpi) for a person to see."""
    import glob
    import subprocess

    os.makedirs(SCREENS, exist_ok=True)
    pdf = f"{SCREENS}/{name}.pdf"
    for old in glob.glob(f"{SCREENS}/{name}-*.png"):
        os.remove(old)
    page.pdf(path=pdf, format=paper, print_background=True, prefer_css_page_size=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", pdf, f"{SCREENS}/{name}"], check=True, timeout=30)
    return sorted(glob.glob(f"{SCREENS}/{name}-*.png"))
