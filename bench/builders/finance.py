"""Finance (财务): eleven fiscal years (the decade and this one so far) of budget lines, their
adjustments, purchase requests approved by amount as the app's chain asks (the logistics
head, the principal above ¥500, a 行政会 above ¥10,000), accepted and paid, some rejected or
withdrawn, and the expenditure journal: the requests' payments and the lines' own (office
costs, outside repairs), a few reversed. Each line's budget is set above what the year
spent and committed on it, so no line is overspent; this year's office line is near its
limit. Nothing is dated after now; this year's latest requests still wait for approval,
acceptance or payment."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from harness.build import SCHOOL_OFFSET, School, T, insert_rows, school_time
from sqlalchemy import select
from sqlalchemy.engine import Connection

# Sizes (issue 17: "10,000 expenditures and 3,000 requests over a decade") ------------------
REQUESTS_A_YEAR = 300
EXPENDITURES_A_YEAR = 1000
#: code, name, share of the year's spending
LINES = [("302-01", "办公费", 0.16), ("302-02", "印刷费", 0.06), ("302-05", "水费", 0.04), ("302-06", "电费", 0.08),
         ("302-07", "邮电费", 0.02), ("302-11", "差旅费", 0.03), ("302-13", "维修（护）费", 0.18),
         ("302-16", "培训费", 0.03), ("302-18", "专用材料费", 0.14), ("302-27", "委托业务费", 0.04),
         ("310-02", "办公设备购置", 0.15), ("310-06", "信息网络及软件购置", 0.07)]
EMERGENCY = ("399-01", "应急资金")
SUPPLIERS = ["得力办公", "晨光文具", "区印刷厂", "国网供电公司", "市自来水公司", "中国电信", "区政府采购协议供应商",
             "京东企业购", "区建筑维修公司", "信息技术服务公司"]
TITLES = {"302-01": ["打印纸", "办公文具", "档案盒与文件夹"], "302-13": ["教室灯具更换", "屋面防水", "水管维修", "门窗维修"],
          "302-18": ["美术耗材", "科学实验耗材", "体育器材补充"], "310-02": ["打印机", "投影仪", "办公桌椅"],
          "310-06": ["交换机", "教师电脑", "正版软件"]}
TABLES = ("finance_budget_line", "finance_budget_adjustment", "finance_purchase_request", "finance_purchase_line",
          "finance_approval", "finance_acceptance", "finance_expenditure")


def build(conn: Connection, school: School) -> None:
    rng = school.rng
    now = school.now
    today = (now + SCHOOL_OFFSET).date()
    first_year = (school.start + SCHOOL_OFFSET).year

    def at(day: date, low: float = 8.5, high: float = 17.0) -> datetime:
        moment = school_time(day, rng.uniform(low, high)).replace(microsecond=0)
        return min(moment, now)

    def day_in(year: int, low: date | None = None) -> date:
        start = max(date(year, 1, 1), low or date(year, 1, 1), (school.start + SCHOOL_OFFSET).date())
        end = min(date(year, 12, 31), today)
        return start + timedelta(days=rng.randrange(max((end - start).days, 0) + 1))

    role, grants = T["role"], T["role_assignment"]
    holders: dict[str, list[int]] = {}
    for code, account_id in conn.execute(select(role.c.code, grants.c.account_id)
                                         .join(grants, grants.c.role_id == role.c.id).order_by(grants.c.account_id)):
        holders.setdefault(code, []).append(account_id)
    heads, principals = holders.get("logistics_head", []), holders.get("principal", [])
    accountants = holders.get("accountant", []) or [school.admin_account_id]
    askers = holders.get("storekeeper", []) + holders.get("canteen_manager", []) + holders.get("maintenance", [])
    stock_items = [row.id for row in conn.execute(select(T["stock_item"].c.id).limit(60))]
    categories = [row.id for row in conn.execute(select(T["asset_category"].c.id).where(
        T["asset_category"].c.code.like("A02%")).limit(10))]

    line_rows, adjustment_rows, request_rows, item_rows, approval_rows, acceptance_rows, paid_rows = \
        [], [], [], [], [], [], []
    line_id = request_id = expenditure_id = 0
    counters: dict[str, int] = {}

    def number(scope: str, pattern: str, year: int) -> str:
        counters[scope] = counters.get(scope, 0) + 1
        return pattern.format(year=year, seq=counters[scope])

    for year in range(first_year, today.year + 1):
        this_year = year == today.year
        opens = max(date(year, 1, 1), (school.start + SCHOOL_OFFSET).date())  # the decade's first year is partial
        closes = today if this_year else date(year, 12, 31)
        year_share = ((closes - opens).days + 1) / 365
        lines = {}
        for code, name, _share in [*LINES, (*EMERGENCY, 0)]:
            line_id += 1
            lines[code] = line_id
            line_rows.append({"id": line_id, "fiscal_year": year, "code": code, "name": name, "department_id": None,
                              "original_fen": 0, "emergency": code == EMERGENCY[0], "note": "",
                              "created_at": at(date(year, 1, 1) if year > first_year else day_in(year)),
                              "created_by_id": accountants[0]})
        used = {code: 0 for code in lines}
        # requests, in time order
        days = sorted(day_in(year) for _n in range(round(REQUESTS_A_YEAR * year_share)))
        for n, made_on in enumerate(days):
            code = rng.choice([c for c in TITLES])
            request_id += 1
            kind = "stock" if code in ("302-01", "302-18") and stock_items else (
                "asset" if code.startswith("310") and categories else "other")
            lines_here = []
            for _k in range(rng.choice((1, 1, 2, 3))):
                price = rng.choice((800, 2_500, 4_800, 12_000, 35_000, 68_000, 150_000, 480_000, 1_200_000))
                lines_here.append({"request_id": request_id, "kind": kind, "description": rng.choice(TITLES[code]),
                                   "quantity": rng.choice((1, 1, 2, 5, 10, 20)), "unit_price_fen": price,
                                   "stock_item_id": rng.choice(stock_items) if kind == "stock" else None,
                                   "asset_category_id": rng.choice(categories) if kind == "asset" else None})
            total = sum(r["quantity"] * r["unit_price_fen"] for r in lines_here)
            levels = 1 + (total > 50_000) + (total > 1_000_000)
            recent = this_year and n >= len(days) - 12
            state = (rng.choice(("pending", "approved", "accepted", "paid")) if recent else
                     rng.choices(("paid", "rejected", "cancelled"), (88, 7, 5))[0])
            created = at(made_on)
            decided_on = min(made_on + timedelta(days=rng.randrange(0, 4)), today)
            request_rows.append({"id": request_id, "number": number(f"request.{year}", "CG{year}-{seq:04d}", year),
                                 "line_id": lines[code], "requester_id": rng.choice(askers or accountants),
                                 "title": rng.choice(TITLES[code]), "justification": "教学与办公所需",
                                 "total_fen": total, "levels_needed": levels, "status": state,
                                 "supplier": rng.choice(SUPPLIERS), "decided_at": None, "accepted_at": None,
                                 "paid_at": None, "cancelled_reason": "合并到下一批采购" if state == "cancelled" else "",
                                 "created_at": created})
            item_rows.extend(lines_here)
            row = request_rows[-1]
            approvers = {"head": heads, "principal": principals, "meeting": principals}
            for level in ("head", "principal", "meeting")[:levels]:
                if state == "pending" and level != "head" or state == "cancelled":
                    break
                decision = "rejected" if state == "rejected" else "approved"
                approval_at = max(at(decided_on), created)
                approval_rows.append({"request_id": request_id, "level": level, "decision": decision,
                                      "by_id": rng.choice(approvers[level] or accountants), "note": "",
                                      "minutes": f"{year}年行政会纪要" if level == "meeting" else "",
                                      "created_at": approval_at})
                row["decided_at"] = approval_at
                if decision == "rejected":
                    row["note"] = "预算不足，暂缓"
                    break
            if state == "pending":
                row["decided_at"] = None  # the app stamps the last step's decision only
            if state in ("approved", "accepted", "paid"):
                used[code] += total
            if state in ("accepted", "paid"):
                accepted_on = min(decided_on + timedelta(days=rng.randrange(2, 15)), today)
                acceptance_rows.append({"request_id": request_id, "result": "passed", "accepted_on": accepted_on,
                                        "by_id": rng.choice(heads or accountants), "witness": "仓库管理员",
                                        "note": "", "receipt_id": None, "created_at": max(at(accepted_on), created)})
                row["accepted_at"] = acceptance_rows[-1]["created_at"]
            if state == "paid":
                paid_on = min(decided_on + timedelta(days=rng.randrange(10, 40)), today)
                if paid_on.year != year:
                    paid_on = date(year, 12, 31)
                expenditure_id += 1
                paid_rows.append(_payment(expenditure_id, number(f"expenditure.{year}", "ZC{year}-{seq:05d}", year),
                                          lines[code], paid_on, total, row["supplier"], row["title"], request_id,
                                          at(paid_on, 15, 17), accountants[0], rng))
                row["paid_at"] = paid_rows[-1]["created_at"]
        # the lines' own payments (utilities, small office costs, outside repairs)
        own = round(EXPENDITURES_A_YEAR * year_share) - sum(1 for r in paid_rows if r["paid_on"].year == year)
        for _n in range(max(own, 0)):
            code, _name, _share = rng.choices(LINES, [share for _c, _n, share in LINES])[0]
            paid_on = day_in(year)
            expenditure_id += 1
            amount = rng.choice((3_500, 12_800, 25_000, 48_000, 96_000, 180_000, 420_000))
            paid_rows.append(_payment(expenditure_id, number(f"expenditure.{year}", "ZC{year}-{seq:05d}", year),
                                      lines[code], paid_on, amount, rng.choice(SUPPLIERS), "日常支出", None,
                                      at(paid_on, 15, 17), accountants[0], rng))
        # a few reversals (a wrong invoice), dated a few days after
        for row in rng.sample([r for r in paid_rows if r["paid_on"].year == year and r["request_id"] is None],
                              k=min(4, sum(1 for r in paid_rows if r["paid_on"].year == year
                                           and r["request_id"] is None))):
            reversal_day = min(row["paid_on"] + timedelta(days=3), today, date(year, 12, 31))
            expenditure_id += 1
            reversal = _payment(expenditure_id, number(f"expenditure.{year}", "ZC{year}-{seq:05d}", year),
                                row["line_id"], reversal_day, -row["amount_fen"], row["supplier"], row["purpose"], None,
                                max(at(reversal_day, 15, 17), row["created_at"]), accountants[0], rng)
            reversal.update(reverses_id=row["id"], reason="发票抬头有误，退回重开", invoice_date=None)
            paid_rows.append(reversal)
        for row in paid_rows:
            if row["paid_on"].year == year and row["line_id"] in lines.values():
                code = next(c for c, i in lines.items() if i == row["line_id"])
                used[code] += row["amount_fen"]
        # budgets: above what the year used; this year's office line near its limit; one adjustment a year
        for code, line in lines.items():
            spent = used[code]
            row = next(r for r in line_rows if r["id"] == line)
            margin = 1.02 if (this_year and code == "302-01") else rng.uniform(1.1, 1.4)
            row["original_fen"] = max(round(spent * margin / 100_000) * 100_000, 3_000_000)
        adjusted = lines["302-13"]
        adjustment_rows.append({"line_id": adjusted, "amount_fen": 2_000_000, "reason": "雨季屋面防水追加",
                                "approved_by": "校务会", "made_on": day_in(year), "created_by_id": accountants[0],
                                "created_at": at(day_in(year))})
        adjustment_rows[-1]["created_at"] = at(adjustment_rows[-1]["made_on"])

    insert_rows(conn, "finance_budget_line", line_rows)
    insert_rows(conn, "finance_budget_adjustment", adjustment_rows)
    insert_rows(conn, "finance_purchase_request", [{k: v for k, v in r.items() if k != "note"} for r in request_rows])
    insert_rows(conn, "finance_purchase_line", item_rows)
    insert_rows(conn, "finance_approval", [
        {**a, "note": "预算不足，暂缓" if a["decision"] == "rejected" else ""} for a in approval_rows])
    insert_rows(conn, "finance_acceptance", acceptance_rows)
    insert_rows(conn, "finance_expenditure", sorted(paid_rows, key=lambda r: r["id"]))
    counter = T["counter"]
    conn.execute(counter.insert(), [{"scope": f"finance.{scope}", "value": value} for scope, value in counters.items()])


def _payment(expenditure_id, number, line_id, paid_on, amount, supplier, purpose, request_id, created_at, by, rng):
    return {"id": expenditure_id, "number": number, "line_id": line_id, "paid_on": paid_on, "amount_fen": amount,
            "supplier": supplier, "invoice_no": f"{rng.randrange(10**7, 10**8)}", "invoice_date": paid_on,
            "purpose": purpose, "request_id": request_id, "ticket_id": None, "maintenance_plan_id": None,
            "receipt_id": None, "asset_id": None, "invoice_scan_id": None, "reverses_id": None, "reason": "",
            "created_at": created_at, "created_by_id": by}
