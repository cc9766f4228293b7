"""The asset register: items, their histories and the loans at the desk."""

from __future__ import annotations

from datetime import datetime, timedelta

from harness.build import SCHOOL_OFFSET, School, T, insert_rows, new_token
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

# Sizes (DESIGN.md §9: 20,000 assets, 200,000 events) ----------------------------------
ASSETS = 20_000
#: every row of the history, "registered" and the loans' "checked_out"/"checked_in" included
ASSET_EVENTS = 200_000
#: share of assets lent at the desk; they live in the storerooms (储物间) when not on loan
ASSETS_LOANABLE = 0.05
LOANS = 8_000
#: loans not yet returned (one per asset at most, as the partial unique index holds);
#: ASSET_OPEN_OVERDUE of them are past due, ADMIN_OPEN_LOANS borrowed by the bench admin
ASSET_OPEN_LOANS = 150
ASSET_OPEN_OVERDUE = 30
ADMIN_OPEN_LOANS = 3
#: final status of the assets that are not loanable: key -> share (the rest are in_use)
ASSET_STATUSES = {"in_storage": 0.06, "under_repair": 0.02, "pending_disposal": 0.015,
                  "disposed": 0.045, "lost": 0.005}
#: the most events one asset gets besides its loans, about (a skewed spread: most get few)
ASSET_EVENTS_SKEW = 40

#: the tables this builder fills (generate.py counts their rows)
TABLES = ("asset", "asset_category", "asset_kind", "asset_event", "loan", "counter")

#: what a school owns: name, GB/T 14885 code, kind key, unit price in yuan, brand, model,
#: weight (how common), whether its kind is lent at the desk. Quantity > 1 for sets.
ASSET_CATALOGUE = [
    ("学生课桌椅（套）", "A05010304", None, 380, "", "升降式", 30, False),
    ("教学、实验用桌", "A05010203", None, 600, "", "", 6, False),
    ("办公椅", "A05010301", None, 450, "", "", 8, False),
    ("文件柜", "A05010502", None, 1200, "", "", 5, False),
    ("书柜", "A05010501", None, 980, "", "", 4, False),
    ("台式电脑", "A02010105", None, 4300, "联想", "启天M437", 8, False),
    ("教师台式计算机", "A02010105", None, 4500, "联想", "启天M437", 3, False),
    ("笔记本电脑", "A02010108", "laptop", 5200, "联想", "ThinkPad E14", 3, True),
    ("交互式电子白板", "A02020700", None, 12800, "希沃", "MAXHUB-86", 2, False),
    ("投影仪", "A02020000", "projector", 4200, "爱普生", "CB-X06", 3, False),
    ("便携式投影仪", "A02020000", "projector", 3200, "明基", "GS50", 0.6, True),
    ("数码相机", "A02000000", "camera", 3900, "佳能", "EOS 200D", 0.6, True),
    ("平板充电车", "A02010000", "tablet_cart", 18000, "希沃", "T-CART 40", 0.2, True),
    ("空调机", "A02061804", None, 3600, "格力", "KFR-72LW", 5, False),
    ("A4彩色打印机", "A02021004", None, 2600, "惠普", "M255dw", 2, False),
    ("碎纸机", "A02021301", None, 900, "得力", "9911", 1, False),
    ("电视机", "A02091001", None, 3200, "海信", "65E3F", 1, False),
    ("灭火器", "A02000000", "extinguisher", 95, "淮海", "MFZ/ABC4", 6, False),
    ("直饮水机", "A02000000", "water_point", 6800, "沁园", "JZY-A2XB", 1, False),
    ("冷藏冰箱", "A02000000", "fridge", 5600, "海尔", "SC-650", 0.2, False),
    ("教具", "A05040403", None, 200, "", "", 3, False),
    ("演出服饰", "A02450200", None, 150, "", "", 2, False),
    ("玻璃温度计", "A02100702", None, 30, "", "", 1, False),
]
ASSET_SUPPLIERS = ["阳光教育装备有限公司", "市政府采购中心", "联想（北京）有限公司", "希沃教育科技", "本地家具厂"]
#: kind of an event that is neither registration, loan nor disposal -> weight
ASSET_EVENT_MIX = {"moved": 35, "custodian_changed": 30, "status_changed": 10, "edited": 10, "audited": 15}
AFTER_SCHOOL_UTC = (8, 30)          # 16:30 in the school, when loans fall due


def build(conn: Connection, school: School) -> None:
    """ASSETS on the register over the decade, each with a history that adds up (the
    "from" of a move is where the previous event left it; the row shows where the last
    one did), LOANS on the loanable ones (ASSET_OPEN_LOANS still out), ASSET_EVENTS rows
    of history in all; ids follow time, as they do live."""
    rng = school.rng
    categories = dict(conn.execute(select(T["asset_category"].c.code, T["asset_category"].c.id)).all())
    kinds = dict(conn.execute(select(T["asset_kind"].c.key, T["asset_kind"].c.id)).all())
    room_rows = conn.execute(select(T["location"].c.id, T["location"].c.name, T["location"].c.full_name,
                                    T["location"].c.responsible_person_id)
                             .where(T["location"].c.kind == "room", T["location"].c.archived_at.is_(None))).all()
    place_name = {row.id: row.full_name for row in room_rows}
    rooms = [row.id for row in room_rows]
    stores = [row.id for row in room_rows if "储物间" in row.name] or rooms[:3]
    keeper_of = {row.id: row.responsible_person_id for row in room_rows}
    people = conn.execute(select(T["person"].c.id, T["person"].c.name, T["person"].c.department_id)).all()
    person_name = {row.id: row.name for row in people}
    department_of = {row.id: row.department_id for row in people}
    current = school.current_person_ids
    desk_accounts = [school.admin_account_id] + school.account_ids[1:6]
    used_tokens = set(conn.execute(select(T["location"].c.token)).scalars())

    def at_of(start: datetime, end: datetime) -> datetime:
        return (start + (end - start) * rng.random()).replace(microsecond=0)

    # 1. The items, registered over the decade (oldest first, so ids and numbers follow time).
    weights = [item[6] for item in ASSET_CATALOGUE]
    span_days = (school.now - school.start).days
    registered = sorted(school.start + timedelta(days=rng.random() * (span_days - 1)) for _ in range(ASSETS))
    loanable_kind: list[int] = []  # indexes of items of a kind lent at the desk
    assets: list[dict] = []
    counters: dict[int, int] = {}
    for number, created in enumerate(registered, start=1):
        name, code, kind, price, brand, model, _weight, lends = rng.choices(ASSET_CATALOGUE, weights)[0]
        created = created.replace(microsecond=0)
        booked = (created + SCHOOL_OFFSET).date()
        purchased = booked - timedelta(days=rng.randrange(0, 30))
        counters[booked.year] = counters.get(booked.year, 0) + 1
        quantity = rng.randrange(20, 51) if name.endswith("（套）") else 1
        room = rng.choice(rooms)
        keeper = keeper_of[room] if rng.random() < 0.7 else rng.choice(current)
        keeper = None if rng.random() < 0.04 else keeper
        if lends:
            loanable_kind.append(number - 1)
        assets.append({
            "id": number, "number": f"ZC{booked.year}{counters[booked.year]:05d}",
            "token": new_token(rng, used_tokens),
            "name": name, "category_id": categories.get(code) or rng.choice(list(categories.values())),
            "kind_id": kinds.get(kind) if kind else None,
            "tier": "fixed_asset" if price >= 1000 else "low_value_durable",
            "brand": brand, "model": model, "spec": "", "serial": f"SN{rng.randrange(10**8, 10**9)}",
            "unit": "套" if quantity > 1 else "台", "quantity": quantity, "unit_price_fen": price * 100,
            "funding_source": rng.choice(["财政拨款", "财政拨款", "自筹资金"]),
            "acquisition_method": rng.choice(["政府采购", "政府采购", "自行采购", "捐赠"]),
            "purchased_on": purchased, "booked_on": booked,
            "voucher_no": f"记-{booked.year}-{rng.randrange(1, 2000):04d}",
            "invoice_no": f"{rng.randrange(10**7, 10**8)}", "supplier": rng.choice(ASSET_SUPPLIERS),
            "warranty_until": purchased + timedelta(days=365 * 3) if price >= 1000 else None,
            "use_direction": rng.choice(["教学", "教学", "行政", "后勤"]),
            "department_id": None, "custodian_id": keeper, "location_id": room, "status": "in_use", "loanable": False,
            "extra": {}, "photo_id": None, "note": "", "next_audit_on": None, "created_at": created,
        })
    conn.execute(insert(T["counter"]), [{"scope": f"assets.{year}", "value": value}
                                              for year, value in counters.items()])

    # 2. Which are lent at the desk (items of a lending kind first), and final statuses.
    wanted = round(ASSETS * ASSETS_LOANABLE)
    rng.shuffle(loanable_kind)
    lending_kind = set(loanable_kind)
    others = [n for n in range(ASSETS) if n not in lending_kind]
    lendable = (loanable_kind + rng.sample(others, max(0, wanted - len(loanable_kind))))[:wanted]
    lendable_set = set(lendable)
    for n in lendable:
        asset = assets[n]
        asset["loanable"] = True
        asset["status"] = "in_storage" if rng.random() < 0.8 else "in_use"
        asset["location_id"] = rng.choice(stores)
    rest = [n for n in range(ASSETS) if n not in lendable_set]
    pool = iter(rng.sample(rest, len(rest)))
    for status, share in ASSET_STATUSES.items():
        for _ in range(round(ASSETS * share)):
            assets[next(pool)]["status"] = status

    # 3. Loans on the loanable items: closed ones spread over each item's life, then the
    #    open ones (recent, some overdue, a few borrowed by the bench administrator).
    out_now = set(rng.sample(lendable, ASSET_OPEN_LOANS))
    closed_count = LOANS - ASSET_OPEN_LOANS
    per_asset: dict[int, int] = {}
    heavy = [rng.paretovariate(1.5) for _ in lendable]
    recent = school.now - timedelta(days=45)  # too new for closed loans before an open one
    heavy = [0.0 if assets[n]["created_at"] > recent else min(w, 6.0) for n, w in zip(lendable, heavy, strict=True)]
    for n in rng.choices(lendable, weights=heavy, k=closed_count):
        per_asset[n] = per_asset.get(n, 0) + 1
    slips: set[str] = set()
    loans: list[dict] = []
    events: list[dict] = []
    loan_id = 0

    def slip_for(out_at: datetime) -> str:
        while True:
            slip = (out_at + SCHOOL_OFFSET).strftime("JY%y%m%d") + f"-{rng.randrange(0x10000):04X}"
            if slip not in slips:
                slips.add(slip)
                return slip

    def due_for(out_at: datetime) -> datetime:
        days = rng.choice([0, 1, 1, 3, 7, 14, 60])
        return (out_at + timedelta(days=days)).replace(hour=AFTER_SCHOOL_UTC[0], minute=AFTER_SCHOOL_UTC[1], second=0)

    open_borrowers = iter([1] * ADMIN_OPEN_LOANS + [rng.choice(current) for _ in range(ASSET_OPEN_LOANS)])
    overdue = set(rng.sample(sorted(out_now), ASSET_OPEN_OVERDUE))
    busy_until: dict[int, datetime] = {}
    for n in sorted(lendable):
        asset = assets[n]
        life_start = asset["created_at"] + timedelta(days=1)
        last_open = None
        if n in out_now:  # still out: lent in the last 3 weeks, or over 2 weeks ago if overdue
            back = rng.uniform(15, 40) if n in overdue else rng.uniform(0.2, 12)
            last_open = max(life_start, school.now - timedelta(days=back))
        life_end = (last_open or school.now) - timedelta(hours=1)
        count = per_asset.get(n, 0)
        if life_end <= life_start:
            count = 0
        starts = sorted(at_of(life_start, life_end) for _ in range(count))
        for index, out_at in enumerate(starts):
            limit = (starts[index + 1] if index + 1 < len(starts) else life_end) - out_at
            returned = out_at + min(timedelta(days=rng.uniform(0.1, 10)), limit * 0.9)
            loan_id += 1
            slip = slip_for(out_at)
            borrower = rng.choice(current)
            due = due_for(out_at)
            damaged = rng.random() < 0.02
            loans.append({"id": loan_id, "asset_id": asset["id"], "borrower_id": borrower, "slip": slip,
                          "out_at": out_at, "out_by_id": rng.choice(desk_accounts), "due_at": due,
                          "condition_out": "完好", "signature_id": None, "status_before": asset["status"],
                          "returned_at": returned.replace(microsecond=0), "returned_to_id": rng.choice(desk_accounts),
                          "condition_in": "屏幕有划痕" if damaged else "",
                          "damaged": damaged, "photo_in_id": None})
            events.append({"asset_id": asset["id"], "at": out_at, "kind": "checked_out",
                           "actor_id": loans[-1]["out_by_id"], "note": "",
                           "data": {"loan_id": loan_id, "slip": slip, "borrower": person_name[borrower],
                                    "due_at": due.isoformat()}})
            events.append({"asset_id": asset["id"], "at": loans[-1]["returned_at"], "kind": "checked_in",
                           "actor_id": loans[-1]["returned_to_id"], "note": loans[-1]["condition_in"],
                           "data": {"loan_id": loan_id, "slip": slip, "damaged": damaged, "checklist": {}}})
        if last_open is not None:
            out_at = last_open.replace(microsecond=0)
            loan_id += 1
            slip = slip_for(out_at)
            borrower = next(open_borrowers)
            due = (school.now - timedelta(days=rng.uniform(1, 10)) if n in overdue
                   else school.now + timedelta(days=rng.uniform(1, 20))).replace(
                hour=AFTER_SCHOOL_UTC[0], minute=AFTER_SCHOOL_UTC[1], second=0, microsecond=0)
            loans.append({"id": loan_id, "asset_id": asset["id"], "borrower_id": borrower, "slip": slip,
                          "out_at": out_at, "out_by_id": rng.choice(desk_accounts), "due_at": due,
                          "condition_out": "完好", "signature_id": None, "status_before": asset["status"],
                          "returned_at": None, "returned_to_id": None, "condition_in": "",
                          "damaged": False, "photo_in_id": None})
            events.append({"asset_id": asset["id"], "at": out_at, "kind": "checked_out",
                           "actor_id": loans[-1]["out_by_id"], "note": "",
                           "data": {"loan_id": loan_id, "slip": slip, "borrower": person_name[borrower],
                                    "due_at": due.isoformat()}})
            asset["status"] = "on_loan"
            busy_until[n] = out_at
    loans.sort(key=lambda row: row["id"])

    # 4. The rest of each history: registration, then moves, custodian changes, repairs,
    #    edits and audits, skewed so a few items gather many events; disposal last.
    closing_events = sum(1 for a in assets if not a["loanable"] and a["status"] != "in_use")
    other_count = ASSET_EVENTS - ASSETS - len(events) - closing_events
    skew = [min(rng.paretovariate(1.3), ASSET_EVENTS_SKEW) for _ in assets]
    extra_of = [0] * ASSETS
    for n in rng.choices(range(ASSETS), weights=skew, k=max(0, other_count)):
        extra_of[n] += 1
    kinds_mix, kind_weights = list(ASSET_EVENT_MIX), list(ASSET_EVENT_MIX.values())
    for n, asset in enumerate(assets):
        final_status, final_room, final_keeper = asset["status"], asset["location_id"], asset["custodian_id"]
        lends = asset["loanable"]
        start = asset["created_at"]
        end = busy_until.get(n, school.now) - timedelta(minutes=1)
        if not lends and final_status != "in_use":
            end = at_of(start + (end - start) * 0.5, end)  # the last change of status, then nothing
        changes = sorted(at_of(start, end) for _ in range(extra_of[n]))
        status = "in_storage" if lends else "in_use"
        kinds_here = [rng.choices(kinds_mix, kind_weights)[0] for _ in changes]
        if lends:  # the desk changes a loanable item's status; nobody else does
            kinds_here = ["moved" if k == "status_changed" else k for k in kinds_here]
        repairs = [i for i, k in enumerate(kinds_here) if k == "status_changed"]
        if len(repairs) % 2:  # every trip to repair comes back before the final status
            kinds_here[repairs[-1]] = "audited"
        # the last move and custodian change land on where the row says the item is now
        last_move = max((i for i, k in enumerate(kinds_here) if k == "moved"), default=None)
        last_keeper = max((i for i, k in enumerate(kinds_here) if k == "custodian_changed"), default=None)
        # where it was registered, and with whom: where it still is if it never moved
        room = final_room if last_move is None else rng.choice(stores if lends else rooms)
        keeper = final_keeper if last_keeper is None else rng.choice(current)
        events.append({"asset_id": asset["id"], "at": start, "kind": "registered", "actor_id": rng.choice(desk_accounts),
                       "note": "", "data": {"number": asset["number"], "location": place_name[room]}})
        for index, (when, kind) in enumerate(zip(changes, kinds_here, strict=True)):
            data: dict
            if kind == "moved":
                target = final_room if index == last_move else rng.choice(stores if lends else rooms)
                data = {"from": {"id": room, "name": place_name[room]}, "to": {"id": target, "name": place_name[target]}}
                room = target
            elif kind == "custodian_changed":
                target = final_keeper if index == last_keeper else rng.choice(current)
                data = {"from": {"id": keeper, "name": person_name.get(keeper, "")},
                        "to": {"id": target, "name": person_name.get(target, "")}}
                keeper = target
            elif kind == "status_changed":  # off to repair and back
                target = "under_repair" if status == "in_use" else "in_use"
                data = {"from": status, "to": target}
                status = target
            elif kind == "edited":
                data = {"note": {"from": "", "to": "已贴新标签"}}
            else:
                data = {"found": True, "location": place_name[room]}
            events.append({"asset_id": asset["id"], "at": when, "kind": kind, "actor_id": rng.choice(desk_accounts),
                           "note": "", "data": data})
        closing = end + timedelta(minutes=1)
        if final_status == "disposed":
            events.append({"asset_id": asset["id"], "at": closing, "kind": "disposed", "actor_id": desk_accounts[0],
                           "note": "", "data": {"document": f"教财〔{closing.year}〕{rng.randrange(1, 60)}号"}})
        elif final_status == "lost":
            events.append({"asset_id": asset["id"], "at": closing, "kind": "audited", "actor_id": desk_accounts[0],
                           "note": "盘点未找到", "data": {"found": False, "location": place_name[room]}})
        elif not lends and final_status != "in_use":
            events.append({"asset_id": asset["id"], "at": closing, "kind": "status_changed",
                           "actor_id": rng.choice(desk_accounts), "note": "", "data": {"from": status, "to": final_status}})
        asset["department_id"] = department_of.get(keeper) if keeper else None

    conn.execute(insert(T["asset"]), assets)
    conn.execute(insert(T["loan"]), loans)
    events.sort(key=lambda row: row["at"])
    insert_rows(conn, "asset_event", events)
