from __future__ import annotations

from flask import Blueprint, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from schoolhq.auth import services
from schoolhq.auth.forms import (
    AssignRoleForm,
    ChangePasswordForm,
    LoginForm,
    NewAccountForm,
    NewRoleForm,
    ResetPasswordForm,
    RoleForm,
)
from schoolhq.auth.models import Account, Role
from schoolhq.core.database import keep_changes
from schoolhq.core.errors import ServiceError
from schoolhq.core.forms import ActionForm
from schoolhq.core.pagination import paginate
from schoolhq.core.permissions import PERMISSIONS, permission_required, public
from schoolhq.core.timeutil import utcnow
from schoolhq.core.web import get_or_404, handle_form, redirect_to, render, search_arg, to_int
from schoolhq.extensions import db
from schoolhq.people import services as people
from schoolhq.people.models import Person
from schoolhq.places import services as places

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _safe_next(target: str | None) -> str:
    return services.safe_next_url(target) or url_for("dashboard.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated and request.method == "GET":
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    elif form.validate_on_submit():
        try:
            account = services.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except services.SignInThrottled as error:
            form.form_errors.append(str(error.message))
            return render("auth/login.html", status=429, form=form)
        except ServiceError as error:
            keep_changes()  # the failed attempt counts towards the lock-outs
            form.form_errors.append(str(error.message))
        else:
            # A remembered sign-in (for reporting from a personal phone) still ends when
            # the password changes: its cookie carries the account's session version.
            login_user(account, remember=bool(form.remember.data))
            return redirect(_safe_next(form.next.data), code=303)
    status = 422 if request.method == "POST" else 200
    return render("auth/login.html", status=status, form=form)


@bp.post("/logout")
@permission_required()
def logout():
    if not ActionForm().validate_on_submit():
        abort(400)
    # server-side: a copied session or remember-me cookie no longer signs anyone in
    services.end_sessions(current_user._get_current_object())
    logout_user()
    return redirect(url_for("auth.login"), code=303)


@bp.route("/password", methods=["GET", "POST"])
@permission_required()
def change_password():
    form = ChangePasswordForm()

    def change():
        services.change_password(current_user, form.old_password.data, form.new_password.data)
        login_user(current_user._get_current_object())  # the session id carries the new version

    return handle_form(form, change, success=lambda _none: redirect_to("auth.change_password", done=1),
                       page="auth/password.html", context={"done": request.args.get("done")})


# Accounts ----------------------------------------------------------------------------

@bp.get("/accounts")
@permission_required("admin.users", school_wide=True)
def accounts():
    text = search_arg()
    query = (select(Account).join(Person, Person.id == Account.person_id).order_by(Person.pinyin)
             .options(contains_eager(Account.person).joinedload(Person.department)))
    if text:
        query = query.where(Person.id.in_([found.id for found in people.search_people(text)])
                            | Account.username.contains(text))
    return render("auth/accounts.html", "auth/_account_rows.html", page=paginate(query), q=text, now=utcnow())


def _new_account_form() -> NewAccountForm:
    form = NewAccountForm()
    without = db.session.scalars(select(Person).where(~Person.account.has(), Person.left_at.is_(None))
                                 .order_by(Person.pinyin))
    form.person_id.choices = [("", _l("— a new staff member —"))] + [(str(p.id), p.name) for p in without]
    form.department_id.choices = [("", _l("— none —"))] + [
        (str(d.id), "　" * people.department_depth(d) + d.name) for d in people.departments()]
    return form


@bp.route("/accounts/new", methods=["GET", "POST"])
@permission_required("admin.users", school_wide=True)
def new_account():
    form = _new_account_form()

    def create():
        if form.person_id.data:
            person_id = to_int(form.person_id.data) or 0
        else:
            if not (form.name.data or "").strip():
                raise ServiceError(_l("Enter the new staff member's name, or choose someone on file."), "name")
            # a refused account rolls this person back with it
            person_id = people.create_person(form.name.data, to_int(form.department_id.data),
                                             form.job_title.data, form.phone.data).id
        return services.create_account(person_id, form.username.data, form.password.data)

    return handle_form(form, create, success=lambda account: redirect_to("auth.account", account_id=account.id),
                       page="auth/new_account.html")


def _assign_form() -> AssignRoleForm:
    form = AssignRoleForm()
    form.role_id.choices = [("", _l("— choose a role —"))] + [(str(r.id), r.display_name) for r in services.roles()]
    form.scope.choices = [("", _l("The whole school"))]
    form.scope.choices += [(f"d{d.id}", _("Department: %(name)s", name=d.name)) for d in people.departments()]
    form.scope.choices += [(f"l{value}", _("Place: %(name)s", name=name))
                           for value, name in places.choices(exclude_kind="room")]
    return form


def _account_page(account: Account, status: int = 200, assign_form=None, reset_form=None):
    return render("auth/account.html", "auth/_roles.html", status=status, account=account,
                  assignments=services.assignments_of(account.id),
                  assign_form=assign_form or _assign_form(), reset_form=reset_form or ResetPasswordForm(),
                  action_form=ActionForm())


def _account_or_404(account_id: int) -> Account:
    account = get_or_404(Account, account_id)
    return account


@bp.get("/accounts/<int:account_id>")
@permission_required("admin.users", school_wide=True)
def account(account_id: int):
    return _account_page(_account_or_404(account_id))


@bp.post("/accounts/<int:account_id>/roles")
@permission_required("admin.users", school_wide=True)
def assign_role(account_id: int):
    account = _account_or_404(account_id)
    form = _assign_form()
    scope = form.scope.data or ""
    return handle_form(form, lambda: services.assign_role(
        account.id, to_int(form.role_id.data) or 0,
        department_id=to_int(scope[1:]) if scope.startswith("d") else None,
        location_id=to_int(scope[1:]) if scope.startswith("l") else None, acting=current_user),
        success=lambda _assigned: _account_page(account, assign_form=_assign_form()),
        page=lambda status, error, field: _account_page(account, status=status, assign_form=form))


@bp.post("/accounts/<int:account_id>/roles/<int:assignment_id>/remove")
@permission_required("admin.users", school_wide=True)
def unassign_role(account_id: int, assignment_id: int):
    account = _account_or_404(account_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    assignment = next((a for a in services.assignments_of(account.id) if a.id == assignment_id), None)
    if assignment is None:
        abort(404)
    services.unassign_role(assignment_id, acting=current_user)
    return _account_page(account)


@bp.post("/accounts/<int:account_id>/password")
@permission_required("admin.users", school_wide=True)
def reset_password(account_id: int):
    account = _account_or_404(account_id)
    form = ResetPasswordForm()
    return handle_form(form, lambda: services.reset_password(account.id, form.new_password.data),
                       success=lambda _account: redirect_to("auth.account", account_id=account.id, reset=1),
                       page=lambda status, error, field: _account_page(account, status=status, reset_form=form))


@bp.post("/accounts/<int:account_id>/active")
@permission_required("admin.users", school_wide=True)
def set_active(account_id: int):
    account = _account_or_404(account_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.set_active(account.id, request.form.get("active") == "1", acting=current_user)
    return redirect_to("auth.account", account_id=account.id)


# Roles -------------------------------------------------------------------------------

@bp.route("/roles", methods=["GET", "POST"])
@permission_required("admin.roles", school_wide=True)
def roles():
    form = NewRoleForm()
    return handle_form(form, lambda: services.create_role(form.code.data, form.name.data),
                       success=lambda role: redirect_to("auth.role", role_id=role.id), page="auth/roles.html",
                       context=lambda: {"roles": services.roles()})


def _permission_choices():
    return [(name, f"{name} — {label}") for name, (_area, label) in sorted(PERMISSIONS.items())]


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@permission_required("admin.roles", school_wide=True)
def role(role_id: int):
    role = get_or_404(Role, role_id)
    form = RoleForm(obj=None if request.method == "POST" else role)
    form.permissions.choices = _permission_choices()
    if request.method == "GET":
        form.name.data = role.display_name
        form.permissions.data = sorted(role.permission_names)
    return handle_form(form, lambda: services.update_role(role.id, form.name.data, form.permissions.data or []),
                       success=lambda _role: redirect_to("auth.role", role_id=role.id, saved=1),
                       page="auth/role.html", context=lambda: {"role": role, "saved": request.args.get("saved")})
