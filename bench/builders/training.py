"""Training (培训): the 6 requirements the seeding makes and 14 more, so the school keeps 20
(by role, department or the canteen's roster; completions lasting 6, 12, 24 or 36 months,
or to a fixed day each year; two more with a theory test and a practical, one counting
hours a year), and a decade of their sessions: each requirement's sessions in its months
of the school year with make-up sessions for big groups, a fire drill each term, each
roster drawn as `plan_session` draws it (who needs it and is not valid that day) from the
people there then, attendance marked and confirmed by the trainer, completions for those
who attended (a staged requirement's once its theory test and practical have passed),
a few lines amended after confirmation, a few sessions cancelled, the last days' sessions
awaiting confirmation and a few renewals planned for the coming weeks. Today's standings
are what that history leaves: mostly valid, some expiring, expired or missing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

from builders.hazards import post_holders
from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

# Sizes (issue 16: "150 staff × 20 requirements × 10 years") ------------------------------
#: the requirements added to the seeded 6: key, zh, en, category, roles, departments (by
#: name, with those below them), validity ("months" with its months, or "yearly_on" with
#: its MM-DD), renewal window in days, hours a year, stages
TRAINING_ADDED = [
    ("first_aid", "急救技能培训（心肺复苏与AED）", "First aid (CPR and AED)", "other", ["school_doctor"],
     ["体育组", "医务室", "安保组"], ("months", 24), 60, None, ["theory", "practical"]),
    ("lab_chemicals", "实验室与危险化学品安全管理", "Laboratory and hazardous-chemical safety", "equipment",
     ["storekeeper"], ["综合组"], ("months", 12), 30, None, ["theory"]),
    ("security_guard", "保安员岗位培训", "Security guards' training", "other", [], ["安保组"], ("months", 12), 30,
     None, []),
    ("anti_terror", "校园反恐防暴演练", "Anti-violence and lockdown drill", "other", ["logistics_head", "principal"],
     ["安保组"], ("months", 6), 30, None, []),
    ("child_protection", "未成年人保护与防欺凌专题培训", "Child protection and anti-bullying", "other", [],
     ["教务处", "德育处"], ("yearly_on", "08-31"), 30, None, []),
    ("cpd", "教师继续教育（校本研修）", "Teachers' continuing development", "other", [], ["教务处"],
     ("yearly_on", "12-31"), 60, 24, []),
    ("ethics", "师德师风专题培训", "Professional ethics", "other", ["principal"], ["教务处", "德育处", "校长室"],
     ("months", 36), 60, None, []),
    ("it_security", "网络与信息安全培训", "Network and information security", "other", [], ["信息中心", "办公室"],
     ("months", 24), 30, None, []),
    ("accounting", "会计人员继续教育", "Accountants' continuing education", "other", ["accountant"], ["财务室"],
     ("yearly_on", "12-31"), 60, None, []),
    ("special_equipment", "特种设备安全管理（电梯、锅炉、压力容器）", "Special equipment safety", "equipment",
     ["maintenance", "logistics_head"], [], ("months", 36), 60, None, []),
    ("allergens", "食物过敏原与营养配餐", "Food allergens and balanced meals", "food_safety",
     ["canteen_manager", "canteen_staff"], [], ("months", 24), 30, None, []),
    ("infection_control", "传染病防控与晨午检", "Infectious disease control", "hygiene", ["school_doctor"],
     ["德育处", "医务室"], ("months", 12), 30, None, []),
    ("sports_injury", "体育运动损伤预防与处置", "Sports injuries: prevention and care", "other", [], ["体育组"],
     ("months", 24), 30, None, []),
    ("gate_duty", "校门护导与交通安全", "Gate duty and road safety", "other", [], ["安保组", "德育处"],
     ("months", 12), 30, None, []),
]
#: the added staged requirements' practicals and question banks (kind, text, options, answer)
TRAINING_PRACTICAL = {"first_aid": ["判断意识与呼吸，呼叫120并取AED", "胸外按压位置、深度5–6厘米、频率100–120次/分",
                                    "开放气道，人工呼吸两次", "AED电极片贴放位置正确，按提示除颤"]}
TRAINING_QUESTIONS = {
    "first_aid": [
        ("single", "成人胸外按压的频率应为每分钟多少次？", ["60–80次", "80–100次", "100–120次", "120–140次"], [2]),
        ("single", "成人胸外按压深度应为：", ["2–3厘米", "3–4厘米", "5–6厘米", "7–8厘米"], [2]),
        ("true_false", "AED分析心律时，施救者应继续按压并接触患者。", None, [1]),
        ("multiple", "发现有人倒地，正确的做法包括：", ["确认环境安全", "判断意识和呼吸", "呼叫120", "立即喂水"], [0, 1, 2]),
        ("true_false", "学生运动中扭伤，应先冷敷，24小时后再热敷。", None, [0]),
    ],
    "lab_chemicals": [
        ("single", "危险化学品应由几人共同管理、双锁保管？", ["一人", "两人", "三人", "不限"], [1]),
        ("true_false", "浓硫酸稀释时应将水缓慢倒入浓硫酸中。", None, [1]),
        ("multiple", "实验室发生化学品溅入眼睛，应：", ["立即用大量流动清水冲洗", "揉眼睛", "冲洗至少15分钟", "及时就医"],
         [0, 2, 3]),
        ("single", "易制毒、易制爆化学品的领用记录至少保存多久？", ["半年", "一年", "两年", "不用保存"], [2]),
        ("true_false", "过期化学试剂可直接倒入下水道。", None, [1]),
    ],
}
#: each requirement's sessions: the months of the school year they are held in (a
#: requirement counting hours holds all of these, everyone needing it on the roster), their
#: length in minutes, and the trainer: a post's holder of the day (the check template whose
#: rounds he does) or someone from outside
TRAINING_SCHEDULE = {
    "food_safety": ([3, 9], 120, "区市场监督管理局 食品安全科"),
    "fire_safety": ([11], 90, "区消防救援大队 宣传科"),
    "equipment_safety": ([4], 180, "post:buildings.monthly"),
    "cleaning": ([10], 60, "post:hygiene.daily"),
    "water_hygiene": ([3], 90, "区疾病预防控制中心 卫生科"),
    "food_safety_officer": ([3, 4, 6, 10, 11], 480, "市餐饮行业协会 食品安全管理员培训班"),
    "first_aid": ([10], 180, "市红十字会 应急救护培训中心"),
    "lab_chemicals": ([9], 120, "区教育局 装备中心"),
    "security_guard": ([3], 120, "区公安分局 治安大队"),
    "anti_terror": ([3, 10], 60, "post:buildings.monthly"),
    "child_protection": ([9], 90, "区教育局 德育科"),
    "cpd": ([3, 4, 5, 9, 10, 11], 240, "区教师进修学院"),
    "ethics": ([9], 90, "区教师进修学院"),
    "it_security": ([11], 60, "区教育信息中心"),
    "accounting": ([6], 240, "市财政局 会计继续教育中心"),
    "special_equipment": ([5], 180, "市特种设备检验研究院"),
    "allergens": ([9], 90, "post:hygiene.daily"),
    "infection_control": ([3], 90, "post:hygiene.daily"),
    "sports_injury": ([4], 90, "post:hygiene.daily"),
    "gate_duty": ([9], 60, "区交警大队 宣传科"),
}
#: a requirement's session is followed by make-up sessions 3–6 weeks later (roster: whoever
#: is still not valid) when this many people needed it then: one for TRAINING_MAKEUP[0] or
#: more, two for TRAINING_MAKEUP[1] or more (1–3 sessions a month-slot; hours-counting ones none)
TRAINING_MAKEUP = (25, 80)
#: the fire drill each term: days after the term starts, length, evacuation seconds
TRAINING_DRILL_AFTER = (25, 45)
TRAINING_DRILL_MINUTES = 40
TRAINING_EVACUATION = (150, 320)
#: marks: training sessions, drills (weights)
TRAINING_MARKS = {"present": 85, "late": 5, "excused": 7, "absent": 3}
TRAINING_DRILL_MARKS = {"present": 94, "late": 1, "excused": 3, "absent": 2}
#: how attendance was taken: signed in by the code (else marked by the trainer); confirmed
#: "attended and understood" afterwards
TRAINING_BY_CODE = 0.55
TRAINING_UNDERSTOOD = 0.6
#: past sessions cancelled; lines amended after confirmation; sessions ended this recently
#: not yet confirmed
TRAINING_CANCELLED = 0.02
TRAINING_AMENDED = 0.012
TRAINING_UNCONFIRMED_DAYS = 2
#: staged: the first sitting of the theory test failed (the retake passes); the practical
#: not yet passed the first time (passed on the retry day); attended but never sat the test
TRAINING_THEORY_FAILS = 0.12
TRAINING_PRACTICAL_NOT_YET = 0.08
TRAINING_NO_TEST = 0.03
#: renewal sessions planned in the coming weeks: for the requirements with the most people
#: expired or missing today
TRAINING_RENEWALS_PLANNED = 3
TRAINING_AMEND_REASONS = {
    "in": ["签到表有本人签名，系统漏记，据签到表补录", "当日迟到入场，培训结束后补签到", "扫码失败由培训人补录"],
    "out": ["当日因公外出，误记为出席，已按请假处理", "签到后未参加培训，据培训人核实更正"],
}
TRAINING_CANCEL_REASONS = ["与区教育局会议冲突，改期", "培训讲师临时有事，改期", "台风预警停课，改期"]
TRAINING_DRILL_SCENARIOS = ["教学楼三楼化学实验室起火，全校师生按疏散路线撤离至操场",
                            "食堂楼一楼后厨燃气泄漏起火，食堂及邻近楼层人员疏散",
                            "综合楼配电间冒烟，综合楼及实验楼人员疏散至操场",
                            "地震避险与疏散：就地避险后按路线撤离至操场"]
TRAINING_DRILL_PROBLEMS = ["", "", "三楼东侧楼梯口拥堵约30秒", "个别班级清点人数迟报", "一处疏散指示灯不亮，已报修",
                           "广播音量偏小，操场后排听不清"]
TRAINING_PLACES = ["学校报告厅", "学校报告厅", "食堂二楼会议室", "线上（腾讯会议）"]

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("training_requirement", "training_question", "training_session", "training_attendance",
          "training_attendance_amendment", "training_completion", "training_quiz_attempt", "training_stage_result")


def build(conn: Connection, school: School) -> None:
    """The requirements, then every session of the decade in time order (ids follow time),
    each roster drawn from the standings the sessions before it left; a staged
    requirement's sittings and practicals in the days after its session, its completion
    when the last of them passes. Who needs a requirement on a day: the holders of its
    roles (any account, active or not: they held it while there; the canteen's roster from
    the day each was put on it), its departments' people and those below, all while at the
    school (`person.created_at` to `left_at`). Nothing is dated after now but the sessions
    planned ahead; the trainers from inside are the holders of the day of the posts the
    checks builder gave (the logistics head, the school doctor)."""
    from schoolhq.core.calendar import is_school_day
    from schoolhq.core.timeutil import add_months
    from schoolhq.training.services import expiry_of

    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    decade_day = (school.start + SCHOOL_OFFSET).date()

    def local_day(moment: datetime) -> date:
        return (moment + SCHOOL_OFFSET).date()

    # 0. People, who holds which role, the canteen's roster, the posts of the day.
    person, account, grants, role = T["person"], T["account"], T["role_assignment"], T["role"]
    people = {row.id: row for row in conn.execute(select(person.c.id, person.c.department_id, person.c.created_at,
                                                          person.c.left_at).order_by(person.c.id))}
    account_of = dict(conn.execute(select(account.c.person_id, account.c.id)).all())
    role_people: dict[str, set[int]] = {}
    for code, person_id in conn.execute(select(role.c.code, account.c.person_id)
                                        .join(grants, grants.c.role_id == role.c.id)
                                        .join(account, account.c.id == grants.c.account_id)):
        role_people.setdefault(code, set()).add(person_id)
    staff_t = T["canteen_staff"]
    canteen_since = {row.person_id: row.added_at for row in conn.execute(select(staff_t.c.person_id,
                                                                                staff_t.c.added_at))}
    paths = dict(conn.execute(select(T["department"].c.id, T["department"].c.path)).all())
    office_on, doctor_on = post_holders(conn, "buildings.monthly"), post_holders(conn, "hygiene.daily")
    posts = {"post:buildings.monthly": office_on, "post:hygiene.daily": doctor_on}

    def there(person_id: int, moment: datetime) -> bool:
        row = people[person_id]
        return row.created_at <= moment and (row.left_at is None or row.left_at > moment)

    # 1. The requirements: the seeded ones as they are, the added ones after them.
    requirement_t = T["training_requirement"]
    seeded = [row._asdict() for row in conn.execute(select(requirement_t).order_by(requirement_t.c.id))]
    next_id = max((r["id"] for r in seeded), default=0) + 1
    added = []
    for n, (key, zh, en, category, roles, departments, (validity, length), window, hours, stages) in enumerate(
            TRAINING_ADDED):
        added.append({
            "id": next_id + n, "key": key, "name_zh": zh, "name_en": en, "category": category, "roles": roles,
            "department_ids": [school.department_ids[name] for name in departments], "person_ids": [],
            "validity": validity, "validity_months": length if validity == "months" else None,
            "renews_on": length if validity == "yearly_on" else "", "renew_window_days": window,
            "hours_per_year": hours, "stages": stages, "pass_mark_percent": 80, "retakes": 2, "quiz_size": 0,
            "practical_steps": TRAINING_PRACTICAL.get(key, []), "on_job_template": "", "on_job_records": 5,
            "duties": [], "drills_count": False, "reference": "", "confidence": "G", "note": "", "active": True,
            "sort_order": len(seeded) + n, "created_at": school.start + timedelta(days=1)})
    insert_rows(conn, "training_requirement", added)
    requirements = seeded + added
    question_t = T["training_question"]
    question_id = (conn.execute(select(func.max(question_t.c.id))).scalar() or 0) + 1
    question_rows = []
    for key, bank in TRAINING_QUESTIONS.items():
        requirement_id = next(r["id"] for r in added if r["key"] == key)
        for position, (kind, text, options, answer) in enumerate(bank, start=1):
            question_rows.append({"id": question_id, "requirement_id": requirement_id, "kind": kind, "text": text,
                                  "options": options or ["对", "错"], "answer": answer, "active": True,
                                  "position": position})
            question_id += 1
    insert_rows(conn, "training_question", question_rows)
    banks: dict[int, list] = {}
    for row in conn.execute(select(question_t.c.id, question_t.c.requirement_id, question_t.c.kind,
                                   question_t.c.options, question_t.c.answer)
                            .where(question_t.c.active.is_(True)).order_by(question_t.c.position)):
        banks.setdefault(row.requirement_id, []).append(row)

    def below(department_id: int) -> set[int]:
        """The people of a department and of those below it, whenever they were there."""
        path = paths[department_id]
        return {p.id for p in people.values() if p.department_id and paths[p.department_id].startswith(path)}

    #: requirement -> who needs it by role or department (whenever there); those who need it
    #: only by being on the canteen's roster, from the day they were put on it
    needing: dict[int, set[int]] = {}
    canteen_only: dict[int, set[int]] = {}
    for r in requirements:
        group = {p for code in r["roles"] for p in (set(people) if code == "all_staff" else role_people.get(code, ()))}
        for department_id in r["department_ids"]:
            group |= below(department_id)
        needing[r["id"]] = group | set(r["person_ids"])
        canteen_only[r["id"]] = set(canteen_since) - needing[r["id"]] if "canteen_staff" in r["roles"] else set()

    def needs(r: dict, moment: datetime) -> list[int]:
        """Who needs the requirement at that moment (sorted, as plan_session adds them)."""
        return sorted([p for p in needing[r["id"]] if there(p, moment)]
                      + [p for p in canteen_only[r["id"]] if there(p, moment) and canteen_since[p] <= moment])

    validity = {r["id"]: SimpleNamespace(validity=r["validity"], validity_months=r["validity_months"],
                                         renews_on=r["renews_on"]) for r in requirements}
    drills_count = [r for r in requirements if r["drills_count"] and not r["stages"]]

    # 2. The sessions of the decade: each requirement's months of each year (and its
    #    make-ups), a drill each term.
    def school_day_in(year: int, month: int) -> date | None:
        first = date(year, month, 1)
        days = (add_months(first, 1) - first).days
        start = rng.randrange(days)
        for step in range(days):
            day = first + timedelta(days=(start + step) % days)
            if is_school_day(day):
                return day
        return None

    def next_school_day(day: date) -> date:
        while not is_school_day(day):
            day += timedelta(days=1)
        return day

    slots: list[dict] = []  # kind, requirement, day, hour, minutes, trainer, makeups
    for r in requirements:
        months, minutes, trainer = TRAINING_SCHEDULE[r["key"]]
        counting = bool(r["hours_per_year"])
        for year in range(decade_day.year, today.year + 1):
            for month in months:
                day = school_day_in(year, month)
                if day is None or day <= decade_day or day > today:
                    continue
                hour = 8.5 if minutes >= 300 else rng.choice((14.0, 14.5, 15.5))
                slots.append({"kind": "training", "r": r, "day": day, "hour": hour, "minutes": minutes,
                              "trainer": trainer, "everyone": counting})
                group = len(needs(r, school_time(day, hour)))
                makeups = 0 if counting else (group >= TRAINING_MAKEUP[0]) + (group >= TRAINING_MAKEUP[1])
                later = day
                for _ in range(makeups):
                    later = next_school_day(later + timedelta(days=rng.randint(21, 42)))
                    if later > today:
                        break
                    slots.append({"kind": "training", "r": r, "day": later, "hour": hour,
                                  "minutes": minutes, "trainer": trainer, "everyone": False})
    terms = conn.execute(select(T["school_term"].c.starts_on).order_by(T["school_term"].c.starts_on)).scalars().all()
    for starts in terms:
        day = next_school_day(starts + timedelta(days=rng.randint(*TRAINING_DRILL_AFTER)))
        if decade_day < day <= today:
            slots.append({"kind": "drill", "r": None, "day": day, "hour": 10.0, "minutes": TRAINING_DRILL_MINUTES,
                          "trainer": "post:buildings.monthly", "everyone": True})
    slots.sort(key=lambda s: (s["day"], s["hour"], s["r"]["id"] if s["r"] else 0))

    # 3. Play them in order: the standings each session leaves.
    #: (person, requirement) -> the expiry days of the completions held (None: for good)
    held: dict[tuple[int, int], list[date | None]] = {}

    def state(person_id: int, r: dict, day: date) -> str:
        got = held.get((person_id, r["id"]), [])
        if not got:
            return "missing"
        if None in got:
            return "valid"
        last = max(got)
        if last < day:
            return "expired"
        return "expiring" if (last - day).days <= r["renew_window_days"] else "valid"

    sessions, lines, amendments, completions, attempts, results = [], [], [], [], [], []
    numbers: dict[int, int] = {}
    attempt_numbers: dict[tuple[int, int], int] = {}
    location = T["location"]
    rooms = conn.execute(select(location.c.id).where(location.c.kind == "room", location.c.archived_at.is_(None),
                                                     location.c.name.like("%会议室")).order_by(location.c.id)
                         .limit(3)).scalars().all()

    def complete(person_id: int, r: dict, day: date, when: datetime, session_id: int, by: int) -> dict:
        row = {"person_id": person_id, "requirement_id": r["id"], "completed_on": day,
               "expires_on": expiry_of(validity[r["id"]], day), "source": "session", "session_id": session_id,
               "evidence_id": None, "note": "", "warned_days": None, "withdrawn_at": None, "withdrawn_reason": "",
               "created_at": when, "created_by_id": by}
        completions.append(row)
        held.setdefault((person_id, r["id"]), []).append(row["expires_on"])
        return row

    def sittings(person_id: int, r: dict, start: datetime) -> datetime | None:
        """The theory test: a failed first sitting now and then, then a pass. When it passed
        (None: not by now)."""
        bank = banks.get(r["id"], [])
        moment = start
        for passing in ([False, True] if rng.random() < TRAINING_THEORY_FAILS else [True]):
            if moment + timedelta(minutes=20) > now:
                return None
            drawn, answers, right = [], {}, 0
            wrong = set(rng.sample(range(len(bank)), min(2 if not passing else rng.choice((0, 0, 1)), len(bank))))
            for n, q in enumerate(rng.sample(bank, len(bank))):
                order = list(range(len(q.options)))
                if q.kind != "true_false":
                    rng.shuffle(order)
                drawn.append({"id": q.id, "options": order})
                chosen = sorted(q.answer)
                if n in wrong:
                    chosen = [i for i in range(len(q.options)) if i not in q.answer][:1] or sorted(q.answer)[:1]
                right += chosen == sorted(q.answer)
                answers[str(q.id)] = chosen
            score = right * 100 // max(len(bank), 1)
            passed = score >= r["pass_mark_percent"]
            attempt_numbers[(person_id, r["id"])] = attempt_numbers.get((person_id, r["id"]), 0) + 1
            submitted = moment + timedelta(minutes=rng.randint(6, 18))
            attempt = {"person_id": person_id, "requirement_id": r["id"],
                       "number": attempt_numbers[(person_id, r["id"])], "drawn": drawn, "answers": answers,
                       "pass_mark_percent": r["pass_mark_percent"], "score_percent": score, "passed": passed,
                       "started_at": moment, "submitted_at": submitted}
            attempts.append(attempt)
            results.append({"person_id": person_id, "requirement_id": r["id"], "stage": "theory", "passed": passed,
                            "on": local_day(submitted), "detail": [{"score": score}],
                            "reason": "" if passed else f"score {score}, pass mark {r['pass_mark_percent']}",
                            "retry_on": None, "_attempt": attempt, "assessor_id": None, "signature_id": None,
                            "created_at": submitted})
            if passed:
                return submitted
            moment = school_time(local_day(moment) + timedelta(days=rng.randint(1, 4)), rng.uniform(12, 21))
        return None

    def practical(person_id: int, r: dict, start: datetime, assessor: int) -> datetime | None:
        steps = r["practical_steps"]
        moment = start
        for passing in ([False, True] if rng.random() < TRAINING_PRACTICAL_NOT_YET else [True]):
            if moment > now:
                return None
            failed = -1 if passing else rng.randrange(len(steps))
            detail = [{"step": step, "passed": n != failed, "note": "" if n != failed else "动作不规范，需再练习"}
                      for n, step in enumerate(steps)]
            retry = None if passing else local_day(moment) + timedelta(days=7)
            results.append({"person_id": person_id, "requirement_id": r["id"], "stage": "practical",
                            "passed": passing, "on": local_day(moment), "detail": detail,
                            "reason": "" if passing else "个别步骤不规范，一周后复考", "retry_on": retry,
                            "_attempt": None, "assessor_id": assessor, "signature_id": None, "created_at": moment})
            if passing:
                return moment
            moment = school_time(retry, rng.uniform(15, 17))
        return None

    def add_session(slot: dict, status: str, trainer: int | None, external: str) -> dict:
        day, r = slot["day"], slot["r"]
        starts = school_time(day, slot["hour"])
        numbers[day.year] = numbers.get(day.year, 0) + 1
        drill = slot["kind"] == "drill"
        term = "秋季" if day.month >= 8 or day.month == 1 else "春季"
        inside = bool(rooms) and rng.random() < 0.5
        created = min(starts - timedelta(days=rng.randint(5, 20), hours=rng.uniform(0, 6)), now - timedelta(hours=1))
        session = {
            "id": len(sessions) + 1, "number": f"PX{day.year}-{numbers[day.year]:04d}", "kind": slot["kind"],
            "title": f"{day.year}年{term}学期消防疏散演练" if drill else r["name_zh"],
            "requirement_id": None if drill else r["id"], "starts_at": starts,
            "ends_at": starts + timedelta(minutes=slot["minutes"]), "trainer_id": trainer,
            "trainer_external": external, "location_id": rng.choice(rooms) if inside and not drill else None,
            "place": "全校（教学楼、操场）" if drill else ("" if inside else rng.choice(TRAINING_PLACES)),
            "content": "" if drill else f"{r['name_zh']}：法规要点、案例分析与操作示范", "materials_id": None,
            "sheet_scan_id": None, "status": status, "signin_secret": f"{rng.getrandbits(128):032x}",
            "confirmed_at": None, "confirmed_by_id": None,
            "scenario": rng.choice(TRAINING_DRILL_SCENARIOS) if drill else "",
            "evacuation_seconds": rng.randint(*TRAINING_EVACUATION) if drill and status == "confirmed" else None,
            "problems": rng.choice(TRAINING_DRILL_PROBLEMS) if drill and status == "confirmed" else "",
            "created_at": created.replace(microsecond=0), "created_by_id": account_of[office_on(local_day(created))]}
        sessions.append(session)
        return session

    def roster_line(session: dict, person_id: int) -> dict:
        line = {"id": len(lines) + 1, "session_id": session["id"], "person_id": person_id, "mark": None,
                "minutes": 0, "signed_in_how": "", "signed_in_at": None, "understood_at": None}
        lines.append(line)
        return line

    for slot in slots:
        day, r = slot["day"], slot["r"]
        starts = school_time(day, slot["hour"])
        ends = starts + timedelta(minutes=slot["minutes"])
        trainer_key = slot["trainer"]
        trainer = posts[trainer_key](day) if trainer_key.startswith("post:") else None
        if slot["kind"] == "drill":
            roster = sorted(p for p in people if there(p, starts))
        elif slot["everyone"]:
            roster = needs(r, starts)
        else:
            roster = [p for p in needs(r, starts) if state(p, r, day) != "valid"]
        roster = [p for p in roster if p != trainer]
        if not roster:
            continue
        cancelled = slot["kind"] != "drill" and rng.random() < TRAINING_CANCELLED
        waiting = ends > now - timedelta(days=TRAINING_UNCONFIRMED_DAYS)
        status = "cancelled" if cancelled else ("planned" if waiting else "confirmed")
        session = add_session(slot, status, trainer, "" if trainer is not None else trainer_key)
        minutes = slot["minutes"]
        confirmer = (account_of.get(trainer) if trainer is not None else None) or account_of[office_on(day)]
        confirmed_at = None
        if status == "confirmed":
            confirmed_at = min(ends + timedelta(hours=rng.uniform(0.2, 30)), now - timedelta(minutes=5))
            confirmed_at = confirmed_at.replace(microsecond=0)
            session.update(confirmed_at=confirmed_at, confirmed_by_id=confirmer)
        elif status == "cancelled":
            session["problems"] = rng.choice(TRAINING_CANCEL_REASONS)
        weights = TRAINING_DRILL_MARKS if slot["kind"] == "drill" else TRAINING_MARKS
        staged = bool(r is not None and r["stages"])
        credited = drills_count if slot["kind"] == "drill" else ([] if staged else [r])
        for person_id in roster:
            line = roster_line(session, person_id)
            if cancelled or starts > now:
                continue
            mark = rng.choices(list(weights), list(weights.values()))[0]
            came = mark in ("present", "late")
            amended = None  # (when, the mark it was changed to)
            if status == "confirmed" and not staged and rng.random() < TRAINING_AMENDED:
                at = confirmed_at + timedelta(days=rng.randint(1, 10), hours=rng.uniform(0, 6))
                if at < now:
                    amended = (at.replace(microsecond=0), "excused" if came else "present")
            final = amended[1] if amended else mark
            attended = final in ("present", "late")
            line.update(mark=final, minutes=minutes if attended else 0)
            if came:
                if rng.random() < TRAINING_BY_CODE:
                    offset = rng.uniform(11, 25) if mark == "late" else rng.uniform(-15, 9)
                    line.update(signed_in_how="qr", signed_in_at=(starts + timedelta(minutes=offset)).replace(
                        microsecond=0))
                else:
                    line.update(signed_in_how="trainer", signed_in_at=(ends - timedelta(minutes=rng.uniform(
                        1, 10))).replace(microsecond=0))
            elif attended:  # put right afterwards, by the amendment
                line.update(signed_in_how="trainer", signed_in_at=amended[0])
            if attended and rng.random() < TRAINING_UNDERSTOOD:
                understood = ends + timedelta(hours=rng.uniform(0.1, 60))
                if understood < now:
                    line["understood_at"] = understood.replace(microsecond=0)
            if status != "confirmed":
                continue
            if amended:
                amendments.append({"attendance_id": line["id"], "before_mark": mark, "after_mark": final,
                                   "before_minutes": minutes if came else 0, "after_minutes": line["minutes"],
                                   "reason": rng.choice(TRAINING_AMEND_REASONS["out" if came else "in"]),
                                   "at": amended[0], "by_id": account_of[office_on(local_day(amended[0]))]})
            if not came and not attended:
                continue
            if staged:  # completed once the session is confirmed and every stage has passed
                if rng.random() < TRAINING_NO_TEST:
                    continue
                passed = [confirmed_at]
                if "theory" in r["stages"]:
                    passed.append(sittings(person_id, r, school_time(day + timedelta(days=rng.randint(0, 3)),
                                                                      rng.uniform(17, 21)).replace(microsecond=0)))
                if "practical" in r["stages"] and passed[-1] is not None:
                    assessor = account_of[office_on(day)]
                    if r["key"] == "first_aid" and doctor_on(day) != person_id and doctor_on(day) in account_of:
                        assessor = account_of[doctor_on(day)]
                    passed.append(practical(person_id, r, (ends + timedelta(minutes=rng.randint(5, 40))).replace(
                        microsecond=0), assessor))
                if None not in passed and max(passed) + timedelta(minutes=1) < now:
                    done = max(passed) + timedelta(minutes=1)
                    complete(person_id, r, local_day(done), done, session["id"], confirmer)
                continue
            for credit in credited:
                made = complete(person_id, credit, day, confirmed_at, session["id"], confirmer)
                if amended and came:  # attended, then amended out: the completion withdrawn with the reason
                    made.update(withdrawn_at=amended[0], withdrawn_reason=amendments[-1]["reason"][:200])
                    held[(person_id, credit["id"])].remove(made["expires_on"])
                elif amended:  # given by the amendment
                    made["created_at"] = amended[0]

    # 4. Renewals planned for the coming weeks: the requirements most people need now.
    moment = now
    short: dict[int, list[int]] = {}
    for r in requirements:
        if r["hours_per_year"]:
            continue
        short[r["id"]] = [p for p in needs(r, moment) if state(p, r, today) in ("expired", "missing", "expiring")]
    ahead = today + timedelta(days=3)
    for requirement_id in sorted(short, key=lambda i: (-len(short[i]), i))[:TRAINING_RENEWALS_PLANNED]:
        r = next(r for r in requirements if r["id"] == requirement_id)
        ahead = next_school_day(ahead + timedelta(days=rng.randint(2, 6)))
        months, minutes, trainer_key = TRAINING_SCHEDULE[r["key"]]
        trainer = posts[trainer_key](today) if trainer_key.startswith("post:") else None
        slot = {"kind": "training", "r": r, "day": ahead, "hour": 14.5, "minutes": minutes}
        roster = [p for p in short[requirement_id] if p != trainer]
        if roster:
            session = add_session(slot, "planned", trainer, "" if trainer is not None else trainer_key)
            for person_id in roster:
                roster_line(session, person_id)

    # 5. Warnings already sent (the daily job's 30/7/0 days), so its next run sends none twice.
    for row in completions:
        if row["withdrawn_at"] is None and row["expires_on"] is not None:
            left = (row["expires_on"] - today).days
            row["warned_days"] = 0 if left < 0 else (min(t for t in (30, 7, 0) if t >= left) if left <= 30 else None)

    # 6. In, in order: sessions, their lines, what refers to them.
    insert_rows(conn, "training_session", sessions)
    insert_rows(conn, "training_attendance", lines)
    amendments.sort(key=lambda a: (a["at"], a["attendance_id"]))
    insert_rows(conn, "training_attendance_amendment", amendments)
    completions.sort(key=lambda c: (c["created_at"], c["person_id"], c["requirement_id"]))
    insert_rows(conn, "training_completion", completions)
    attempts.sort(key=lambda a: (a["started_at"], a["person_id"]))
    first_attempt = (conn.execute(select(func.max(T["training_quiz_attempt"].c.id))).scalar() or 0) + 1
    for n, row in enumerate(attempts):
        row["id"] = first_attempt + n
    insert_rows(conn, "training_quiz_attempt", attempts)
    results.sort(key=lambda s: (s["created_at"], s["person_id"]))
    for row in results:
        attempt = row.pop("_attempt")
        row["attempt_id"] = attempt["id"] if attempt else None
    insert_rows(conn, "training_stage_result", results)
    counter = T["counter"]
    for year, value in sorted(numbers.items()):
        scope = f"training.session.{year}"
        if conn.execute(select(counter.c.value).where(counter.c.scope == scope)).first() is None:
            conn.execute(counter.insert().values(scope=scope, value=value))
        else:
            conn.execute(counter.update().where(counter.c.scope == scope).values(value=value))

    # today's standings of everyone who needs each requirement now
    states: dict[str, int] = {"valid": 0, "expiring": 0, "expired": 0, "missing": 0}
    for r in requirements:
        for person_id in needs(r, now):
            states[state(person_id, r, today)] += 1
    kinds = {"drill": sum(s["kind"] == "drill" for s in sessions),
             "cancelled": sum(s["status"] == "cancelled" for s in sessions),
             "planned": sum(s["status"] == "planned" for s in sessions)}
    marked = [line for line in lines if line["mark"]]
    present = sum(line["mark"] in ("present", "late") for line in marked)
    needed = sum(states.values())
    print(f"    (training: {len(requirements)} requirements ({len(added)} added), {len(sessions):,} sessions "
          f"({kinds['drill']} drills, {kinds['cancelled']} cancelled, {kinds['planned']} planned), "
          f"{len(lines):,} roster lines ({present / max(len(marked), 1):.0%} of those marked attended), "
          f"{len(completions):,} completions, {len(amendments)} amendments, {len(attempts):,} test sittings, "
          f"{len(results):,} stage results; today, of {needed:,} needed: "
          + ", ".join(f"{name} {n:,} ({n / max(needed, 1):.0%})" for name, n in states.items()) + ")", flush=True)


def after_build(app) -> None:
    """After the build: the daily reminders find every warning already sent."""
    from schoolhq.extensions import db
    from schoolhq.training.services import warn_expiring

    with app.test_request_context("/tick"):
        warned = warn_expiring()
        db.session.rollback()
    assert warned == 0, f"warn_expiring() would send {warned} warnings again"
