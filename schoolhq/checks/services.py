"""Rounds: answers saved one at a time and judged at once against the item's rule
(judging.py); submission checks what is required, takes the signature and freezes the
round; every failed item becomes a finding (findings.py). What pages list is queries.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import joinedload

from schoolhq.checks import judging, packs
from schoolhq.checks.judging import AnswerInput, range_text, reader_language
from schoolhq.checks.models import CheckAnswer, CheckFinding, CheckItem, CheckRound, CheckTemplate
from schoolhq.core import audit, messages
from schoolhq.core.database import locked
from schoolhq.core.errors import NotFound, ServiceError, get_or_raise
from schoolhq.core.messages import Bilingual
from schoolhq.core.permissions import AccessScope, can
from schoolhq.core.timeutil import local_day_bounds_utc, local_today, to_local, utcnow
from schoolhq.extensions import db

OPEN = ("open", "in_progress")
STATUS_LABELS = {"open": _l("To do"), "in_progress": _l("In progress"), "submitted": _l("Submitted"),
                 "missed": _l("Missed")}
OUTCOME_LABELS = {"pass": _l("Pass"), "fail": _l("Fail"), "na": _l("Not applicable"), "warn": _l("Due soon"),
                  "done": _l("Recorded")}
FINDING_LABELS = {"open": _l("To follow up"), "ticketed": _l("Ticket opened"), "corrected": _l("Corrected on the spot"),
                  "closed": _l("Closed with a note")}
STATUS_TONES = {"open": "plain", "in_progress": "warn", "submitted": "ok",
                                           "missed": "danger"}
FINDING_TONES = {"open": "warn", "ticketed": "info", "corrected": "ok",
                                              "closed": "muted"}
#: answers a quick round may fill with "all remaining pass"
QUICK_TYPES = ("pass_fail", "pass_fail_na")
FILE_TYPES = ("photo", "signature", "attachment")


def get_round(round_id: int) -> CheckRound:
    return get_or_raise(CheckRound, round_id, _l("No such check round."))


def _locked_round(round_id: int) -> CheckRound:
    """The round locked, with its place (its path decides who may act on it)."""
    return locked(CheckRound, round_id, _l("No such check round."), options=_round_options())


@cache
def _round_options() -> tuple:
    """The loader options of `_locked_round`, built once (they never change)."""
    return (joinedload(CheckRound.location),)


@dataclass
class SaveTarget:
    """What an answer save reads, in one statement with the round's row locked: the
    round's own columns, its place's path, the slot's answer so far and the label of the
    asset it is about; and the version with its items from the process cache. The answer
    save is the busiest write of the day (every reading of every round), so it reads and
    writes plain rows; every rule it applies is the one the round's other actions apply
    (`_check_writable`, `_locate`, `_start`, judging)."""

    id: int
    status: str
    closes_at: datetime
    amends_id: int | None
    template_id: int
    template_key: str
    assignee_id: int | None
    assignee_role: str
    location_id: int
    location_path: str
    subjects: dict
    #: the published version, shared by every request of the process: read, never changed
    template: CheckTemplate
    answer: SavedAnswer | None
    subject_label: str

    def access_scope(self) -> AccessScope:
        return AccessScope(location_path=self.location_path)


@dataclass
class SavedAnswer:
    """An answer as a save reads and leaves it: what the slot's fragment shows."""

    id: int
    outcome: str
    value: str
    number: float | None
    note: str
    corrected: bool
    photo_id: int | None
    file_id: int | None


_ROUND_COLUMNS = ("id", "status", "closes_at", "amends_id", "template_id", "template_key", "assignee_id",
                  "assignee_role", "location_id")
_ANSWER_COLUMNS = ("id", "outcome", "value", "number", "note", "corrected", "photo_id", "file_id")


@cache
def _target_query():
    from schoolhq.assets.models import Asset
    from schoolhq.places.models import Location

    rounds, places, answers, assets = (CheckRound.__table__, Location.__table__, CheckAnswer.__table__,
                                       Asset.__table__)
    return (select(*(rounds.c[name] for name in _ROUND_COLUMNS), places.c.path, rounds.c.subjects,
                   *(answers.c[name] for name in _ANSWER_COLUMNS), assets.c.name, assets.c.number)
            .join(places, places.c.id == rounds.c.location_id)
            .outerjoin(answers, (answers.c.round_id == rounds.c.id) & (answers.c.item_id == bindparam("item_id"))
                       & (answers.c.subject_id == bindparam("subject_id")))
            .outerjoin(assets, assets.c.id == bindparam("subject_id"))
            .where(rounds.c.id == bindparam("round_id"))
            .with_for_update(of=rounds))


def _save_target(round_id: int, item_id: int, subject_id: int) -> SaveTarget:
    """The round to save this slot's answer in, locked until the transaction ends (on
    SQLite the request's BEGIN IMMEDIATE holds the whole database already)."""
    row = db.session.connection().execute(_target_query(), {"round_id": round_id, "item_id": item_id,
                                               "subject_id": subject_id}).first()
    if row is None:
        raise NotFound(_l("No such check round."))
    rounds, answered = len(_ROUND_COLUMNS) + 1, len(_ROUND_COLUMNS) + 2
    found = row[answered:answered + len(_ANSWER_COLUMNS)]
    name, number = row[-2:]
    return SaveTarget(*row[:rounds], row[rounds] or {}, _cached_version(row.template_id),
                      SavedAnswer(*found) if found[0] is not None else None,
                      f"{name} {number}" if subject_id and name is not None else "")


def _cached_version(template_id: int) -> CheckTemplate:
    """A published version with its items, loaded once per process and shared: a
    version's questions never change once published, and any change to a template (a
    status too) replaces the cache's stamp (core.process_cache)."""
    from sqlalchemy.orm import Session, selectinload

    from schoolhq.core import process_cache

    def load() -> CheckTemplate:
        # in a session of its own (on this transaction's connection), closed at once:
        # what the cache keeps belongs to no request
        with Session(bind=db.session.connection()) as own:
            version = own.get(CheckTemplate, template_id, options=[selectinload(CheckTemplate.items)])
            if version is None:
                raise NotFound(_l("No such check template."))
            return version

    return process_cache.lookup("check_template", template_id, load)


def may_perform(account, round_: CheckRound) -> bool:
    """The named person, anyone holding the round's role, or the office that manages checks."""
    if can(account, "checks.manage", round_):
        return True
    if not can(account, "checks.perform", round_):
        return False
    if round_.assignee_id:
        return round_.assignee_id == account.person_id
    from schoolhq.auth.services import holds_role_at

    return not round_.assignee_role or holds_role_at(account.id, round_.assignee_role, round_.location_path)


def may_view(account, round_: CheckRound) -> bool:
    return may_perform(account, round_) or can(account, "checks.view", round_)


# The slots of a round ------------------------------------------------------------------

@dataclass
class Slot:
    number: str
    item: CheckItem
    subject_id: int
    subject_label: str
    answer: CheckAnswer | SavedAnswer | None
    #: set by a save: the round it was saved in, and whether that round has just moved to
    #: the template's current version (the page then shows the new questions)
    round: CheckRound | SaveTarget | None = None
    moved: bool = False

    @property
    def dom_id(self) -> str:
        return f"slot-{self.item.id}-{self.subject_id}"

    @property
    def needs_evidence(self) -> bool:
        outcome = self.answer.outcome if self.answer else None
        return self.item.evidence == "always" or (self.item.evidence == "on_fail" and outcome == "fail")

    @property
    def has_evidence(self) -> bool:
        return bool(self.answer and (self.answer.photo_id or self.answer.note.strip()))


def _asset_labels(asset_ids: set[int]) -> dict[int, str]:
    if not asset_ids:
        return {}
    from schoolhq.assets.models import Asset

    which = Asset.id == next(iter(asset_ids)) if len(asset_ids) == 1 else Asset.id.in_(asset_ids)
    return {asset_id: f"{name} {number}" for asset_id, name, number in
            db.session.execute(select(Asset.id, Asset.name, Asset.number).where(which))}


def slots(round_: CheckRound, answers: dict | None = None) -> list[Slot]:
    """Every question of the round in template order; a per-asset item once per asset."""
    if answers is None:
        answers = {(a.item_id, a.subject_id): a for a in
                   db.session.scalars(select(CheckAnswer).where(CheckAnswer.round_id == round_.id))}
    labels = _asset_labels({asset_id for ids in (round_.subjects or {}).values() for asset_id in ids})
    found = []
    for number, item in enumerate(round_.template.items, start=1):
        if item.per:
            for n, asset_id in enumerate((round_.subjects or {}).get(str(item.id), []), start=1):
                found.append(Slot(f"{number}.{n}", item, asset_id, labels.get(asset_id, ""),
                                  answers.get((item.id, asset_id))))
        else:
            found.append(Slot(str(number), item, 0, "", answers.get((item.id, 0))))
    return found


def _locate(round_: CheckRound | SaveTarget, item_id: int, subject_id: int) -> tuple[str, CheckItem]:
    """The slot's number and item in this round, or a clear refusal for an item of another round."""
    item = next((i for i in round_.template.items if i.id == item_id), None)
    if item is None:
        raise ServiceError(_l("This item is not part of this round."))
    if item.per:
        if subject_id not in (round_.subjects or {}).get(str(item.id), []):
            raise ServiceError(_l("This item is not part of this round."))
    elif subject_id:
        raise ServiceError(_l("This item is not part of this round."))
    number = str(round_.template.items.index(item) + 1)
    if subject_id:
        number += f".{(round_.subjects or {}).get(str(item.id), []).index(subject_id) + 1}"
    return number, item


def _subject_label(subject_id: int) -> str:
    return _asset_labels({subject_id}).get(subject_id, "") if subject_id else ""


def slot(round_: CheckRound, item_id: int, subject_id: int) -> Slot:
    """One slot of this round, or a clear refusal for an item of another round."""
    number, item = _locate(round_, item_id, subject_id)
    answer = db.session.scalar(select(CheckAnswer).where(CheckAnswer.round_id == round_.id,
                                                         CheckAnswer.item_id == item.id,
                                                         CheckAnswer.subject_id == subject_id))
    return Slot(number, item, subject_id, _subject_label(subject_id), answer)


def progress(rounds: list[CheckRound]) -> dict[int, tuple[int, int, int]]:
    """(answered, to answer, failed) of each round, in one query."""
    counts = {round_id: (answered, failed) for round_id, answered, failed in db.session.execute(
        select(CheckAnswer.round_id, func.count(CheckAnswer.id),
               func.count(CheckAnswer.id).filter(CheckAnswer.outcome == "fail"))
        .where(CheckAnswer.round_id.in_([r.id for r in rounds])).group_by(CheckAnswer.round_id))} if rounds else {}
    found = {}
    for round_ in rounds:
        total = sum(len((round_.subjects or {}).get(str(item.id), [])) if item.per else 1
                    for item in round_.template.items)
        answered, failed = counts.get(round_.id, (0, 0))
        found[round_.id] = (answered, total, failed)
    return found


def _save_file(item: CheckItem, data: AnswerInput):
    from schoolhq.core.uploads import save_signature, save_upload

    if item.type == "signature":
        return save_signature(data.signature, _l("Draw your signature in the box first."))
    upload = data.file if item.type == "attachment" else (data.photo or data.file)
    if upload is None or not getattr(upload, "filename", ""):
        raise ServiceError(_l("Choose a file to upload."), "file")
    return save_upload(upload, images_only=item.type == "photo")


def _check_writable(account, round_: CheckRound | SaveTarget) -> None:
    """Whether this person may change this round now: theirs, open, and inside its window."""
    if not may_perform(account, round_):
        raise ServiceError(_l("This round is not yours to do."))
    if round_.status not in OPEN:
        raise ServiceError(_l("This round is %(status)s and can no longer change.",
                              status=STATUS_LABELS[round_.status]))
    if round_.closes_at < utcnow() and not round_.amends_id:  # an amendment has no window
        raise ServiceError(_l("The window for this round closed at %(time)s: it counts as missed.",
                              time=to_local(round_.closes_at).strftime("%Y-%m-%d %H:%M")))


def _writable(account, round_id: int) -> CheckRound:
    round_ = _locked_round(round_id)
    _check_writable(account, round_)
    if round_.status == "open" and round_.template.status == "retired":
        _move_to_current_version(round_)
    return round_


def _move_to_current_version(round_: CheckRound) -> None:
    """A round not yet begun whose version was replaced starts on the current one (it is
    pinned to the version it starts with); a template retired outright starts nothing."""
    from schoolhq.checks.schedules import Target, subjects_for

    current = packs.published(round_.template_key)
    if current is None:
        raise ServiceError(_l("This template was retired; the round cannot be started."))
    round_.template = current
    round_.subjects = subjects_for(current, Target("", round_.location_id, round_.location.path, round_.asset_id))
    db.session.flush()


def _start(account, round_: CheckRound | SaveTarget) -> None:
    """The round's first answer begins it; the named person is whoever took it on."""
    if round_.status != "open":
        return
    started = {"status": "in_progress", "started_at": utcnow(), "started_by_id": account.id}
    if not round_.assignee_id and account.person_id:
        started["assignee_id"] = account.person_id
    if isinstance(round_, CheckRound):
        for name, value in started.items():
            setattr(round_, name, value)
    else:
        rounds = CheckRound.__table__
        db.session.connection().execute(_by_id(rounds), {"record_id": round_.id, **started})
        round_.status = "in_progress"


def _same_item(round_: CheckRound, item_id: int) -> int:
    """The page showed the version the round had before it began; its first answer moved
    it to the current one: the item of the same key there."""
    if any(item.id == item_id for item in round_.template.items):
        return item_id
    shown = db.session.get(CheckItem, item_id)
    if shown is None or shown.template.key != round_.template_key or \
            db.session.scalar(select(CheckAnswer.id).where(CheckAnswer.round_id == round_.id).limit(1)):
        return item_id
    return next((item.id for item in round_.template.items if item.key == shown.key), item_id)


@cache
def _by_id(table):
    """UPDATE of one row by id, its SET clause the columns of the parameters given (the
    statement is built once; SQLAlchemy caches its compiled form per set of columns)."""
    return table.update().where(table.c.id == bindparam("record_id"))


def _expire_loaded(model, record_id: int) -> None:
    """A row written as a plain row is read afresh by whatever in this session loaded it."""
    loaded = db.session.identity_map.get(db.session.identity_key(model, record_id))
    if loaded is not None:
        db.session.expire(loaded)


def answer(account, round_id: int, item_id: int, subject_id: int, data: AnswerInput) -> Slot:
    """Save one answer the moment it is given; an out-of-range number fails at once."""
    target = _save_target(round_id, item_id, subject_id)
    _check_writable(account, target)
    version = target.template_id
    if target.status == "open" and target.template.status == "retired":
        _move_to_current_version(_locked_round(round_id))  # rare: the ORM round, then read again
        target = _save_target(round_id, item_id, subject_id)
    if (same := _same_item(target, item_id)) != item_id:
        item_id, target = same, _save_target(round_id, same, subject_id)
    number_label, item = _locate(target, item_id, subject_id)
    if item.from_record and _record_answer(db.session.get(CheckRound, target.id), item, subject_id) is not None:
        raise ServiceError(_l("This item is answered from the records, not by hand: the round shows what they say "
                              "and its submission writes it."))
    outcome, value, number = judging.judge(item, data, local_today())
    file_id = _save_file(item, data).id if item.type in FILE_TYPES else None
    found = target.answer
    saved = found or SavedAnswer(0, outcome, "", None, "", False, None, None)
    was_failed, was_na = found is not None and saved.outcome == "fail", found is not None and saved.outcome == "na"
    note = (data.note or "").strip()[:500]
    saved.value, saved.number, saved.outcome = value, number, outcome
    if note or outcome == "na":
        saved.note = note
    elif outcome != "na" and was_na:
        saved.note = ""  # the reason was for "not applicable"
    if file_id:
        saved.file_id = file_id
    if data.photo is not None and getattr(data.photo, "filename", "") and item.type != "photo":
        from schoolhq.core.uploads import save_upload

        saved.photo_id = save_upload(data.photo, images_only=True).id
    if outcome != "fail":
        saved.corrected = False
    values = {name: getattr(saved, name) for name in _ANSWER_COLUMNS[1:]}
    values.update(answered_by_id=account.id, answered_at=utcnow())
    connection = db.session.connection()
    if found is None:
        saved.id = connection.execute(CheckAnswer.__table__.insert(), {
            "round_id": target.id, "item_id": item.id, "template_id": target.template_id, "subject_id": subject_id,
            **values}).inserted_primary_key[0]
    else:
        connection.execute(_by_id(CheckAnswer.__table__), {"record_id": saved.id, **values})
    if target.status == "open":
        _start(account, target)
    _expire_loaded(CheckAnswer, saved.id)
    _expire_loaded(CheckRound, target.id)
    the_slot = Slot(number_label, item, subject_id, target.subject_label, saved, target,
                    target.template_id != version)
    if outcome == "fail" and not was_failed and item.critical:
        _notify_critical(get_round(target.id), the_slot, saved)
    return the_slot


def add_evidence(account, round_id: int, item_id: int, subject_id: int, note: str, photo=None,
                 corrected: bool = False) -> Slot:
    """A photo or note for an answer given; or "corrected on the spot" for a failed one."""
    round_ = _writable(account, round_id)
    the_slot = slot(round_, item_id, subject_id)
    existing = the_slot.answer
    if existing is None:
        raise ServiceError(_l("Answer the item first."))
    note = (note or "").strip()[:500]
    has_photo = photo is not None and getattr(photo, "filename", "")
    if not note and not has_photo:
        raise ServiceError(_l("Write a note or take a photo."), "note")
    if corrected:
        if existing.outcome != "fail":
            raise ServiceError(_l("Only a failed item can be corrected on the spot."))
        if not note:
            raise ServiceError(_l("Say what was done to correct it."), "note")
    if existing.outcome == "fail":
        existing.corrected = bool(corrected)
    if note:
        existing.note = note
    if has_photo:
        from schoolhq.core.uploads import save_upload

        existing.photo_id = save_upload(photo, images_only=True).id
    existing.answered_by_id, existing.answered_at = account.id, utcnow()
    db.session.flush()
    the_slot.round = round_
    return the_slot


def all_remaining_pass(account, round_id: int) -> int:
    """Quick rounds: every unanswered pass/fail item passes; numbers and files stay open."""
    round_ = _writable(account, round_id)
    added = 0
    for the_slot in slots(round_):
        if the_slot.answer is None and the_slot.item.type in QUICK_TYPES and the_slot.item.evidence != "always" \
                and (not the_slot.item.from_record
                     or _record_answer(round_, the_slot.item, the_slot.subject_id) is None):
            db.session.add(CheckAnswer(round_id=round_.id, item_id=the_slot.item.id, template_id=round_.template_id,
                                       subject_id=the_slot.subject_id, outcome="pass", answered_by_id=account.id))
            added += 1
    if added:
        _start(account, round_)
    db.session.flush()
    return added


def _notify_critical(round_: CheckRound, the_slot: Slot, answer_: CheckAnswer) -> None:
    from schoolhq.auth.services import accounts_with
    from schoolhq.core.notifications import notify

    title = _l("Critical check failed: %(template)s", template=template_title(round_.template))
    body = [round_.location.full_name, " · ", answer_message(the_slot.item, answer_, the_slot.subject_label)]
    for account in accounts_with("checks.manage"):
        if can(account, "checks.manage", round_):
            notify(account.id, "checks", title, body, url_for("checks.round_page", round_id=round_.id))


def template_title(template: CheckTemplate) -> Bilingual:
    """A template's title in a message others read (core.messages): in their language."""
    return Bilingual(template.title_zh, template.title_en)


def answer_message(item: CheckItem, answer_: CheckAnswer | None, subject_label: str = "") -> list:
    """"冷藏设备温度 (冷藏冰箱 ZC…): 11 °C (allowed 0–8 °C)" as a message (core.messages):
    the prompt, an option and the outcome in the reader's language — for findings,
    tickets and alerts, which others read."""
    parts: list = [Bilingual(item.prompt_zh, item.prompt_en)]
    if subject_label:
        parts.append(f" ({subject_label})")
    if answer_ is None:
        return parts
    if item.type == "number":
        parts.append(f": {answer_.value} {item.unit}".rstrip())
        allowed = range_text(item)
        if allowed:
            parts += [" ", _l("(allowed %(range)s)", range=allowed)]
    elif item.type == "select" and answer_.value.isdigit() and int(answer_.value) < len(item.options):
        option = item.options[int(answer_.value)]
        parts += [": ", Bilingual(str(option.get("zh") or ""), str(option.get("en") or ""))]
    elif item.type == "date_expiry":
        parts.append(f": {answer_.value}")
    else:
        parts += [": ", OUTCOME_LABELS[answer_.outcome]]
    return parts


def answer_summary(item: CheckItem, answer_: CheckAnswer | None, subject_label: str = "") -> str:
    """The answer's message (`answer_message`) in the reader's language."""
    return messages.render(answer_message(item, answer_, subject_label))


# Submitting -----------------------------------------------------------------------------

def missing(round_: CheckRound, the_slots: list[Slot]) -> tuple[list[Slot], list[Slot]]:
    """(required slots without an answer, answers that still need their evidence)."""
    unanswered = [s for s in the_slots if s.item.required and s.answer is None]
    no_evidence = [s for s in the_slots if s.answer is not None and s.needs_evidence and not s.has_evidence
                   and s.item.type not in FILE_TYPES]
    return unanswered, no_evidence


def _named(the_slots: list[Slot]) -> str:
    language = reader_language()
    english = language.startswith("en")
    return ("; " if english else "；").join(
        f"{s.number} {s.item.prompt(language)}"
        + ((f" ({s.subject_label})" if english else f"（{s.subject_label}）") if s.subject_label else "")
        for s in the_slots)


def _record_answer(round_, item: CheckItem, subject_id: int = 0):
    """What the records say for one item (about one asset, on per-asset rounds) answered
    from them, or None: no area reads that key, or the school does not keep those records
    (then it is answered by hand)."""
    from schoolhq.areas import record_reader

    reader = record_reader(item.from_record) if item.from_record else None
    found = reader(round_, subject_id) if reader is not None else None
    if found is not None and not found.outcome:  # a value the records hold, judged as if typed in
        from dataclasses import replace

        found = replace(found, outcome=judging.judge(item, judging.AnswerInput(value=found.value), local_today())[0])
    return found


def record_answers(round_: CheckRound, the_slots: list[Slot]) -> dict[str, Any]:
    """What the records say for each slot answered from them (dom id -> RecordAnswer)."""
    found = {}
    for the_slot in the_slots:
        answer_ = _record_answer(round_, the_slot.item, the_slot.subject_id)
        if answer_ is not None:
            found[the_slot.dom_id] = answer_
    return found


def _answer_from_records(account, round_: CheckRound, the_slots: list[Slot]) -> bool:
    """Write what the records say into the round's record-answered items (at submission:
    the answer is the records' as they stand when the round is signed)."""
    found_all = record_answers(round_, the_slots)
    written = False
    for the_slot in the_slots:
        found = found_all.get(the_slot.dom_id)
        if found is None:
            continue
        existing = the_slot.answer
        if existing is None:
            db.session.add(CheckAnswer(round_id=round_.id, item_id=the_slot.item.id, template_id=round_.template_id,
                                       subject_id=the_slot.subject_id, outcome=found.outcome, note=found.note[:500],
                                       value=found.value[:500], answered_by_id=account.id))
        else:
            existing.outcome, existing.note, existing.value = found.outcome, found.note[:500], found.value[:500]
            existing.answered_by_id, existing.answered_at = account.id, utcnow()
        written = True
    if written:
        db.session.flush()
    return written


def submit(account, round_id: int, signature: str) -> CheckRound:
    round_ = _writable(account, round_id)
    the_slots = slots(round_)
    if _answer_from_records(account, round_, [s for s in the_slots if s.item.from_record]):
        the_slots = slots(round_)
    unanswered, no_evidence = missing(round_, the_slots)
    # every one named in full (the page marks the same ones): a tablet user fixes them
    # from the message without hunting for a cut-off "3 of 6"
    if unanswered:
        raise ServiceError(_l("Required items not answered yet (%(n)s): %(names)s", n=len(unanswered),
                              names=_named(unanswered)))
    if no_evidence:
        raise ServiceError(_l("These answers need a photo or a note first: %(names)s", names=_named(no_evidence)))
    from schoolhq.core.uploads import save_signature

    signed = save_signature(signature, _l("Draw your signature in the box to submit the round."))
    failed = [s for s in the_slots if s.answer is not None and s.answer.outcome == "fail"]
    # an amendment raises findings only for what it newly found failed: the revision it
    # amends already followed up the rest (its tickets are not counted twice)
    known = set()
    if round_.amends_id:
        known = set(db.session.execute(select(CheckAnswer.item_id, CheckAnswer.subject_id, CheckAnswer.value)
                                       .where(CheckAnswer.round_id == round_.amends_id,
                                              CheckAnswer.outcome == "fail")).all())
    for the_slot in failed:  # findings and tickets keep their text as messages, read in the reader's language
        if (the_slot.item.id, the_slot.subject_id, the_slot.answer.value) not in known:
            findings.raise_finding(round_, the_slot, account)
    now = utcnow()
    _start(account, round_)
    round_.status, round_.submitted_at, round_.submitted_by_id = "submitted", now, account.id
    round_.signature_id = signed.id
    round_.failed_count = len(failed)
    round_.result = "fail" if any(s.item.critical and not s.answer.corrected for s in failed) else "pass"
    db.session.flush()
    audit.record("checks", "round.submitted", round_, after={"result": round_.result, "failed": len(failed)},
                 summary=f"{round_.template.title_zh} {round_.period}")
    return round_


def amend(account, round_id: int, reason: str) -> CheckRound:
    """A submitted round never changes: an amendment is a new revision with the old
    answers copied, open for changes, then submitted and signed again. Until then the
    submitted revision stays the record; a revision begun already is continued."""
    original = _locked_round(round_id)
    if not may_perform(account, original):
        raise ServiceError(_l("This round is not yours to do."))
    if original.status != "submitted":
        raise ServiceError(_l("Only a submitted round can be amended."))
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise ServiceError(_l("Say why the round is being amended."), "reason")
    later = db.session.scalar(select(CheckRound).where(CheckRound.amends_id == original.id).limit(1))
    if later is not None:
        if later.status in OPEN:
            return later
        raise ServiceError(_l("This round has already been amended; amend the newest revision."))
    now = utcnow()
    revision = CheckRound(template_id=original.template_id, template_key=original.template_key,
                          schedule_id=original.schedule_id, round_key=None, period=original.period,
                          period_start=original.period_start, location_id=original.location_id,
                          asset_id=original.asset_id, subjects=original.subjects, opens_at=original.opens_at,
                          due_at=original.due_at, closes_at=original.closes_at,
                          status="in_progress", assignee_id=original.assignee_id,
                          assignee_role=original.assignee_role, started_by_id=account.id, started_at=now,
                          revision=original.revision + 1, amends_id=original.id, amend_reason=reason[:300])
    db.session.add(revision)
    db.session.flush()
    for old in db.session.scalars(select(CheckAnswer).where(CheckAnswer.round_id == original.id)):
        db.session.add(CheckAnswer(round_id=revision.id, item_id=old.item_id, template_id=old.template_id,
                                   subject_id=old.subject_id, value=old.value, number=old.number,
                                   outcome=old.outcome, note=old.note, photo_id=old.photo_id, file_id=old.file_id,
                                   corrected=old.corrected, answered_by_id=old.answered_by_id,
                                   answered_at=old.answered_at))
    db.session.flush()
    audit.record("checks", "round.amended", revision, after={"reason": reason, "amends": original.id},
                 summary=f"{original.template.title_zh} {original.period} r{revision.revision}")
    return revision


def revisions(round_: CheckRound) -> list[CheckRound]:
    """The round's revisions, newest first: the ones it amends and the one amending it."""
    chain = [round_]
    while chain[-1].amends_id:
        chain.append(get_round(chain[-1].amends_id))
    newer = round_
    while True:
        later = db.session.scalar(select(CheckRound).where(CheckRound.amends_id == newer.id))
        if later is None:
            break
        chain.insert(0, later)
        newer = later
    return chain


# Starting a round by hand ---------------------------------------------------------------

#: a second start of the same check at the same place within this time, with nothing
#: answered yet, is the same tap twice and opens the round already started
ADHOC_REPEAT_WINDOW = timedelta(minutes=2)


def start_adhoc(account, template_key: str, location_id: int | None, asset_id: int | None = None) -> CheckRound:
    """A round outside any schedule: after a delivery, a storm, a complaint."""
    from schoolhq.checks.schedules import Target, subjects_for

    template = packs.published(template_key or "")
    if template is None:
        raise ServiceError(_l("Choose a published template."), "template_key")
    asset = None
    if asset_id:
        from schoolhq.assets.services import get_asset

        asset = get_asset(asset_id)
        location_id = asset.location_id
    if not location_id:
        raise ServiceError(_l("Say where it is: choose the place."), "location_id")
    from schoolhq.places.services import get_location

    location = get_location(location_id)
    if not (can(account, "checks.perform", location) or can(account, "checks.manage", location)):
        raise ServiceError(_l("You may not do checks at this place."))
    from schoolhq.auth.services import locked_account

    locked_account(account.id)  # under the starter's lock: a double tap opens the round just started
    now = utcnow()
    just_started = db.session.scalar(select(CheckRound).where(
        CheckRound.started_by_id == account.id, CheckRound.template_id == template.id,
        CheckRound.location_id == location.id,
        CheckRound.asset_id.is_(None) if asset is None else CheckRound.asset_id == asset.id,
        CheckRound.status == "in_progress", CheckRound.started_at >= now - ADHOC_REPEAT_WINDOW,
        ~select(CheckAnswer.id).where(CheckAnswer.round_id == CheckRound.id).exists())
        .order_by(CheckRound.id.desc()).limit(1))
    if just_started is not None:
        return just_started
    due = max(local_day_bounds_utc(local_today())[1], now + timedelta(hours=2))
    round_ = CheckRound(template_id=template.id, template_key=template.key, period=to_local(now).strftime("%Y-%m-%d"),
                        period_start=local_today(), location_id=location.id, asset_id=asset.id if asset else None,
                        subjects=subjects_for(template, Target("", location.id, location.path,
                                                               asset.id if asset else None)),
                        opens_at=now, due_at=due, closes_at=due + timedelta(hours=12), status="in_progress",
                        assignee_id=account.person_id, started_by_id=account.id, started_at=now)
    db.session.add(round_)
    db.session.flush()
    audit.record("checks", "round.started", round_, summary=f"{template.title_zh} {location.full_name}")
    return round_


# Hooks into the rest of the system -------------------------------------------------------

@cache
def _round_names() -> tuple:
    """What the dashboard reads beside a round (the check, the place under its own name,
    the asset) and the joins that read it, made once: building these expressions is most
    of a small query's cost."""
    from sqlalchemy.orm import aliased

    from schoolhq.assets.models import Asset
    from schoolhq.places.models import Location

    place = aliased(Location, name="round_place")
    return ((CheckRound.id, CheckRound.period, CheckRound.due_at, CheckRound.status, CheckTemplate.title_zh,
             CheckTemplate.title_en, place.name.label("place"), Asset.name.label("asset")),
            ((CheckTemplate, CheckTemplate.id == CheckRound.template_id), (place, place.id == CheckRound.location_id),
             (Asset, Asset.id == CheckRound.asset_id)))


def _round_rows(query):
    """A select of rounds as the dashboard names them (`query` may ask about places in a
    subquery: the round's own place has a name of its own). Outer joins, though every
    round has its check and place: SQLite keeps the rounds the outer loop then, and never
    walks each place's rounds to find a person's few."""
    columns, joins = _round_names()
    query = query.with_only_columns(*columns)
    for target, onclause in joins:
        query = query.outerjoin(target, onclause)
    return query


def _round_entry(row, note: str = ""):
    from schoolhq.dashboard.services import Entry, joined

    return Entry(joined(packs.title_of(row, reader_language()), row.place, row.asset, queries.meal_label(row)),
                 url_for("checks.round_page", round_id=row.id), note)


def _named_rounds(query, note=None) -> tuple:
    """How many rounds `query` holds and the first few by name, each to its page with
    `note(row)`: one statement."""
    from schoolhq.dashboard.services import first_rows

    total, rows = first_rows(_round_rows(query))
    return total, [_round_entry(row, note(row) if note else "") for row in rows]


def _due_note(row) -> str:
    from schoolhq.dashboard.services import late

    if row.due_at < utcnow():
        return late(row.due_at)
    due = to_local(row.due_at)
    return str(_l("by %(time)s", time=due.strftime("%H:%M" if due.date() == local_today() else "%m-%d %H:%M")))


def _named_failures(account) -> tuple:
    """Today's failed answers, in the rounds this person may open: each as the check, the
    place and what was found ("冷藏设备温度 (冷藏冰箱1): 9.5 °C (allowed 0–8 °C)"), to its round."""
    from schoolhq.core.permissions import within_scopes
    from schoolhq.dashboard.services import Entry, first_rows, joined
    from schoolhq.places.models import Location

    query = within_scopes(queries.failed_answers(), account, ("checks.view", "checks.manage"),
                          location_path=Location.path)
    total, rows = first_rows(query)
    language = reader_language()
    entries = []
    for row in rows:
        state = FINDING_LABELS["corrected"] if row.corrected else \
            STATUS_LABELS["in_progress"] if row.status == "in_progress" else ""
        entries.append(Entry(joined(packs.title_of(row, language), row.place,
                                    answer_summary(row.CheckItem, row, row.subject or "")),
                             url_for("checks.round_page", round_id=row.round_id), str(state)))
    return total, entries


def dashboard_items(account):
    """The person's own rounds of today; for the office, today's failed items, the rounds
    past their due time and those missed today; for the principal, the month's missed
    rounds. Each named, to the round's page."""
    from schoolhq.core.permissions import unscoped
    from schoolhq.dashboard.services import SHOWN, Item, late

    items = []
    if can(account, "checks.perform"):
        # a person's rounds of a day are a few dozen at most: all of them, soonest due first
        mine = sorted(db.session.execute(_round_rows(queries.my_rounds(account))).all(),
                      key=lambda row: (row.due_at, row.id))
        items.append(Item("checks", _l("Checks for you today"), len(mine), url_for("checks.today"),
                          entries=[_round_entry(row, _due_note(row)) for row in mine[:SHOWN]]))
    manages, views = unscoped(account, "checks.manage"), unscoped(account, "checks.view")
    if manages or views:
        failed, entries = _named_failures(account)
        items.append(Item("checks", _l("Check items failed today"), failed,
                          url_for("checks.oversight", day=local_today().isoformat()) if manages
                          else url_for("checks.finding_list", status="all"), "danger", entries))
    if manages:
        late_count, entries = _named_rounds(
            select(CheckRound).where(CheckRound.status.in_(OPEN), CheckRound.due_at < utcnow())
            .order_by(CheckRound.due_at, CheckRound.id), lambda row: late(row.due_at))
        items.append(Item("checks", _l("Checks past their due time"), late_count, url_for("checks.oversight"),
                          "warning", entries))
        start, end = local_day_bounds_utc(local_today())
        missed, entries = _named_rounds(
            select(CheckRound).where(CheckRound.status == "missed", CheckRound.due_at >= start, CheckRound.due_at < end)
            .order_by(CheckRound.due_at, CheckRound.id))
        items.append(Item("checks", _l("Checks missed today"), missed, url_for("checks.oversight", status="missed"),
                          "danger", entries))
        open_findings = db.session.scalar(select(func.count(CheckFinding.id))
                                          .where(CheckFinding.status == "open")) or 0
        items.append(Item("checks", _l("Check findings to follow up"), open_findings, url_for("checks.finding_list"),
                          "warning"))
    elif views:  # the principal: the month at a glance
        first = local_today().replace(day=1)
        missed, entries = _named_rounds(
            select(CheckRound).where(CheckRound.status == "missed", CheckRound.due_at >= local_day_bounds_utc(first)[0])
            .order_by(CheckRound.due_at.desc(), CheckRound.id.desc()),
            lambda row: row.period.partition(" ")[0])  # the day (or week, month) it was for
        items.append(Item("checks", _l("Checks missed this month"), missed,
                          url_for("checks.compliance", month=first.strftime("%Y-%m")), "warning", entries))
    return items


def attachment_rule(attachment, account):
    round_id = db.session.scalar(select(CheckAnswer.round_id).where(
        or_(CheckAnswer.photo_id == attachment.id, CheckAnswer.file_id == attachment.id)).limit(1))
    if round_id is None:
        round_id = db.session.scalar(select(CheckRound.id).where(CheckRound.signature_id == attachment.id).limit(1))
    if round_id is None:
        round_id = db.session.scalar(select(CheckFinding.round_id).where(CheckFinding.photo_id == attachment.id)
                                     .limit(1))
    if round_id is None:
        return None
    # yes for those who see the round; otherwise another area may still say yes (the
    # worker fixing the ticket the photo went to)
    return True if may_view(account, get_round(round_id)) else None


def materialise_and_mark_missed() -> int:
    from schoolhq.checks.schedules import mark_missed, materialise

    return materialise() + mark_missed()


# What builds on rounds, imported last: each imports this module at its top.
from schoolhq.checks import findings, queries  # noqa: E402
