"""The shipped check packs read whole in both languages: an unquoted comma in a YAML flow
mapping once cut "Canteen check, every meal" to "Canteen check", so two templates shared
one English title and "Fly, rodent and insect screens intact" read "Fly"."""

from __future__ import annotations

from pathlib import Path

import yaml

PACKS = Path(__file__).resolve().parents[2] / "schoolhq" / "checks" / "data" / "check-packs.yaml"


def _mappings(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _mappings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _mappings(value)


def test_no_text_is_cut_at_a_comma():
    data = yaml.safe_load(PACKS.read_text(encoding="utf-8"))
    stray = [key for mapping in _mappings(data) for key in mapping if isinstance(key, str) and " " in key]
    assert not stray, f"text cut at an unquoted comma became keys: {stray}"


def test_no_two_templates_share_a_title_in_one_language():
    packs = yaml.safe_load(PACKS.read_text(encoding="utf-8"))["packs"]
    for language in ("zh", "en"):
        titles = [pack["title"][language] for pack in packs]
        assert len(titles) == len(set(titles)), f"{language}: {sorted(t for t in titles if titles.count(t) > 1)}"
