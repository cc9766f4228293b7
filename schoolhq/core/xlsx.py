"""XLSX downloads for the accountant: rows in, a streamed workbook out."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from flask import send_file


def download(filename: str, sheets: Iterable[tuple[str, list[Any], Iterable[list[Any]]]]):
    """`sheets` is (title, header, rows) per sheet; titles are cut to Excel's 31 characters."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(str(title)[:31])
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.font = Font(bold=True)
            cells.append(cell)
        sheet.append(cells)
        for row in rows:
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return send_file(out, as_attachment=True, download_name=filename,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
