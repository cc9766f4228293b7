"""Ledgers (台账) and compliance: a month of one template's rounds as the printed record
inspectors ask for, and the figures for the principal's monthly report."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import and_, case, func, select

from schoolhq.checks.judging import option_text
from schoolhq.checks.models import CheckAnswer, CheckItem, CheckRound, CheckTemplate
from schoolhq.checks.services import _asset_labels
from schoolhq.core.timeutil import month_bounds, to_local, utcnow
from schoolhq.extensions import db


def _superseded(round_ids: list[int]) -> set[int]:
    """Of these rounds, those a later submitted revision amends: the ledger shows that one
    instead (an amendment still being made leaves the submitted record in place). Asked
    by id, not as a correlated subquery: SQLite's planner would walk every submitted round
    for each row of the month."""
    found = set()
    for chunk in range(0, len(round_ids), 900):
        # the status is looked at here, not in SQL: with it, SQLite's planner prefers the
        # status index (tens of thousands of submitted rounds) to the few amendments
        found.update(amends for amends, status in db.session.execute(
            select(CheckRound.amends_id, CheckRound.status).where(
                CheckRound.amends_id.is_not(None), CheckRound.amends_id.in_(round_ids[chunk:chunk + 900])))
            if status == "submitted")
    return found


@dataclass
class Column:
    number: str
    item: CheckItem
    subject_id: int
    subject_label: str


#: what a check ledger prints of how long its records are kept: the rules name no period
#: for check records, so the product's default applies (and the database keeps a submitted
#: round unchanged for good)
RETENTION = _l("Kept at least 3 years (no period in the rules: the product's default); a submitted round "
               "never changes")


@dataclass
class LedgerRow:
    #: the round's columns the ledger shows (id, period, status, place, asset_number, inspector …)
    round: Any
    #: (text, outcome, signature attachment id or None) per column
    cells: list
    #: the local time it was submitted, "HH:MM"
    submitted: str = ""
    #: the day the check was done ("09-14"), not its period's first day; "" for a missed round
    done_on: str = ""

    @property
    def cells_html(self) -> Markup:
        """The row's answer cells: thousands a month, so joined here, escaped, rather than
        one template expression each. A signature item prints the signature drawn in the
        round (the department head's on a 防火检查), not a tick."""
        from flask import url_for

        return Markup("".join(
            f'<td class="num {outcome}"><img class="signature small" alt="{html.escape(text)}" '
            f'src="{url_for("core.attachment", attachment_id=image)}"></td>' if image else
            f'<td class="num {outcome}">{html.escape(text)}</td>' for text, outcome, image in self.cells))


@dataclass
class Ledger:
    template: CheckTemplate | None
    month: date
    columns: list[Column]
    rows: list[LedgerRow]
    versions: list[int]


def ledger_places(key: str, month: date) -> list[tuple[int, str]]:
    """The places with rounds of this template in the month: a ledger can be one sheet per
    kitchen or building, as the paper 台账 is kept."""
    from schoolhq.places.models import Location

    first, after = month_bounds(month)
    return [tuple(row) for row in db.session.execute(
        select(Location.id, Location.full_name).where(Location.id.in_(
            select(CheckRound.location_id).where(CheckRound.template_key == key, CheckRound.period_start >= first,
                                                 CheckRound.period_start < after).distinct()))
        .order_by(Location.full_name))]


def ledger(key: str, month: date, location_id: int | None = None, items: tuple[str, ...] = ()) -> Ledger:
    """A month of the template's rounds; `items`: only these items' columns (an extract
    such as the 冷藏冷冻温度记录 of the canteen's daily round)."""
    first, after = month_bounds(month)
    # the columns a row shows, not whole rounds: a round brings its place's and people's
    # chains of joined relations, a month of them more than the page's budget
    from sqlalchemy import func
    from sqlalchemy.orm import aliased

    from schoolhq.assets.models import Asset
    from schoolhq.auth.models import Account
    from schoolhq.people.models import Person
    from schoolhq.places.models import Location

    # the inspector is who signed the round; a missed round names whom it was assigned to
    signer, assignee = aliased(Person), aliased(Person)
    rounds = db.session.execute(
        select(CheckRound.id, CheckRound.template_id, CheckRound.subjects, CheckRound.period,
               CheckRound.period_start, CheckRound.status, CheckRound.result, CheckRound.failed_count,
               CheckRound.revision, CheckRound.submitted_at, CheckRound.signature_id,
               Location.name.label("place"), Location.full_name.label("place_full"),
               Asset.number.label("asset_number"), func.coalesce(signer.name, assignee.name).label("inspector"))
        .join(Location, Location.id == CheckRound.location_id)
        .outerjoin(Asset, Asset.id == CheckRound.asset_id)
        .outerjoin(Account, Account.id == CheckRound.submitted_by_id).outerjoin(signer, signer.id == Account.person_id)
        .outerjoin(assignee, assignee.id == CheckRound.assignee_id)
        .where(CheckRound.template_key == key, CheckRound.period_start >= first, CheckRound.period_start < after,
               CheckRound.status.in_(("submitted", "missed")),
               *([CheckRound.location_id == location_id] if location_id else []))
        .order_by(CheckRound.period_start, CheckRound.opens_at, CheckRound.location_id, CheckRound.asset_id,
                  CheckRound.id)).all()
    superseded = _superseded([r.id for r in rounds])
    rounds = [r for r in rounds if r.id not in superseded]
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
            if not items or item.key in items:
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
    # plain rows, not objects: a month holds thousands of answers
    answers: dict[int, dict] = {r.id: {} for r in rounds}
    ids = list(answers)
    for chunk in range(0, len(ids), 900):
        for round_id, item_key, subject_id, value, outcome, corrected, file_id, kind in db.session.execute(
                select(CheckAnswer.round_id, CheckItem.key, CheckAnswer.subject_id, CheckAnswer.value,
                       CheckAnswer.outcome, CheckAnswer.corrected, CheckAnswer.file_id, CheckItem.type)
                .join(CheckItem, CheckItem.id == CheckAnswer.item_id)
                .where(CheckAnswer.round_id.in_(ids[chunk:chunk + 900]))):
            answers[round_id][(item_key, subject_id)] = (value, outcome, corrected,
                                                         file_id if kind == "signature" else None)
    slots = [(c.item, (c.item.key, c.subject_id)) for c in columns]
    rows = [LedgerRow(r, [_cell(item, answers[r.id].get(slot)) for item, slot in slots],
                      to_local(r.submitted_at).strftime("%H:%M") if r.submitted_at else "",
                      to_local(r.submitted_at).strftime("%m-%d") if r.submitted_at else "") for r in rounds]
    return Ledger(newest, first, columns, rows, sorted(t.version for t in templates.values()))


_MARKS = {"pass": "✓", "fail": "✗", "na": "N/A", "warn": "!", "done": "✓"}


def _cell(item: CheckItem, answer_: tuple | None) -> tuple[str, str, int | None]:
    """What a ledger cell shows, its outcome and a signature to print: the reading itself
    where there is one."""
    if answer_ is None:
        return "", "", None
    text, outcome, corrected, signature_id = answer_
    if item.type == "select" and text.isdigit() and int(text) < len(item.options):
        text = option_text(item.options[int(text)])
    elif item.type == "date_expiry" and text:
        text = text[2:]
    if not text:
        text = _MARKS[outcome]
    if corrected:
        text += "*"
    return text, outcome, signature_id


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

    # a round failed when its result did (a critical item not put right): a failed minor
    # item in a round that passed is counted under the items, not as a failed round
    failed_rounds = func.sum(case((CheckRound.result == "fail", 1), else_=0))
    targets = db.session.execute(
        select(Location.full_name, CheckRound.template_key, func.count(CheckRound.id), failed_rounds)
        .join(Location, Location.id == CheckRound.location_id)
        .where(submitted).group_by(Location.full_name, CheckRound.template_key)
        .having(failed_rounds > 0).order_by(failed_rounds.desc()).limit(limit)).all()
    # shown with the check's title, never its key
    return Compliance(first, templates,
                      [(titles.get(key, key), item_key, prompt, answered, failed)
                       for key, item_key, prompt, answered, failed in items],
                      [(place, titles.get(key, key), rounds, failed) for place, key, rounds, failed in targets])
