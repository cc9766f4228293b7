"""The stock area: items, two stores and a decade of ledger, requisitions and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection

# Sizes (DESIGN.md §9: 300 items, 200,000 movements) ------------------------------------
STOCK_ITEMS = 300
#: every ledger row: receipts, issues, transfers (two rows each), returns, write-offs,
#: reversals of mistaken issues and count adjustments
STOCK_MOVEMENTS = 200_000
#: share of the items put on the list during the decade (the rest are there from the start)
STOCK_ITEMS_ADDED_LATER = 0.1
#: items given up during the decade: what is left is written off, then the item archived
STOCK_ITEMS_RETIRED = 5
#: everyday items also kept in the teaching building's cupboard (the second store),
#: topped up from the main store by transfers every Wednesday in term
STOCK_CUPBOARD_ITEMS = 24
#: share of requisitions served from the cupboard (items it holds only)
STOCK_FROM_CUPBOARD = 0.15
#: share of requisitions made and issued at the counter in one go; the rest are sent from
#: the request page first and collected a few days later (special items always are)
STOCK_AT_COUNTER = 0.7
#: lines on a requisition -> weight
STOCK_LINES = {1: 40, 2: 30, 3: 20, 4: 10}
#: chance per school day of a return of unused goods, a write-off, a reversal of a mistaken issue
STOCK_DAILY = {"return": 0.12, "write_off": 0.05, "reversal": 0.025}
#: share of lines with a difference when a store is counted (once a year, in July)
STOCK_COUNT_DIFFERENCES = 0.05

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("stock_category", "stock_item", "store", "stock_balance", "stock_receipt", "requisition",
          "requisition_line", "stock_issue", "stock_count", "stock_count_line", "stock_movement")

#: the catalogue's items (schoolhq/stock/demo.py) in several brands make the 300: category -> brands
STOCK_BRANDS = {
    "办公用品": ["得力", "晨光", "齐心", "广博", "真彩"], "打印耗材": ["原装", "天威", "格之格"],
    "清洁消毒用品": ["蓝月亮", "威露士", "维达", "利尔康", "心相印"], "防疫物资": ["稳健", "振德", "英科"],
    "电池电料": ["南孚", "双鹿", "飞利浦", "雷士", "公牛"], "维修配件": ["九牧", "固特", "东成"],
    "教学耗材": ["马利", "晨光", "得力"], "食堂耗材": ["妙洁", "美丽雅"], "劳保用品": ["星宇", "恒辉"],
}
#: category -> how often its items are asked for (times a skewed draw per item)
STOCK_DEMAND = {"办公用品": 3.0, "打印耗材": 1.0, "清洁消毒用品": 2.5, "防疫物资": 1.5, "电池电料": 1.0,
                "维修配件": 0.5, "教学耗材": 2.0, "食堂耗材": 1.5, "劳保用品": 1.0}
STOCK_COUNT_REASONS = {False: ["清点短少", "包装破损报损", "发放未登记"], True: ["上次盘点漏点", "退回未登记"]}
STOCK_WRITE_OFF_REASONS = ["过期", "受潮损坏", "破损", "过期失效"]


@dataclass
class _Supply:
    """What the stock builder knows of one item while it plays the decade through."""

    id: int
    category: str
    price_yuan: float
    #: how often it is asked for (relative)
    demand: float
    #: a usual quantity on one requisition line, in thousandths
    usual: int
    decimal: bool
    special: bool
    min_level: int
    target: int
    reserve: int
    start: datetime
    cupboard_target: int = 0
    archived: bool = False


def _stock_day_weight(day: date, fraction: float) -> float:
    """How busy the store is on a school-local day: nothing at weekends and on national
    holidays, a little in the vacations (cleaning, repairs), fully in term; a school that
    slowly grows over the decade."""
    if day.weekday() >= 5 or (day.month == 10 and day.day <= 7) or (day.month, day.day) == (1, 1) \
            or (day.month == 5 and day.day <= 3):
        return 0.0
    vacation = (day.month == 7 and day.day > 5) or day.month == 8 or (day.month == 1 and day.day > 20) \
        or (day.month == 2 and day.day < 20)
    return (0.15 if vacation else 1.0) * (0.85 + 0.3 * fraction)


def build(conn: Connection, school: School) -> None:
    """STOCK_ITEMS consumables in two stores and STOCK_MOVEMENTS ledger rows over the
    decade, played through day by day in time order (ids follow time): weekly receipts
    that refill what is at or below its minimum, requisitions of 1-4 lines issued at the
    counter or sent first and collected later (some partly, some waiting for the
    department head, a few rejected or cancelled), the cupboard topped up by transfers,
    returns, write-offs, reversals, and a yearly count of each store with its adjustments.
    Balances are tracked here so none goes negative, and values follow the moving average
    as services.take/put compute them; the rows go in through stock_movement, so its
    trigger fills stock_balance, which is then checked against the sums."""
    import bisect
    import heapq

    from schoolhq.people.services import pinyin_of
    from schoolhq.stock.demo import CATALOGUE, PURPOSES, SUPPLIERS
    from schoolhq.stock.services import UNIT

    rng = school.rng
    categories = dict(conn.execute(select(T["stock_category"].c.name, T["stock_category"].c.id)).all())
    person = T["person"]
    people = conn.execute(select(person.c.id, person.c.department_id, person.c.created_at, person.c.left_at)
                          .order_by(person.c.created_at, person.c.id)).all()
    joined_at = [p.created_at for p in people]
    person_by_id = {p.id: p for p in people}
    department_of = {p.id: p.department_id for p in people}
    colleagues: dict[int | None, list] = {}
    for p in people:
        colleagues.setdefault(p.department_id, []).append(p)
    account_of = dict(conn.execute(select(T["account"].c.person_id, T["account"].c.id)).all())
    departments = conn.execute(select(T["department"].c.id, T["department"].c.path,
                                      T["department"].c.head_person_id)).all()
    department_path = {d.id: d.path for d in departments}
    head_of = {d.id: d.head_person_id for d in departments}
    grants = conn.execute(select(T["role_assignment"].c.account_id, T["role_assignment"].c.role_id)
                          .where(T["role_assignment"].c.location_id.is_(None),
                                 T["role_assignment"].c.department_id.is_(None))).all()

    def holders(code: str) -> list[int]:
        return sorted(a for a, r in grants if r == school.role_ids[code])

    storekeepers = holders("storekeeper") or [school.admin_account_id]
    # count approvals: the logistics head (stock.approve), never whoever ran the count
    approvers = holders("logistics_head") + holders("principal") or [school.admin_account_id]
    keeper_account = next((a for a in storekeepers if a != school.admin_account_id), storekeepers[0])
    keeper_person = next(p for p, a in account_of.items() if a == keeper_account)

    # 1. Two stores at existing places: the main store in a 储物间 of 综合楼, a cupboard on
    #    the teaching building's first floor.
    location = T["location"]
    places = conn.execute(select(location.c.id, location.c.kind, location.c.name, location.c.code,
                                 location.c.full_name).where(location.c.archived_at.is_(None))
                          .order_by(location.c.id)).all()
    main_place = next((p.id for p in places if p.kind == "room" and "储物间" in p.name and "综合楼" in p.full_name),
                      next(p.id for p in places if p.kind == "room"))
    cupboard_place = next((p.id for p in places if p.code == "A1"), next(p.id for p in places if p.kind == "floor"))
    main, cupboard = 1, 2
    conn.execute(insert(T["store"]), [
        {"id": main, "name": "总务仓库", "location_id": main_place, "keeper_id": keeper_person, "archived_at": None},
        {"id": cupboard, "name": "教学楼一楼文具柜", "location_id": cupboard_place, "keeper_id": keeper_person,
         "archived_at": None}])

    # 2. The items: the demo catalogue's items in several brands, levels scaled so the
    #    busier items hold about four weeks of what they give out and reorder with two
    #    weeks' left (receipts come weekly: less, and busy items would often run dry).
    base = [(category, name, unit, price, spec, levels, special, decimal)
            for category, name, unit, price, specs, levels, special, decimal in CATALOGUE for spec in specs]
    variants: list[tuple[tuple, str]] = []
    for round_ in range(max(len(b) for b in STOCK_BRANDS.values())):
        for entry in base:
            brands = STOCK_BRANDS.get(entry[0], ["通用"])
            if round_ < len(brands) and len(variants) < STOCK_ITEMS:
                variants.append((entry, brands[round_]))
    days = []
    first_day = (school.start + SCHOOL_OFFSET).date() + timedelta(days=1)
    # the last day whose school hours (and the fill-up after them) are over
    last_day = (school.now + SCHOOL_OFFSET - timedelta(hours=21)).date()
    span = (last_day - first_day).days or 1
    day = first_day
    while day <= last_day:
        days.append((day, _stock_day_weight(day, (day - first_day).days / span)))
        day += timedelta(days=1)
    school_weeks = sum(w for _d, w in days) / 5
    supplies: list[_Supply] = []
    rows = []
    barcodes: set[str] = set()
    for number, ((category, name, unit, price, spec, (low, target, reserve), special, decimal), brand) \
            in enumerate(variants, start=1):
        later = number > 1 and rng.random() < STOCK_ITEMS_ADDED_LATER
        created = school.moment() if later else school.start
        demand = STOCK_DEMAND.get(category, 1.0) * min(rng.paretovariate(1.2), 30.0)
        usual = max(1, round(target / 20)) * UNIT
        supplies.append(_Supply(number, category, price, demand, usual, decimal, special, low * UNIT, target * UNIT,
                                reserve * UNIT, created))
        barcode = None
        if rng.random() < 0.9:
            while barcode is None or barcode in barcodes:
                barcode = f"69{rng.randrange(10**10, 10**11)}"
            barcodes.add(barcode)
        pinyin, initials = pinyin_of(name)
        rows.append({
            "id": number, "name": name, "spec": f"{spec} {brand}", "unit": unit, "decimal_unit": decimal,
            "category_id": categories[category], "barcode": barcode, "photo_id": None, "pinyin": pinyin,
            "pinyin_initials": initials, "quota_person_milli": 20 * UNIT if name in ("中性笔", "白板笔") else None,
            "quota_department_milli": 30 * UNIT if name == "复印纸" else None, "needs_approval": special,
            "note": "", "created_at": created, "archived_at": None,
        })
    # the school's A4 paper (the first item) is what goes out most
    supplies[0].demand = max(s.demand for s in supplies) * 1.5
    total_demand = sum(s.demand for s in supplies)
    lines_per_week = STOCK_MOVEMENTS * 0.85 / max(school_weeks, 1)
    for supply, row in zip(supplies, rows, strict=True):
        weekly = lines_per_week * supply.demand / total_demand * supply.usual
        scale = max(1.0, 4 * weekly / supply.target, 2 * weekly / supply.min_level)
        supply.min_level, supply.target, supply.reserve = (round(level * scale / UNIT) * UNIT for level in (
            supply.min_level, supply.target, supply.reserve))
        row.update(min_level_milli=supply.min_level, target_level_milli=supply.target,
                   reserve_level_milli=supply.reserve)
    everyday = sorted((s for s in supplies if s.category in ("办公用品", "教学耗材", "清洁消毒用品")
                       and not s.special and s.start == school.start), key=lambda s: -s.demand)
    in_cupboard = everyday[:STOCK_CUPBOARD_ITEMS]
    for supply in in_cupboard:
        supply.cupboard_target = max(10 * UNIT, supply.target // 6 // UNIT * UNIT)
    retiring = rng.sample([s for s in supplies[1:] if s.start == school.start and not s.cupboard_target],
                          STOCK_ITEMS_RETIRED)
    conn.execute(insert(T["stock_item"]), rows)

    # 3. The decade, as the services would have written it.
    balance: dict[tuple[int, int], list[int]] = {}
    last_receipt: dict[int, tuple[int, int]] = {}
    movements: list[dict] = []
    receipts: list[dict] = []
    requisitions: list[dict] = []
    lines_of: dict[int, list[dict]] = {}
    req_lines: list[dict] = []
    issued: dict[int, int] = {}
    hand_overs: list[dict] = []
    counts: list[dict] = []
    count_lines: list[dict] = []
    counters: dict[str, int] = {}
    reversed_ids: set[int] = set()
    recent_issues: list[dict] = []
    #: for pacing the days: issue lines promised (a collection is booked) but not yet out,
    #: requisitions tried and their lines, ledger rows by issue / anything else
    pace = {"pending_lines": 0, "attempts": 0, "lines": 0, "issue": 0, "other": 0, "booked": 0, "collected": 0,
            "asked": 0.0, "got": 0}

    #: on the last school day, the ledger stops at exactly STOCK_MOVEMENTS rows
    last_day_mode = [False]

    def room() -> int:
        return STOCK_MOVEMENTS - len(movements) if last_day_mode[0] else 1 << 30

    def next_number(kind: str, at: datetime) -> tuple[int, int]:
        year = (at + SCHOOL_OFFSET).year
        scope = f"stock.{kind}.{year}"
        counters[scope] = counters.get(scope, 0) + 1
        return year, counters[scope]

    def on_hand(item_id: int) -> tuple[int, int]:
        a, b = balance.get((item_id, main), (0, 0)), balance.get((item_id, cupboard), (0, 0))
        return a[0] + b[0], a[1] + b[1]

    def average_cost(item_id: int) -> int:  # services.average_cost_fen
        quantity, value = on_hand(item_id)
        if quantity:
            return round(value * UNIT / quantity)
        last = last_receipt.get(item_id)
        return round(last[0] * UNIT / last[1]) if last else 0

    def post(item_id: int, store_id: int, kind: str, quantity: int, value: int, at: datetime, actor: int,
             **refs) -> dict:
        row = {"id": len(movements) + 1, "item_id": item_id, "store_id": store_id, "kind": kind,
               "quantity_milli": quantity, "value_fen": value, "occurred_at": at, "actor_id": actor,
               "person_id": None, "department_id": None, "receipt_id": None, "issue_id": None,
               "requisition_line_id": None, "count_id": None, "transfer_store_id": None, "reverses_id": None,
               "reason": "", **refs}
        held = balance.setdefault((item_id, store_id), [0, 0])
        held[0] += quantity
        held[1] += value
        assert held[0] >= 0 and held[1] >= 0, (row, held)
        movements.append(row)
        pace["issue" if kind == "issue" else "other"] += 1
        return row

    def take(item_id: int, store_id: int, quantity: int, kind: str, at: datetime, actor: int, **refs) -> dict:
        have, value = balance[(item_id, store_id)]
        out = value if quantity == have else round(value * quantity / have)
        return post(item_id, store_id, kind, -quantity, -out, at, actor, **refs)

    def available(supply: _Supply, store_id: int) -> int:
        """What may go out of a store without digging into the emergency reserve."""
        have = balance.get((supply.id, store_id), (0, 0))[0]
        spare = min(have, on_hand(supply.id)[0] - supply.reserve)
        return max(spare if supply.decimal else spare // UNIT * UNIT, 0)

    def someone(at: datetime):
        """A member of staff at that moment (joined, not yet left)."""
        pool = people[:max(bisect.bisect_right(joined_at, at), 1)]
        for _ in range(20):
            chosen = rng.choice(pool)
            if chosen.left_at is None or chosen.left_at > at:
                return chosen
        return pool[0]

    def approver_of(requester) -> int:
        """The head of the requester's department or of one above it, else the principal."""
        path = department_path.get(requester.department_id, "")
        for department_id in reversed([int(part) for part in path.strip("/").split("/") if part]):
            head = head_of.get(department_id)
            if head and head != requester.id and head in account_of:
                return account_of[head]
        return approvers[-1]

    weights = {store: [s.demand if (store == main or s.cupboard_target) else 0.0 for s in supplies]
               for store in (main, cupboard)}
    cumulative = {}
    for store, values in weights.items():
        total, cumulative[store] = 0.0, []
        for value in values:
            total += value
            cumulative[store].append(total)

    def pick(store_id: int, at: datetime, counter: bool) -> list[_Supply]:
        wanted = rng.choices(list(STOCK_LINES), list(STOCK_LINES.values()))[0]
        chosen: dict[int, _Supply] = {}
        for supply in rng.choices(supplies, cum_weights=cumulative[store_id], k=wanted * 2):
            if supply.start <= at and not supply.archived and not (counter and supply.special):
                chosen.setdefault(supply.id, supply)
        return list(chosen.values())[:wanted]

    def quantity_of(supply: _Supply) -> int:
        quantity = supply.usual * rng.choice([0.5, 1, 1, 1, 1, 1.5, 2, 3])
        return max(round(quantity / 500) * 500 if supply.decimal else round(quantity / UNIT) * UNIT, UNIT)

    def requisition(at: datetime, requester, store_id: int, counter: bool, status: str) -> dict:
        year, number = next_number("requisition", at)
        row = {"id": len(requisitions) + 1, "number": f"LY{year}-{number:05d}", "requester_id": requester.id,
               "department_id": requester.department_id, "for_department": not counter and rng.random() < 0.3,
               "purpose": rng.choice(PURPOSES), "store_id": store_id, "status": status, "at_counter": counter,
               "created_at": at - timedelta(minutes=rng.randrange(1, 30)) if not counter else at,
               "submitted_at": at, "needs_department_approval": False, "department_approved_by_id": None,
               "department_approved_at": None, "needs_reserve_approval": False, "reserve_approved_by_id": None,
               "reserve_approved_at": None, "decided_note": "", "rejected_by_id": None, "closed_at": None}
        requisitions.append(row)
        lines_of[row["id"]] = []
        return row

    def add_line(row: dict, supply: _Supply, quantity: int) -> dict:
        line = {"id": len(req_lines) + 1, "requisition_id": row["id"], "item_id": supply.id, "quantity_milli": quantity}
        req_lines.append(line)
        lines_of[row["id"]].append(line)
        issued[line["id"]] = 0
        return line

    def hand_over(row: dict, plan: list[tuple[dict, int]], at: datetime, recipient_id: int) -> None:
        actor = rng.choice(storekeepers)
        hand_overs.append({"id": len(hand_overs) + 1, "requisition_id": row["id"], "issued_at": at,
                           "issued_by_id": actor, "recipient_id": recipient_id, "signature_id": None})
        department = row["department_id"] if row["for_department"] else department_of[recipient_id]
        for line, quantity in plan:
            movement = take(line["item_id"], row["store_id"], quantity, "issue", at, actor,
                            person_id=row["requester_id"], department_id=department, issue_id=len(hand_overs),
                            requisition_line_id=line["id"], reason=row["purpose"])
            issued[line["id"]] += quantity
            recent_issues.append(movement)
        if len(recent_issues) > 4000:
            del recent_issues[:2000]

    events: list[tuple] = []
    sequence = [0]

    def later(at: datetime, kind: str, *payload) -> bool:
        """Book an event; one after the last day's school hours never happens (what it
        would have done stays open: requisitions ready or pending)."""
        at = at.replace(microsecond=0)
        if at > end:
            return False
        sequence[0] += 1
        heapq.heappush(events, (at, sequence[0], kind, payload))
        return True

    school_days = [index for index, (_d, w) in enumerate(days) if w > 0]
    end = school_time(last_day, 16.75)

    def school_day_after(at: datetime, skip: int) -> date | None:
        """The school day `skip` school days after `at`'s (0: the same day if it is one)."""
        here = bisect.bisect_left(school_days, ((at + SCHOOL_OFFSET).date() - first_day).days)
        target = here + skip
        return days[school_days[target]][0] if target < len(school_days) else None

    def collect_at(after: datetime, skip: int) -> datetime | None:
        day = school_day_after(after, skip)
        if day is None:
            return None
        return max(school_time(day, rng.uniform(8, 16.5)), after + timedelta(minutes=10))

    # -- the event handlers, each at its moment
    def counter_issue(at: datetime) -> None:
        store_id = cupboard if rng.random() < STOCK_FROM_CUPBOARD else main
        plan = []
        for supply in pick(store_id, at, counter=True):
            quantity = min(quantity_of(supply), available(supply, store_id))
            if quantity > 0:
                plan.append((supply, quantity))
        pace["attempts"] += 1
        plan = plan[:room()]
        if not plan:
            return
        requester = someone(at)
        row = requisition(at, requester, store_id, True, "issued")
        row["closed_at"] = at
        lines = [(add_line(row, supply, quantity), quantity) for supply, quantity in plan]
        pace["lines"] += len(lines)
        hand_over(row, lines, at, requester.id)

    def submit(at: datetime) -> None:
        store_id = cupboard if rng.random() < STOCK_FROM_CUPBOARD else main
        chosen = pick(store_id, at, counter=False)
        pace["attempts"] += 1
        if not chosen:
            return
        requester = someone(at)
        row = requisition(at, requester, store_id, False, "ready")
        for supply in chosen:
            add_line(row, supply, quantity_of(supply))
        pace["lines"] += len(chosen)
        if any(supply.special for supply in chosen):
            row["needs_department_approval"], row["status"] = True, "pending"
            later(at + timedelta(hours=rng.uniform(0.5, 26)), "approve", row, requester)
        else:
            book(row, collect_at(at, rng.choice([0, 0, 1, 1, 2, 3])))

    def book(row: dict, when: datetime | None) -> None:
        if when and later(when, "collect", row, 0):
            pace["pending_lines"] += len(lines_of[row["id"]])
            pace["booked"] += len(lines_of[row["id"]])

    def approve(at: datetime, row: dict, requester) -> None:
        decider = approver_of(requester)
        if rng.random() < 0.1:
            row.update(status="rejected", rejected_by_id=decider, closed_at=at, decided_note="本学期已领过，请先用完")
            return
        row.update(status="ready", department_approved_by_id=decider, department_approved_at=at)
        book(row, collect_at(at, rng.choice([0, 1, 1, 2])))

    def collect(at: datetime, row: dict, attempt: int) -> None:
        if row["status"] not in ("ready", "partly_issued"):
            return
        lines = lines_of[row["id"]]
        if attempt == 0 and rng.random() < 0.01:
            row.update(status="cancelled", closed_at=at)
            pace["pending_lines"] -= len(lines)
            return
        plan = []
        for line in lines:
            supply = supplies[line["item_id"] - 1]
            if supply.archived:
                continue
            quantity = min(line["quantity_milli"] - issued[line["id"]], available(supply, row["store_id"]))
            if quantity > 0:
                plan.append((line, quantity))
        plan = plan[:room()]
        requester = person_by_id[row["requester_id"]]
        recipient = requester.id
        if rng.random() < 0.1:  # a colleague collects it
            others = [p for p in colleagues[requester.department_id]
                      if p.id != requester.id and p.created_at <= at and (p.left_at is None or p.left_at > at)]
            recipient = rng.choice(others).id if others else recipient
        if plan:
            hand_over(row, plan, at, recipient)
            pace["collected"] += len(plan)
        if all(issued[line["id"]] >= line["quantity_milli"] for line in lines):
            row.update(status="issued", closed_at=at)
        elif attempt >= 1:  # still short after the next delivery: close what is left, or cancel
            if any(issued[line["id"]] for line in lines):
                row.update(status="issued", closed_at=at, decided_note="余下的缺货，不再发放")
            else:
                row.update(status="cancelled", closed_at=at, decided_note="缺货")
        else:
            if plan:
                row["status"] = "partly_issued"
            when = collect_at(at, rng.randrange(3, 9))
            if when:
                later(when, "collect", row, attempt + 1)
            return
        pace["pending_lines"] -= len(lines)

    def receive_run(at: datetime) -> None:
        """Every Monday: whatever is at or below its minimum is bought up to its target."""
        by_supplier: dict[str, list[tuple[_Supply, int]]] = {}
        for supply in supplies:
            if supply.archived or supply.start > at:
                continue
            have = on_hand(supply.id)[0]
            if have <= supply.min_level:
                quantity = supply.target - have
                quantity = quantity if supply.decimal else -(-quantity // UNIT) * UNIT
                if quantity > 0:
                    supplier = SUPPLIERS[list(STOCK_DEMAND).index(supply.category) % len(SUPPLIERS)]
                    by_supplier.setdefault(supplier, []).append((supply, quantity))
        years = (at - school.start).days / 365
        for supplier, lines in by_supplier.items():
            year, number = next_number("receipt", at)
            actor = rng.choice(storekeepers)
            receipts.append({"id": len(receipts) + 1, "number": f"RK{year}-{number:04d}", "store_id": main,
                             "supplier": supplier, "invoice_no": f"{rng.randrange(10**7, 10**8)}",
                             "received_on": (at + SCHOOL_OFFSET).date(), "note": "", "purchase_request_id": None,
                             "created_at": at, "created_by_id": actor})
            for supply, quantity in lines[:room()]:
                price = max(1, round(supply.price_yuan * 100 * 1.025 ** years * rng.uniform(0.95, 1.08)))
                value = round(price * quantity / UNIT)
                post(supply.id, main, "receipt", quantity, value, at, actor, receipt_id=len(receipts))
                last_receipt[supply.id] = (value, quantity)

    def transfer_run(at: datetime) -> None:
        """Every Wednesday in term: the cupboard is topped up from the main store."""
        actor = rng.choice(storekeepers)
        for supply in in_cupboard:
            if supply.archived:
                continue
            have = balance.get((supply.id, cupboard), (0, 0))[0]
            if have > supply.cupboard_target // 3:
                continue
            spare = balance.get((supply.id, main), (0, 0))[0] // 2
            quantity = min(supply.cupboard_target - have, spare if supply.decimal else spare // UNIT * UNIT)
            if quantity > 0 and room() >= 2:
                out = take(supply.id, main, quantity, "transfer_out", at, actor, transfer_store_id=cupboard,
                           reason="补充文具柜")
                post(supply.id, cupboard, "transfer_in", quantity, -out["value_fen"], at, actor,
                     transfer_store_id=main, reason="补充文具柜")

    def count_store(at: datetime, store_id: int) -> None:
        """The yearly count before school: snapshot, count, submit, approve, adjust."""
        starter, decider = keeper_account, next(a for a in approvers if a != keeper_account)
        count_id = len(counts) + 1
        counts.append({"id": count_id, "store_id": store_id, "status": "approved", "start_mark": len(movements),
                       "started_at": at, "started_by_id": starter, "submitted_at": at + timedelta(minutes=40),
                       "decided_at": at + timedelta(minutes=50), "decided_by_id": decider})
        differences = []
        for supply in supplies:
            if supply.archived or (supply.id, store_id) not in balance:
                continue
            expected = balance[(supply.id, store_id)][0]
            counted, reason = expected, ""
            if rng.random() < STOCK_COUNT_DIFFERENCES:
                gain = rng.random() < 0.25 or expected < UNIT
                counted = expected + rng.randint(1, 2) * UNIT if gain else expected - min(
                    rng.randint(1, 3) * UNIT, expected // UNIT * UNIT)
                reason = rng.choice(STOCK_COUNT_REASONS[gain]) if counted != expected else ""
            count_lines.append({"id": len(count_lines) + 1, "count_id": count_id, "item_id": supply.id,
                                "expected_milli": expected, "counted_milli": counted, "counted_mark": len(movements),
                                "counted_at": at + timedelta(minutes=rng.randrange(1, 35)),
                                "counted_by_id": starter, "reason": reason})
            if counted != expected:
                differences.append((supply, counted - expected, reason))
        adjusted = at + timedelta(minutes=50)
        for supply, variance, reason in differences:
            if variance > 0:  # counts.variances: the item's value over what all stores hold
                held, value = on_hand(supply.id)
                average = value * UNIT / held if held else average_cost(supply.id)
                post(supply.id, store_id, "adjustment", variance, round(variance * average / UNIT), adjusted,
                     decider, count_id=count_id, reason=reason)
            else:
                take(supply.id, store_id, -variance, "adjustment", adjusted, decider, count_id=count_id,
                     reason=reason)

    def give_back(at: datetime) -> None:
        """Unused goods brought back, at today's average cost (services.return_to_store)."""
        choices = [m for m in recent_issues[-400:] if m["occurred_at"] < at and -m["quantity_milli"] >= 2 * UNIT
                   and not supplies[m["item_id"] - 1].archived]
        if not choices or room() < 1:
            return
        issue = rng.choice(choices)
        quantity = UNIT if not supplies[issue["item_id"] - 1].decimal else 500
        post(issue["item_id"], issue["store_id"], "return", quantity,
             round(average_cost(issue["item_id"]) * quantity / UNIT), at, rng.choice(storekeepers),
             person_id=issue["person_id"], department_id=department_of[issue["person_id"]], reason="没用完，退回")

    def write_off(at: datetime) -> None:
        candidates = [s for s in supplies if not s.archived and s.category in ("清洁消毒用品", "防疫物资", "食堂耗材", "教学耗材")
                      and balance.get((s.id, main), (0, 0))[0] >= UNIT]
        if candidates and room() >= 1:
            supply = rng.choice(candidates)
            quantity = min(rng.randint(1, 5) * UNIT, balance[(supply.id, main)][0] // UNIT * UNIT)
            take(supply.id, main, quantity, "write_off", at, rng.choice(storekeepers),
                 reason=rng.choice(STOCK_WRITE_OFF_REASONS))

    def reverse(at: datetime) -> None:
        """An issue entered by mistake earlier that day, undone by an opposite row."""
        today = (at + SCHOOL_OFFSET).date()
        choices = [m for m in recent_issues[-200:] if m["occurred_at"] < at and m["id"] not in reversed_ids
                   and (m["occurred_at"] + SCHOOL_OFFSET).date() == today]
        if choices and room() >= 1:
            original = rng.choice(choices)
            reversed_ids.add(original["id"])
            post(original["item_id"], original["store_id"], "reversal", -original["quantity_milli"],
                 -original["value_fen"], at, rng.choice(storekeepers), reverses_id=original["id"],
                 person_id=original["person_id"], department_id=original["department_id"],
                 requisition_line_id=original["requisition_line_id"], reason="录错了数量，重新登记")

    def retire(at: datetime, supply: _Supply) -> None:
        for store_id in (main, cupboard):
            have = balance.get((supply.id, store_id), (0, 0))[0]
            if have:
                take(supply.id, store_id, have, "write_off", at, keeper_account, reason="停用，余量报废")
        supply.archived = True
        rows[supply.id - 1]["archived_at"] = at + timedelta(minutes=1)

    handlers = {"counter": counter_issue, "submit": submit, "approve": approve, "collect": collect,
                "receipts": receive_run, "transfers": transfer_run, "count": count_store, "return": give_back,
                "write_off": write_off, "reversal": reverse, "retire": retire}
    for supply in retiring:
        index = school_days[rng.randrange(len(school_days) * 3 // 10, len(school_days) * 9 // 10)]
        later(school_time(days[index][0], 15), "retire", supply)

    # -- day by day: each day's events go on the queue, then everything due that day runs
    weight_left = sum(w for _d, w in days)
    last_receipts = None
    counted_years: set[int] = set()
    final_day = days[school_days[-1]][0]

    def run_until(until: datetime) -> None:
        while events and events[0][0] < until:
            at, _seq, kind, payload = heapq.heappop(events)
            handlers[kind](at, *payload)

    for day, weight in days:
        if weight > 0:
            if last_receipts is None or day.weekday() == 0 or (day - last_receipts).days >= 7:
                later(school_time(day, 10), "receipts")
                last_receipts = day
            if day.weekday() == 2 and weight >= 0.5:
                later(school_time(day, 7.6), "transfers")
            if day.month == 7 and day.day >= 8 and day.year not in counted_years:
                counted_years.add(day.year)
                later(school_time(day, 7), "count", main)
                later(school_time(day, 7.05), "count", cupboard)
        if weight > 0 and day != final_day:
            # today's share of what is left, less the other rows that come with issues
            # booked lines come out short of what was asked when the store runs low
            collected = pace["collected"] / pace["booked"] if pace["booked"] else 1.0
            committed = len(movements) + pace["pending_lines"] * collected
            others = pace["other"] / pace["issue"] if pace["issue"] else 0.15
            per_attempt = pace["lines"] / pace["attempts"] if pace["attempts"] else 2.0
            quota = max(STOCK_MOVEMENTS - committed, 0) * weight / weight_left
            # what the days so far delivered of what they were asked (a bias here would
            # pile the shortfall onto the last day)
            delivered = min(max(pace["got"] / pace["asked"], 0.5), 2.0) if pace["asked"] else 1.0
            pace["asked"] += quota
            wanted = quota / delivered / (1 + others) / per_attempt
            for _ in range(int(wanted) + (rng.random() < wanted % 1)):
                at = school_time(day, rng.uniform(8, 16.5))
                later(at, "counter" if rng.random() < STOCK_AT_COUNTER else "submit")
            for kind, chance in STOCK_DAILY.items():
                if rng.random() < chance * weight:
                    later(school_time(day, rng.uniform(10, 16.5)), kind)
        weight_left -= weight
        until = school_time(day + timedelta(days=1), 0)
        before = len(movements)
        if day == final_day:
            # The last school day: counter issues spread over the day until the ledger holds
            # exactly STOCK_MOVEMENTS rows; what was booked for later that day stays open.
            last_day_mode[0] = True
            at, closing = school_time(day, 8), school_time(day, 16.5)
            while room() > 0 and at < closing:
                booked = sum(len(lines_of[payload[0]["id"]]) for when, _s, kind, payload in events
                             if kind == "collect" and when < closing)
                per_attempt = pace["lines"] / pace["attempts"] if pace["attempts"] else 2.0
                left = max((room() - booked) / per_attempt, 1)
                at = min(at + (closing - at) / left * rng.uniform(0.5, 1.5), closing)
                run_until(at)
                counter_issue(at)
            events = [event for event in events if event[0] >= until]
            heapq.heapify(events)
        run_until(until)
        pace["got"] += len(movements) - before
    # Should the day have ended short: single-line counter issues after hours.
    at = max(movements[-1]["occurred_at"], school_time(final_day, 16.5))
    if len(movements) < STOCK_MOVEMENTS:
        print(f"    (stock: the last day ended {STOCK_MOVEMENTS - len(movements)} rows short; single-line "
              "counter issues after hours make them up)", flush=True)
    plentiful = sorted((s for s in supplies if not s.special and not s.archived), key=lambda s: -s.demand)
    while len(movements) < STOCK_MOVEMENTS:
        at += timedelta(seconds=rng.randrange(20, 60))
        supply = next(s for s in plentiful if available(s, main) >= UNIT)
        requester = someone(at)
        row = requisition(at, requester, main, True, "issued")
        row["closed_at"] = at
        hand_over(row, [(add_line(row, supply, UNIT), UNIT)], at, requester.id)
    assert at < school.now, "the top-up ran past now"
    # A few carts not yet sent (drafts have no number).
    for requester_id in rng.sample([p for p in school.current_person_ids if p != 1], 4):
        requester = person_by_id[requester_id]
        at = school.now - timedelta(hours=rng.uniform(2, 72))
        row = requisition(at, requester, main, False, "draft")
        counters[f"stock.requisition.{(at + SCHOOL_OFFSET).year}"] -= 1
        row.update(number=None, submitted_at=None, created_at=at)
        for supply in pick(main, at, counter=False):
            add_line(row, supply, quantity_of(supply))

    # 4. In the order the foreign keys need; the ledger last, through its trigger.
    for table, batch in (("stock_receipt", receipts), ("requisition", requisitions), ("requisition_line", req_lines),
                         ("stock_issue", hand_overs), ("stock_count", counts), ("stock_count_line", count_lines)):
        insert_rows(conn, table, batch)
    for supply in supplies:
        if supply.archived:
            conn.execute(update(T["stock_item"]).where(T["stock_item"].c.id == supply.id)
                         .values(archived_at=rows[supply.id - 1]["archived_at"]))
    insert_rows(conn, "stock_movement", movements)
    conn.execute(insert(T["counter"]), [{"scope": scope, "value": value}
                                        for scope, value in sorted(counters.items()) if value])

    # 5. The trigger's balances must be the ledger's sums, and what was tracked here.
    ledger = T["stock_movement"]
    sums = {(row.item_id, row.store_id): (row.q, row.v) for row in conn.execute(
        select(ledger.c.item_id, ledger.c.store_id, func.sum(ledger.c.quantity_milli).label("q"),
               func.sum(ledger.c.value_fen).label("v")).group_by(ledger.c.item_id, ledger.c.store_id))}
    kept = {(row.item_id, row.store_id): (row.quantity_milli, row.value_fen)
            for row in conn.execute(select(T["stock_balance"]))}
    assert kept == sums == {key: tuple(value) for key, value in balance.items()}, "stock_balance ≠ the ledger"
    assert min(q for q, _v in kept.values()) >= 0 and min(v for _q, v in kept.values()) >= 0

