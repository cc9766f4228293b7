"""Import of a school's existing 资产台账 from XLSX or CSV, as schools keep it: a title and a
"填报单位" line above the header, prices written `1078元` or `￥5,514.07`, dates written
`2017.07` or `2014年8月`, 合计 rows, repeated headers from a printed export, places and
people spelled the ledger's way.

The flow: the file is kept under a token; `prepare` finds the sheet and header row,
guesses the columns, and checks every row (a dry run naming each refused value and the
file's own row number); the person adjusts the choices and `run` writes it all or only
the valid rows. Missing places, people and departments can be created in the same step.
A fingerprint of each row's cells makes a re-import add nothing, whatever columns the
file has."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import secrets
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from schoolhq.assets import services
from schoolhq.assets.models import Asset, AssetCategory, AssetImportRow, AssetStatus
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db

MAX_ROWS = 20_000
MAX_BYTES = 10 * 1024 * 1024
#: a batch row split into cards makes at most this many
MAX_SPLIT = 1_000
#: rows looked at for the header; a title block is rarely longer
HEADER_SEARCH_ROWS = 30
#: uploaded files older than this are removed at the next upload
KEEP_UPLOADS_S = 24 * 3600

#: card field -> (label, header spellings seen in school spreadsheets)
FIELDS: dict[str, tuple[Any, tuple[str, ...]]] = {
    "number": (_l("Asset number"), ("资产编号", "编号", "资产编码", "资产代码", "卡片编号", "number", "asset number")),
    "name": (_l("Asset name"), ("资产名称", "名称", "品名", "设备名称", "name", "asset name")),
    "category": (_l("Category"), ("分类代码", "分类编码", "国标分类", "资产分类", "分类", "类别", "资产类别",
                                  "分类名称", "category", "category code")),
    "brand": (_l("Brand"), ("品牌", "brand")),
    "model": (_l("Model"), ("型号", "model")),
    "spec": (_l("Specification"), ("规格", "规格型号", "spec", "specification")),
    "serial": (_l("Serial number"), ("机身编号", "序列号", "出厂编号", "serial", "serial number")),
    "unit": (_l("Unit"), ("计量单位", "单位", "unit")),
    "quantity": (_l("Quantity"), ("数量", "quantity")),
    "unit_price": (_l("Unit price (yuan)"), ("单价", "单价元", "价格", "unit price", "unit price yuan")),
    "amount": (_l("Amount (yuan)"), ("金额", "原值", "价值", "账面原值", "资产原值", "总价", "金额元", "原值元",
                                     "amount", "amount yuan")),
    "purchased_on": (_l("Purchase date"), ("购置日期", "购买日期", "购置时间", "购入日期", "purchase date")),
    "booked_on": (_l("Booked on"), ("入账日期", "入账时间", "booked on")),
    "location": (_l("Kept in"), ("存放地点", "存放位置", "地点", "位置", "location", "kept in")),
    "custodian": (_l("Custodian"), ("使用人", "保管人", "责任人", "custodian")),
    "department": (_l("Department"), ("使用部门", "管理部门", "部门", "使用科室", "department")),
    "status": (_l("Status"), ("状态", "使用状况", "使用状态", "资产状态", "status")),
    "note": (_l("Note"), ("备注", "说明", "note", "notes")),
    "funding_source": (_l("Funding source"), ("经费来源", "资金来源", "funding source")),
    "acquisition_method": (_l("Acquired by"), ("取得方式", "acquired by")),
    "supplier": (_l("Supplier"), ("供应商", "供货单位", "供货商", "supplier")),
    "invoice_no": (_l("Invoice no."), ("发票号", "发票号码", "invoice", "invoice no")),
    "voucher_no": (_l("Voucher no."), ("凭证号", "记账凭证号", "voucher", "voucher no")),
    "warranty_until": (_l("Warranty until"), ("保修期至", "保修截止", "warranty", "warranty until")),
    "use_direction": (_l("Use"), ("使用方向", "用途", "use")),
}
REQUIRED = ("name", "category", "location")
DATE_FIELDS = ("purchased_on", "booked_on", "warranty_until")
#: a ledger's words for the statuses a card can be given by hand
STATUS_WORDS = {
    "in_use": ("在用", "使用中", "正常", "正常使用", "in use"),
    "in_storage": ("闲置", "库存", "备用", "未使用", "在库", "in storage", "idle"),
    "under_repair": ("维修中", "维修", "待修", "损坏", "故障", "under repair"),
    "pending_disposal": ("待报废", "报废", "待处置", "拟报废", "pending disposal"),
}
#: a line-number column, left out of a row's fingerprint
SEQUENCE_HEADERS = {"序号", "行号", "顺序号", "no"}


# The kept file ---------------------------------------------------------------------------

def _folder() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    cutoff = time.time() - KEEP_UPLOADS_S
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:  # another request removed it first
            continue


def store(file) -> str:
    """Keep the uploaded file for the dry run and the import; returns its token."""
    if file is None or not file.filename:
        raise ServiceError(_l("Choose a file to import."), "file")
    suffix = Path(file.filename).suffix.lower()
    if suffix in (".xls", ".et", ".wps"):
        raise ServiceError(_l("This is an old Excel (.xls) or WPS file: open it and save it as an Excel "
                              "workbook (.xlsx), then import that."), "file")
    if suffix not in (".xlsx", ".csv"):
        raise ServiceError(_l("Import an Excel workbook (.xlsx) or a CSV file."), "file")
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ServiceError(_l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)), "file")
    folder = _folder()
    _sweep(folder)
    token = secrets.token_hex(12) + suffix
    (folder / token).write_bytes(data)
    (folder / (token + ".name")).write_text(Path(file.filename).name[:150], encoding="utf-8")
    try:
        read_sheets(token)  # refuse a file that is not a spreadsheet now, not after mapping
    except ServiceError:
        discard(token)
        raise
    return token


def _path(token: str) -> Path:
    name = Path(token).name
    if name != token or not name[:24].isalnum() or Path(name).suffix not in (".xlsx", ".csv"):
        raise ServiceError(_l("That import has expired; upload the file again."))
    path = _folder() / name
    if not path.exists():
        raise ServiceError(_l("That import has expired; upload the file again."))
    return path


def file_name(token: str) -> str:
    try:
        return (_path(token).parent / (token + ".name")).read_text(encoding="utf-8")
    except OSError:
        return token


def discard(token: str) -> None:
    folder = _folder()
    for name in (token, token + ".name"):
        (folder / Path(name).name).unlink(missing_ok=True)


# Reading -----------------------------------------------------------------------------

@dataclass
class Sheet:
    name: str
    #: (the file's own row number, the row's cells as read) for every row with something in it
    rows: list[tuple[int, list[Any]]]


def _decoded(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GBK
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(_l("This CSV file is in an unknown text encoding."), "file")


def _filled(cells) -> list[Any]:
    row = [v.strip() if isinstance(v, str) else v for v in cells]
    while row and row[-1] in (None, ""):
        row.pop()
    return row


def read_sheets(token: str) -> list[Sheet]:
    path = _path(token)
    sheets: list[Sheet] = []
    try:
        if path.suffix == ".xlsx":
            from openpyxl import load_workbook

            book = load_workbook(path, read_only=True, data_only=True)
            try:
                for worksheet in book.worksheets:
                    if not hasattr(worksheet, "iter_rows"):
                        continue  # a chart sheet
                    worksheet.reset_dimensions()  # WPS and others write a wrong size; read what is there
                    rows = [(number, row) for number, cells in enumerate(worksheet.iter_rows(values_only=True), 1)
                            if (row := _filled(cells))]
                    sheets.append(Sheet(worksheet.title, rows))
            finally:
                book.close()
        else:
            text = _decoded(path.read_bytes())
            rows = [(number, row) for number, cells in enumerate(csv.reader(io.StringIO(text)), 1)
                    if (row := _filled(cells))]
            sheets.append(Sheet(Path(file_name(token)).stem or "CSV", rows))
    except ServiceError:
        raise
    except Exception as exc:  # openpyxl and csv raise many kinds for a file that is not theirs
        raise ServiceError(_l("This file is not a spreadsheet we can read."), "file") from exc
    if not any(sheet.rows for sheet in sheets):
        raise ServiceError(_l("The file is empty."), "file")
    for sheet in sheets:
        if len(sheet.rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
            raise ServiceError(_l("At most %(n)s rows at a time.", n=MAX_ROWS), "file")
    return sheets


def shown(value: Any) -> str:
    """A cell as the person sees it in Excel."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ", "minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def _folded(text: str) -> str:
    """Full-width forms folded, spaces and line breaks gone: `三（2）班 ` and `三(2)班` match."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def _header_key(title: Any) -> str:
    """A header cell reduced to its words: `单价（元）`, `*资产名称`, `购置\n日期` → 单价元, 资产名称, 购置日期."""
    return re.sub(r"[*:：()\[\]【】.#/]", "", _folded(shown(title)))


_SPELLINGS = {key: {_header_key(s) for s in spellings} for key, (_label, spellings) in FIELDS.items()}


def guess_mapping(header: list[Any]) -> dict[str, int]:
    mapping: dict[str, int] = {}
    for index, title in enumerate(header):
        cleaned = _header_key(title)
        for key, spellings in _SPELLINGS.items():
            if key not in mapping and cleaned in spellings:
                mapping[key] = index
                break
    return mapping


def _header_score(row: list[Any]) -> int:
    return len(guess_mapping(row))


# Reading one value ----------------------------------------------------------------------

def _value_message(label, value: Any, why) -> str:
    return str(_l("%(field)s “%(value)s”: %(why)s", field=label, value=shown(value), why=why))


_FULL_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YEAR = re.compile(r"^(\d{4})\s*年?$")
#: Excel's day numbers for 1950-01-01 and 2100-12-31
_EXCEL_DAYS = (18264, 73415)


def ledger_date(value: Any) -> tuple[date, bool]:
    """A date as ledgers write it; `True` when the ledger gave only a month or a year
    (the card gets the first day and keeps the ledger's words in its note). Raises
    ValueError with the reason."""
    if isinstance(value, datetime):
        return value.date(), False
    if isinstance(value, date):
        return value, False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and _EXCEL_DAYS[0] <= value <= _EXCEL_DAYS[1]:
            return date(1899, 12, 30) + timedelta(days=int(value)), False  # a date cell typed as a number
        value = shown(value)  # 2017.07 typed into a number cell
    text = unicodedata.normalize("NFKC", str(value)).strip()
    text = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2})?$", "", text)  # a time of day after the date
    month_only = False
    if match := _FULL_DATE.match(text) or _COMPACT.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _MONTH.match(text):
        (year, month), day, month_only = (int(part) for part in match.groups()), 1, True
    elif match := _YEAR.match(text):
        year, month, day, month_only = int(match.group(1)), 1, 1, True
    else:
        raise ValueError(str(_l("not a date; write it like 2016-09-19 or 2017.07")))
    if not 1950 <= year <= 2100:
        raise ValueError(str(_l("the year must be between 1950 and 2100")))
    try:
        return date(year, month, day), month_only
    except ValueError:
        raise ValueError(str(_l("there is no such day"))) from None


_PLAIN_NUMBER = re.compile(r"\d{1,12}(\.\d+)?")


def ledger_yuan(value: Any) -> int:
    """Fen from a price as ledgers write it: `1078元`, `￥5,514.07`, `3,500.00`, `4587.0`, a number cell."""
    if value is None or value == "":
        return 0
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = repr(value)
        rounded = True  # a formula's 33.3333… is the cell's shown 33.33
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip()
        text = re.sub(r"^(RMB|CNY|人民币|[¥￥])\s*", "", text, flags=re.IGNORECASE)
        text = re.sub(r"\s*(元|圆|RMB|CNY)$", "", text, flags=re.IGNORECASE).replace(",", "").replace(" ", "")
        rounded = False
    if text.startswith("-") and _PLAIN_NUMBER.fullmatch(text[1:]):
        raise ValueError(str(_l("an amount cannot be negative")))
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(str(_l("not an amount in yuan; write it like 1078 or 5,514.07")))
    amount = Decimal(text)
    if amount > Decimal("100000000"):
        raise ValueError(str(_l("larger than any school asset")))
    if rounded:
        amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
    elif amount != amount.quantize(Decimal("0.01")):
        raise ValueError(str(_l("more than two decimals")))
    return int(amount * 100)


_QUANTITY = re.compile(r"^(\d+)(?:\.0+)?\s*(\D{0,4})$")


def ledger_quantity(value: Any) -> int:
    """`45`, `45.0` or `45台`."""
    if value is None or value == "":
        return 1
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    match = _QUANTITY.match(unicodedata.normalize("NFKC", shown(value)))
    if match is None or int(match.group(1)) < 1:
        raise ValueError(str(_l("not a whole number of at least 1")))
    if int(match.group(1)) > 100_000:
        raise ValueError(str(_l("larger than any school asset")))
    return int(match.group(1))


_TOTAL = re.compile(r"(本页|本月|本年|全部)?(合计|小计|总计|累计|total|subtotal)[:：()（）元\d.,]*")


def _is_total(row: list[Any]) -> bool:
    """合计 and 小计 rows, not a 小计算器 (a small calculator)."""
    words = [_folded(shown(cell)) for cell in row[:4] if shown(cell)]
    return any(_TOTAL.fullmatch(word) for word in words[:2])


def _fingerprint(row: list[Any], left_out: set[int]) -> str:
    """The row's cells, less its 序号 (deleting a line above renumbers every line below)."""
    text = "\x1f".join(re.sub(r"\s+", " ", shown(cell)) for index, cell in enumerate(row) if index not in left_out)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


# The plan ------------------------------------------------------------------------------

@dataclass
class Choice:
    """What the person chose on the check page; None and empty mean "guess"."""
    sheet: int | None = None
    header_row: int | None = None
    mapping: dict[str, int] | None = None
    #: create unknown places as rooms under this building or floor
    places_parent_id: int | None = None
    create_people: bool = False
    create_departments: bool = False
    #: a batch row (数量 45) becomes 45 labelled cards instead of one card of 45
    split_batches: bool = False


@dataclass
class Row:
    line: int
    #: "asset", "total" (合计/小计), "note" (text in one cell only), "header" (a header repeated
    #: by a printed export), "done" (imported before or its number is on the register)
    kind: str = "asset"
    cells: list[Any] = field(default_factory=list)
    key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    #: what must be created first: ("place", text), ("person", name), ("department", name)
    needs: set[tuple[str, str]] = field(default_factory=set)
    month_only: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.kind == "asset" and not self.errors

    @property
    def text(self) -> str:
        return " | ".join(cell for cell in map(shown, self.cells) if cell)


@dataclass
class Plan:
    sheets: list[str]
    sheet: int
    header_row: int
    #: (row number, the row's text) of the rows above the data, to choose the header from
    header_choices: list[tuple[int, str]]
    header: list[str]
    mapping: dict[str, int]
    choice: Choice
    rows: list[Row] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=lambda: {"place": [], "person": [], "department": []})
    mapping_error: str | None = None
    spellings: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def ready(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    @property
    def broken(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "asset" and r.errors]

    @property
    def recognised(self) -> list[Row]:
        return [r for r in self.rows if r.kind in ("total", "note", "header")]

    @property
    def done(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "done"]

    @property
    def batch_rows(self) -> list[Row]:
        return [r for r in self.rows if r.kind == "asset" and r.values.get("quantity", 1) > 1]

    @property
    def cards(self) -> int:
        if not self.choice.split_batches:
            return len(self.ready)
        return sum(r.values["quantity"] if r.values["quantity"] > 1 else 1 for r in self.ready)


def _best_header(sheet: Sheet) -> tuple[int, int]:
    """(how many columns it names, the row's number) of the likeliest header row."""
    best = (0, sheet.rows[0][0] if sheet.rows else 1)
    for number, row in sheet.rows[:HEADER_SEARCH_ROWS]:
        score = _header_score(row)
        if score > best[0]:
            best = (score, number)
    return best


class _Directory:
    """The school's places, people, departments and categories by the ledger's spellings."""

    def __init__(self):
        from schoolhq.people.models import Department, Person
        from schoolhq.places.models import Location

        self.places: dict[str, set[int]] = {}
        for place in db.session.execute(select(Location.id, Location.code, Location.full_name, Location.name)
                                        .where(Location.archived_at.is_(None))):
            for text in {place.code, place.full_name, place.name} - {""}:
                self.places.setdefault(_folded(text), set()).add(place.id)
        self.people: dict[str, set[int]] = {}
        for person in db.session.execute(select(Person.id, Person.name).where(Person.left_at.is_(None))):
            self.people.setdefault(_folded(person.name), set()).add(person.id)
        self.departments: dict[str, set[int]] = {}
        for department in db.session.execute(select(Department.id, Department.name)
                                             .where(Department.archived_at.is_(None))):
            self.departments.setdefault(_folded(department.name), set()).add(department.id)
        self.categories: dict[str, int] = {}
        names: dict[str, set[int]] = {}
        for category in db.session.execute(select(AssetCategory.id, AssetCategory.code, AssetCategory.name)
                                           .where(AssetCategory.archived_at.is_(None))):
            self.categories[category.code.upper()] = category.id
            names.setdefault(_folded(category.name), set()).add(category.id)
        self.category_names = {name: ids.pop() for name, ids in names.items() if len(ids) == 1}
        self.statuses = {_folded(word): key for key, words in STATUS_WORDS.items() for word in words}
        for status in db.session.scalars(select(AssetStatus).where(AssetStatus.key.in_(services.MANUAL_STATUSES))):
            self.statuses.update({_folded(status.name_zh): status.key, _folded(status.name_en): status.key})

    def status(self, text: str) -> str | None:
        return self.statuses.get(_folded(text)) if _folded(text) else "in_use"

    def category(self, text: str) -> int | None:
        folded = unicodedata.normalize("NFKC", text).strip()
        code = re.match(r"^([A-Za-z]?\d{2,9})", folded)
        if code and code.group(1).upper() in self.categories:
            return self.categories[code.group(1).upper()]  # "A02010105 台式计算机" too
        return self.category_names.get(_folded(re.sub(r"^[A-Za-z]?\d+\s*", "", folded)))


def _rows_of(sheet: Sheet, header_row: int, header: list[Any]) -> list[Row]:
    header_text = [shown(cell) for cell in header]
    left_out = {index for index, title in enumerate(header) if _header_key(title) in SEQUENCE_HEADERS}
    rows, repeats = [], Counter()
    for number, cells in sheet.rows:
        if number <= header_row:
            continue
        row = Row(line=number, cells=cells)
        if [shown(cell) for cell in cells] == header_text[:len(cells)]:
            row.kind = "header"
        elif _is_total(cells):
            row.kind = "total"
        else:
            digest = _fingerprint(cells, left_out)
            repeats[digest] += 1
            row.key = f"{digest}:{repeats[digest]}"
        rows.append(row)
    return rows


def prepare(token: str, choice: Choice) -> Plan:
    """The dry run: every row read and checked, nothing written."""
    sheets = read_sheets(token)
    headers = [_best_header(sheet) for sheet in sheets]
    if choice.sheet is not None and 0 <= choice.sheet < len(sheets) and sheets[choice.sheet].rows:
        sheet_index = choice.sheet
    else:
        sheet_index = max(range(len(sheets)), key=lambda i: (headers[i][0], bool(sheets[i].rows), -i))
    header_row = headers[sheet_index][1]
    sheet = sheets[sheet_index]
    numbers = [number for number, _row in sheet.rows]
    if choice.header_row in numbers[:HEADER_SEARCH_ROWS]:
        header_row = choice.header_row
    header = dict(sheet.rows).get(header_row, [])
    width = max((len(row) for _n, row in sheet.rows), default=0)
    header_cells = [shown(cell) for cell in header] + [""] * (width - len(header))
    mapping = choice.mapping if choice.mapping is not None else guess_mapping(header)
    mapping = {key: index for key, index in mapping.items() if key in FIELDS and 0 <= index < width}
    plan = Plan(sheets=[s.name for s in sheets], sheet=sheet_index, header_row=header_row,
                header_choices=[(number, " | ".join(shown(c) for c in row if shown(c))[:80])
                                for number, row in sheet.rows[:HEADER_SEARCH_ROWS]],
                header=header_cells, mapping=mapping, choice=choice)
    missing = [str(FIELDS[key][0]) for key in REQUIRED if key not in mapping]
    if missing:
        plan.mapping_error = str(_l("Choose the columns for: %(fields)s", fields="、".join(missing)))
        return plan
    if len(sheet.rows) > MAX_ROWS + HEADER_SEARCH_ROWS:
        raise ServiceError(_l("At most %(n)s rows at a time.", n=MAX_ROWS), "file")
    plan.rows = _rows_of(sheet, header_row, header)
    _check_rows(plan)
    return plan


def _check_rows(plan: Plan) -> None:
    directory = _Directory()
    imported = set(db.session.scalars(select(AssetImportRow.key).where(
        AssetImportRow.key.in_([r.key for r in plan.rows if r.key]))))
    numbers = [shown(r.cells[plan.mapping["number"]]) for r in plan.rows
               if "number" in plan.mapping and plan.mapping["number"] < len(r.cells)]
    on_register = set(db.session.scalars(select(Asset.number).where(Asset.number.in_(numbers)))) if numbers else set()
    first_line_of: dict[str, int] = {}
    creatable = {"place": plan.choice.places_parent_id is not None, "person": plan.choice.create_people,
                 "department": plan.choice.create_departments}
    #: the ledger's first spelling of each missing name, by its folded form
    missing: dict[str, dict[str, str]] = {"place": {}, "person": {}, "department": {}}
    for row in plan.rows:
        if row.kind != "asset":
            continue
        get = {key: row.cells[index] if index < len(row.cells) else None for key, index in plan.mapping.items()}
        text = {key: shown(value) for key, value in get.items()}
        filled = [shown(cell) for cell in row.cells if shown(cell)]
        if not text.get("name") and (len(filled) == 1 or any(re.search(r"[:：]", cell) for cell in filled)):
            row.kind = "note"  # "填报人：张三  审核人：李四", "单位：元"
            continue
        if row.key in imported:
            row.kind = "done"
            continue
        number = text.get("number", "")
        if number:
            if number in first_line_of:
                row.errors.append(str(_l("Asset number %(n)s is also on row %(line)s.",
                                         n=number, line=first_line_of[number])))
            first_line_of.setdefault(number, row.line)
            if number in on_register:
                row.kind = "done"
                continue
        _read_row(row, get, text, directory, missing)
        for need in row.needs:
            if not creatable[need[0]]:
                row.errors.append(_need_message(need[0], missing[need[0]][need[1]]))
    plan.missing = {kind: list(names.values()) for kind, names in missing.items()}
    plan.spellings = missing


def _need_message(kind: str, text: str) -> str:
    if kind == "place":
        return str(_l("Place “%(place)s” is not in SchoolHQ: create it below, or use a place's code or full name.",
                      place=text))
    if kind == "person":
        return str(_l("Person “%(name)s” is not in SchoolHQ: create the people below.", name=text))
    return str(_l("Department “%(name)s” is not in SchoolHQ: create the departments below.", name=text))


def _look_up(row: Row, kind: str, text: str, known: dict[str, set[int]], missing: dict[str, dict[str, str]],
             label, ambiguous) -> int | None:
    """The id of the one place, person or department of that name; None and a note of
    what to create when there is none, None and an error when there are several."""
    ids = known.get(_folded(text), set())
    if len(ids) > 1:
        row.errors.append(_value_message(label, text, ambiguous))
        return None
    if ids:
        return next(iter(ids))
    row.needs.add((kind, _folded(text)))
    missing[kind].setdefault(_folded(text), text)
    return None


def _read_row(row: Row, get: dict[str, Any], text: dict[str, str], directory: _Directory,
              missing: dict[str, dict[str, str]]) -> None:
    label = {key: FIELDS[key][0] for key in FIELDS}
    errors = row.errors
    if not text.get("name"):
        errors.append(str(_l("The asset name is empty.")))
    category_id = directory.category(text.get("category", ""))
    if category_id is None:
        errors.append(_value_message(label["category"], text.get("category", ""),
                                     _l("neither a category code (like A02010105) nor a category's name")))
    place = text.get("location", "")
    location_id = None
    if not place:
        errors.append(str(_l("The place is empty.")))
    else:
        location_id = _look_up(row, "place", place, directory.places, missing, label["location"],
                               _l("more than one place has this name; use its code or full name"))
    custodian_id = department_id = None
    if name := text.get("custodian"):
        custodian_id = _look_up(row, "person", name, directory.people, missing, label["custodian"],
                                _l("two people have this name; choose the custodian on the card after the import"))
    if department := text.get("department"):
        department_id = _look_up(row, "department", department, directory.departments, missing,
                                 label["department"], _l("more than one department has this name"))
    status = directory.status(text.get("status", ""))
    if status is None:
        errors.append(_value_message(label["status"], text["status"], _l("use 在用, 闲置, 维修中 or 待报废")))
    parsed: dict[str, Any] = {}
    for key, reader in (("quantity", ledger_quantity), ("unit_price", ledger_yuan), ("amount", ledger_yuan)):
        try:
            parsed[key] = reader(get.get(key))
        except ValueError as why:
            errors.append(_value_message(label[key], get.get(key), str(why)))
            parsed[key] = 1 if key == "quantity" else 0
    price = parsed["unit_price"]
    if not text.get("unit_price") and parsed["amount"]:
        price = (parsed["amount"] + parsed["quantity"] // 2) // parsed["quantity"]
    dates: dict[str, date | None] = {}
    notes = [text["note"]] if text.get("note") else []
    for key in DATE_FIELDS:
        dates[key] = None
        if not text.get(key):
            continue
        try:
            dates[key], month_only = ledger_date(get[key])
        except ValueError as why:
            errors.append(_value_message(label[key], get[key], str(why)))
            continue
        if key != "warranty_until" and dates[key] > local_today():
            errors.append(_value_message(label[key], get[key], _l("the date is in the future")))
        if month_only:
            row.month_only.append(key)
            notes.append(f"{label[key]}：{text[key]}")
    values = {"name": text.get("name", ""), "category_id": category_id, "unit_price_fen": price,
              "quantity": parsed["quantity"], "department_id": department_id, "note": "\n".join(notes),
              **{key: text.get(key, "") for key in ("brand", "model", "spec", "serial", "unit", "funding_source",
                                                    "acquisition_method", "supplier", "invoice_no", "voucher_no",
                                                    "use_direction")},
              **dates}
    if not errors:
        try:
            services.clean_card({**values, "department_id": None})
        except ServiceError as problem:
            where = label.get(problem.field or "", "")
            errors.append(f"{where}：{problem.message}" if where else str(problem.message))
    row.values = {**values, "number": text.get("number") or None, "location_id": location_id,
                  "custodian_id": custodian_id, "status": status or "in_use",
                  "place": place, "custodian": text.get("custodian", ""), "department": text.get("department", "")}


# Writing -------------------------------------------------------------------------------

def _create_missing(plan: Plan, rows: list[Row]) -> dict[tuple[str, str], int]:
    """The places, departments and people the rows to import need, created first."""
    from schoolhq.people import services as people
    from schoolhq.places import services as places

    needed = sorted({need for row in rows for need in row.needs}, key=lambda n: ("department", "place", "person").index(n[0]))
    made: dict[tuple[str, str], int] = {}
    department_of_person: dict[str, tuple[int | None, str]] = {}
    for row in rows:
        if row.values.get("custodian"):
            department_of_person.setdefault(_folded(row.values["custodian"]), (row.values.get("department_id"),
                                                                               _folded(row.values["department"])))
    for kind, folded in needed:
        text = plan.spellings[kind][folded]
        try:
            if kind == "department":
                made[(kind, folded)] = people.create_department(text).id
            elif kind == "place":
                parent = places.get_location(plan.choice.places_parent_id)
                if parent.kind == "room":
                    raise ServiceError(_l("Choose a building or a floor for the new places."), "places_parent_id")
                made[(kind, folded)] = places.create_location("room", text, parent.id).id
            else:
                department_id, department = department_of_person.get(folded, (None, ""))
                department_id = department_id or made.get(("department", department))
                made[(kind, folded)] = people.create_person(text, department_id).id
        except ServiceError as problem:
            raise ServiceError(_l("Could not create “%(name)s”: %(error)s", name=text, error=problem.message)) from None
    return made


def run(token: str, choice: Choice, only_valid: bool) -> tuple[int, int]:
    """Import; returns (cards registered, rows left as already imported). All or nothing
    unless `only_valid`. Two imports at once take turns (the import counter's row lock),
    so a double click imports the file once."""
    from flask_login import current_user

    from schoolhq.core import counters

    counters.next_value("assets.import")
    plan = prepare(token, choice)
    if plan.mapping_error:
        raise ServiceError(plan.mapping_error)
    if plan.broken and not only_valid:
        raise ServiceError(_l("%(n)s rows have errors; fix the file or import only the valid rows.", n=len(plan.broken)))
    rows = plan.ready
    if not rows:
        raise ServiceError(_l("There is nothing new to import in this file."))
    made = _create_missing(plan, rows)
    name = file_name(token)
    registered = 0
    account_id = current_user.id if getattr(current_user, "is_authenticated", False) else None
    for row in rows:
        values = dict(row.values)
        number, status = values.pop("number"), values.pop("status")
        location_id = values.pop("location_id") or made[("place", _folded(values["place"]))]
        custodian_id = values.pop("custodian_id") or made.get(("person", _folded(values["custodian"])))
        values["department_id"] = values["department_id"] or made.get(("department", _folded(values["department"])))
        for key in ("place", "custodian", "department"):
            values.pop(key)
        source = str(_l("Imported from %(file)s, row %(line)s", file=name, line=row.line))
        quantity = values["quantity"]
        split = choice.split_batches and quantity > 1
        if split and quantity > MAX_SPLIT:
            raise ServiceError(_l("Row %(line)s: at most %(n)s cards from one row.", line=row.line, n=MAX_SPLIT))
        cards = []
        try:
            for item in range(1, quantity + 1 if split else 2):
                card_number = number
                if split and number:
                    card_number = f"{number}-{item:0{len(str(quantity))}d}"
                cards.append(services.register_asset({**values, "quantity": 1 if split else quantity}, location_id,
                                                     custodian_id, status=status, number=card_number, source=source))
        except ServiceError as problem:
            raise ServiceError(_l("Row %(line)s: %(error)s", line=row.line, error=problem.message)) from None
        db.session.add(AssetImportRow(key=row.key, asset_id=cards[0].id, cards=len(cards),
                                      source=source[:200], imported_by_id=account_id))
        registered += len(cards)
    db.session.flush()
    return registered, len(plan.done)


def template_rows() -> tuple[list[str], list[list[Any]]]:
    header = [spellings[0] for _label, spellings in FIELDS.values()]
    example = {"name": "教师台式计算机", "category": "A02010105", "brand": "联想", "model": "启天M437",
               "spec": "i5/16G/512G", "serial": "SN123456", "unit": "台", "quantity": 1, "unit_price": "4500.00",
               "purchased_on": "2024-09-01", "booked_on": "2024-09-05", "location": "A101", "custodian": "王芳",
               "department": "信息中心", "status": "在用", "funding_source": "财政拨款",
               "acquisition_method": "政府采购", "supplier": "某某科技有限公司", "warranty_until": "2027-09-01",
               "use_direction": "教学"}
    return header, [[example.get(key, "") for key in FIELDS]]
