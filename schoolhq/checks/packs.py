"""Check templates: the packs a school starts with (data/check-packs.yaml), a loader that
also imports a school's own file of the same form, and the editor's rules — drafts are
edited, published versions never change, a new version starts as a copy."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from schoolhq.checks.models import FREQUENCIES, ITEM_TYPES, CheckItem, CheckTemplate
from schoolhq.core import audit
from schoolhq.core.errors import NotFound, ServiceError, get_or_raise
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db

PACK_FILE = Path(__file__).parent / "data" / "check-packs.yaml"

TYPE_LABELS = {
    "pass_fail": _l("Pass / fail"), "pass_fail_na": _l("Pass / fail / not applicable"),
    "number": _l("Number with allowed range"), "text": _l("Text"), "select": _l("Choice"),
    "date_expiry": _l("Expiry date"), "photo": _l("Photo"), "signature": _l("Signature"),
    "attachment": _l("Attached report (PDF or photo)"),
}
FREQUENCY_LABELS = {
    "per_meal": _l("Every meal"), "school_day": _l("Every school day"), "weekly": _l("Weekly"),
    "monthly": _l("Monthly"), "quarterly": _l("Quarterly"), "term_start": _l("Before each term"),
    "half_year": _l("Every half year"), "yearly": _l("Yearly"), "per_delivery": _l("When needed (started by hand)"),
}
EVIDENCE_LABELS = {"none": _l("No evidence"), "on_fail": _l("Photo or note when failed"),
                   "always": _l("Photo or note always")}
TICKET_LABELS = {"off": _l("No ticket"), "suggest": _l("Propose a repair ticket"),
                 "auto": _l("Open a repair ticket")}
TEMPLATE_STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"), "retired": _l("Retired")}
TEMPLATE_STATUS_TONES = {"draft": "info", "published": "ok", "retired": "muted"}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")


@cache
def _shipped_packs() -> dict:
    return yaml.safe_load(PACK_FILE.read_text(encoding="utf-8"))


def ticket_categories() -> dict[str, str]:
    """Which repair category a failed item's ticket goes to, by the template key's first
    part or its area (data/check-packs.yaml, ticket_categories)."""
    return _shipped_packs().get("ticket_categories") or {}


@dataclass
class LedgerExtract:
    """Some items of a template printed alone under the title inspectors know."""

    key: str
    template: str
    items: tuple[str, ...]
    title_zh: str
    title_en: str

    def title(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_zh


def ledger_extracts() -> dict[str, LedgerExtract]:
    """The shipped extracts (data/check-packs.yaml, ledgers), by key."""
    return {row["key"]: LedgerExtract(row["key"], row["template"], tuple(row["items"]), row["title"]["zh"],
                                      row["title"].get("en", "")) for row in _shipped_packs().get("ledgers") or []}


def get_template(template_id: int) -> CheckTemplate:
    return get_or_raise(CheckTemplate, template_id, _l("No such check template."))


def title_of(template: CheckTemplate, language: str) -> str:
    return template.title_en if language == "en" and template.title_en else template.title_zh


def published(key: str) -> CheckTemplate | None:
    return db.session.scalar(select(CheckTemplate).where(CheckTemplate.key == key,
                                                         CheckTemplate.status == "published"))


def templates(include_retired: bool = False) -> list[CheckTemplate]:
    """The newest version of each template (and its published one, when a draft is newer)."""
    query = select(CheckTemplate).order_by(CheckTemplate.key, CheckTemplate.version.desc())
    if not include_retired:
        query = query.where(CheckTemplate.status != "retired")
    return list(db.session.scalars(query))


def published_choices(language: str) -> list[tuple[str, str, str]]:
    """(key, title, frequency) of every published template, for a select box: three
    columns, not templates with their items."""
    rows = db.session.execute(select(CheckTemplate.key, CheckTemplate.title_zh, CheckTemplate.title_en,
                                     CheckTemplate.frequency).where(CheckTemplate.status == "published")
                              .order_by(CheckTemplate.key))
    return [(key, en if language == "en" and en else zh, frequency) for key, zh, en, frequency in rows]


def versions(key: str) -> list[CheckTemplate]:
    return list(db.session.scalars(select(CheckTemplate).where(CheckTemplate.key == key)
                                   .order_by(CheckTemplate.version.desc()).execution_options(populate_existing=True)))


# Loading packs ------------------------------------------------------------------------

def _text(value, where: str, required: bool = True) -> tuple[str, str]:
    if isinstance(value, dict):
        cut = [str(key) for key in value if key not in ("zh", "en", "fails")]
        if cut:  # {en: Canteen check, every meal} loads as "Canteen check" and a key "every meal"
            raise ServiceError(_l("%(where)s: the text was cut at a comma before “%(rest)s”; put the text in quotes.",
                                  where=where, rest=cut[0]))
        zh, en = str(value.get("zh") or "").strip(), str(value.get("en") or "").strip()
    else:
        zh = en = str(value or "").strip()
    if required and not zh:
        raise ServiceError(_l("%(where)s: the Chinese text is missing.", where=where))
    return zh, en


def _number(value, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or isinstance(value, bool):
        raise ServiceError(_l("%(where)s: %(value)s is not a number.", where=where, value=value))
    return number


def _item_from_pack(row: dict, where: str, position: int) -> CheckItem:
    if not isinstance(row, dict):
        raise ServiceError(_l("%(where)s is not a list of fields.", where=where))
    key = str(row.get("key") or "").strip()
    if not re.fullmatch(r"[a-z0-9_]{1,40}", key):
        raise ServiceError(_l("%(where)s: give each item a key of lowercase letters, digits and _.", where=where))
    where = f"{where} {key}"
    prompt_zh, prompt_en = _text(row.get("prompt"), where)
    kind = row.get("type", "pass_fail")
    if kind not in ITEM_TYPES:
        raise ServiceError(_l("%(where)s: unknown item type %(type)s.", where=where, type=kind))
    if not isinstance(row.get("options") or [], list):
        raise ServiceError(_l("%(where)s: options must be a list.", where=where))
    options = []
    for option in row.get("options") or []:
        zh, en = _text(option, where)
        options.append({"zh": zh, "en": en, "fails": bool(isinstance(option, dict) and option.get("fails"))})
    if kind == "select" and len(options) < 2:
        raise ServiceError(_l("%(where)s: a choice needs at least two options.", where=where))
    low, high = _number(row.get("min"), where), _number(row.get("max"), where)
    if low is not None and high is not None and low > high:
        raise ServiceError(_l("%(where)s: the lowest allowed value is above the highest.", where=where))
    evidence, ticket = row.get("evidence", "none"), row.get("ticket", "off")
    confidence = str(row.get("confidence") or "")
    if evidence not in EVIDENCE_LABELS or ticket not in TICKET_LABELS or confidence not in ("P", "S", "G", ""):
        raise ServiceError(_l("%(where)s: evidence, ticket or confidence has an unknown value.", where=where))
    per = str(row.get("per") or "")
    if per and not per.startswith("asset_kind:"):
        raise ServiceError(_l("%(where)s: an item is asked per asset_kind:<kind> only.", where=where))
    warn_days = row.get("warn_days")
    if warn_days not in (None, "") and (not isinstance(warn_days, int) or isinstance(warn_days, bool)
                                        or not 0 <= warn_days <= 365):
        raise ServiceError(_l("%(where)s: warn_days is a number of days from 0 to 365.", where=where))
    return CheckItem(position=position, key=key, section=str(row.get("section") or "")[:60],
                     prompt_zh=prompt_zh[:300], prompt_en=prompt_en[:300], type=kind,
                     unit=str(row.get("unit") or "")[:20], min_value=low, max_value=high, options=options,
                     warn_days=warn_days if warn_days not in (None, "") else None,
                     per=per[:60], required=bool(row.get("required", True)), evidence=evidence,
                     critical=bool(row.get("critical")), ticket=ticket, reference=str(row.get("ref") or "")[:200],
                     confidence=confidence, from_record=str(row.get("from_record") or "")[:40])


def _template_from_pack(pack: dict) -> CheckTemplate:
    if not isinstance(pack, dict):
        raise ServiceError(_l("Each pack must be a list of fields."))
    key = str(pack.get("key") or "").strip()
    if not KEY_PATTERN.match(key) or len(key) > 60:
        raise ServiceError(_l("A pack needs a key such as canteen.daily (lowercase letters, digits, _ and .)."))
    title_zh, title_en = _text(pack.get("title"), key)
    frequency = pack.get("frequency", "school_day")
    if frequency not in FREQUENCIES:
        raise ServiceError(_l("%(where)s: unknown frequency %(value)s.", where=key, value=frequency))
    rows = pack.get("items") or []
    if not rows:
        raise ServiceError(_l("%(where)s has no items.", where=key))
    items = [_item_from_pack(row, key, position) for position, row in enumerate(rows)]
    if len({item.key for item in items}) != len(items):
        raise ServiceError(_l("%(where)s: two items have the same key.", where=key))
    per = str(pack.get("per") or "")
    if per and per != "location" and not per.startswith("asset_kind:"):
        raise ServiceError(_l("%(where)s: per is location or asset_kind:<kind>.", where=key))
    template = CheckTemplate(key=key, area=str(pack.get("area") or "")[:20], title_zh=title_zh[:120],
                             title_en=title_en[:120], frequency=frequency, role=str(pack.get("role") or "")[:40],
                             per=per[:60], note=str(pack.get("note") or ""))
    template.items = items
    return template


def parse_packs(text: str) -> list[CheckTemplate]:
    """Templates (not yet added) from a pack file's text; any fault is a clear message."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else "?"
        raise ServiceError(_l("The file is not valid YAML (line %(line)s).", line=line)) from None
    return _templates_of(data)


def _shipped_templates() -> list[CheckTemplate]:
    """The shipped packs as new templates, from the file as read once a process (parsing
    its YAML was nine tenths of the templates page)."""
    return _templates_of(copy.deepcopy(_shipped_packs()))


def _templates_of(data) -> list[CheckTemplate]:
    packs = data.get("packs") if isinstance(data, dict) else None
    if not isinstance(packs, list) or not packs:
        raise ServiceError(_l("The file has no list of packs (packs:)."))
    templates_ = [_template_from_pack(pack) for pack in packs]
    if len({t.key for t in templates_}) != len(templates_):
        raise ServiceError(_l("Two packs in the file have the same key."))
    return templates_


def seed() -> None:
    """The shipped packs as published templates, each once: a school's edits are kept."""
    known = set(db.session.scalars(select(CheckTemplate.key)))
    for template in _shipped_templates():
        if template.key in known:
            continue
        template.status, template.published_at = "published", utcnow()
        db.session.add(template)
    db.session.flush()


def _add_imported(template: CheckTemplate) -> bool:
    """A new key becomes a published template (True); a key the school already has, a new
    draft version to be read and published by hand (False)."""
    existing = versions(template.key)
    if not existing:
        template.status, template.published_at = "published", utcnow()
    else:
        if any(t.status == "draft" for t in existing):
            raise ServiceError(_l("%(key)s already has a draft; publish or delete it first.", key=template.key))
        template.version = existing[0].version + 1
    db.session.add(template)
    db.session.flush()
    audit.record("checks", "template.imported", template, summary=f"{template.key} v{template.version}")
    return not existing


def import_packs(text: str) -> tuple[int, int]:
    """A school's own pack file: new keys published, known keys drafted (_add_imported)."""
    parsed = parse_packs(text)
    added = sum(_add_imported(template) for template in parsed)
    return added, len(parsed) - added


_TEMPLATE_FIELDS = ("area", "title_zh", "title_en", "frequency", "role", "per", "note")


def _content(template: CheckTemplate) -> tuple:
    return (tuple(getattr(template, field) for field in _TEMPLATE_FIELDS),
            tuple(tuple(getattr(item, field) for field in _ITEM_FIELDS)
                  for item in sorted(template.items, key=lambda item: item.position)))


def shipped_differences() -> list[tuple[CheckTemplate, CheckTemplate | None]]:
    """The shipped packs a school does not have as shipped: (shipped, the school's newest
    version or None). A revised pack reaches a running school this way, as a draft to read
    and publish, never by overwriting the school's own edits; a pack with a draft waiting
    is left out."""
    newest: dict[str, CheckTemplate] = {}
    for template in templates(include_retired=True):
        newest.setdefault(template.key, template)
    found = []
    for shipped in _shipped_templates():
        mine = newest.get(shipped.key)
        if mine is None or (mine.status != "draft" and _content(mine) != _content(shipped)):
            found.append((shipped, mine))
    return found


def take_shipped(key: str) -> CheckTemplate:
    """One shipped pack: published if the school has no template of its key, else drafted."""
    shipped = next((template for template, _mine in shipped_differences() if template.key == key), None)
    if shipped is None:
        raise ServiceError(_l("This template already matches the shipped pack, or has a draft waiting."))
    _add_imported(shipped)
    return shipped


# The editor ---------------------------------------------------------------------------

def _locked(template_id: int) -> CheckTemplate:
    """The version with every version of its template locked: drafting, publishing and
    retiring one template take turns (one draft at a time, one published version)."""
    template = get_template(template_id)
    db.session.execute(select(CheckTemplate.id).where(CheckTemplate.key == template.key)
                       .order_by(CheckTemplate.id).with_for_update()).all()
    db.session.refresh(template)
    return template


def _draft(template_id: int) -> CheckTemplate:
    template = _locked(template_id)
    if template.status != "draft":
        raise ServiceError(_l("A published version never changes: start a new version to edit it."))
    return template


def create_template(title_zh: str, title_en: str, key: str, frequency: str, area: str = "") -> CheckTemplate:
    title_zh, key = (title_zh or "").strip(), (key or "").strip().lower()
    if not title_zh:
        raise ServiceError(_l("Give the template a title."), "title_zh")
    if not KEY_PATTERN.match(key) or len(key) > 60:
        raise ServiceError(_l("A key such as canteen.daily: lowercase letters, digits, _ and ."), "key")
    if db.session.scalar(select(CheckTemplate.id).where(CheckTemplate.key == key).limit(1)):
        raise ServiceError(_l("A template with this key exists already."), "key")
    if frequency not in FREQUENCIES:
        raise ServiceError(_l("Choose how often."), "frequency")
    template = CheckTemplate(key=key, title_zh=title_zh[:120], title_en=(title_en or "").strip()[:120],
                             frequency=frequency, area=(area or "").strip()[:20], status="draft")
    db.session.add(template)
    db.session.flush()
    audit.record("checks", "template.created", template, summary=key)
    return template


def new_version(template_id: int) -> CheckTemplate:
    """A draft copy of a version, to edit and publish; rounds keep their own version."""
    source = _locked(template_id)
    newest = versions(source.key)
    if any(t.status == "draft" for t in newest):
        raise ServiceError(_l("This template already has a draft version."))
    copy = CheckTemplate(key=source.key, version=newest[0].version + 1, status="draft", area=source.area,
                         title_zh=source.title_zh, title_en=source.title_en, frequency=source.frequency,
                         role=source.role, per=source.per, note=source.note)
    copy.items = [CheckItem(**{column: getattr(item, column) for column in _ITEM_FIELDS}) for item in source.items]
    db.session.add(copy)
    db.session.flush()
    audit.record("checks", "template.new_version", copy, summary=f"{copy.key} v{copy.version}")
    return copy


_ITEM_FIELDS = ("position", "key", "section", "prompt_zh", "prompt_en", "type", "unit", "min_value", "max_value",
                "options", "warn_days", "per", "required", "evidence", "critical", "ticket", "reference", "confidence",
                "from_record")


def update_template(template_id: int, title_zh: str, title_en: str, frequency: str, note: str = "") -> CheckTemplate:
    template = _draft(template_id)
    if not (title_zh or "").strip():
        raise ServiceError(_l("Give the template a title."), "title_zh")
    if frequency not in FREQUENCIES:
        raise ServiceError(_l("Choose how often."), "frequency")
    template.title_zh, template.title_en = title_zh.strip()[:120], (title_en or "").strip()[:120]
    template.frequency, template.note = frequency, (note or "").strip()
    return template


@dataclass
class ItemData:
    prompt_zh: str
    type: str
    prompt_en: str = ""
    section: str = ""
    unit: str = ""
    min_value: str = ""
    max_value: str = ""
    #: one option per line; a line starting with ✗ or ! is a failing option
    options: str = ""
    warn_days: str = ""
    per_kind: str = ""
    required: bool = True
    evidence: str = "none"
    critical: bool = False
    ticket: str = "off"
    reference: str = ""
    confidence: str = ""


def _range_value(text: str, field: str) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or abs(number) > 1e9:
        raise ServiceError(_l("Enter a number, such as 8 or -12.5."), field)
    return number


def save_item(template_id: int, data: ItemData, item_id: int | None = None) -> CheckItem:
    template = _draft(template_id)
    prompt = (data.prompt_zh or "").strip()
    if not prompt:
        raise ServiceError(_l("Write the question in Chinese."), "prompt_zh")
    if data.type not in ITEM_TYPES:
        raise ServiceError(_l("Choose the kind of answer."), "type")
    low, high = _range_value(data.min_value, "min_value"), _range_value(data.max_value, "max_value")
    if low is not None and high is not None and low > high:
        raise ServiceError(_l("The lowest allowed value is above the highest."), "min_value")
    options = []
    for line in (data.options or "").splitlines():
        line = line.strip()
        if line:
            fails = line[0] in "✗!"
            options.append({"zh": line.lstrip("✗! ").strip()[:120], "en": "", "fails": fails})
    if data.type == "select" and len(options) < 2:
        raise ServiceError(_l("Give at least two options, one per line."), "options")
    warn_days = None
    if data.type == "date_expiry" and (data.warn_days or "").strip():
        if not data.warn_days.strip().isdigit() or int(data.warn_days) > 365:
            raise ServiceError(_l("Enter a number of days from 0 to 365."), "warn_days")
        warn_days = int(data.warn_days)
    if data.evidence not in EVIDENCE_LABELS:
        raise ServiceError(_l("Choose what evidence is needed."), "evidence")
    if data.ticket not in TICKET_LABELS:
        raise ServiceError(_l("Choose what a failure does."), "ticket")
    if data.confidence not in ("P", "S", "G", ""):
        raise ServiceError(_l("Choose how sure the reference is."), "confidence")
    per = ""
    if data.per_kind:
        from schoolhq.assets.models import AssetKind

        if not db.session.scalar(select(AssetKind.id).where(AssetKind.key == data.per_kind)):
            raise ServiceError(_l("Choose the kind of asset."), "per_kind")
        per = f"asset_kind:{data.per_kind}"
    if item_id is None:
        taken = {item.key for item in template.items}
        number = len(template.items) + 1
        while f"item_{number}" in taken:
            number += 1
        item = CheckItem(template_id=template.id, key=f"item_{number}", position=len(template.items))
        template.items.append(item)
    else:
        item = next((i for i in template.items if i.id == item_id), None)
        if item is None:
            raise NotFound(_l("No such item in this template."))
    item.prompt_zh, item.prompt_en = prompt[:300], (data.prompt_en or "").strip()[:300]
    item.section, item.type, item.unit = (data.section or "").strip()[:60], data.type, (data.unit or "").strip()[:20]
    item.min_value, item.max_value = (low, high) if data.type == "number" else (None, None)
    english = {option["zh"]: option.get("en", "") for option in item.options or []}
    for option in options:
        option["en"] = english.get(option["zh"], "")
    item.options = options if data.type == "select" else []
    item.warn_days, item.per, item.required = warn_days, per, bool(data.required)
    item.evidence, item.critical, item.ticket = data.evidence, bool(data.critical), data.ticket
    item.reference, item.confidence = (data.reference or "").strip()[:200], data.confidence
    db.session.flush()
    return item


def move_item(template_id: int, item_id: int, step: int) -> None:
    template = _draft(template_id)
    items = list(template.items)
    index = next((n for n, item in enumerate(items) if item.id == item_id), None)
    if index is None:
        raise NotFound(_l("No such item in this template."))
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):
        item.position = position
    db.session.flush()
    db.session.expire(template, ["items"])


def remove_item(template_id: int, item_id: int) -> None:
    template = _draft(template_id)
    item = next((i for i in template.items if i.id == item_id), None)
    if item is None:
        raise NotFound(_l("No such item in this template."))
    template.items.remove(item)
    for position, rest in enumerate(template.items):
        rest.position = position
    db.session.flush()


def publish(template_id: int) -> CheckTemplate:
    """The draft becomes the version new rounds use; the one before is retired."""
    template = _draft(template_id)
    if not template.items:
        raise ServiceError(_l("Add at least one item before publishing."))
    for previous in db.session.scalars(select(CheckTemplate).where(CheckTemplate.key == template.key,
                                                                   CheckTemplate.status == "published")):
        previous.status, previous.retired_at = "retired", utcnow()
    db.session.flush()
    template.status, template.published_at = "published", utcnow()
    db.session.flush()
    audit.record("checks", "template.published", template, summary=f"{template.key} v{template.version}")
    return template


def retire(template_id: int) -> CheckTemplate:
    template = _locked(template_id)
    if template.status != "published":
        raise ServiceError(_l("Only a published version can be retired."))
    template.status, template.retired_at = "retired", utcnow()
    audit.record("checks", "template.retired", template, summary=f"{template.key} v{template.version}")
    return template


def delete_draft(template_id: int) -> str:
    template = _draft(template_id)
    key = template.key
    db.session.delete(template)
    db.session.flush()
    audit.record("checks", "template.draft_deleted", summary=key)
    return key


def count() -> int:
    return db.session.scalar(select(func.count(CheckTemplate.id))) or 0
