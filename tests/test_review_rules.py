"""Rules found in review: scoped grants never act school-wide, nobody changes their own
roles, odd input never reaches a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.assets import loans
from schoolhq.assets import services as assets
from schoolhq.assets.models import Asset, Loan
from schoolhq.auth import services as auth
from schoolhq.auth.models import Account, RoleAssignment
from schoolhq.core.models import SchoolTerm
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from schoolhq.people import services as people
from tests.conftest import login, make_account
from tests.factories.assets import loanable_items, signature

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def _role(code):
    return next(r.id for r in auth.roles() if r.code == code)


def test_a_department_scoped_account_administrator_cannot_act_school_wide(app, client):
    with app.test_request_context():
        grade = people.create_department("三年级")
        principal = make_account("principal", "principal")
        make_account("deptadmin", "admin", scope_department_id=grade.id)
        db.session.commit()
        principal_id = principal.id
    login(client, "deptadmin")
    assert client.get("/auth/accounts").status_code == 403
    assert client.post(f"/auth/accounts/{principal_id}/password", data={"new_password": "hijacked-123"}).status_code == 403
    assert client.get("/settings").status_code == 403
    with app.app_context():
        assert login(app.test_client(), "principal", "hijacked-123").status_code == 422


def test_nobody_changes_their_own_roles_and_admin_roles_need_admin_roles(app, client):
    with app.test_request_context():
        account = make_account("usermgr", "staff")
        # a school-wide account manager without admin.roles
        role = auth.create_role("account_clerk", "账号管理员")
        auth.update_role(role.id, "账号管理员", ["admin.users"])
        auth.assign_role(account.id, role.id)
        target = make_account("teacher", "staff")
        db.session.commit()
        ids = (account.id, target.id, _role("admin"), _role("principal"))
    me, other, admin_role, principal_role = ids
    login(client, "usermgr")
    assert client.post(f"/auth/accounts/{me}/roles", data={"role_id": str(principal_role), "scope": ""}).status_code == 422
    assert client.post(f"/auth/accounts/{other}/roles", data={"role_id": str(admin_role), "scope": ""}).status_code == 422
    assert client.post(f"/auth/accounts/{other}/roles", data={"role_id": str(principal_role), "scope": ""}).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(func.count(RoleAssignment.id)).where(RoleAssignment.account_id == me)) == 2


def test_scoped_grants_do_not_change_school_wide_settings(app, client):
    with app.test_request_context():
        assets_, _borrower = loanable_items(n=1)
        floor = assets_[0].location.parent
        make_account("floorhead", "logistics_head", location_id=floor.id)
        db.session.commit()
    login(client, "floorhead")
    assert client.post("/calendar/terms", data={"term-name": "x", "term-starts_on": "2030-09-01",
                                                "term-ends_on": "2031-01-01"}).status_code == 403
    assert client.post("/assets/settings", data={"fixed_asset_threshold": "1", "special_equipment_threshold": "1",
                                                 "number_pattern": "{seq}", "after_school": "16:00"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(SchoolTerm.id))) == 0


def test_loan_lists_and_returns_stay_within_scope(app, client):
    with app.test_request_context():
        items, borrower = loanable_items(n=1)
        loans.checkout([items[0].id], borrower, utcnow() + timedelta(days=1), "", signature())
        from schoolhq.places import services as places

        elsewhere = places.create_location("building", "别的楼", items[0].location.path.strip("/").split("/")[0])
        make_account("otherdesk", "storekeeper", location_id=elsewhere.id)
        db.session.commit()
        number, asset_id = items[0].number, items[0].id
    login(client, "otherdesk")
    assert number not in client.get("/assets/loans").get_data(as_text=True)
    scan = client.post("/assets/checkin/scan", data={"tag": number}, headers={"HX-Request": "true"})
    assert scan.status_code == 422
    assert client.post("/assets/checkin", data={"asset_id": [str(asset_id)]}).status_code == 422
    with app.app_context():
        assert db.session.get(Asset, asset_id).status == "on_loan"


def test_a_loan_signature_is_seen_by_the_desk_and_the_borrower_only(app, client):
    with app.test_request_context():
        items, borrower = loanable_items(n=1)
        loan = loans.checkout([items[0].id], borrower, utcnow() + timedelta(days=1), "", signature())[0]
        make_account("store", "storekeeper")
        make_account("nosy", "staff")
        db.session.commit()
        signature_id = loan.signature_id
    for username, expected in (("nosy", 403), ("teacher", 200), ("store", 200)):
        viewer = app.test_client()
        login(viewer, username)
        assert viewer.get(f"/files/{signature_id}").status_code == expected, username


def test_a_double_return_closes_the_loan_once(app):
    with app.test_request_context():
        items, borrower = loanable_items(n=1)
        loans.checkout([items[0].id], borrower, utcnow() + timedelta(days=1), "", signature())
        loans.checkin(items[0].id, "完好")
        from schoolhq.core.errors import ServiceError

        with pytest.raises(ServiceError):
            loans.checkin(items[0].id, "完好")
        assert db.session.scalar(select(func.count(Loan.id)).where(Loan.returned_at.is_not(None))) == 1


def test_an_item_under_repair_is_refused_at_the_scan(app, client):
    with app.test_request_context():
        items, _borrower = loanable_items(n=1)
        assets.change_status(items[0].id, "under_repair")
        make_account("store", "storekeeper")
        db.session.commit()
        number = items[0].number
    login(client, "store")
    response = client.post("/assets/desk/scan", data={"tag": number}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and 'name="asset_id"' not in response.get_data(as_text=True)


def test_the_return_list_keeps_ticks_while_scanning(app, client):
    with app.test_request_context():
        items, borrower = loanable_items(n=2)
        loans.checkout([a.id for a in items], borrower, utcnow() + timedelta(days=1), "", signature())
        make_account("store", "storekeeper")
        db.session.commit()
        first, second = items[0], items[1]
        ids = (first.id, second.number)
    login(client, "store")
    first_id, second_number = ids
    response = client.post("/assets/checkin/scan", data={"tag": second_number, "asset_id": str(first_id),
                                                         f"check-{first_id}-0": "1"}, headers={"HX-Request": "true"})
    assert f'name="check-{first_id}-0" value="1" checked' in response.get_data(as_text=True)


@pytest.mark.parametrize("price", ["NaN", "Infinity", "1e30", "sNaN", "-0.001", "12.345"])
def test_odd_amounts_get_a_message_not_a_500(app, client, price):
    with app.test_request_context():
        items, _ = loanable_items(n=1)
        make_account("store", "storekeeper")
        db.session.commit()
        location_id, category_id = items[0].location_id, items[0].category_id
    login(client, "store")
    response = client.post("/assets/new", data={"name": "x", "category_id": str(category_id), "unit_price": price,
                                                "location_id": str(location_id), "status": "in_use"})
    assert response.status_code == 422


def test_non_numeric_choices_get_a_message_not_a_500(app, client):
    with app.test_request_context():
        make_account("admin", "admin")
        make_account("head", "logistics_head")
        campus = __import__("schoolhq.places.services", fromlist=["x"]).create_location("campus", "校本部")
        db.session.commit()
        campus_id = campus.id
    login(client, "admin")
    assert client.post("/auth/accounts/new", data={"person_id": "x", "username": "u1", "password": "long-enough-1"}).status_code == 422
    assert client.post("/auth/accounts/new", data={"person_id": "", "name": "新人", "department_id": "z",
                                                   "username": "u2", "password": "long-enough-1"}).status_code in (303, 422)
    head = app.test_client()
    login(head, "head")
    assert head.post(f"/places/{campus_id}/edit", data={"name": "校本部", "responsible_person_id": "abc",
                                                        "sort_order": "0"}).status_code in (303, 422)
    with app.app_context():
        assert db.session.scalar(select(func.count(Account.id)).where(Account.username == "u1")) == 0


def test_an_htmx_error_never_replaces_the_page(app, client):
    with app.test_request_context():
        admin = make_account("admin", "admin")
        db.session.commit()
        admin_id = admin.id
    login(client, "admin")
    response = client.post(f"/auth/accounts/{admin_id}/active", data={"active": "0"}, headers={"HX-Request": "true"})
    assert response.status_code == 422 and response.headers["HX-Reswap"] == "none"
