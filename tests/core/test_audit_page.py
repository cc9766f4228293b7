"""The audit trail read by a principal: people's names, actions in words, records by
their names with a link where the reader may open them, changes as "field: before →
after" (issue 13, section 4)."""

from __future__ import annotations

import ast
import re

from sqlalchemy import event, select

from schoolhq.core import audit
from schoolhq.core.models import AuditEntry
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from tests.conftest import ROOT, login, make_account

TAGS = re.compile(r"<[^>]*>")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", TAGS.sub(" ", html))


def _recorded_action_keys() -> dict[str, str]:
    """Every action key the code hands to audit.record, with where: read from the syntax
    tree, so a key is always written whole (a conditional of whole keys is fine)."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "schoolhq").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            key = node.args[1]
            branches = [key.body, key.orelse] if isinstance(key, ast.IfExp) else [key]
            for branch in branches:
                assert isinstance(branch, ast.Constant) and isinstance(branch.value, str), \
                    f"{where}: write the action key whole, so the audit page can have words for it"
                found[branch.value] = where
    return found


def test_every_action_key_recorded_in_the_code_has_words():
    recorded = _recorded_action_keys()
    assert len(recorded) > 80
    missing = {key: where for key, where in recorded.items() if key not in audit.action_keys()}
    assert not missing, f"action keys without words in an area's audit_trail.py: {missing}"
    stale = audit.action_keys() - set(recorded)
    assert not stale, f"words for action keys nothing records: {stale}"


def test_an_unknown_action_or_record_still_reads(app):
    with app.test_request_context():
        assert audit.action_words("gizmo.frobbed_twice") == "Gizmo frobbed twice"
        assert audit.action_words("asset.registered") == "登记资产"
        assert audit.readable_key("") == ""


def test_the_page_says_who_did_what_to_which_record_and_what_changed(app, client):
    from schoolhq.places.models import Location

    with app.test_request_context():
        admin = make_account("admin", "admin", name="管理员")
        keeper = make_account("keeper", "staff", name="赵老师")
        admin_id, keeper_person = admin.id, keeper.person_id
    login(client, "admin")
    assert client.post("/places/new", data={"kind": "campus", "name": "本部", "sort_order": "0",
                                            "responsible_person_id": ""}).status_code == 303
    with app.app_context():
        place_id = db.session.scalar(select(Location.id).where(Location.name == "本部"))
    assert client.post(f"/places/{place_id}/edit", data={"name": "总校", "code": "ZX", "sort_order": "0",
                                                         "responsible_person_id": str(keeper_person)}).status_code == 303
    html = client.get("/audit").get_data(as_text=True)
    text = _text(html)
    # who: the person's name, never the username; the filter lists names too
    assert "管理员" in text and f'<option value="{admin_id}">管理员</option>' in html
    assert "<td class=\"who\">admin</td>" not in html
    # what, in words; the record by its name, linked to its page
    assert "新增场所" in text and "修改场所" in text
    assert f'href="/places/{place_id}"' in html and "总校" in text
    # only the fields that changed, by their labels, the person by name
    assert "名称 : 本部 → 总校" in text
    assert "责任人 : — → 赵老师" in text
    assert "编码 : — → ZX" in text
    # no keys, no JSON, no "location #12"
    rows = html[html.index('<div id="audit-rows">'):]
    for key in ("location.created", "location.updated", "responsible_person_id", "{&#34;", '{"', f"location #{place_id}"):
        assert key not in rows, key
    # the accounts made above were made by no one signed in: the system
    assert "系统" in text and "创建账号" in text and "赵老师" in text
    # the filters still work, in words
    assert "新增场所" not in _text(client.get("/audit?area=auth").get_data(as_text=True))
    assert "新增场所" in _text(client.get(f"/audit?account_id={admin_id}").get_data(as_text=True))
    assert "创建账号" not in _text(client.get(f"/audit?account_id={admin_id}").get_data(as_text=True))
    fragment = client.get("/audit?area=places", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="audit-rows">') and "新增场所" in fragment


def test_values_read_as_words_and_long_text_is_cut(app):
    """Yes/no, fen as yuan, dates, an instant in the school's time, nothing as —, ids by
    name, codes by their labels, a list by what was added and removed."""
    from schoolhq.auth.models import Account
    from schoolhq.places import services as places

    with app.test_request_context():
        reader = make_account("admin", "admin", name="管理员")
        room = places.create_location("campus", "阳光小学")
        entries = [
            AuditEntry(id=1, area="assets", action="asset.updated", record_type="asset", record_id=999,
                       summary="ZC202600999", before={"loanable": False, "unit_price_fen": 120000, "note": "旧",
                                                      "warranty_until": None, "status": "in_use", "same": 1,
                                                      "location_id": room.id, "extra": {"filter_model": "RO-1"}},
                       after={"loanable": True, "unit_price_fen": 98050, "note": "长" * 300,
                              "warranty_until": "2028-06-30", "status": "under_repair", "same": 1,
                              "location_id": room.id + 1000, "extra": {"filter_model": "RO-2"}}),
            AuditEntry(id=2, area="places", action="location.archived", record_type="location", record_id=room.id,
                       before={"archived_at": None}, after={"archived_at": "2026-12-01T02:30:00"}),
            AuditEntry(id=3, area="auth", action="role.updated", record_type="role", record_id=None,
                       summary="角色", before={"name": "x", "permissions": ["assets.view", "stock.view"]},
                       after={"name": "x", "permissions": ["assets.view", "repairs.report"]}),
        ]
        for entry in entries:
            entry.at, entry.client, entry.account_id = utcnow(), "10.0.0.5", None
        lines = audit.lines(entries, db.session.get(Account, reader.id))
        changes = {c.label: c for c in lines[0].changes}
        assert "same" not in changes and "相同" not in changes
        assert (changes["允许借用"].before, changes["允许借用"].after) == ("否", "是")
        assert (changes["单价"].before, changes["单价"].after) == ("¥1,200.00", "¥980.50")
        assert changes["备注"].after.endswith("…") and len(changes["备注"].after) == audit.SHOWN_TEXT
        assert (changes["保修期至"].before, changes["保修期至"].after) == ("—", "2028-06-30")
        assert (changes["状态"].before, changes["状态"].after) == ("在用", "维修中")
        assert (changes["存放地点"].before, changes["存放地点"].after) == ("阳光小学", "（已删除）")
        assert (changes["类型附加信息"].before, changes["类型附加信息"].after) == ("滤芯型号 RO-1", "滤芯型号 RO-2")
        # a record that is gone is named by its summary, without a link
        assert lines[0].record == audit.Named("ZC202600999") and lines[0].who == "系统"
        assert lines[1].record.text == "阳光小学" and lines[1].record.url.endswith(f"/places/{room.id}")
        assert [(c.label, c.after) for c in lines[1].changes] == [("已归档", "2026-12-01 10:30")]
        (permissions,) = lines[2].changes
        assert permissions.label == "权限" and permissions.before is None
        from schoolhq.core.permissions import PERMISSIONS

        added, removed = (str(PERMISSIONS[name][1]) for name in ("repairs.report", "stock.view"))
        assert permissions.after.startswith(f"增加 {added[:20]}") and "去掉" in permissions.after, permissions
        assert "assets.view" not in permissions.after
        db.session.rollback()


def test_a_created_record_shows_its_main_fields(app):
    with app.test_request_context():
        reader = make_account("admin", "admin", name="管理员")
        entry = AuditEntry(id=1, area="assets", action="asset.registered", record_type="asset", record_id=None,
                           summary="ZC1 笔记本", at=utcnow(), client="", account_id=None,
                           after={"number": "ZC1", "name": "笔记本", "brand": "", "loanable": False, "model": "X1",
                                  "tier": "fixed_asset", "quantity": 1, "unit_price_fen": 520000, "spec": "14寸",
                                  "photo_id": 5, "serial": "SN1"})
        (line,) = audit.lines([entry], reader)
        assert [(c.label, c.before, c.after) for c in line.changes] == [
            ("资产编号", None, "ZC1"), ("资产名称", None, "笔记本"), ("型号", None, "X1"),
            ("资产类别", None, "固定资产"), ("数量", None, "1"), ("单价", None, "¥5,200.00")]
        assert line.more == 2  # spec and serial; the photo's id and empty values are not counted
        db.session.rollback()


def test_links_only_to_pages_the_reader_may_open(app, client):
    """The administrator opens accounts; a principal reads the trail but not accounts:
    the same entry names the person, linked for one and not the other."""
    from schoolhq.auth import services as auth

    with app.test_request_context():
        make_account("admin", "admin", name="管理员")
        make_account("head", "principal", name="李校长")
        teacher = make_account("teacher", "staff", name="王芳")
        teacher_id = teacher.id
        staff_role = next(r for r in auth.roles() if r.code == "staff")
        assignment = next(a for a in auth.assignments_of(teacher_id) if a.role_id == staff_role.id)
        auth.unassign_role(assignment.id)
        db.session.commit()
    login(client, "admin")
    as_admin = client.get("/audit?area=auth").get_data(as_text=True)
    assert f'href="/auth/accounts/{teacher_id}"' in as_admin
    client.post("/auth/logout")
    login(client, "head")
    as_principal = client.get("/audit?area=auth").get_data(as_text=True)
    assert "王芳" in as_principal and f'href="/auth/accounts/{teacher_id}"' not in as_principal
    # the role taken back is gone: its entries read its stored summary, in words
    text = _text(as_principal)
    assert "收回角色" in text and "授予角色" in text
    assert "王芳：教职工" in text
    assert "teacher ←" not in as_principal and "← staff" not in as_principal


def test_a_page_of_entries_loads_its_names_in_a_few_queries(app, client):
    """One query per kind of record on the page, whatever the number of rows."""
    from schoolhq.places import services as places

    with app.test_request_context():
        make_account("admin", "admin", name="管理员")
        campus = places.create_location("campus", "阳光小学")
        db.session.commit()
        campus_id = campus.id
    login(client, "admin")

    def queries_for_page() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        with app.app_context():
            engine = db.engine
        client.get("/audit?area=places")  # a commit since the last request: caches are read again
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/audit?area=places").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    def add_rooms(names):
        with app.test_request_context():
            for name in names:
                places.create_location("building", name, campus_id)
            db.session.commit()

    add_rooms(["一号楼", "二号楼"])
    few = queries_for_page()
    add_rooms([f"{n}号楼" for n in range(3, 30)])
    many = queries_for_page()
    assert many == few, (few, many)


def test_the_audit_page_shows_no_check_template_key(app, demo, client):
    """Check templates and schedules keep their keys in the summary: the page names
    them by title, also when the record is gone (a draft deleted)."""
    from schoolhq.checks import packs
    from schoolhq.checks.models import CheckTemplate
    from schoolhq.demo import DEMO_PASSWORD

    with app.test_request_context():
        published = db.session.scalar(select(CheckTemplate).where(CheckTemplate.key == "canteen.daily"))
        draft = packs.new_version(published.id)
        packs.delete_draft(draft.id)
        db.session.commit()
    assert login(client, "admin", DEMO_PASSWORD).status_code == 303
    html = client.get("/audit?area=checks").get_data(as_text=True)
    text = _text(html)
    assert "删除检查表草稿" in text and "新建检查表的新版本" in text
    assert "canteen.daily" not in html and "食堂每日检查" in text
