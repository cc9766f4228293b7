"""Ledgers (台账) and compliance: a month of one template's rounds as the printed record
inspectors ask for, and the figures for the principal's monthly report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from schoolhq.checks.models import CheckAnswer, CheckItem, CheckRound, CheckTemplate
from schoolhq.checks.services import _asset_labels, option_text
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def current_revisions():
    """Rounds no later submitted revision amends: what the ledger shows (an amendment
    still being made leaves the submitted record in place)."""
    newer = aliased(CheckRound)
    return ~select(newer.id).where(newer.amends_id == CheckRound.id, newer.status == "submitted").exists()


@dataclass
class Column:
    number: str
    item: CheckItem
    subject_id: int
    subject_label: str


@dataclass
class LedgerRow:
    round: CheckRound
    cells: list
    #: the answers by (item key, subject)
    answers: dict = field(default_factory=dict)


@dataclass
class Ledger:
    template: CheckTemplate | None
    month: date
    columns: list[Column]
    rows: list[LedgerRow]
    versions: list[int]


def ledger(key: str, month: date) -> Ledger:
    first, after = month_bounds(month)
    rounds = list(db.session.scalars(
        select(CheckRound).where(CheckRound.template_key == key, CheckRound.period_start >= first,
                                 CheckRound.period_start < after, CheckRound.status.in_(("submitted", "missed")),
                                 current_revisions())
        .order_by(CheckRound.period_start, CheckRound.opens_at, CheckRound.location_id, CheckRound.asset_id,
                  CheckRound.id)))
    template_ids = sorted({r.template_id for r in rounds})
    newest = db.session.scalar(select(CheckTemplate).where(CheckTemplate.key == key)
                               .order_by((CheckTemplate.status == "published").desc(), CheckTemplate.version.desc())
                               .limit(1))
    templates = {t.id: t for t in db.session.scalars(select(CheckTemplate).where(CheckTemplate.id.in_(template_ids)))} \
        if template_ids else {}
    # columns: the items of the newest version used (then older versions' extra items),
    # a per-asset item once for each asset met in the month
    ordered_items: dict[str, CheckItem] = {}
    for template in sorted(templates.values(), key=lambda t: -t.version) or ([newest] if newest else []):
        for item in template.items:
            ordered_items.setdefault(item.key, item)
    subjects: dict[str, list[int]] = {}
    for round_ in rounds:
        template = templates[round_.template_id]
        for item in template.items:
            if item.per:
                known = subjects.setdefault(item.key, [])
                for asset_id in (round_.subjects or {}).get(str(item.id), []):
                    if asset_id not in known:
                        known.append(asset_id)
    labels = _asset_labels({a for ids in subjects.values() for a in ids})
    columns = []
    for number, (item_key, item) in enumerate(ordered_items.items(), start=1):
        if item.per:
            for n, asset_id in enumerate(subjects.get(item_key, []), start=1):
                columns.append(Column(f"{number}.{n}", item, asset_id, labels.get(asset_id, "")))
        else:
            columns.append(Column(str(number), item, 0, ""))
    answers: dict[int, dict] = {r.id: {} for r in rounds}
    ids = list(answers)
    for chunk in range(0, len(ids), 900):
        for answer_, item_key in db.session.execute(
                select(CheckAnswer, CheckItem.key).join(CheckItem, CheckItem.id == CheckAnswer.item_id)
                .where(CheckAnswer.round_id.in_(ids[chunk:chunk + 900]))):
            answers[answer_.round_id][(item_key, answer_.subject_id)] = answer_
    rows = [LedgerRow(r, [_cell(c.item, answers[r.id].get((c.item.key, c.subject_id))) for c in columns],
                      answers[r.id]) for r in rounds]
    return Ledger(newest, first, columns, rows, sorted(t.version for t in templates.values()))


_MARKS = {"pass": "✓", "fail": "✗", "na": "N/A", "warn": "!", "done": "✓"}


def _cell(item: CheckItem, answer_: CheckAnswer | None) -> tuple[str, str]:
    """What a ledger cell shows, and its outcome: the reading itself where there is one."""
    if answer_ is None:
        return "", ""
    text = answer_.value
    if item.type == "select" and text.isdigit() and int(text) < len(item.options):
        text = option_text(item.options[int(text)])
    elif item.type == "date_expiry" and text:
        text = text[2:]
    if not text:
        text = _MARKS[answer_.outcome]
    if answer_.corrected:
        text += "*"
    return text, answer_.outcome


@dataclass
class TemplateCompliance:
    key: str
    title: str
    due: int
    on_time: int
    late: int
    missed: int
    failed_rounds: int

    @property
    def on_time_share(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None


@dataclass
class Compliance:
    month: date
    templates: list[TemplateCompliance]
    items: list[tuple]
    targets: list[tuple]


def compliance(month: date, language: str = "zh", limit: int = 15) -> Compliance:
    """On time, late and missed per template, and the items and places that fail most, for
    rounds of the month whose window has closed or that are done (revisions count once)."""
    first, after = month_bounds(month)
    now = utcnow()
    in_month = and_(CheckRound.period_start >= first, CheckRound.period_start < after, CheckRound.revision == 1)
    counted = (CheckRound.status.in_(("submitted", "missed"))) | (CheckRound.due_at < now)
    rows = db.session.execute(
        select(CheckRound.template_key, func.count(CheckRound.id),
               func.sum(case((and_(CheckRound.status == "submitted", CheckRound.submitted_at <= CheckRound.due_at),
                              1), else_=0)),
               func.sum(case((and_(CheckRound.status == "submitted", CheckRound.submitted_at > CheckRound.due_at),
                              1), else_=0)),
               func.sum(case((CheckRound.status == "missed", 1), else_=0)),
               func.sum(case((CheckRound.result == "fail", 1), else_=0)))
        .where(in_month, counted).group_by(CheckRound.template_key).order_by(CheckRound.template_key)).all()
    titles = {key: (en if language == "en" and en else zh) for key, zh, en in db.session.execute(
        select(CheckTemplate.key, CheckTemplate.title_zh, CheckTemplate.title_en)
        .where(CheckTemplate.status != "draft").order_by(CheckTemplate.version))}
    templates = [TemplateCompliance(key, titles.get(key, key), due, int(on_time or 0), int(late or 0),
                                    int(missed or 0), int(failed or 0))
                 for key, due, on_time, late, missed, failed in rows]
    failed = func.sum(case((CheckAnswer.outcome == "fail", 1), else_=0))
    answered = func.count(CheckAnswer.id)
    submitted = and_(in_month, CheckRound.status == "submitted")
    items = db.session.execute(
        select(CheckRound.template_key, CheckItem.key, func.max(CheckItem.prompt_zh), answered, failed)
        .join(CheckAnswer, CheckAnswer.round_id == CheckRound.id).join(CheckItem, CheckItem.id == CheckAnswer.item_id)
        .where(submitted).group_by(CheckRound.template_key, CheckItem.key)
        .having(failed > 0).order_by(failed.desc()).limit(limit)).all()
    from schoolhq.places.models import Location

    targets = db.session.execute(
        select(Location.full_name, CheckRound.template_key, func.count(CheckRound.id),
               func.sum(case((CheckRound.failed_count > 0, 1), else_=0)))
        .join(Location, Location.id == CheckRound.location_id)
        .where(submitted).group_by(Location.full_name, CheckRound.template_key)
        .having(func.sum(case((CheckRound.failed_count > 0, 1), else_=0)) > 0)
        .order_by(func.sum(case((CheckRound.failed_count > 0, 1), else_=0)).desc()).limit(limit)).all()
    return Compliance(first, templates, [tuple(r) for r in items], [tuple(r) for r in targets])
