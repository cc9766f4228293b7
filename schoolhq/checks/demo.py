"""The demo school's checks: the canteen, water, hygiene and fire schedules, a term of
rounds behind them (a few failures with their tickets, a few missed), and today's rounds
waiting on the canteen's tablet."""

from __future__ import annotations

import io
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from schoolhq.auth.models import Account
from schoolhq.checks import findings, judging, schedules, services
from schoolhq.checks.models import CheckAnswer, CheckRound, CheckSchedule
from schoolhq.core.timeutil import local_time_utc, local_today, to_local, utcnow
from schoolhq.extensions import db
from schoolhq.places.models import Location

#: (template key, target, place name or asset kind, person's login or role, opens, due)
SCHEDULES = [
    ("canteen.meal", "location", "食堂楼", "cook", "", ""),
    ("canteen.daily", "location", "食堂楼", "canteen", "06:30", "09:30"),
    ("canteen.weekly", "location", "食堂楼", "logistics", "08:00", "17:00"),
    ("canteen.monthly", "location", "食堂楼", "logistics", "08:00", "17:00"),
    ("hygiene.daily", "location", "阳光小学", "doctor", "07:30", "16:30"),
    ("water.monthly", "asset_kind", "water_point", "logistics", "08:00", "17:00"),
    ("water.tank_monthly", "asset_kind", "water_tank", "logistics", "08:00", "17:00"),
    ("water.half_year", "asset_kind", "water_tank", "logistics", "08:00", "17:00"),
    ("water.term_start", "location", "阳光小学", "logistics", "08:00", "17:00"),
    ("fire.daily", "location", "教学楼", "repair", "07:30", "17:00"),
    ("fire.daily", "location", "综合楼", "repair", "07:30", "17:00"),
    ("fire.daily", "location", "食堂楼", "repair", "07:30", "17:00"),
    ("fire.monthly", "asset_kind", "extinguisher", "repair", "08:00", "17:00"),
    ("fire.quarterly", "location", "阳光小学", "logistics", "08:00", "17:00"),
    ("fire.yearly", "location", "阳光小学", "logistics", "08:00", "17:00"),
    ("buildings.monthly", "location", "阳光小学", "logistics", "08:00", "17:00"),
]

#: typical readings, and the ones that fail now and then
READINGS = {"core_temp": (72, 88, 64), "reheat_temp": (72, 85, 65), "fridge_temp": (2, 6, 11),
            "freezer_temp": (-20, -15, -8), "sample_fridge_temp": (2, 5, 10),
            "steam_temp": (100, 104, 96), "steam_minutes": (10, 20, 8), "infrared_temp": (120, 130, 110),
            "infrared_minutes": (10, 20, 8), "dishwasher_rinse_temp": (85, 90, 80),
            "dishwasher_rinse_seconds": (40, 60, 30), "chlorine_mg_l": (250, 300, 200), "chlorine_minutes": (5, 10, 3),
            "coliforms": (0, 0, 2), "e_coli": (0, 0, 1), "colony_count": (5, 60, 160), "colour": (0, 5, 20),
            "turbidity": (0.1, 0.6, 1.6), "ph": (6.9, 7.8, 8.9), "permanganate_index": (0.5, 2, 4),
            "free_chlorine": (0.1, 0.5, 0.02)}
#: the demo canteen disinfects by steam or in the infrared cabinet (tableware_method's first
#: two options), and fills in only the pair of readings of the method it used
METHOD_READINGS = {0: ("steam_temp", "steam_minutes"), 1: ("infrared_temp", "infrared_minutes")}


def _shared_file():
    """A scribbled signature, as a tablet would send it, shared by the demo's past rounds."""
    from PIL import Image, ImageDraw

    from schoolhq.core.uploads import save_upload

    image = Image.new("RGB", (300, 100), "white")
    ImageDraw.Draw(image).line([(20, 70), (60, 25), (90, 75), (130, 30), (170, 70), (210, 35), (270, 60)],
                               fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return save_upload(FileStorage(out, filename="signature.png"), images_only=True)


def load(_school_rng: random.Random, small: bool = False) -> None:
    days = 10 if small else 90
    rng = random.Random(6)  # its own, so the checks demo is the same whatever came before
    accounts = {a.username: a for a in db.session.scalars(select(Account))}
    places = {loc.name: loc for loc in db.session.scalars(select(Location).where(Location.kind != "room"))}
    today = local_today()
    start = today - timedelta(days=days)
    made = []
    for key, target, where, login, opens, due in SCHEDULES:
        data = schedules.ScheduleData(template_key=key, target=target, assignee_id=accounts[login].person_id,
                                      opens_time=opens or "07:00", due_time=due or "17:00", grace_minutes="120",
                                      starts_on=start)
        if target == "asset_kind":
            data.kind_key = where
        else:
            data.location_id = places[where].id
        schedule = schedules.save_schedule(data)
        schedule.created_at = datetime.combine(start, time(0))  # the demo school has had them all term
        made.append(schedule)
    schedules.materialise(today - timedelta(days=1))  # the catch-up covers the last month only
    for schedule in made:  # …so the rest of the term is made day by day
        schedule.materialised_through = None
    day = start
    while day < today:
        for schedule in made:
            schedule.materialised_through = day - timedelta(days=1)
        schedules.materialise(day)
        day += timedelta(days=1)
    file_id = _shared_file().id
    rounds = list(db.session.scalars(select(CheckRound).where(CheckRound.period_start < today,
                                                              CheckRound.status == "open")
                                     .order_by(CheckRound.opens_at)))
    now = utcnow()
    for round_ in rounds:
        _complete(round_, rng, accounts, file_id, now)
    schedules.materialise(today)
    schedules.mark_missed()
    _today(accounts, rng)
    db.session.flush()


def _answer(item, rng: random.Random, fail: bool, today: date) -> tuple[str, str, float | None]:
    if item.type == "number":
        low, high, bad = READINGS[item.key]
        value = bad if fail else round(rng.uniform(low, high), 1)
        number = float(value)
        failed = (item.min_value is not None and number < item.min_value) or \
            (item.max_value is not None and number > item.max_value)
        return ("fail" if failed else "pass"), judging.format_number(number), number
    if item.type == "select":
        index = len(item.options) - 1 if fail and item.options[-1].get("fails") else rng.randrange(0, 2)
        return ("fail" if item.options[index].get("fails") else "pass"), str(index), None
    if item.type == "date_expiry":
        when = today + timedelta(days=-3 if fail else rng.randrange(40, 300))
        return ("fail" if fail else "pass"), when.isoformat(), None
    if item.type == "text":
        return "done", "无", None
    if item.type in ("photo", "signature", "attachment"):
        return "done", "", None
    if item.type == "pass_fail_na" and not fail and item.key == "central_disinfection_cert":
        return "na", "", None
    return ("fail" if fail else "pass"), "", None


def _note(outcome: str, item) -> str:
    if outcome == "na":
        return "本餐未使用集中消毒餐具"
    return "已拍照留存" if outcome == "fail" or item.evidence == "always" else ""


def _complete(round_: CheckRound, rng: random.Random, accounts: dict, file_id: int, now: datetime) -> None:
    """Rounds opened before today: done (a few late, a few failing) or missed. Nothing is
    dated after `now`: a round whose window is still open (this month's, this quarter's)
    is either done already or left open, and only a closed window can have been missed."""
    window_open = round_.closes_at > now
    if rng.random() < 0.03:
        if not window_open:
            round_.status, round_.missed_at = "missed", round_.closes_at
        return
    account = next((a for a in accounts.values() if a.person_id == round_.assignee_id), accounts["logistics"])
    late = rng.random() < 0.08
    done_at = round_.due_at + timedelta(minutes=rng.randrange(5, 100)) if late else \
        round_.opens_at + (round_.due_at - round_.opens_at) * rng.uniform(0.1, 0.9)
    if round_.due_at - round_.opens_at > timedelta(days=1):  # a week's or month's round: done in working hours
        day = to_local(done_at).date()
        done_at = local_time_utc(day, f"{rng.randrange(8, 16):02d}:{rng.randrange(0, 60):02d}")
        done_at = min(max(done_at, round_.opens_at), round_.due_at)
    if done_at > now:
        return  # not yet done: it waits, open, on someone's list
    failing = rng.random() < 0.12
    method = METHOD_READINGS[rng.randrange(len(METHOD_READINGS))]
    slots = [slot for slot in services.slots(round_, {}) if slot.item.required or slot.item.key in method]
    bad_slot = rng.randrange(len(slots)) if failing and slots else -1
    for index, slot in enumerate(slots):
        outcome, value, number = _answer(slot.item, rng, index == bad_slot, round_.period_start)
        if slot.item.key == "tableware_method" and outcome == "pass":
            value = str(next(n for n, pair in METHOD_READINGS.items() if pair == method))
        answer = CheckAnswer(round_id=round_.id, item_id=slot.item.id, template_id=round_.template_id,
                             subject_id=slot.subject_id, value=value, number=number, outcome=outcome,
                             file_id=file_id if slot.item.type in services.FILE_TYPES else None,
                             note=_note(outcome, slot.item),
                             corrected=outcome == "fail" and slot.item.ticket == "off",
                             answered_by_id=account.id, answered_at=done_at)
        db.session.add(answer)
        slot.answer = answer
    db.session.flush()
    failed = [slot for slot in slots if slot.answer.outcome == "fail"]
    for slot in failed:
        finding = findings.raise_finding(round_, slot, account)
        finding.created_at = done_at
    round_.status, round_.started_at, round_.started_by_id = "submitted", done_at, account.id
    round_.submitted_at, round_.submitted_by_id, round_.signature_id = done_at, account.id, file_id
    round_.failed_count = len(failed)
    round_.result = "fail" if any(s.item.critical and not s.answer.corrected for s in failed) else "pass"
    db.session.flush()


def _today(accounts: dict, rng: random.Random) -> None:
    """The canteen's daily round already begun on the tablet, one fridge reading high."""
    daily = db.session.scalar(select(CheckRound).join(CheckSchedule, CheckSchedule.id == CheckRound.schedule_id)
                              .where(CheckRound.template_key == "canteen.daily", CheckRound.status == "open",
                                     CheckRound.period_start == local_today()).limit(1))
    if daily is None or daily.closes_at <= utcnow():
        return
    canteen = accounts["canteen"]
    for slot in services.slots(daily, {})[:3]:
        if slot.item.type == "number":
            services.answer(canteen, daily.id, slot.item.id, slot.subject_id,
                            judging.AnswerInput(value={"fridge_temp": "9.5", "freezer_temp": "-18"}.get(slot.item.key, "3")))
        elif slot.item.type in services.QUICK_TYPES:
            services.answer(canteen, daily.id, slot.item.id, slot.subject_id, judging.AnswerInput(outcome="pass"))
