"""The checks area: the schedules, every round they would have made over the decade, its
answers and findings; kitchen refrigeration and water tanks added to the register."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from builders.assets import ASSET_SUPPLIERS
from harness.build import (
    SCHOOL_OFFSET,
    School,
    T,
    insert_rows,
    measured_day,
    new_token,
    school_time,
)
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

# Sizes (DESIGN.md §9: 40,000 rounds with 800,000 answers; see build() for what the
# shipped templates make of it) ----------------------------------------------------------
#: the canteen building's floors are four dining halls, each with its kitchen (the room
#: named 开水间 on the floor): floor -> refrigeration on the register from the decade's start
CHECK_KITCHENS = {1: {"fridge": 8, "freezer": 4, "sample_fridge": 2},
                  2: {"fridge": 3, "freezer": 1, "sample_fridge": 1},
                  3: {"fridge": 3, "freezer": 1, "sample_fridge": 1},
                  4: {"fridge": 3, "freezer": 1, "sample_fridge": 1}}
#: the secondary-supply water tanks (in 综合楼's top-floor 开水间), also added by build()
CHECK_WATER_TANKS = 2
#: schedules that started later than the decade: template key -> the day they began, as
#: (years before now) or "school_year" (the 1 September of this school year)
CHECK_STARTED = {"water.monthly": 6, "fire.monthly": "school_year"}
#: share of closed rounds missed (30% of those begun and left unfinished), of submitted
#: rounds with a failed item (one in five with two), of rounds done after their due time
CHECK_MISSED = 0.03
CHECK_FAILING = 0.07
CHECK_LATE = 0.08
#: rounds of this month and week, window still open: share already submitted / begun
CHECK_OPEN_DONE, CHECK_OPEN_BEGUN = 0.6, 0.1
#: findings of the last CHECK_OPEN_DAYS left open (this share of those not corrected)
CHECK_OPEN_DAYS, CHECK_OPEN_SHARE = 90, 0.5

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("check_template", "check_item", "check_schedule", "check_round", "check_answer", "check_finding")

#: (template key, target, where, who, opens, due, grace minutes): where is a place ("canteen
#: floors": one schedule per floor of 食堂楼, "buildings": one per building, "teaching
#: buildings": the six with floors, or a place name) or an asset kind; who is a post below
CHECK_SCHEDULES = [
    ("canteen.meal", "location", "canteen floors", "canteen", "", "", 60),
    ("canteen.daily", "location", "canteen floors", "canteen", "06:30", "09:30", 120),
    ("canteen.weekly", "location", "食堂楼", "logistics", "08:00", "17:00", 120),
    ("canteen.monthly", "location", "食堂楼", "logistics", "08:00", "17:00", 120),
    ("hygiene.daily", "location", "阳光小学", "doctor", "07:30", "16:30", 60),
    ("water.monthly", "asset_kind", "water_point", "logistics", "08:00", "17:00", 120),
    ("water.tank_monthly", "asset_kind", "water_tank", "logistics", "08:00", "17:00", 120),
    ("water.half_year", "asset_kind", "water_tank", "logistics", "08:00", "17:00", 120),
    ("water.term_start", "location", "阳光小学", "logistics", "08:00", "17:00", 120),
    ("fire.daily", "location", "buildings", "electrician", "07:30", "17:00", 120),
    ("fire.monthly", "asset_kind", "extinguisher", "electrician", "08:00", "17:00", 120),
    ("fire.quarterly", "location", "teaching buildings", "logistics", "08:00", "17:00", 120),
    ("fire.yearly", "location", "阳光小学", "logistics", "08:00", "17:00", 120),
    ("buildings.monthly", "location", "buildings", "logistics", "08:00", "17:00", 120),
]
CHECK_KIT = {"fridge": ("冷藏冰箱", 5600, "海尔", "SC-650", {"target_temp": "0～8"}),
             "freezer": ("冷冻冰柜", 4800, "海尔", "BC/BD-519", {"target_temp": "≤-18"}),
             "sample_fridge": ("留样冰箱", 2600, "澳柯玛", "SC-230", {"lock_keeper": "食堂管理员"}),
             "water_tank": ("二次供水水箱", 26000, "", "SUS304", {"volume_m3": 12})}
#: what a failed item's note says, by the item's ticket rule (auto items are put right on the spot)
CHECK_CORRECTIONS = ["已现场整改并复查", "已调整温控，30分钟后复测合格", "已清理并消毒", "已更换，复查合格",
                     "已通知相关人员立即处理"]
CHECK_CLOSING_NOTES = ["已整改完毕", "已安排专人处理，复查合格", "供应商已补齐证照", "已补全记录", "已维修"]


def build(conn: Connection, school: School) -> None:
    """The checks area as the schedules of CHECK_SCHEDULES would have made it, played
    through the decade on the generated calendar: every round materialise() would have
    created (round_key `s{schedule}:{target}:{period}`, the window of its period, the
    per-asset subjects found on the register that day), done by whoever held the post
    then, each with its answers (the demo's readings; CHECK_FAILING with a failed item
    and its finding), CHECK_MISSED missed, a few late; this month's and week's rounds
    partly done; the rounds of the measured day (`measured_day`: today on a school day,
    else the latest school day before it) left open and not begun, closing at the end of
    tomorrow, so the bench can answer them whenever it runs, on any day. Kitchen
    refrigeration and two water tanks are added to the register first (the generated register has no freezers, food-sample fridges or
    tanks, and no fridge in the canteen). Each schedule's `materialised_through` is
    yesterday: `after_build` (once the build is committed) runs materialise() and
    expects it to find today's rounds made."""
    import bisect

    from schoolhq.checks.demo import METHOD_READINGS, _answer, _note
    from schoolhq.checks.judging import format_number
    from schoolhq.checks.schedules import DEFAULT_MEALS, TERM_LEAD_DAYS, _bounds, _last_school_day
    from schoolhq.core.calendar import is_school_day
    from schoolhq.core.timeutil import local_time_utc as at

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    measured = measured_day(today)
    decade_day = (school.start + SCHOOL_OFFSET).date()
    terms = conn.execute(select(T["school_term"].c.id, T["school_term"].c.starts_on, T["school_term"].c.ends_on)
                         .order_by(T["school_term"].c.starts_on)).all()
    # 0. Places, posts (who did each kind of check when) and the templates the seeding made.
    location = T["location"]
    places = conn.execute(select(location.c.id, location.c.kind, location.c.name, location.c.path, location.c.full_name,
                                 location.c.parent_id, location.c.responsible_person_id,
                                 location.c.archived_at)).all()
    path_of = {p.id: p.path for p in places}
    campus = next(p for p in places if p.kind == "campus")
    canteen = next(p for p in places if p.name == "食堂楼")
    floors = sorted((p for p in places if p.kind == "floor" and p.parent_id == canteen.id), key=lambda p: p.path)
    floors = sorted(floors, key=lambda p: int(p.name.rstrip("楼")))
    buildings = [p for p in places if p.kind == "building" and p.parent_id == campus.id]
    teaching = [b for b in buildings if any(p.parent_id == b.id for p in places if p.kind == "floor")]

    def room_on(floor, word: str):
        rooms = [p for p in places if p.parent_id == floor.id and p.kind == "room" and p.archived_at is None]
        return next((p for p in rooms if word in p.name), rooms[0])

    person = T["person"]
    account, grants = T["account"], T["role_assignment"]
    people = {row.id: row for row in conn.execute(select(person.c.id, person.c.name, person.c.department_id,
                                                          person.c.created_at, person.c.left_at))}
    account_of = dict(conn.execute(select(account.c.person_id, account.c.id)).all())

    def holders(code: str) -> list:
        return conn.execute(select(account.c.id, account.c.person_id, account.c.active).join(
            grants, grants.c.account_id == account.c.id).where(
            grants.c.role_id == school.role_ids[code], grants.c.location_id.is_(None)).order_by(account.c.id)).all()

    # The canteen manager may have left: the post goes to an active member of the canteen
    # staff, who is given the role (the one scoped to no department, else the first).
    managers = [h for h in holders("canteen_manager") if h.active]
    if not managers:
        successor = next(h for h in holders("canteen_staff") if h.active)
        conn.execute(insert(grants), [{"account_id": successor.id, "role_id": school.role_ids["canteen_manager"],
                                       "department_id": None, "location_id": None}])
        managers = [successor]
    current = {"canteen": managers[0].person_id,
               "doctor": next(h for h in holders("school_doctor") if h.active).person_id,
               "logistics": next(h for h in holders("logistics_head") if h.active).person_id,
               "electrician": next(h for h in holders("maintenance") if h.active and
                                   people[h.person_id].created_at <= school.start).person_id}
    former_manager = next((h.person_id for h in holders("canteen_manager") if not h.active), None)
    admin_person = conn.execute(select(account.c.person_id).where(account.c.id == school.admin_account_id)).scalar()
    # nobody's predecessor: the bench administrator, the posts' holders, the maintenance workers
    skip = {admin_person, *current.values(), *(h.person_id for h in holders("maintenance")),
            *([former_manager] if former_manager else [])}
    with_account = sorted((p for p in people.values() if p.id in account_of), key=lambda p: (p.created_at, p.id))

    def post(holder: int, department: str, earlier: int | None = None) -> list[tuple[datetime, int]]:
        """(from, person) back to the decade's start: the holder since they came (after
        `earlier`, who held it until they left), and before them whoever with an account
        had been there longest, of the post's department if anyone there was (a chain,
        when even they came later; the first of it from the start); nobody holds two posts."""
        chain = [(people[holder].created_at, holder)]
        if earlier is not None and people[earlier].left_at:
            chain = [(people[earlier].left_at, holder), (people[earlier].created_at, earlier)]
        while chain[-1][0] > school.start:
            until = chain[-1][0]
            there = [p for p in with_account if p.created_at < until and (p.left_at is None or p.left_at > until)
                     and p.id not in skip]
            there.sort(key=lambda p: (p.department_id != school.department_ids[department], p.created_at))
            if not there:  # the records begin with the app: the first one did it from the start
                chain[-1] = (school.start, chain[-1][1])
                break
            chain.append((max(there[0].created_at, school.start), there[0].id))
            skip.add(there[0].id)
        return sorted(chain)

    departments = {"canteen": "食堂", "doctor": "医务室", "logistics": "总务处", "electrician": "总务处"}
    posts = {name: post(holder, departments[name], former_manager if name == "canteen" else None)
             for name, holder in current.items()}

    def who(name: str, when: datetime) -> int:
        chain = posts[name]
        return chain[max(bisect.bisect_right([c[0] for c in chain], when) - 1, 0)][1]

    template, item_t = T["check_template"], T["check_item"]
    published = {row.key: row.id for row in conn.execute(select(template.c.key, template.c.id)
                                                         .where(template.c.status == "published"))}
    items_of: dict[int, list] = {}
    for row in conn.execute(select(item_t).order_by(item_t.c.template_id, item_t.c.position, item_t.c.id)):
        items_of.setdefault(row.template_id, []).append(row)

    # 1. Kitchen refrigeration and water tanks, registered the day before the decade's start.
    asset, event = T["asset"], T["asset_event"]
    kinds = dict(conn.execute(select(T["asset_kind"].c.key, T["asset_kind"].c.id)).all())
    category = conn.execute(select(T["asset_category"].c.id).where(T["asset_category"].c.code == "A02000000")
                            ).scalar_one()
    used_tokens = set(conn.execute(select(location.c.token)).scalars()) | set(conn.execute(select(asset.c.token)).scalars())
    next_asset = conn.execute(select(func.max(asset.c.id))).scalar_one() + 1
    booked = decade_day - timedelta(days=1)  # there before the first round
    counter = T["counter"]
    seq = conn.execute(select(counter.c.value).where(counter.c.scope == f"assets.{booked.year}")).scalar() or 0
    canteen_department = school.department_ids["食堂"]
    placed = [(room_on(floors[f - 1], "开水间"), kind, n) for f, kit in CHECK_KITCHENS.items()
              for kind, n in kit.items()]
    top_floor = max((p for p in places if p.kind == "floor" and p.parent_id == next(
        b.id for b in buildings if b.name == "综合楼")), key=lambda p: int(p.name.rstrip("楼")))
    placed.append((room_on(top_floor, "开水间"), "water_tank", CHECK_WATER_TANKS))
    kit_rows, kit_events = [], []
    for room, kind, count in placed:
        name, price, brand, model, extra = CHECK_KIT[kind]
        for n in range(count):
            seq += 1
            token = new_token(rng, used_tokens)
            created = school_time(booked, 10) + timedelta(minutes=len(kit_rows))
            number = f"ZC{booked.year}{seq:05d}"
            keeper = current["canteen"] if kind != "water_tank" else current["logistics"]
            kit_rows.append({
                "id": next_asset + len(kit_rows), "number": number, "token": token,
                "name": f"{name}{n + 1}号" if kind == "water_tank" else name, "category_id": category,
                "kind_id": kinds[kind], "tier": "fixed_asset", "brand": brand, "model": model, "spec": "",
                "serial": f"SN{rng.randrange(10**8, 10**9)}", "unit": "台", "quantity": 1,
                "unit_price_fen": price * 100, "funding_source": "财政拨款", "acquisition_method": "政府采购",
                "purchased_on": booked - timedelta(days=10), "booked_on": booked,
                "voucher_no": f"记-{booked.year}-{rng.randrange(1, 2000):04d}", "invoice_no": f"{rng.randrange(10**7, 10**8)}",
                "supplier": ASSET_SUPPLIERS[0], "warranty_until": booked + timedelta(days=365 * 3),
                "use_direction": "后勤", "department_id": canteen_department if kind != "water_tank" else
                school.department_ids["总务处"], "custodian_id": keeper, "location_id": room.id, "status": "in_use",
                "loanable": False, "extra": extra, "photo_id": None, "note": "", "next_audit_on": None,
                "created_at": created})
            kit_events.append({"asset_id": kit_rows[-1]["id"], "at": created, "kind": "registered",
                               "actor_id": school.admin_account_id, "note": "",
                               "data": {"number": number, "location": room.full_name}})
    conn.execute(insert(asset), kit_rows)
    conn.execute(insert(event), kit_events)
    conn.execute(update(counter).where(counter.c.scope == f"assets.{booked.year}").values(value=seq))

    # 2. The assets checks look at, where each was when (its moves), and when it left the register.
    kind_t = T["asset_kind"]
    watched = conn.execute(select(asset.c.id, asset.c.number, asset.c.name, asset.c.location_id, asset.c.created_at,
                                  asset.c.status, kind_t.c.key).join(kind_t, kind_t.c.id == asset.c.kind_id)
                           .where(kind_t.c.key.in_(["fridge", "freezer", "sample_fridge", "water_point",
                                                    "water_tank", "extinguisher"])).order_by(asset.c.number)).all()
    ids = {row.id for row in watched}
    moves: dict[int, list[tuple[datetime, int]]] = {}
    last_event: dict[int, datetime] = {}
    for asset_id, when, kind, data in conn.execute(select(event.c.asset_id, event.c.at, event.c.kind, event.c.data)
                                                   .order_by(event.c.at, event.c.id)):
        if asset_id not in ids:
            continue
        last_event[asset_id] = when
        if kind == "moved":
            moves.setdefault(asset_id, []).append((when, data["to"]["id"], data["from"]["id"]))
    timeline: dict[int, tuple[list[datetime], list[int]]] = {}
    for row in watched:
        steps = moves.get(row.id, [])
        first = steps[0][2] if steps else row.location_id
        timeline[row.id] = ([row.created_at] + [s[0] for s in steps], [first] + [s[1] for s in steps])
    gone = {row.id: last_event[row.id] for row in watched if row.status in ("disposed", "lost")}
    by_kind: dict[str, list] = {}
    for row in watched:
        by_kind.setdefault(row.key, []).append(row)
    label = {row.id: f"{row.name} {row.number}" for row in watched}

    def on_register(kind: str, when: datetime, under: str = "") -> list[tuple[int, int]]:
        """(asset id, its place) of the kind on the register at `when`, by number."""
        found = []
        for row in by_kind.get(kind, []):
            if row.created_at > when or (row.id in gone and gone[row.id] <= when):
                continue
            times, where = timeline[row.id]
            place = where[bisect.bisect_right(times, when) - 1]
            if path_of[place].startswith(under):
                found.append((row.id, place))
        return found

    # 3. The schedules.
    def begins(key: str) -> date:
        started = CHECK_STARTED.get(key)
        if started == "school_year":
            return date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        if started:
            return (now - timedelta(days=round(365.25 * started)) + SCHOOL_OFFSET).date()
        return decade_day

    schedules = []
    for key, target, where, holder, opens, due, grace in CHECK_SCHEDULES:
        if where == "canteen floors":
            spots = [f.id for f in floors]
        elif where == "buildings":
            spots = [b.id for b in buildings]
        elif where == "teaching buildings":
            spots = [b.id for b in teaching]
        elif target == "asset_kind":
            spots = [None]
        else:
            spots = [next(p.id for p in places if p.name == where)]
        for spot in spots:
            starts = begins(key)
            schedules.append({
                "id": len(schedules) + 1, "template_key": key, "target": target, "location_id": spot,
                "kind_key": where if target == "asset_kind" else "",
                "frequency": conn.execute(select(template.c.frequency).where(template.c.id == published[key])
                                          ).scalar_one(),
                "meals": [], "opens_time": opens or "07:00", "due_time": due or "17:00", "grace_minutes": grace,
                "assignee_id": current[holder], "assignee_role": "", "starts_on": starts,
                "materialised_through": today - timedelta(days=1), "active": True,
                "created_at": school_time(starts, 8) - timedelta(days=3), "_post": holder})

    # 4. Every period of every schedule, from its start to today, as materialise() makes them.
    def periods(schedule: dict, day: date) -> list[tuple[str, date, datetime, datetime]]:
        frequency = schedule["frequency"]
        if frequency == "term_start":  # made on the first day of the lead time materialise ran
            return [(f"term:{t.id}", t.starts_on, at(day, schedule["opens_time"]), at(t.starts_on, schedule["due_time"]))
                    for t in terms if t.starts_on - timedelta(days=TERM_LEAD_DAYS) <= day <= t.starts_on]
        if not is_school_day(day):
            return []
        if frequency == "school_day":
            return [(day.isoformat(), day, at(day, schedule["opens_time"]), at(day, schedule["due_time"]))]
        if frequency == "per_meal":
            return [(f"{day.isoformat()} {meal['key']}", day, at(day, meal["start"]), at(day, meal["end"]))
                    for meal in DEFAULT_MEALS]
        # a week's, month's … period opens on each of its school days for whatever target
        # has no round of it yet (an asset registered mid-month gets this month's the next
        # school day): materialise() runs daily with `since` the day after the last run
        key, first, last = _bounds(frequency, day)
        return [(key, day, at(day, schedule["opens_time"]), at(_last_school_day(first, last), schedule["due_time"]))]

    rounds: list[dict] = []
    made: set[str] = set()
    for schedule in schedules:
        template_id = published[schedule["template_key"]]
        items = items_of[template_id]
        per_items = [item for item in items if item.per.startswith("asset_kind:")]
        day = schedule["starts_on"]
        while day <= today:
            for key, start, opens_at, due_at in periods(schedule, day):
                when = now if day == today else opens_at
                if schedule["target"] == "asset_kind":
                    targets = [(f"asset:{asset_id}", place, asset_id)
                               for asset_id, place in on_register(schedule["kind_key"], when)]
                else:
                    targets = [(f"location:{schedule['location_id']}", schedule["location_id"], None)]
                for target_key, place, asset_id in targets:
                    round_key = f"s{schedule['id']}:{target_key}:{key}"
                    if round_key in made:
                        continue
                    made.add(round_key)
                    subjects = {str(item.id): [a for a, _p in on_register(item.per.split(":", 1)[1], when,
                                                                          path_of[place])]
                                for item in per_items}
                    rounds.append({
                        "template_id": template_id, "template_key": schedule["template_key"],
                        "schedule_id": schedule["id"], "round_key": round_key,
                        "period": key, "period_start": start, "location_id": place, "asset_id": asset_id,
                        "subjects": subjects, "opens_at": opens_at, "due_at": due_at,
                        "closes_at": due_at + timedelta(minutes=schedule["grace_minutes"]), "status": "open",
                        "assignee_id": who(schedule["_post"], opens_at), "assignee_role": "",
                        "started_by_id": None, "started_at": None, "submitted_by_id": None, "submitted_at": None,
                        "signature_id": None, "result": None, "failed_count": 0, "revision": 1, "amends_id": None,
                        "amend_reason": "", "missed_at": None, "_today": day == measured, "_post": schedule["_post"]})
            day += timedelta(days=1)
    rounds.sort(key=lambda r: (r["opens_at"], r["schedule_id"], r["round_key"]))

    # 5. What became of each round: its answers, failures and findings.
    answers, findings = [], []
    tomorrow_ends = school_time(today + timedelta(days=2), 0)
    recent = now - timedelta(days=CHECK_OPEN_DAYS)
    for number, row in enumerate(rounds, start=1):
        row["id"] = number
        if row.pop("_today"):
            row["closes_at"] = max(row["closes_at"], tomorrow_ends)  # the bench may run hours later
            continue
        items = items_of[row["template_id"]]
        method = METHOD_READINGS[rng.randrange(len(METHOD_READINGS))]  # optional items: the method used
        slots = [(item, subject) for item in items if item.required or item.key in method for subject in
                 (row["subjects"].get(str(item.id), []) if item.per else [0])]
        late = False
        if row["closes_at"] > now:  # this week's or month's round, still open: done, begun or not yet
            fate = rng.random()
            if CHECK_OPEN_DONE <= fate < 1 - CHECK_OPEN_BEGUN:
                continue
            submitted = fate < CHECK_OPEN_DONE
        elif rng.random() < CHECK_MISSED:
            row["missed_at"] = row["closes_at"]
            submitted = False
            if rng.random() >= 0.3:
                continue  # nobody began it
        else:
            submitted, late = True, rng.random() < CHECK_LATE
        end = min(row["due_at"], now)
        done = (row["due_at"] + (row["closes_at"] - row["due_at"]) * rng.uniform(0.05, 0.9)) if late else \
            row["opens_at"] + (end - row["opens_at"]) * rng.uniform(0.1, 0.9)
        done = done.replace(microsecond=0)
        taken = slots if submitted else slots[:rng.randrange(1, max(len(slots), 2))]
        started = done - timedelta(seconds=25 * len(taken) + rng.randrange(30, 300))
        actor = account_of[row["assignee_id"]]
        failing: set[int] = set()
        if submitted and rng.random() < CHECK_FAILING:
            can_fail = [n for n, (item, _s) in enumerate(slots) if item.type not in ("text", "photo", "signature",
                                                                                      "attachment")]
            failing = set(rng.sample(can_fail, min(len(can_fail), 2 if rng.random() < 0.2 else 1)))
        failed, critical = 0, False
        for index, (item, subject) in enumerate(taken):
            outcome, value, reading = _answer(item, rng, index in failing, row["period_start"])
            # an item answered "not applicable" by its method says why (the database asks it)
            note, corrected = (_note(outcome, item) if outcome == "na" else ""), False
            if outcome == "fail":
                corrected = item.ticket == "auto" or (item.ticket == "off" and rng.random() < 0.7)
                note = rng.choice(CHECK_CORRECTIONS) if corrected else "已拍照留存"
                failed += 1
                critical = critical or (item.critical and not corrected)
            elif item.type == "pass_fail_na" and rng.random() < 0.15:
                outcome, note = "na", "本次不适用"
            answers.append({"id": len(answers) + 1, "round_id": number, "item_id": item.id,
                            "template_id": row["template_id"], "subject_id": subject, "value": value,
                            "number": reading, "outcome": outcome, "note": note, "photo_id": None, "file_id": None,
                            "corrected": corrected, "answered_by_id": actor,
                            "answered_at": started + timedelta(seconds=25 * (index + 1))})
            if outcome != "fail" or not submitted:
                continue
            # the finding, worded as services.answer_summary words it
            text = item.prompt_zh + (f" ({label[subject]})" if subject else "")
            if item.type == "number":
                low, high = format_number(item.min_value), format_number(item.max_value)
                allowed = f"{low}–{high}" if low and high else (f"≥ {low}" if low else f"≤ {high}")
                text += f": {value} {item.unit}".rstrip() + f" (allowed {allowed} {item.unit}".rstrip() + ")"
            elif item.type == "select":
                text += f": {item.options[int(value)]['zh']}"
            elif item.type == "date_expiry":
                text += f": {value}"
            else:
                text += ": Fail"
            status, closed_by, closed_at, closing = "closed", account_of[who("logistics", done)], \
                done + timedelta(hours=rng.uniform(2, 96)), rng.choice(CHECK_CLOSING_NOTES)
            if corrected:
                status, closed_by, closed_at, closing = "corrected", None, done, note
            elif closed_at > now or (done > recent and rng.random() < CHECK_OPEN_SHARE):
                status, closed_by, closed_at, closing = "open", None, None, ""
            findings.append({"round_id": number, "answer_id": len(answers), "item_id": item.id,
                             "location_id": row["location_id"], "asset_id": subject or row["asset_id"],
                             "summary": text[:500], "status": status, "ticket_proposed": item.ticket == "suggest",
                             "ticket_id": None, "note": closing, "photo_id": None, "closed_by_id": closed_by,
                             "closed_at": closed_at, "created_at": done})
        row["started_by_id"], row["started_at"] = actor, started
        if submitted:
            row["submitted_by_id"], row["submitted_at"] = actor, done
            row["failed_count"], row["result"] = failed, "fail" if critical else "pass"
    for row in rounds:
        row.pop("_post")
    for row in schedules:
        row.pop("_post")
    conn.execute(insert(T["check_schedule"]), schedules)
    insert_rows(conn, "check_round", rounds, 10_000)
    insert_rows(conn, "check_answer", answers)
    # The database freezes submitted and missed rounds and their answers: the rounds went in
    # open, their answers after them, and now they are closed, one status at a time.
    check_round = T["check_round"]
    conn.execute(update(check_round).where(check_round.c.submitted_at.is_not(None)).values(status="submitted"))
    conn.execute(update(check_round).where(check_round.c.missed_at.is_not(None)).values(status="missed"))
    conn.execute(update(check_round).where(check_round.c.status == "open", check_round.c.started_at.is_not(None))
                 .values(status="in_progress"))
    conn.execute(insert(T["check_finding"]), findings)
    states: dict[str, int] = {}
    for row in conn.execute(select(check_round.c.status, func.count()).group_by(check_round.c.status)):
        states[row[0]] = row[1]
    print(f"    (checks: {len(schedules)} schedules, {len(rounds):,} rounds ("
          + ", ".join(f"{state} {n:,}" for state, n in sorted(states.items(), key=lambda s: -s[1]))
          + f"), {len(answers):,} answers, {len(findings):,} findings; {len(kit_rows)} assets added)", flush=True)


def after_build(app) -> None:
    """After the build: schedules.materialise() finds today's rounds already made (the
    keys are the ones it would give them), so it creates nothing."""
    from schoolhq.checks import schedules
    from schoolhq.checks.models import CheckRound
    from schoolhq.extensions import db

    with app.test_request_context("/tick"):
        before = db.session.scalar(select(func.max(CheckRound.id))) or 0
        created = schedules.materialise()
        made = list(db.session.scalars(select(CheckRound.round_key).where(CheckRound.id > before))) if created else []
        db.session.rollback()
    assert created == 0, f"materialise() made {created} more rounds: {made[:5]}"

