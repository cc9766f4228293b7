"""Past training records imported from the school's own spreadsheet: a title block above
the header, dates as ledgers write them, each refused row named with its row number and
why, the evidence file a row names uploaded with the import, nothing written by the
check, and a second import of the same file adding nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from schoolhq.core.timeutil import local_today
from schoolhq.extensions import db
from schoolhq.training.models import Completion
from tests.conftest import login
from tests.factories.training import school

pytestmark = pytest.mark.dated


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["阳光小学教职工培训登记表"])
    sheet.append(["填报部门：总务处", None, None, "2025年度"])
    sheet.append(["序号", "姓名", "培训项目", "培训日期", "考核结果", "证明材料", "备注"])
    future = (local_today() + timedelta(days=3)).isoformat()
    sheet.append([1, "刘大勇", "食品安全知识培训", "2025.9.12", "合格", "", "区市场监管局授课"])
    sheet.append([2, "陈红梅", "食品安全知识培训", "2025年9月", "合格", "陈红梅-证书.pdf", ""])
    sheet.append([3, "张三丰", "食品安全知识培训", "2025-09-12", "合格", "", ""])
    sheet.append([4, "钱阿姨", "食品安全知识培训", "2025-09-12", "不合格", "", ""])
    sheet.append([5, "王芳", "急救培训", "2025-09-12", "合格", "", ""])
    sheet.append([6, "王芳", "消防安全培训与疏散演练", future, "合格", "", ""])
    sheet.append([7, "刘大勇", "食品安全知识培训", "2025.9.12", "合格", "", "同一行再抄了一遍"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_school_spreadsheet_is_checked_row_by_row_then_imported_once(app, client):
    with app.test_request_context():
        school()
    login(client, "logistics")
    assert client.get("/training/import").status_code == 200
    checked = client.post("/training/import", data={"file": (io.BytesIO(_workbook()), "培训登记.xlsx")},
                          content_type="multipart/form-data")
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    assert "2 行可以导入" in page and "4 行不能导入" in page and "1 行已有记录" in page, page
    for line, why in ((6, "不在教职工名单"), (7, "未通过"), (8, "急救培训"), (9, "晚于今天")):
        assert f"<td>{line}</td>" in page and why in page, why
    with app.app_context():
        assert db.session.scalar(select(func.count(Completion.id))) == 0, "the check writes nothing"
    token = page.split("/training/import/")[1].split('"')[0]
    missing_file = client.post(f"/training/import/{token}", data={"action": "import"},
                               content_type="multipart/form-data")
    assert missing_file.status_code == 200 and "未选择" in missing_file.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Completion.id))) == 1, "the row without its evidence waits"
    done = client.post(f"/training/import/{token}", data={
        "action": "import", "evidence": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "陈红梅-证书.pdf")},
        content_type="multipart/form-data")
    assert done.status_code == 200 and "1 条记录已导入" in done.get_data(as_text=True)
    again = client.post(f"/training/import/{token}", data={"action": "import"}, content_type="multipart/form-data")
    assert "0 行可以导入" in again.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(Completion).order_by(Completion.id)).all()
        assert len(rows) == 2 and {r.source for r in rows} == {"import"}
        assert rows[1].evidence_id is not None and str(rows[1].completed_on) == "2025-09-01"


def test_a_file_without_the_needed_columns_says_which(app, client):
    with app.test_request_context():
        school()
    login(client, "logistics")
    book = Workbook()
    book.active.append(["名字", "课程"])
    book.active.append(["刘大勇", "食品安全知识培训"])
    buffer = io.BytesIO()
    book.save(buffer)
    refused = client.post("/training/import", data={"file": (io.BytesIO(buffer.getvalue()), "x.xlsx")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "培训日期" in refused.get_data(as_text=True)
