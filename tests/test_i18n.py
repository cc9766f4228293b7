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
