"""Every status a record can have is drawn in a tone its area chose: none falls through to
the plain tag unnoticed, and a status word two areas share keeps each area's colour."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy import CheckConstraint

from schoolhq.core.tones import TONES, status_tones, tone_of
from schoolhq.extensions import db


def _models_with_a_status():
    return [mapper.class_ for mapper in db.Model.registry.mappers if "status" in mapper.columns]


def _allowed_statuses(model) -> set[str]:
    """What the table's CHECK constraint lets the status column hold."""
    allowed = set()
    for constraint in model.__table__.constraints:
        if isinstance(constraint, CheckConstraint):
            match = re.match(r"\s*status IN \(([^)]*)\)", str(constraint.sqltext))
            if match:
                allowed |= set(re.findall(r"'([^']+)'", match.group(1)))
    return allowed


def test_every_status_of_every_model_has_a_tone(app):
    from schoolhq.assets.models import Asset

    models = _models_with_a_status()
    assert len(models) >= 9
    problems = []
    for model in models:
        tones = status_tones().get(model)
        if tones is None:
            problems.append(f"{model.__name__} has no STATUS_TONES")
            continue
        statuses = _allowed_statuses(model)
        if model is Asset:  # its statuses are rows of a table, seeded from the area's facts
            facts = yaml.safe_load((Path(__file__).parents[2] / "schoolhq/assets/data/assets.yaml").read_text("utf-8"))
            statuses = {row["key"] for row in facts["statuses"]}
        assert statuses, f"no known statuses for {model.__name__}"
        if missing := statuses - set(tones):
            problems.append(f"{model.__name__}: {sorted(missing)} without a tone")
        if stray := set(tones) - statuses:
            problems.append(f"{model.__name__}: tones for statuses it cannot have: {sorted(stray)}")
        if odd := set(tones.values()) - set(TONES):
            problems.append(f"{model.__name__}: unknown tones {sorted(odd)}")
    assert not problems, "; ".join(problems)


def test_the_labels_of_each_area_name_the_same_statuses_as_its_tones(app):
    from schoolhq.checks import packs
    from schoolhq.checks import services as checks
    from schoolhq.repairs import services as repairs
    from schoolhq.stock import counts, requisitions

    for labels, tones in ((repairs.STATUS_LABELS, repairs.STATUS_TONES), (checks.STATUS_LABELS, checks.STATUS_TONES),
                          (checks.FINDING_LABELS, checks.FINDING_TONES),
                          (packs.TEMPLATE_STATUS_LABELS, packs.TEMPLATE_STATUS_TONES),
                          (requisitions.STATUS_LABELS, requisitions.STATUS_TONES),
                          (counts.STATUS_LABELS, counts.STATUS_TONES)):
        assert set(labels) == set(tones)


def test_a_stock_count_waiting_for_approval_is_not_shown_as_done(app):
    """"submitted" is done for a check round but waiting for someone for a stock count."""
    from schoolhq.checks.models import CheckRound
    from schoolhq.stock.models import StockCount

    assert tone_of(StockCount, "submitted") == "warn"
    assert tone_of(CheckRound, "submitted") == "ok"


def test_the_tag_carries_the_tone_and_no_stylesheet_colours_a_status(app):
    from flask import render_template_string

    from schoolhq.stock.models import StockCount

    with app.test_request_context():
        html = render_template_string('{% from "macros/status.html" import record_status %}'
                                      "{{ record_status(count, 'Waiting') }}", count=StockCount(status="submitted"))
    assert html == '<span class="tag tone-warn status-submitted">Waiting</span>'
    css = (Path(__file__).parents[2] / "static/css/app.css").read_text("utf-8")
    assert ".status-" not in css
