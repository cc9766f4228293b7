"""What the bench measures of the training area, as the logistics head: the matrix (everyone,
and one department), who needs what next, the sessions, the record of the person with the
longest history, the busiest month's 培训记录 (A4 and XLSX), the session with the largest
roster and its sign-in sheet; the sign-in scan (DESIGN.md §9's save budget, issue 16's
"a sign-in scan under 10 ms") through the app as a trainee, and `services.sign_in` on its
own."""

from __future__ import annotations

import statistics
import time
from types import SimpleNamespace

from harness.measure import Fixture, percentile

#: who the training pages and the scans are measured as: Fixture fields with the usernames
TRAINING, TRAINEE = {"as": "training_manager"}, {"as": "training_trainee"}
#: the department whose matrix is measured (with the departments below it)
TRAINING_DEPARTMENT = "总务处"


def find(fx: Fixture) -> bool:
    """The training rows and the accounts the pages open (in an app context); False when
    the area has no sessions."""
    from sqlalchemy import func, select

    from schoolhq.auth.models import Account, Role, RoleAssignment
    from schoolhq.core.timeutil import to_local
    from schoolhq.extensions import db
    from schoolhq.people.models import Department, Person
    from schoolhq.training import services
    from schoolhq.training.models import Attendance, Completion, TrainingSession

    if not db.session.scalar(select(func.count(TrainingSession.id))):
        return False
    # who signs in: a school-wide logistics head (training.view, .manage, .assess); the
    # trainee who scans: an active member of staff holding no other role
    fx.training_manager = db.session.scalars(
        select(Account.username).join(RoleAssignment, RoleAssignment.account_id == Account.id)
        .join(Role, Role.id == RoleAssignment.role_id)
        .where(Role.code == "logistics_head", Account.active.is_(True), RoleAssignment.location_id.is_(None),
               RoleAssignment.department_id.is_(None)).order_by(Account.id)).first()
    roles = select(func.count(RoleAssignment.id)).where(RoleAssignment.account_id == Account.id).scalar_subquery()
    fx.training_trainee = db.session.scalars(
        select(Account.username).join(Person, Person.id == Account.person_id)
        .where(Account.active.is_(True), Person.left_at.is_(None), roles == 1).order_by(Account.id)).first()
    # the matrix, everyone and one department; who needs what next
    shown, rows, _count = services.matrix()
    fx.training_requirements, fx.training_matrix_people = len(shown), len(rows)
    fx.training_department = db.session.scalar(select(Department.id).where(Department.name == TRAINING_DEPARTMENT))
    fx.training_department_people = len(services.matrix(fx.training_department)[1])
    sizes = {d: len(services.matrix(d)[1]) for d in db.session.scalars(select(Department.id))}
    fx.training_small_department = min((d for d in sizes if sizes[d]), key=lambda d: (sizes[d], d))
    fx.training_due = len(services.due_next())
    fx.training_sessions = db.session.scalar(select(func.count(TrainingSession.id)))
    # the person with the longest history (sessions attended, not cancelled) and, of those
    # there now who need the same staged requirements (the page reads each one's stages:
    # four queries a requirement, whatever the history), the one with the shortest
    lines = (select(Attendance.person_id, func.count().label("n"))
             .join(TrainingSession, TrainingSession.id == Attendance.session_id)
             .where(TrainingSession.status != "cancelled").group_by(Attendance.person_id).subquery())
    fx.training_person, fx.training_person_lines = db.session.execute(
        select(lines.c.person_id, lines.c.n).order_by(lines.c.n.desc(), lines.c.person_id)).first()
    who = services.needs()
    staged = {p: frozenset(r.id for r in shown if r.stages and p in who.of(r)) for p in who.staff}
    others = [p for p in who.staff if p != fx.training_person]
    alike = [p for p in others if staged[p] == staged.get(fx.training_person)] or others
    fx.training_quiet_person = db.session.scalar(
        select(Person.id).outerjoin(lines, lines.c.person_id == Person.id).where(Person.id.in_(alike))
        .order_by(func.coalesce(lines.c.n, 0), Person.id))
    fx.training_person_completions = db.session.scalar(select(func.count(Completion.id)).where(
        Completion.person_id == fx.training_person))
    # the sessions with the largest and the smallest roster (confirmed)
    roster = (select(Attendance.session_id, func.count().label("n")).join(
        TrainingSession, TrainingSession.id == Attendance.session_id).where(TrainingSession.status == "confirmed")
        .group_by(Attendance.session_id).subquery())
    fx.training_session, fx.training_session_roster = db.session.execute(
        select(roster.c.session_id, roster.c.n).order_by(roster.c.n.desc(), roster.c.session_id.desc())).first()
    fx.training_small_session = db.session.scalar(select(roster.c.session_id).order_by(roster.c.n,
                                                                                      roster.c.session_id.desc()))
    # the 培训记录 (a row a confirmed session, with its place): the month with the most
    # sessions (of equals, the most places on the register, then roster lines, then the
    # latest), and the one with the fewest
    months: dict[str, list] = {}
    for starts_at, location_id, count in db.session.execute(
            select(TrainingSession.starts_at, TrainingSession.location_id, func.count(Attendance.id))
            .join(Attendance, Attendance.session_id == TrainingSession.id)
            .where(TrainingSession.status == "confirmed").group_by(TrainingSession.id)):
        month = months.setdefault(f"{to_local(starts_at):%Y-%m}", [0, set(), 0])
        month[0], month[2] = month[0] + 1, month[2] + count
        month[1].add(location_id)
    size = {m: (sessions, len(places - {None}), lines) for m, (sessions, places, lines) in months.items()}
    fx.training_month = max(sorted(size, reverse=True), key=size.get)
    fx.training_quiet_month = min(sorted(size), key=size.get)
    fx.training_month_sessions, fx.training_month_places, fx.training_month_lines = size[fx.training_month]
    return True


def pages(fx: Fixture) -> list[tuple]:
    """The matrix, who needs what next, the sessions, a person, the busiest month's record,
    the largest session and its sheet, as the logistics head."""
    people, shown = fx.training_matrix_people, fx.training_requirements
    return [
        (f"training: matrix, first screen ({min(people, 40)} of {people} people × {shown} requirements)",
         "/training/", {}, TRAINING),
        (f"training: matrix, {TRAINING_DEPARTMENT} and below ({fx.training_department_people} people)",
         f"/training/?department={fx.training_department}", {}, TRAINING),
        (f"training: who needs what next ({fx.training_due} rows)", "/training/due", {}, TRAINING),
        (f"training: sessions ({fx.training_sessions:,}; 200 upcoming and past shown)", "/training/sessions", {},
         TRAINING),
        (f"training: a person's record, longest history ({fx.training_person_lines} sessions, "
         f"{fx.training_person_completions} completions)", f"/training/people/{fx.training_person}", {}, TRAINING),
        (f"training: record (培训记录), {fx.training_month} ({fx.training_month_sessions} sessions, "
         f"{fx.training_month_places} rooms on the register, {fx.training_month_lines} lines)", f"/training/ledger?month={fx.training_month}", {}, TRAINING),
        (f"training: a session, largest roster ({fx.training_session_roster})",
         f"/training/sessions/{fx.training_session}", {}, TRAINING),
        (f"training: its sign-in sheet (A4, {fx.training_session_roster} lines)",
         f"/training/sessions/{fx.training_session}/sheet", {}, TRAINING),
    ]


def before_saves(app, fx: Fixture, count: int) -> None:
    """A session happening now for each sign-in scan (a scan's code turns over every 30 s,
    so each request asks `services.signin_code` for the one on the trainer's screen), with
    everyone on the staff list on its roster, the trainee among them: scan n signs the
    trainee in to session n for the first time. Then `services.sign_in` on its own. The run
    works on a copy: nothing stays."""
    from schoolhq.extensions import db

    with app.test_request_context():
        fx.training_pool = [_session_now(fx, f"PXBENCH-{n:04d}", everyone=True) for n in range(count)]
        db.session.commit()
    fx.training_signin = sign_in_timings(app, fx)
    print("\nTraining sign-in scan on its own (`training.services.sign_in`, in an app context, each call its own "
          "transaction; a session happening now with everyone on the staff list on its roster):\n")
    print("| scanned | calls | median ms | p95 ms |\n|---|---|---|---|")
    for name, calls, median, p95 in fx.training_signin:
        print(f"| {name} | {calls} | {median:.2f} | {p95:.2f} |")
    print(flush=True)


def _session_now(fx: Fixture, number: str, everyone: bool) -> SimpleNamespace:
    """A planned fire-safety session that began five minutes ago, its roster everyone on the
    staff list (or nobody): its id and sign-in secret."""
    import secrets
    from datetime import timedelta

    from sqlalchemy import insert, select

    from schoolhq.core.timeutil import utcnow
    from schoolhq.extensions import db
    from schoolhq.people.models import Person
    from schoolhq.training.models import Attendance, Requirement, TrainingSession

    now = utcnow().replace(microsecond=0)
    secret = secrets.token_hex(16)
    session_id = db.session.execute(insert(TrainingSession).values(
        number=number, kind="training", title="消防安全培训（基准）", status="planned", signin_secret=secret,
        requirement_id=db.session.scalar(select(Requirement.id).where(Requirement.key == "fire_safety")),
        starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=3), trainer_external="区消防救援大队",
        place="学校报告厅", content="", scenario="", problems="", created_at=now)).inserted_primary_key[0]
    if everyone:
        people = db.session.scalars(select(Person.id).where(Person.left_at.is_(None)).order_by(Person.id)).all()
        db.session.execute(insert(Attendance), [{"session_id": session_id, "person_id": p, "minutes": 0,
                                                 "signed_in_how": ""} for p in people])
    return SimpleNamespace(id=session_id, signin_secret=secret)


def scan_path(session: SimpleNamespace) -> str:
    """What the trainee's phone posts: the session and the code its screen shows now."""
    from schoolhq.training.services import signin_code

    return f"/training/in/{session.id}/{signin_code(session)}"


def saves(fx: Fixture) -> list[tuple]:
    """The sign-in scan as the trainee's phone sends it (a plain POST, 303 to the session):
    first on a session of the pool (the line marked present), then again on the first one
    (idempotent: nothing changes)."""
    return [
        ("training sign-in scan, first (POST, 303 to the session; roster of everyone)", "/training/in/<pool>/<code>",
         {}, lambda n: {}, TRAINEE | {"path_of": lambda n: scan_path(fx.training_pool[n])}),
        ("training sign-in scan, again (POST, idempotent)", "/training/in/<first>/<code>", {}, lambda n: {},
         TRAINEE | {"path_of": lambda n: scan_path(fx.training_pool[0])}),
    ]


def reports(fx: Fixture) -> list[tuple]:
    """The whole matrix on one sheet for printing (as the principal's report is: the
    screen shows it 40 people at a time), it and the busiest month's record as XLSX:
    held to the report budget."""
    return [
        (f"training: matrix, everyone on one sheet to print ({fx.training_matrix_people} × "
         f"{fx.training_requirements})", "/training/?all=1", {}, TRAINING),
        (f"training: matrix, everyone, XLSX ({fx.training_matrix_people} × {fx.training_requirements})",
         "/training/?format=xlsx", {}, TRAINING),
        (f"training: record, {fx.training_month}, XLSX", f"/training/ledger?month={fx.training_month}&format=xlsx",
         {}, TRAINING),
    ]


GROWTH_PAIRS = [
    ("/training/ledger?month={training_quiet_month}", "/training/ledger?month={training_month}", "training_manager"),
    ("/training/ledger?month={training_quiet_month}&format=xlsx",
     "/training/ledger?month={training_month}&format=xlsx", "training_manager"),
    ("/training/people/{training_quiet_person}", "/training/people/{training_person}", "training_manager"),
    ("/training/sessions/{training_small_session}", "/training/sessions/{training_session}", "training_manager"),
    ("/training/sessions/{training_small_session}/sheet", "/training/sessions/{training_session}/sheet",
     "training_manager"),
    ("/training/?department={training_small_department}", "/training/", "training_manager"),
]


def sign_in_timings(app, fx: Fixture, repeat: int = 200) -> list[tuple[str, int, float, float]]:
    """services.sign_in on its own, as the scan's POST calls it: (what was scanned, calls,
    median ms, p95 ms). First scans of distinct people (every active account with a person),
    on the roster (their line marked) and not on it (a line added); the same person again
    (nothing changes); and an old code (refused). Each call is its own transaction, as a
    request is: the commit and the account's reload are outside the time."""
    from datetime import timedelta

    from sqlalchemy import select

    from schoolhq.auth.models import Account
    from schoolhq.core.errors import ServiceError
    from schoolhq.core.timeutil import utcnow
    from schoolhq.extensions import db
    from schoolhq.people.models import Person
    from schoolhq.training.services import sign_in, signin_code

    results = []
    with app.test_request_context():
        listed = _session_now(fx, "PXBENCH-LIST", everyone=True)
        walk_in = _session_now(fx, "PXBENCH-WALKIN", everyone=False)
        db.session.commit()
        ids = db.session.scalars(select(Account.id).join(Person, Person.id == Account.person_id)
                                 .where(Account.active.is_(True), Person.left_at.is_(None))
                                 .order_by(Account.id)).all()
        trainee = db.session.scalar(select(Account.id).where(Account.username == fx.training_trainee))

        def timed(account_id: int, session: SimpleNamespace, code: str | None = None) -> float:
            account = db.session.get(Account, account_id)
            _ = account.person_id  # loaded before the scan, as the signed-in user is
            code = code or signin_code(session)
            started = time.perf_counter()
            try:
                sign_in(account, session.id, code)
            except ServiceError:
                db.session.rollback()
            elapsed = (time.perf_counter() - started) * 1000
            db.session.commit()
            return elapsed

        old = signin_code(listed, at=utcnow() - timedelta(minutes=5))
        for name, calls in (
                ("first scan, on the roster (line marked present)", [(a, listed) for a in ids]),
                ("first scan, not on the roster (line added)", [(a, walk_in) for a in ids]),
                ("the same person again (nothing changes)", [(trainee, listed)] * repeat)):
            times = [timed(account_id, session) for account_id, session in calls]
            results.append((name, len(times), statistics.median(times), percentile(times, 0.95)))
        times = [timed(trainee, listed, old) for _ in range(repeat)]
        results.append(("a code five minutes old (refused)", len(times), statistics.median(times),
                        percentile(times, 0.95)))
    return results
