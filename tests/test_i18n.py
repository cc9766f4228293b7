"""Every visible string has a Simplified Chinese translation, and the compiled catalog
matches its source."""

from __future__ import annotations

import gettext
import subprocess
import sys

from babel.messages.pofile import read_po

from tests.conftest import ROOT

CATALOG = ROOT / "schoolhq" / "translations" / "zh_Hans_CN" / "LC_MESSAGES"


def _extract(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"),
                    "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
                   check=True, cwd=ROOT, capture_output=True)
    with open(pot, "rb") as fh:
        return read_po(fh)


def test_every_string_has_a_chinese_translation(tmp_path):
    template = _extract(tmp_path)
    # babel.cfg's patterns are relative to the project root: extracting from anywhere
    # else finds nothing and this test would pass vacuously
    assert len(template) > 500
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in template:
        if not message.id:
            continue
        translated = catalog.get(message.id)
        if translated is None or not translated.string or translated.fuzzy:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, (
        f"{len(missing)} strings lack a zh_CN translation (run pybabel update, then translate): {missing[:20]}")


def test_the_compiled_catalog_is_up_to_date():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    with open(CATALOG / "messages.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = [m.id for m in catalog if m.id and isinstance(m.id, str) and compiled.gettext(m.id) != m.string]
    assert not stale, f"messages.mo is stale; run pybabel compile: {stale[:10]}"


def test_placeholders_survive_translation():
    with open(CATALOG / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    import re

    pattern = re.compile(r"%\(\w+\)s")
    wrong = [m.id for m in catalog if m.id and isinstance(m.id, str)
             and sorted(pattern.findall(m.id)) != sorted(pattern.findall(m.string or ""))]
    assert not wrong, wrong


def test_no_translated_string_is_built_inside_an_f_string():
    """`f"{x} · {_l('calibrated')}"` hides the string from the extractor on Python 3.11
    (3.12's finds it), so it shows in English: a translated string takes its values as
    %(name)s placeholders instead. Read from the syntax tree, so any Python catches it."""
    import ast

    translating = {"_", "_l", "gettext", "lazy_gettext", "ngettext", "lazy_ngettext"}
    found = []
    for path in sorted((ROOT / "schoolhq").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in translating:
                        found.append(f"{path.relative_to(ROOT)}:{call.lineno}")
    assert not found, f"translated strings inside f-strings: {found}"


def test_templates_translate_in_the_locale_being_rendered(app):
    """Templates' _() and ngettext() find the catalogue once per render (the `_catalogue`
    the context processor adds) with Jinja's new-style rules (the text trusted, the values
    escaped), and a render inside
    force_locale() — a message in its recipient's language — gets that locale's."""
    from flask import render_template_string
    from flask_babel import force_locale

    page = "{{ _('Name') }}|{{ _('%(who)s & co', who='<b>') }}|{{ ngettext('%(num)s day', '%(num)s days', 3) }}"
    with app.test_request_context("/"):
        assert render_template_string(page) == "名称|&lt;b&gt; & co|3 天"
        with force_locale("en"):
            assert render_template_string(page) == "Name|&lt;b&gt; & co|3 days"
        assert render_template_string(page) == "名称|&lt;b&gt; & co|3 天"
        # a template drawn straight from the environment has no context processor's catalogue
        assert app.jinja_env.from_string("{{ _('Name') }}").render() == "名称"
