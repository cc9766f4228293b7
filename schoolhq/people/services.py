"""Rules for departments, staff profiles and responsibility areas."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# Names are read character by character; the phrase dictionary would cost ~40 MB per
# process (bench/README.md) for nothing a name needs.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "true")
from pypinyin import Style, lazy_pinyin  # noqa: E402
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.people.models import Department, Person, Responsibility

PERSON_FIELDS = ["name", "department_id", "job_title", "phone", "badge_code"]


#: surnames read differently from the character's everyday reading (曾 is zeng, not ceng)
SURNAME_READINGS = {
    "尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "曾": ["zeng"], "单": ["shan"], "解": ["xie"],
    "仇": ["qiu"], "朴": ["piao"], "区": ["ou"], "查": ["zha"], "盖": ["ge"], "缪": ["miao"],
    "乐": ["yue"], "召": ["shao"], "覃": ["qin"], "秘": ["bi"], "种": ["chong"], "繁": ["po"],
    "员": ["yun"], "黑": ["he"], "翟": ["zhai"], "纪": ["ji"], "祭": ["zhai"], "长孙": ["zhang", "sun"],
}


def pinyin_of(name: str) -> tuple[str, str]:
    """('wangfang', 'wf') for 王芳, ('zengguoqiang', 'zgq') for 曾国强; letters and digits
    in a name are kept as they are."""
    head: list[str] = []
    for surname in sorted(SURNAME_READINGS, key=len, reverse=True):
        if name.startswith(surname):
            head, name = list(SURNAME_READINGS[surname]), name[len(surname):]
            break
    syllables = head + [word.lower() for part in lazy_pinyin(name, style=Style.NORMAL, errors="default")
                        for word in part.split() if word.isalnum()]
    return "".join(syllables)[:120], "".join(s[0] for s in syllables if s[:1].isalnum())[:30]


def _clean_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_l("A name is required."), field)
    if len(name) > 60:
        raise ServiceError(_l("A name is at most 60 characters."), field)
    return name


def get_person(person_id: int) -> Person:
    # people are chosen in forms far more than named by URLs: a missing one is a form error
    person = db.session.get(Person, person_id)
    if person is None:
        raise ServiceError(_l("That person does not exist."))
    return person


def get_department(department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or department.archived_at is not None:
        raise ServiceError(_l("That department does not exist."), "department_id")
    return department


# Departments -------------------------------------------------------------------------

def create_department(name: str, parent_id: int | None = None, head_person_id: int | None = None) -> Department:
    name = _clean_name(name)
    parent = get_department(parent_id) if parent_id else None
    if head_person_id:
        get_person(head_person_id)
    clash = db.session.scalar(select(Department).where(
        Department.name == name, Department.parent_id.is_(None) if parent is None else Department.parent_id == parent.id,
        Department.archived_at.is_(None)))
    if clash is not None:
        raise ServiceError(_l("A department with this name already exists here."), "name")
    department = Department(name=name, parent_id=parent.id if parent else None, head_person_id=head_person_id)
    db.session.add(department)
    db.session.flush()
    department.path = (parent.path if parent else "/") + f"{department.id}/"
    audit.record("people", "department.created", department,
                 after=audit.snapshot(department, ["name", "parent_id", "head_person_id"]), summary=name)
    return department


def update_department(department_id: int, name: str, head_person_id: int | None) -> Department:
    department = get_department(department_id)
    before = audit.snapshot(department, ["name", "head_person_id"])
    department.name = _clean_name(name)
    if head_person_id:
        get_person(head_person_id)
    department.head_person_id = head_person_id or None
    db.session.flush()
    after = audit.snapshot(department, ["name", "head_person_id"])
    if before != after:
        audit.record("people", "department.updated", department, before=before, after=after,
                     summary=department.name)
    return department


def departments() -> list[Department]:
    """All active departments in tree order (by path, then name)."""
    rows = list(db.session.scalars(select(Department).options(joinedload(Department.head))
                                   .where(Department.archived_at.is_(None))))
    by_id = {d.id: d for d in rows}

    def key(d: Department):
        ids = [int(p) for p in d.path.strip("/").split("/") if p]
        return [by_id[i].name if i in by_id else "" for i in ids]

    return sorted(rows, key=key)


def department_depth(department: Department) -> int:
    return department.path.count("/") - 2


# People ------------------------------------------------------------------------------

def _check_badge(badge_code: str | None, person_id: int | None = None) -> str | None:
    badge_code = (badge_code or "").strip() or None
    if badge_code:
        clash = db.session.scalar(select(Person).where(Person.badge_code == badge_code))
        if clash is not None and clash.id != person_id:
            raise ServiceError(_l("This badge code belongs to %(name)s.", name=clash.name), "badge_code")
    return badge_code


def create_person(name: str, department_id: int | None = None, job_title: str = "",
                  phone: str = "", badge_code: str | None = None) -> Person:
    name = _clean_name(name)
    if department_id:
        get_department(department_id)
    pinyin, initials = pinyin_of(name)
    person = Person(name=name, pinyin=pinyin, pinyin_initials=initials,
                    department_id=department_id or None, job_title=(job_title or "").strip()[:60],
                    phone=(phone or "").strip()[:30], badge_code=_check_badge(badge_code))
    db.session.add(person)
    db.session.flush()
    audit.record("people", "person.created", person, after=audit.snapshot(person, PERSON_FIELDS),
                 summary=name)
    return person


def update_person(person_id: int, name: str, department_id: int | None, job_title: str,
                  phone: str, badge_code: str | None = None) -> Person:
    person = get_person(person_id)
    before = audit.snapshot(person, PERSON_FIELDS)
    person.name = _clean_name(name)
    if department_id:
        get_department(department_id)
    person.department_id = department_id or None
    person.job_title = (job_title or "").strip()[:60]
    person.phone = (phone or "").strip()[:30]
    person.badge_code = _check_badge(badge_code, person.id)
    person.pinyin, person.pinyin_initials = pinyin_of(person.name)
    db.session.flush()
    after = audit.snapshot(person, PERSON_FIELDS)
    if before != after:
        audit.record("people", "person.updated", person, before=before, after=after, summary=person.name)
    return person


@dataclass(frozen=True)
class DirectoryEntry:
    """One person as lists and pickers show them, from the process's people directory."""

    id: int
    name: str
    pinyin: str
    pinyin_initials: str
    job_title: str
    phone: str
    department_id: int | None
    department_name: str
    department_path: str
    left: bool
    #: name and job title folded for a search that ignores case
    folded: tuple[str, str] = ("", "")

    def matches(self, folded: str, letters: str) -> bool:
        return (folded in self.folded[0] or self.pinyin.startswith(letters)
                or self.pinyin_initials.startswith(letters) or folded in self.folded[1])


def directory() -> tuple[DirectoryEntry, ...]:
    """Everyone, in pinyin order, held by each process until a person or department
    changes (core.process_cache): searching it costs no query, and a school's staff is a
    few hundred rows."""
    from schoolhq.core import process_cache

    return process_cache.lookup("people_directory", None, _load_directory)


def entry(person_id: int | None) -> DirectoryEntry | None:
    """One person of the directory (a picker showing whom it had chosen), or None."""
    return next((e for e in directory() if e.id == person_id), None) if person_id else None


def _load_directory() -> tuple[DirectoryEntry, ...]:
    rows = db.session.execute(
        select(Person.id, Person.name, Person.pinyin, Person.pinyin_initials, Person.job_title, Person.phone,
               Person.department_id, Department.name, Department.path, Person.left_at)
        .outerjoin(Department, Department.id == Person.department_id).order_by(Person.pinyin, Person.id))
    return tuple(DirectoryEntry(id_, name, pinyin or "", initials or "", job or "", phone or "", department_id,
                                department or "", path or "", left_at is not None,
                                (name.casefold(), (job or "").casefold()))
                 for id_, name, pinyin, initials, job, phone, department_id, department, path, left_at in rows)


def search_people(text: str = "", department_id: int | None = None, include_left: bool = False,
                  limit: int | None = None) -> list[DirectoryEntry]:
    """People by name, full pinyin or pinyin initials ("wf" finds 王芳), or job title;
    letters in any case. With a department, those in it and in the departments under it."""
    found = [entry for entry in directory() if include_left or not entry.left]
    if department_id:
        path = next((entry.department_path for entry in found if entry.department_id == department_id), None)
        if path is None:
            department = db.session.get(Department, department_id)
            path = department.path if department is not None else None
        if path is not None:
            found = [entry for entry in found if entry.department_path.startswith(path)]
    text = (text or "").strip()
    if text:
        folded, letters = text.casefold(), text.lower().replace(" ", "")
        found = [entry for entry in found if entry.matches(folded, letters)]
    return found[:limit] if limit else found


def person_choices() -> list[tuple[str, str]]:
    """(id, "name · department") for every current person, for a select box."""
    return [(str(p.id), f"{p.name} · {p.department_name}" if p.department_name else p.name)
            for p in search_people()]


def count_people() -> int:
    return db.session.scalar(select(func.count(Person.id)).where(Person.left_at.is_(None))) or 0


# Responsibility areas ---------------------------------------------------------------

def add_responsibility(person_id: int, title: str, location_id: int | None = None,
                       description: str = "") -> Responsibility:
    person = get_person(person_id)
    title = (title or "").strip()
    if not title:
        raise ServiceError(_l("Describe the responsibility."), "title")
    if location_id:
        from schoolhq.places.services import get_location

        get_location(location_id)
    item = Responsibility(person_id=person.id, title=title[:120], location_id=location_id or None,
                          description=(description or "").strip())
    db.session.add(item)
    db.session.flush()
    audit.record("people", "responsibility.added", item,
                 after=audit.snapshot(item, ["person_id", "title", "location_id"]), summary=title)
    return item


def end_responsibility(responsibility_id: int) -> Responsibility:
    item = locked(Responsibility, responsibility_id, _l("That responsibility is not current."))
    if item.ended_at is not None:
        raise ServiceError(_l("That responsibility is not current."))
    item.ended_at = utcnow()
    db.session.flush()
    audit.record("people", "responsibility.ended", item,
                 before={"ended_at": None}, after={"ended_at": item.ended_at.isoformat()}, summary=item.title)
    return item


def responsibilities_of(person_id: int) -> list[Responsibility]:
    return list(db.session.scalars(select(Responsibility).where(
        Responsibility.person_id == person_id, Responsibility.ended_at.is_(None)).order_by(Responsibility.id)))


def responsibilities_at(location_ids: list[int]) -> list[Responsibility]:
    if not location_ids:
        return []
    return list(db.session.scalars(select(Responsibility).where(
        Responsibility.location_id.in_(location_ids), Responsibility.ended_at.is_(None)).order_by(Responsibility.id)))


def open_badge(code: str) -> str | None:
    from flask import url_for

    person = db.session.scalar(select(Person).where(Person.badge_code == code))
    return url_for("people.detail", person_id=person.id) if person is not None else None
