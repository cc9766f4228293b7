"""How the audit page reads the checks' entries: a template by its title (never its
key), a round by its template, period and place, linking to their pages where the
reader may open them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from schoolhq.checks import packs, queries, services
from schoolhq.checks.judging import reader_language
from schoolhq.checks.models import CheckFinding, CheckRound, CheckSchedule, CheckTemplate
from schoolhq.core.audit import Named, page_of
from schoolhq.core.declare import AuditField, AuditTrail
from schoolhq.extensions import db


def _version(template: CheckTemplate) -> str:
    return str(_l("%(title)s (version %(n)s)", title=packs.title_of(template, reader_language()), n=template.version))


def _titles(keys: set[str]) -> dict[str, str]:
    """Each template key's title in the reader's language, from its newest version."""
    rows = db.session.scalars(select(CheckTemplate).where(CheckTemplate.key.in_(keys))
                              .order_by(CheckTemplate.version))
    return {template.key: packs.title_of(template, reader_language()) for template in rows}


def templates(ids: set[int], reader) -> dict[int, Named]:
    return {template.id: Named(_version(template), page_of(reader, "checks.template_page", template_id=template.id))
            for template in db.session.scalars(select(CheckTemplate).where(CheckTemplate.id.in_(ids)))}


def schedules(ids: set[int], reader) -> dict[int, Named]:
    rows = list(db.session.scalars(select(CheckSchedule).options(joinedload(CheckSchedule.location))
                                   .where(CheckSchedule.id.in_(ids))))
    titles = _titles({schedule.template_key for schedule in rows})
    out = {}
    for schedule in rows:
        where = schedule.location.full_name if schedule.location else ""
        text = titles.get(schedule.template_key, str(_l("A check template")))
        out[schedule.id] = Named(f"{text} · {where}" if where else text, page_of(reader, "checks.schedule_list"))
    return out


def _round_text(round_: CheckRound) -> str:
    return (f"{packs.title_of(round_.template, reader_language())} {queries.period_label(round_)}"
            f" · {round_.location.full_name}")


def rounds(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(CheckRound).options(joinedload(CheckRound.template),
                                                         joinedload(CheckRound.location))
                              .where(CheckRound.id.in_(ids)))
    return {round_.id: Named(_round_text(round_), page_of(reader, "checks.round_page", services.may_view(reader, round_),
                                                          round_id=round_.id))
            for round_ in rows}


def findings(ids: set[int], reader) -> dict[int, Named]:
    rows = db.session.scalars(select(CheckFinding).options(
        joinedload(CheckFinding.round).joinedload(CheckRound.template),
        joinedload(CheckFinding.round).joinedload(CheckRound.location)).where(CheckFinding.id.in_(ids)))
    return {finding.id: Named(f"{_round_text(finding.round)}: {finding.summary}", page_of(
        reader, "checks.round_page", services.may_view(reader, finding.round), round_id=finding.round_id))
            for finding in rows}


def template_summaries(texts: set[str]) -> dict[str, str]:
    """A template's entries keep "key v2" (or the key): its title instead."""
    parsed = {text: text.split(" ") for text in texts}
    titles = _titles({parts[0] for parts in parsed.values()})
    out = {}
    for text, parts in parsed.items():
        if parts[0] not in titles:
            continue
        version = parts[1][1:] if len(parts) > 1 and parts[1][:1] == "v" and parts[1][1:].isdigit() else None
        out[text] = str(_l("%(title)s (version %(n)s)", title=titles[parts[0]], n=version)) if version \
            else titles[parts[0]]
    return out


def schedule_summaries(texts: set[str]) -> dict[str, str]:
    """A schedule's entries keep "key frequency": the template's title and how often."""
    parsed = {text: text.split(" ") for text in texts}
    titles = _titles({parts[0] for parts in parsed.values()})
    out = {}
    for text, parts in parsed.items():
        if parts[0] in titles:
            often = packs.FREQUENCY_LABELS.get(parts[1]) if len(parts) > 1 else None
            out[text] = f"{titles[parts[0]]} · {often}" if often else titles[parts[0]]
    return out


def _outcome(value) -> str:
    return str(services.OUTCOME_LABELS.get(value, value))


def _finding_status(value) -> str:
    return str(services.FINDING_LABELS.get(value, value))


_TEMPLATE_ACTIONS = ("template.imported", "template.created", "template.new_version", "template.published",
                     "template.retired", "template.draft_deleted")

AUDIT = AuditTrail(
    actions={
        "round.started": _l("Started a check round"),
        "round.submitted": _l("Submitted a check round"),
        "round.amended": _l("Amended a submitted check round"),
        "finding.ticketed": _l("Opened a repair ticket for a finding"),
        "finding.closed": _l("Closed a finding"),
        "template.imported": _l("Loaded a check template"),
        "template.created": _l("Created a check template"),
        "template.new_version": _l("Started a new version of a check template"),
        "template.published": _l("Published a check template"),
        "template.retired": _l("Retired a check template"),
        "template.draft_deleted": _l("Deleted a draft check template"),
        "schedule.saved": _l("Saved a check schedule"),
        "schedule.deactivated": _l("Stopped a check schedule"),
    },
    records={"check_template": templates, "check_schedule": schedules, "check_round": rounds,
             "check_finding": findings},
    fields={
        "result": AuditField(_l("Result"), shows=_outcome),
        "failed": AuditField(_l("Failed items")),
        "amends": AuditField(_l("Amends"), refers="check_round"),
        "status": AuditField(_l("Status"), shows=_finding_status),
    },
    summaries={**{action: template_summaries for action in _TEMPLATE_ACTIONS},
               "schedule.saved": schedule_summaries, "schedule.deactivated": template_summaries},
)
