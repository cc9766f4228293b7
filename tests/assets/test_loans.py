"""Loans: the desk, signatures, one open loan per asset (also under concurrency),
check-in with its checklist, overdue lists, and bad input."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from schoolhq.assets import loans as lending
from schoolhq.assets import services
from schoolhq.assets.models import Asset, Loan
from schoolhq.core.errors import ServiceError
from schoolhq.core.timeutil import utcnow
from schoolhq.extensions import db
from tests.conftest import login, make_account
from tests.factories.assets import loanable_items, signature

pytestmark = pytest.mark.dated  # CI runs it again at other days of the school year


def test_checkout_and_checkin_restore_the_status_and_record_events(ctx):
    assets, borrower = loanable_items()
    due = utcnow() + timedelta(days=1)
    loans = lending.checkout([a.id for a in assets], borrower, due, "完好", signature())
    assert len({loan.slip for loan in loans}) == 1 and loans[0].signature_id
    assert all(a.status == "on_loan" for a in assets)
    with pytest.raises(ServiceError):
        lending.checkout([assets[0].id], borrower, due, "", signature())
    loan = lending.checkin(assets[0].id, "完好", {"充电器已归还": True, "开机正常": True})
    assert loan.returned_at is not None and loan.checklist_in == {"充电器已归还": True, "开机正常": True}
    assert assets[0].status == "in_storage"
    assert [e.kind for e in services.history(assets[0].id)][:2] == ["checked_in", "checked_out"]
    with pytest.raises(ServiceError):
        lending.checkin(assets[0].id)  # not on loan any more


@pytest.mark.parametrize("case", ["no_items", "twice", "not_loanable", "past_due", "no_signature", "bad_signature",
                                  "inactive_borrower", "repairing"])
def test_bad_checkouts_change_nothing(ctx, case):
    assets, borrower = loanable_items()
    due = utcnow() + timedelta(days=1)
    ids, sig = [assets[0].id], signature()
    if case == "no_items":
        ids = []
    elif case == "twice":
        ids = [assets[0].id, assets[0].id]
    elif case == "not_loanable":
        assets[0].loanable = False
    elif case == "past_due":
        due = utcnow() - timedelta(minutes=1)
    elif case == "no_signature":
        sig = None
    elif case == "bad_signature":
        sig = "data:image/png;base64,!!!notbase64"
    elif case == "inactive_borrower":
        from schoolhq.auth.services import set_active
        from schoolhq.people.models import Person

        set_active(db.session.get(Person, borrower).account.id, False)
    elif case == "repairing":
        services.change_status(assets[0].id, "under_repair")
    with pytest.raises(ServiceError):
        lending.checkout(ids, borrower, due, "", sig)
    assert db.session.scalar(select(func.count(Loan.id))) == 0


def test_the_database_holds_one_open_loan_per_asset(app):
    """Two desks lend the same laptop at the same moment: one wins, one gets a message."""
    with app.test_request_context():
        assets, borrower = loanable_items(n=1)
        db.session.commit()
        asset_id = assets[0].id
    results: list[str] = []
    barrier = threading.Barrier(2)

    def desk():
        with app.test_request_context():
            barrier.wait()
            try:
                lending.checkout([asset_id], borrower, utcnow() + timedelta(days=1), "", signature())
                db.session.commit()
                results.append("ok")
            except ServiceError as error:
                db.session.rollback()
                results.append(str(error.message))
            except Exception as error:  # a lock timeout would show here
                db.session.rollback()
                results.append(f"crash: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=desk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(r == "ok" for r in results) == [False, True], results
    with app.app_context():
        assert db.session.scalar(select(func.count(Loan.id)).where(Loan.asset_id == asset_id)) == 1


def test_the_partial_unique_index_itself(app):
    with app.test_request_context():
        assets, borrower = loanable_items(n=1)
        lending.checkout([assets[0].id], borrower, utcnow() + timedelta(days=1), "", signature())
        db.session.commit()
        from sqlalchemy.exc import IntegrityError

        db.session.add(Loan(asset_id=assets[0].id, borrower_id=borrower, slip="X", due_at=utcnow()))
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


def test_the_desk_through_the_web(app, client):
    with app.test_request_context():
        assets, borrower = loanable_items()
        make_account("keeper", "storekeeper")
        db.session.commit()
        numbers = [a.number for a in assets]
        ids = [a.id for a in assets]
    login(client, "keeper")
    assert client.get("/assets/desk").status_code == 200
    first = client.post("/assets/desk/scan", data={"tag": numbers[0]}, headers={"HX-Request": "true"})
    assert first.status_code == 200 and numbers[0] in first.get_data(as_text=True)
    again = client.post("/assets/desk/scan", data={"tag": numbers[0], "asset_id": str(ids[0])},
                        headers={"HX-Request": "true"})
    assert again.status_code == 422  # the same tag twice is refused, the list kept
    assert again.get_data(as_text=True).count('name="asset_id"') == 1
    unknown = client.post("/assets/desk/scan", data={"tag": "NOPE-404", "asset_id": str(ids[0])},
                          headers={"HX-Request": "true"})
    assert unknown.status_code == 422 and "NOPE-404" in unknown.get_data(as_text=True)
    no_signature = client.post("/assets/desk/checkout", data={"asset_id": [str(i) for i in ids],
                                                              "borrower_id": str(borrower), "due": "date",
                                                              "due_date": "2999-01-01", "signature": ""})
    assert no_signature.status_code == 422
    kept = no_signature.get_data(as_text=True)  # the chosen borrower stays chosen
    assert f'name="borrower_id" value="{borrower}" checked' in kept and "王芳" in kept
    past = client.post("/assets/desk/checkout", data={"asset_id": [str(i) for i in ids], "borrower_id": str(borrower),
                                                      "due": "date", "due_date": "2000-01-01", "signature": signature()})
    assert past.status_code == 422
    done = client.post("/assets/desk/checkout", data={"asset_id": [str(i) for i in ids], "borrower_id": str(borrower),
                                                      "due": "date", "due_date": "2999-01-01", "signature": signature()})
    assert done.status_code == 303
    slip_page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "借用单" in slip_page and "王芳" in slip_page and numbers[1] in slip_page and "<img" in slip_page
    checkin = client.post("/assets/checkin/scan", data={"tag": numbers[0]}, headers={"HX-Request": "true"})
    assert "充电器已归还" in checkin.get_data(as_text=True)
    back = client.post("/assets/checkin", data={"asset_id": [str(ids[0])], f"check-{ids[0]}-0": "1",
                                                "condition": "完好"})
    assert back.status_code == 303
    damaged_without_note = client.post("/assets/checkin", data={"asset_id": [str(ids[1])], "damaged": "y"})
    assert damaged_without_note.status_code == 422
    with app.app_context():
        assert db.session.get(Asset, ids[0]).status == "in_storage"
        assert db.session.get(Asset, ids[1]).status == "on_loan"


def test_overdue_loans_reach_the_dashboards(app, client):
    with app.test_request_context():
        assets, borrower = loanable_items(n=1)
        make_account("keeper", "storekeeper")
        loan = lending.checkout([assets[0].id], borrower, utcnow() + timedelta(hours=1), "", signature())[0]
        loan.due_at = utcnow() - timedelta(days=1)
        db.session.commit()
    login(client, "keeper")
    assert "逾期未还" in client.get("/").get_data(as_text=True)
    assert "笔记本0" in client.get("/assets/loans?overdue=1").get_data(as_text=True)
    teacher = app.test_client()
    login(teacher, "teacher")
    assert "笔记本0" in teacher.get("/assets/mine").get_data(as_text=True)
    assert teacher.get("/assets/desk").status_code == 403
    assert teacher.get("/assets/").status_code == 403


def test_each_returned_item_has_its_own_damage_and_condition(app, client):
    from schoolhq.repairs.models import Ticket

    with app.test_request_context():
        assets, borrower = loanable_items(n=2)
        lending.checkout([a.id for a in assets], borrower, utcnow() + timedelta(days=1), "完好", signature())
        make_account("keeper", "storekeeper")
        db.session.commit()
        ids = [a.id for a in assets]
    login(client, "keeper")
    listed = client.post("/assets/checkin/scan", data={"tag": "x", "asset_id": [str(i) for i in ids]},
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert listed.count("data-remove-row") == 2 and f'name="damaged-{ids[0]}"' in listed
    refused = client.post("/assets/checkin", data={"asset_id": [str(i) for i in ids], f"damaged-{ids[1]}": "1"})
    assert refused.status_code == 422  # the damaged one needs its condition: nothing returned
    with app.app_context():
        assert db.session.get(Asset, ids[0]).status == "on_loan"
    back = client.post("/assets/checkin", data={"asset_id": [str(i) for i in ids], "condition": "完好",
                                                f"damaged-{ids[1]}": "1", f"condition-{ids[1]}": "屏幕有裂痕"})
    assert back.status_code == 303
    with app.app_context():
        loans = {loan.asset_id: loan for loan in db.session.scalars(select(Loan).where(Loan.asset_id.in_(ids)))}
        assert (loans[ids[0]].damaged, loans[ids[0]].condition_in) == (False, "完好")
        assert (loans[ids[1]].damaged, loans[ids[1]].condition_in) == (True, "屏幕有裂痕")
        tickets = list(db.session.scalars(select(Ticket)))
        assert [t.asset_id for t in tickets] == [ids[1]]  # a repair only for the damaged one


def test_a_borrower_may_sign_the_printed_slip_instead(app, client):
    """At a keyboard the screen cannot be signed: the desk lends with "signs on paper",
    and the printed slip leaves the line for the borrower's pen."""
    with app.test_request_context():
        assets, borrower = loanable_items(n=1)
        make_account("keeper", "storekeeper")
        db.session.commit()
        asset_id = assets[0].id
    login(client, "keeper")
    page = client.get("/assets/desk").get_data(as_text=True)
    assert 'tabindex="0"' in page and 'name="on_paper"' in page
    form = {"asset_id": str(asset_id), "borrower_id": str(borrower), "due": "date", "due_date": "2999-01-01"}
    refused = client.post("/assets/desk/checkout", data=form)
    assert refused.status_code == 422 and "签" in refused.get_data(as_text=True)
    done = client.post("/assets/desk/checkout", data={**form, "on_paper": "y"})
    assert done.status_code == 303
    slip = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "借用单" in slip and '<img class="signature"' not in slip
    with app.app_context():
        loan = db.session.scalars(select(Loan).where(Loan.asset_id == asset_id)).one()
        assert loan.signature_id is None and loan.returned_at is None
