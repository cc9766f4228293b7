"""Staged assessment: a requirement may name theory (a test drawn from its question bank,
taken on a phone, with a pass mark and a retake limit), practical (an assessor's
checklist, each step passed or not yet — not yet needs a reason and sets a retry day) and
on the job (the person's own next check rounds of a kind, submitted on time with nothing
failed, or an assessor's observation during a round). A staged requirement is completed
only when the person attended a confirmed session of it and passed every stage it names,
all since their last completion of it."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from schoolhq.core import audit
from schoolhq.core.database import locked
from schoolhq.core.errors import ServiceError, get_or_raise
from schoolhq.core.permissions import can
from schoolhq.core.timeutil import local_today, utcnow
from schoolhq.extensions import db
from schoolhq.training import services
from schoolhq.training.models import (
    STAGES,
    Attendance,
    Completion,
    Question,
    QuizAttempt,
    Requirement,
    StageResult,
    TrainingSession,
)

STAGE_LABELS = {"theory": _l("Theory test"), "practical": _l("Practical"), "on_the_job": _l("On the job")}
QUESTION_KINDS = {"single": _l("Single choice"), "multiple": _l("Multiple choice"), "true_false": _l("True or false")}
TRUE_FALSE = ("对", "错")
LETTERS = "ABCDEFGH"


def _cycle_start(person_id: int, requirement_id: int) -> datetime:
    """When the person's current cycle of this requirement began: their last completion
    of it was recorded (stages and sittings before it belong to that one)."""
    last = db.session.scalar(select(func.max(Completion.created_at)).where(
        Completion.person_id == person_id, Completion.requirement_id == requirement_id,
        Completion.withdrawn_at.is_(None)))
    return last or datetime(2000, 1, 1)


def passed_stages(person_id: int, requirement: Requirement) -> set[str]:
    since = _cycle_start(person_id, requirement.id)
    return set(db.session.scalars(select(StageResult.stage).where(
        StageResult.person_id == person_id, StageResult.requirement_id == requirement.id,
        StageResult.passed.is_(True), StageResult.created_at > since)))


def attended_session(person_id: int, requirement: Requirement) -> TrainingSession | None:
    """The confirmed session of the requirement the person last attended in this cycle."""
    since = _cycle_start(person_id, requirement.id)
    return db.session.scalar(select(TrainingSession).join(Attendance, Attendance.session_id == TrainingSession.id)
                             .where(TrainingSession.requirement_id == requirement.id,
                                    TrainingSession.status == "confirmed", TrainingSession.confirmed_at > since,
                                    Attendance.person_id == person_id, Attendance.mark.in_(("present", "late")))
                             .order_by(TrainingSession.starts_at.desc()).limit(1))


def missing_for_completion(person_id: int, requirement: Requirement) -> list[str]:
    """What the person still lacks to complete a staged requirement, in words."""
    lacking = []
    if attended_session(person_id, requirement) is None:
        lacking.append(str(_l("a confirmed session attended")))
    done = passed_stages(person_id, requirement)
    lacking += [str(STAGE_LABELS[stage]) for stage in requirement.stages if stage not in done]
    return lacking


def complete(account, person_id: int, requirement: Requirement, day: date | None = None) -> Completion:
    """Record the completion of a staged requirement; refused while any stage it names
    (or the session) is missing."""
    lacking = missing_for_completion(person_id, requirement)
    if lacking:
        raise ServiceError(_l("Not complete yet: %(what)s still missing.", what="、".join(lacking)))
    day = day or local_today()
    session = attended_session(person_id, requirement)
    completion = Completion(person_id=person_id, requirement_id=requirement.id, completed_on=day,
                            expires_on=services.expiry_of(requirement, day), source="session",
                            session_id=session.id if session else None, created_by_id=getattr(account, "id", None))
    db.session.add(completion)
    db.session.flush()
    return completion


def try_complete(account, person_id: int, requirement: Requirement) -> Completion | None:
    """Complete a staged requirement the moment its last stage passes."""
    if not requirement.stages or missing_for_completion(person_id, requirement):
        return None
    return complete(account, person_id, requirement)


# Theory -----------------------------------------------------------------------------------

def questions(requirement_id: int, active_only: bool = True) -> list[Question]:
    query = select(Question).where(Question.requirement_id == requirement_id).order_by(Question.position, Question.id)
    if active_only:
        query = query.where(Question.active.is_(True))
    return list(db.session.scalars(query))


def _answer_letters(text: str, kind: str, options: list[str]) -> list[int]:
    raw = str(text or "").strip().upper().replace("，", ",").replace("、", ",").replace(" ", "")
    if kind == "true_false":
        mapping = {"对": 0, "T": 0, "TRUE": 0, "√": 0, "错": 1, "F": 1, "FALSE": 1, "×": 1}
        if raw not in mapping:
            raise ServiceError(_l("Give the answer as 对 or 错."), "answer")
        return [mapping[raw]]
    letters = [part for part in (raw.split(",") if "," in raw else list(raw)) if part]
    if not letters or any(letter not in LETTERS[:len(options)] for letter in letters):
        raise ServiceError(_l("Give the right options by letter, such as B or A,C."), "answer")
    chosen = sorted({LETTERS.index(letter) for letter in letters})
    if kind == "single" and len(chosen) != 1:
        raise ServiceError(_l("A single-choice question has exactly one right option."), "answer")
    if kind == "multiple" and len(chosen) < 2:
        raise ServiceError(_l("A multiple-choice question has at least two right options."), "answer")
    return chosen


def add_question(account, requirement_id: int, kind: str, text: str, options_text: str, answer: str) -> Question:
    requirement = services.get_requirement(requirement_id)
    if kind not in QUESTION_KINDS:
        raise ServiceError(_l("Choose the kind of question."), "kind")
    text = (text or "").strip()
    if len(text) < 4:
        raise ServiceError(_l("Write the question."), "text")
    options = list(TRUE_FALSE) if kind == "true_false" else [
        line.strip() for line in (options_text or "").splitlines() if line.strip()]
    if kind != "true_false" and not 2 <= len(options) <= len(LETTERS):
        raise ServiceError(_l("Give 2 to 8 options, one per line."), "options")
    right = _answer_letters(answer, kind, options)
    position = (db.session.scalar(select(func.max(Question.position)).where(
        Question.requirement_id == requirement.id)) or 0) + 1
    question = Question(requirement_id=requirement.id, kind=kind, text=text[:500], options=[o[:200] for o in options],
                        answer=right, position=position)
    db.session.add(question)
    db.session.flush()
    audit.record("training", "question.added", requirement, after={"question": text[:80]}, summary=requirement.name_zh)
    return question


def retire_question(account, question_id: int) -> Question:
    question = get_or_raise(Question, question_id, _l("No such question."))
    question.active = False
    db.session.flush()
    return question


def attempts(person_id: int, requirement_id: int, this_cycle: bool = True) -> list[QuizAttempt]:
    query = select(QuizAttempt).where(QuizAttempt.person_id == person_id, QuizAttempt.requirement_id == requirement_id)
    if this_cycle:
        query = query.where(QuizAttempt.started_at > _cycle_start(person_id, requirement_id))
    return list(db.session.scalars(query.order_by(QuizAttempt.number)))


def sittings_left(person_id: int, requirement: Requirement) -> int:
    used = sum(1 for a in attempts(person_id, requirement.id) if a.submitted_at is not None)
    return max(0, 1 + requirement.retakes - used)


def start_quiz(account, requirement_id: int) -> QuizAttempt:
    """A sitting of the theory test: the questions drawn in a random order, each one's
    options shuffled; an unfinished sitting is taken up again (a second tap, a reload)."""
    from schoolhq.auth.services import locked_account

    requirement = services.get_requirement(requirement_id)
    if account is None or not account.person_id:
        raise ServiceError(_l("Sign in with your own account to take the test."))
    locked_account(account.id)  # two taps at once start one sitting
    if "theory" not in (requirement.stages or []):
        raise ServiceError(_l("This training has no theory test."))
    mine = attempts(account.person_id, requirement.id)
    open_one = next((a for a in mine if a.submitted_at is None), None)
    if open_one is not None:
        return open_one
    if "theory" in passed_stages(account.person_id, requirement):
        raise ServiceError(_l("You have passed this test already."))
    if sittings_left(account.person_id, requirement) == 0:
        raise ServiceError(_l("No retakes left (%(n)s sittings used): ask the training office.",
                              n=1 + requirement.retakes))
    bank = questions(requirement.id)
    if not bank:
        raise ServiceError(_l("The question bank of this training is empty."))
    draw = random.SystemRandom()
    chosen = draw.sample(bank, min(requirement.quiz_size or len(bank), len(bank)))
    drawn = []
    for question in chosen:
        order = list(range(len(question.options)))
        if question.kind != "true_false":
            draw.shuffle(order)
        drawn.append({"id": question.id, "options": order})
    number = (db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.person_id == account.person_id, QuizAttempt.requirement_id == requirement.id)) or 0) + 1
    attempt = QuizAttempt(person_id=account.person_id, requirement_id=requirement.id, number=number, drawn=drawn,
                          pass_mark_percent=requirement.pass_mark_percent)
    db.session.add(attempt)
    db.session.flush()
    return attempt


@dataclass
class Shown:
    """A drawn question as the trainee sees it: its options in the drawn order."""

    question: Question
    options: list[tuple[int, str]]
    chosen: list[int]

    @property
    def right(self) -> list[int]:
        return self.question.answer


def shown(attempt: QuizAttempt) -> list[Shown]:
    by_id = {q.id: q for q in db.session.scalars(select(Question).where(
        Question.id.in_([d["id"] for d in attempt.drawn] or [-1])))}
    return [Shown(by_id[d["id"]], [(index, by_id[d["id"]].options[index]) for index in d["options"]],
                  list((attempt.answers or {}).get(str(d["id"]), []))) for d in attempt.drawn if d["id"] in by_id]


def submit_quiz(account, attempt_id: int, given: dict[int, list[int]]) -> QuizAttempt:
    """Mark a sitting: every question answered (one option for single choice and true or
    false, one or more for multiple), scored against the pass mark fixed when it began."""
    attempt = locked(QuizAttempt, attempt_id, _l("No such test sitting."))
    if account is None or attempt.person_id != account.person_id:
        raise ServiceError(_l("This is someone else's test."))
    if attempt.submitted_at is not None:
        return attempt
    items = shown(attempt)
    unanswered = [str(n) for n, item in enumerate(items, start=1) if not given.get(item.question.id)]
    if unanswered:
        raise ServiceError(_l("Answer every question first: %(numbers)s.", numbers="、".join(unanswered)))
    answers, right = {}, 0
    for item in items:
        chosen = sorted({int(v) for v in given[item.question.id]})
        allowed = {index for index, _text in item.options}
        if not set(chosen) <= allowed or (item.question.kind != "multiple" and len(chosen) != 1):
            raise ServiceError(_l("Choose one option for each single-choice or true-or-false question."))
        answers[str(item.question.id)] = chosen
        right += chosen == sorted(item.question.answer)
    attempt.answers = answers
    attempt.score_percent = right * 100 // len(items)
    attempt.passed = attempt.score_percent >= attempt.pass_mark_percent
    attempt.submitted_at = utcnow()
    requirement = db.session.get(Requirement, attempt.requirement_id)
    db.session.add(StageResult(
        person_id=attempt.person_id, requirement_id=requirement.id, stage="theory", passed=attempt.passed,
        on=local_today(), attempt_id=attempt.id, detail=[{"score": attempt.score_percent}],
        reason="" if attempt.passed else str(_l("score %(score)s, pass mark %(mark)s", score=attempt.score_percent,
                                                   mark=attempt.pass_mark_percent))))
    db.session.flush()
    try_complete(account, attempt.person_id, requirement)
    return attempt


def record_paper_test(account, person_id: int, requirement_id: int, score: str) -> QuizAttempt:
    """A theory test sat on paper (a kitchen helper without a sign-in), its score entered
    by an assessor: a sitting like one on a phone, within the same retake limit."""
    from schoolhq.people.services import get_person

    requirement = services.get_requirement(requirement_id)
    person = get_person(person_id)
    if not may_assess(account, person.id):
        raise ServiceError(_l("Assessors sign off others' practicals, not their own."))
    if "theory" not in (requirement.stages or []):
        raise ServiceError(_l("This training has no theory test."))
    text = str(score or "").strip().rstrip("%％分")
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 100:
        raise ServiceError(_l("Enter the score in per cent, from 0 to 100."), "score")
    if "theory" in passed_stages(person.id, requirement):
        raise ServiceError(_l("%(name)s has passed this test already.", name=person.name))
    if sittings_left(person.id, requirement) == 0:
        raise ServiceError(_l("No retakes left (%(n)s sittings used): ask the training office.",
                              n=1 + requirement.retakes))
    number = (db.session.scalar(select(func.max(QuizAttempt.number)).where(
        QuizAttempt.person_id == person.id, QuizAttempt.requirement_id == requirement.id)) or 0) + 1
    attempt = QuizAttempt(person_id=person.id, requirement_id=requirement.id, number=number, drawn=[], answers={},
                          pass_mark_percent=requirement.pass_mark_percent, score_percent=int(text),
                          passed=int(text) >= requirement.pass_mark_percent, submitted_at=utcnow())
    db.session.add(attempt)
    db.session.flush()
    db.session.add(StageResult(
        person_id=person.id, requirement_id=requirement.id, stage="theory", passed=attempt.passed, on=local_today(),
        attempt_id=attempt.id, detail=[{"score": attempt.score_percent, "paper": True}], assessor_id=account.id,
        reason="" if attempt.passed else str(_l("score %(score)s, pass mark %(mark)s", score=attempt.score_percent,
                                                   mark=attempt.pass_mark_percent))))
    db.session.flush()
    try_complete(account, person.id, requirement)
    return attempt


# Practical and on the job ---------------------------------------------------------------------

def may_assess(account, person_id: int) -> bool:
    return can(account, "training.assess") and account.person_id != person_id


def assess_practical(account, person_id: int, requirement_id: int, steps: list[tuple[bool | None, str]],
                     reason: str = "", retry_on: date | None = None, signature: str = "") -> StageResult:
    """The assessor's checklist: every step passed or not yet (a step not yet says why);
    not yet as a whole needs a reason and a retry day after today; signed by the assessor."""
    from schoolhq.core.uploads import save_signature
    from schoolhq.people.services import get_person

    requirement = services.get_requirement(requirement_id)
    person = get_person(person_id)
    if not may_assess(account, person.id):
        raise ServiceError(_l("Assessors sign off others' practicals, not their own."))
    if "practical" not in (requirement.stages or []):
        raise ServiceError(_l("This training has no practical."))
    if "practical" in passed_stages(person.id, requirement):
        raise ServiceError(_l("%(name)s has passed this stage already.", name=person.name))
    checklist = requirement.practical_steps or []
    if len(steps) != len(checklist) or any(passed is None for passed, _note in steps):
        raise ServiceError(_l("Mark every step passed or not yet."), "steps")
    detail = []
    for text, (passed, note) in zip(checklist, steps, strict=True):
        note = (note or "").strip()[:200]
        if not passed and not note:
            raise ServiceError(_l("Say what was not yet right at “%(step)s”.", step=text[:40]), "steps")
        detail.append({"step": text, "passed": bool(passed), "note": note})
    passed_all = all(row["passed"] for row in detail)
    reason = (reason or "").strip()
    if not passed_all:
        if len(reason) < 2:
            raise ServiceError(_l("Say why it is not yet passed."), "reason")
        retry_on = retry_on or local_today() + timedelta(
            days=services.domain()["assessment_defaults"]["practical"]["retry_after_days"])
        if retry_on <= local_today():
            raise ServiceError(_l("The retry is on a day after today."), "retry_on")
    signed = save_signature(signature, _l("The assessor signs first."))
    result = StageResult(person_id=person.id, requirement_id=requirement.id, stage="practical", passed=passed_all,
                         on=local_today(), detail=detail, reason="" if passed_all else reason[:300],
                         retry_on=None if passed_all else retry_on, assessor_id=account.id, signature_id=signed.id)
    db.session.add(result)
    db.session.flush()
    audit.record("training", "practical.assessed", requirement, after={"trainee": person.name, "passed": passed_all},
                 summary=f"{person.name} {requirement.name_zh}")
    if passed_all:
        try_complete(account, person.id, requirement)
    elif person.account is not None:
        from schoolhq.core.notifications import notify

        notify(person.account.id, "training", _l("Practical not yet passed: retry on %(day)s",
                                                   day=retry_on.isoformat()), reason[:200],
               f"/training/people/{person.id}")
    return result


def on_job_progress(person_id: int, requirement: Requirement) -> tuple[int, list[dict]]:
    """The person's own rounds of the requirement's check since their other stages passed
    (or this cycle began): how many good ones in a row now, and each round read."""
    since = _cycle_start(person_id, requirement.id)
    rounds = _own_rounds(person_id, {requirement.on_job_template})
    return _streak([r for r in rounds.get(requirement.on_job_template, []) if r.submitted_at > since])


def _own_rounds(person_id: int, template_keys) -> dict[str, list]:
    """Template key -> the person's submitted rounds of it, oldest first (plain columns)."""
    from schoolhq.auth.models import Account
    from schoolhq.checks.models import CheckRound

    template_keys = [key for key in template_keys if key]
    if not template_keys:
        return {}
    account_id = db.session.scalar(select(Account.id).where(Account.person_id == person_id))
    rounds: dict[str, list] = {}
    for row in db.session.execute(select(CheckRound.id, CheckRound.template_key, CheckRound.period,
                                         CheckRound.submitted_at, CheckRound.due_at, CheckRound.failed_count)
                                  .where(CheckRound.template_key.in_(template_keys),
                                         CheckRound.status == "submitted",
                                         CheckRound.submitted_by_id == (account_id or -1))
                                  .order_by(CheckRound.submitted_at)):
        rounds.setdefault(row.template_key, []).append(row)
    return rounds


def _streak(rows) -> tuple[int, list[dict]]:
    streak, read = 0, []
    for row in rows:
        good = row.submitted_at <= row.due_at and not row.failed_count
        streak = streak + 1 if good else 0
        read.append({"round": row.id, "period": row.period, "on_time": row.submitted_at <= row.due_at,
                     "failed": row.failed_count, "good": good})
    return streak, read


def evaluate_on_job() -> int:
    """The daily reading of everyone's own rounds: on-the-job stages passed by now."""
    passed = 0
    for requirement in services.requirements():
        if "on_the_job" not in (requirement.stages or []) or not requirement.on_job_template:
            continue
        for person_id in services.needs().of(requirement):
            if "on_the_job" in passed_stages(person_id, requirement):
                continue
            streak, read = on_job_progress(person_id, requirement)
            if streak >= requirement.on_job_records:
                db.session.add(StageResult(person_id=person_id, requirement_id=requirement.id, stage="on_the_job",
                                           passed=True, on=local_today(), detail=read[-requirement.on_job_records:]))
                db.session.flush()
                try_complete(None, person_id, requirement)
                passed += 1
    return passed


def observe(account, person_id: int, requirement_id: int, note: str, signature: str) -> StageResult:
    """An assessor watched the person do the work during a round: the on-the-job stage
    passed by observation, with what was seen."""
    from schoolhq.core.uploads import save_signature
    from schoolhq.people.services import get_person

    requirement = services.get_requirement(requirement_id)
    person = get_person(person_id)
    if not may_assess(account, person.id):
        raise ServiceError(_l("Assessors sign off others' practicals, not their own."))
    if "on_the_job" not in (requirement.stages or []):
        raise ServiceError(_l("This training has no on-the-job stage."))
    if "on_the_job" in passed_stages(person.id, requirement):
        raise ServiceError(_l("%(name)s has passed this stage already.", name=person.name))
    note = (note or "").strip()
    if len(note) < 4:
        raise ServiceError(_l("Write what you saw the person do."), "note")
    signed = save_signature(signature, _l("The assessor signs first."))
    result = StageResult(person_id=person.id, requirement_id=requirement.id, stage="on_the_job", passed=True,
                         on=local_today(), detail=[{"observation": note[:300]}], assessor_id=account.id,
                         signature_id=signed.id)
    db.session.add(result)
    db.session.flush()
    try_complete(account, person.id, requirement)
    return result


@dataclass
class StageRow:
    stage: str
    passed: bool
    last: StageResult | None
    #: theory: sittings left; on the job: good rounds in a row of how many
    progress: str = ""


def stage_rows(person_id: int, requirement: Requirement) -> list[StageRow]:
    return stage_table(person_id, [requirement])[requirement.id]


def stage_table(person_id: int, the_requirements: list[Requirement]) -> dict[int, list[StageRow]]:
    """Requirement id -> each stage it names, for one person, this cycle: read in five
    queries however many requirements (a person's record shows all of theirs)."""
    staged = [r for r in the_requirements if r.stages]
    ids = [r.id for r in staged]
    if not ids:
        return {r.id: [] for r in the_requirements}
    starts = dict(db.session.execute(
        select(Completion.requirement_id, func.max(Completion.created_at)).where(
            Completion.person_id == person_id, Completion.requirement_id.in_(ids), Completion.withdrawn_at.is_(None))
        .group_by(Completion.requirement_id)).all())
    since = {r.id: starts.get(r.id) or datetime(2000, 1, 1) for r in staged}
    results: dict[int, list[StageResult]] = {}
    for result in db.session.scalars(select(StageResult).where(
            StageResult.person_id == person_id, StageResult.requirement_id.in_(ids)).order_by(StageResult.id)):
        if result.created_at > since[result.requirement_id]:
            results.setdefault(result.requirement_id, []).append(result)
    sat: dict[int, int] = {}
    for requirement_id, started_at in db.session.execute(
            select(QuizAttempt.requirement_id, QuizAttempt.started_at).where(
                QuizAttempt.person_id == person_id, QuizAttempt.requirement_id.in_(ids),
                QuizAttempt.submitted_at.is_not(None))):
        if started_at > since[requirement_id]:
            sat[requirement_id] = sat.get(requirement_id, 0) + 1
    rounds = _own_rounds(person_id, {r.on_job_template for r in staged if "on_the_job" in r.stages})
    table: dict[int, list[StageRow]] = {r.id: [] for r in the_requirements}
    for requirement in staged:
        mine_all = results.get(requirement.id, [])
        for stage in STAGES:
            if stage not in requirement.stages:
                continue
            mine = [r for r in mine_all if r.stage == stage]
            progress = ""
            if stage == "theory":
                left = max(0, 1 + requirement.retakes - sat.get(requirement.id, 0))
                progress = str(_l("%(n)s sittings left", n=left))
            elif stage == "on_the_job" and requirement.on_job_template:
                streak, _read = _streak([r for r in rounds.get(requirement.on_job_template, [])
                                         if r.submitted_at > since[requirement.id]])
                progress = str(_l("%(n)s of %(total)s rounds in a row", n=min(streak, requirement.on_job_records),
                                  total=requirement.on_job_records))
            table[requirement.id].append(StageRow(stage, any(r.passed for r in mine), mine[-1] if mine else None,
                                                  progress))
    return table
