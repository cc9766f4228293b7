"""XLSX downloads for the accountant: rows in, a streamed workbook out."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import send_file

#: what Excel refuses in a sheet's name, each put back as its full-width twin
_SHEET_NAME_SWAPS = str.maketrans({"[": "［", "]": "］", ":": "：", "*": "＊", "?": "？", "/": "／", "\\": "＼"})


def sheet_name(title: Any, taken: set[str]) -> str:
    """A name Excel accepts (31 characters, none of []:*?/\\, no apostrophe at either end),
    unlike every other sheet's in the book: "复印纸 A4/80g" becomes "复印纸 A4／80g"."""
    name = str(title).translate(_SHEET_NAME_SWAPS).strip().strip("'")[:31].strip() or "Sheet"
    candidate, n = name, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = name[:31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def _cell(sheet, value: Any):
    """A cell holding exactly the value: text that starts with "=" stays text, never a
    live formula (a name typed as =HYPERLINK(…) must not run in the accountant's Excel)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"
    return cell


def number_or_text(text: str) -> Any:
    """A reading as Excel should hold it: "4.5" a number the accountant can sum, anything
    else ("合格", "4*" corrected on the spot) the text it is."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return text
    return int(value) if value.is_integer() and "." not in text else value


def download(filename: str, sheets: Iterable[tuple[str, list[Any], Iterable[list[Any]]]]):
    """`sheets` is (title, header, rows) per sheet; titles are made names Excel accepts.
    Each sheet's header row stays in view while scrolling and carries Excel's filter;
    numbers, dates and times go in as such (a date as text cannot be filtered by month)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    taken: set[str] = set()
    for title, header, rows in sheets:
        sheet = book.create_sheet(sheet_name(title, taken))
        sheet.freeze_panes = "A2"
        cells = []
        for value in header:
            cell = _cell(sheet, str(value))
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        count = 0
        for row in rows:
            sheet.append([_cell(sheet, value) if isinstance(value, str) else value for value in row])
            count += 1
        if header:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
