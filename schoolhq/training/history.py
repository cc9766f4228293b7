"""Import of past training records from the school's own spreadsheet (who did which
training when, with the evidence file a row names), checked row by row before anything is
written, as the asset import is: the header row is found below a title block, dates are
read as ledgers write them (`2023.9.12`, `2023年9月`), and each refused row says why, with
the file's own row number. Importing writes the valid rows only; a row already on record
(the same person, training and day) is skipped, so importing the file twice adds nothing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.assets import importer
from schoolhq.core import audit
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.training import services
from schoolhq.training.models import Completion, Requirement

#: column -> (label, header spellings seen in school spreadsheets)
FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "person": (_l("Person's name"), ("姓名", "参训人", "参训人员", "人员", "员工姓名", "name")),
    "training": (_l("Training"), ("培训项目", "培训名称", "培训内容", "培训主题", "项目", "课程", "training")),
    "completed_on": (_l("Completed on"), ("培训日期", "日期", "完成日期", "考核日期", "培训时间", "date",
                                          "completed on")),
    "expires_on": (_l("Valid until"), ("有效期至", "有效期", "到期日期", "到期日", "valid until")),
    "result": (_l("Assessment result"), ("考核结果", "结果", "成绩", "是否合格", "result")),
    "evidence": (_l("Evidence file"), ("证明材料", "附件", "证书", "证书扫描件", "evidence", "file")),
    "note": (_l("Note"), ("备注", "说明", "证书编号", "note")),
}
REQUIRED = ("person", "training", "completed_on")
FAILED_WORDS = {"不合格", "未通过", "不通过", "缺考", "fail", "failed"}
_SPELLINGS = {key: {importer._header_key(s) for s in spellings} for key, (_label, spellings) in FIELDS.items()}


def _mapping(header: list[Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, title in enumerate(header):
        cleaned = importer._header_key(title)
        for key, spellings in _SPELLINGS.items():
            if key not in found and cleaned in spellings:
                found[key] = index
                break
    return found


@dataclass
class Row:
    line: int
    cells: list[Any]
    person_id: int | None = None
    person: str = ""
    requirement: Requirement | None = None
    completed_on: date | None = None
    expires_on: date | None = None
    evidence: str = ""
    note: str = ""
    problems: list[str] = field(default_factory=list)
    #: already on record: skipped, not refused
    duplicate: bool = False

    @property
    def ready(self) -> bool:
        return not self.problems and not self.duplicate


@dataclass
class Plan:
    file_name: str
    sheet: str
    header_line: int
    columns: dict[str, int]
    rows: list[Row]

    @property
    def ready(self) -> list[Row]:
        return [row for row in self.rows if row.ready]

    @property
    def refused(self) -> list[Row]:
        return [row for row in self.rows if row.problems]

    @property
    def duplicates(self) -> list[Row]:
        return [row for row in self.rows if row.duplicate and not row.problems]

    @property
    def evidence_named(self) -> list[str]:
        return sorted({row.evidence for row in self.ready if row.evidence})


def _folded(text: str) -> str:
    return importer._folded(text)


def _cell(cells: list[Any], columns: dict[str, int], key: str) -> Any:
    index = columns.get(key)
    return cells[index] if index is not None and index < len(cells) else None


def prepare(token: str) -> Plan:
    """The dry run: the sheet and header row found, every row read and checked."""
    sheets = [sheet for sheet in importer.read_sheets(token) if sheet.rows]
    best = None
    for sheet in sheets:
        for number, cells in sheet.rows[:importer.HEADER_SEARCH_ROWS]:
            columns = _mapping(cells)
            if best is None or len(columns) > len(best[2]):
                best = (sheet, number, columns)
    sheet, header_line, columns = best
    missing = [str(FIELDS[key][0]) for key in REQUIRED if key not in columns]
    if missing:
        raise ServiceError(_l("No column for %(columns)s was found: the header row needs 姓名, 培训项目 and 培训日期 "
                              "(or their English names).", columns="、".join(missing)), "file")
    people: dict[str, set[int]] = {}
    from schoolhq.people.models import Person

    for person_id, name in db.session.execute(select(Person.id, Person.name)):
        people.setdefault(_folded(name), set()).add(person_id)
    known = {}
    for requirement in services.requirements(active_only=False):
        for text in (requirement.name_zh, requirement.name_en, requirement.key):
            if text:
                known.setdefault(_folded(text), requirement)
    header_text = [importer.shown(c) for c in dict(sheet.rows)[header_line]]
    rows = []
    for number, cells in sheet.rows:
        if number <= header_line or [importer.shown(c) for c in cells] == header_text[:len(cells)]:
            continue
        if not any(importer.shown(c) for c in cells):
            continue
        rows.append(_check(Row(number, cells), columns, people, known))
    _mark_duplicates(rows)
    return Plan(importer.file_name(token), sheet.name, header_line, columns, rows)


def _check(row: Row, columns: dict[str, int], people: dict[str, set[int]], known: dict) -> Row:
    name = importer.shown(_cell(row.cells, columns, "person"))
    row.person = name
    matches = people.get(_folded(name), set())
    if not name:
        row.problems.append(str(_l("no name")))
    elif not matches:
        row.problems.append(str(_l("“%(name)s” is not on the staff list", name=name)))
    elif len(matches) > 1:
        row.problems.append(str(_l("two people are called “%(name)s”: enter this row by hand", name=name)))
    else:
        row.person_id = next(iter(matches))
    training = importer.shown(_cell(row.cells, columns, "training"))
    row.requirement = known.get(_folded(training))
    if row.requirement is None:
        row.problems.append(str(_l("“%(training)s” is no training requirement of the school", training=training)))
    for key in ("completed_on", "expires_on"):
        value = _cell(row.cells, columns, key)
        if value in (None, ""):
            if key == "completed_on":
                row.problems.append(str(_l("no date")))
            continue
        try:
            day, _month_only = importer.ledger_date(value)
        except ValueError as why:
            row.problems.append(importer._value_message(FIELDS[key][0], value, why))
            continue
        setattr(row, key, day)
    if row.completed_on and row.completed_on > local_today():
        row.problems.append(str(_l("dated %(day)s, after today", day=row.completed_on.isoformat())))
    if row.completed_on and row.expires_on and row.expires_on < row.completed_on:
        row.problems.append(str(_l("valid until %(until)s, before it was done", until=row.expires_on.isoformat())))
    result = _folded(importer.shown(_cell(row.cells, columns, "result")))
    if result in {_folded(word) for word in FAILED_WORDS}:
        row.problems.append(str(_l("not passed: only passed trainings are completions")))
    row.evidence = Path(importer.shown(_cell(row.cells, columns, "evidence"))).name[:150]
    row.note = importer.shown(_cell(row.cells, columns, "note"))[:200]
    return row


def _mark_duplicates(rows: list[Row]) -> None:
    """A row whose person, training and day are on record already, or twice in the file."""
    ready = [row for row in rows if not row.problems]
    recorded = set(db.session.execute(select(Completion.person_id, Completion.requirement_id, Completion.completed_on)
                                      .where(Completion.person_id.in_({r.person_id for r in ready} or {-1}),
                                             Completion.withdrawn_at.is_(None))).all())
    seen = set()
    for row in ready:
        key = (row.person_id, row.requirement.id, row.completed_on)
        if key in recorded or key in seen:
            row.duplicate = True
        seen.add(key)


def run(account, token: str, evidence_files: list) -> tuple[Plan, int]:
    """Write the valid rows, each with the evidence file it names (uploaded now)."""
    from schoolhq.core.uploads import save_upload

    plan = prepare(token)
    files = {Path(f.filename).name: f for f in evidence_files or [] if getattr(f, "filename", "")}
    for row in plan.ready:
        if row.evidence and row.evidence not in files:
            row.problems.append(str(_l("its evidence file “%(file)s” was not chosen", file=row.evidence)))
    saved: dict[str, int] = {}
    written = 0
    for row in plan.ready:
        if row.evidence and row.evidence not in saved:
            saved[row.evidence] = save_upload(files[row.evidence]).id
        db.session.add(Completion(
            person_id=row.person_id, requirement_id=row.requirement.id, completed_on=row.completed_on,
            expires_on=row.expires_on or services.expiry_of(row.requirement, row.completed_on), source="import",
            evidence_id=saved.get(row.evidence), note=unicodedata.normalize("NFKC", row.note or
                                                                          str(_l("imported from %(file)s",
                                                                                 file=plan.file_name)))[:300],
            created_by_id=getattr(account, "id", None)))
        written += 1
    db.session.flush()
    audit.record("training", "history.imported", None, after={"rows": written, "file": plan.file_name},
                 summary=plan.file_name)
    return plan, written
