from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from schoolhq.core.forms import ActionForm
from schoolhq.core.pagination import paginate_list
from schoolhq.core.permissions import permission_required, require, require_within
from schoolhq.core.web import (
    get_or_404,
    handle_form,
    int_arg,
    redirect_to,
    render,
    search_arg,
    to_int,
    wants_fragment,
)
from schoolhq.extensions import db
from schoolhq.people import certificates, services
from schoolhq.people.forms import (
    CertificateForm,
    DepartmentForm,
    PersonForm,
    ResponsibilityForm,
    WithdrawForm,
)
from schoolhq.people.models import Department, Person
from schoolhq.places import services as places

bp = Blueprint("people", __name__, url_prefix="/people")


def _department_choices(blank=None):
    return [("", blank or _l("— none —"))] + [(str(d.id), "　" * services.department_depth(d) + d.name)
                            for d in services.departments()]


def _person_or_404(person_id: int) -> Person:
    person = get_or_404(Person, person_id)
    return person



@bp.app_template_global("person_entry")
def person_entry(value):
    """What a person picker had chosen, kept when its form comes back refused (any page)."""
    return services.entry(to_int(value))

@bp.get("/")
@permission_required("people.view")
def index():
    text = search_arg()
    department_id = int_arg("department")
    page = paginate_list(services.search_people(text, department_id), per_page=50)
    # the department filter is on the page, not in the rows a search swaps in
    departments = [] if wants_fragment() else _department_choices(_l("All departments"))
    return render("people/index.html", "people/_rows.html", page=page, q=text,
                  department_id=department_id, departments=departments)


@bp.get("/pick")
@permission_required()
def pick():
    """A person picker's results: name, pinyin or initials, for any form that names someone."""
    text = search_arg(limit=40)
    found = services.search_people(text, limit=12) if text else []
    return render("people/_pick.html", found=found, field=request.args.get("field", "person_id")[:40], q=text)


@bp.get("/<int:person_id>")
@permission_required("people.view")
def detail(person_id: int):
    return _profile(_person_or_404(person_id), _responsibility_form())


def _responsibility_form(**kwargs) -> ResponsibilityForm:
    form = ResponsibilityForm(**kwargs)
    form.location_id.choices = [("", _l("— no particular place —"))] + places.choices()
    return form


def _profile(person: Person, form: ResponsibilityForm, status: int = 200, certificate_form=None, error=None):
    from schoolhq.auth.services import assignments_of

    return render("people/detail.html", "people/_responsibilities.html", status=status, person=person,
                  responsibilities=services.responsibilities_of(person.id),
                  places_held=places.responsible_of(person.id), form=form,
                  roles=assignments_of(person.account.id) if person.account else [],
                  certificates=certificates.of_person(person.id), certificate_state=certificates.state,
                  certificate_states=certificates.STATES, certificate_tones=certificates.STATE_TONES,
                  certificate_type_name=certificates.type_name,
                  certificate_form=certificate_form or _certificate_form(), certificate_error=error)


def _certificate_form() -> CertificateForm:
    form = CertificateForm()
    form.type_key.choices = [(kind.key, certificates.type_name(kind)) for kind in certificates.types()]
    return form


@bp.post("/<int:person_id>/certificates")
@permission_required("people.certificates")
def add_certificate(person_id: int):
    person = _person_or_404(person_id)
    form = _certificate_form()
    return handle_form(form, lambda: certificates.add(current_user, person.id, certificates.CertificateData(
        form.type_key.data, form.number.data, form.issued_on.data, form.expires_on.data, form.issuer.data),
        scan=form.scan.data), success=lambda _c: redirect_to("people.detail", person_id=person.id),
        page=lambda status, error, field: _profile(person, _responsibility_form(formdata=None), status,
                                                   certificate_form=form, error=error))


@bp.post("/certificates/<int:certificate_id>/withdraw")
@permission_required("people.certificates")
def withdraw_certificate(certificate_id: int):
    certificate = certificates.get(certificate_id)
    form = WithdrawForm()
    return handle_form(form, lambda: certificates.withdraw(current_user, certificate.id, form.reason.data),
                       success=lambda _c: redirect_to("people.detail", person_id=certificate.person_id),
                       page=lambda status, error, field: _profile(certificate.person, _responsibility_form(formdata=None),
                                                                  status, error=error or _l("Say why.")))


@bp.get("/certificates")
@permission_required("people.certificates")
def certificate_register():
    """Everyone who needs a certificate and everyone who holds one, by kind and state: printable."""
    type_key = request.args.get("type", "")[:40]
    only = request.args.get("state", "")
    only = only if only in certificates.STATES else ""
    return render("people/certificates.html", rows=certificates.register(type_key or None, only), kinds=certificates.types(),
                  type_key=type_key, only=only, states=certificates.STATES, tones=certificates.STATE_TONES,
                  type_name=certificates.type_name)


def _person_form(obj=None) -> PersonForm:
    form = PersonForm(obj=obj if request.method == "GET" else None)
    form.department_id.choices = _department_choices()
    if request.method == "GET" and obj is not None:
        form.department_id.data = str(obj.department_id or "")
    return form


@bp.route("/new", methods=["GET", "POST"])
@permission_required("people.manage")
def create():
    form = _person_form()

    def create_person():
        department_id = to_int(form.department_id.data)
        require_within("people.manage", db.session.get(Department, department_id) if department_id else None)
        return services.create_person(form.name.data, department_id, form.job_title.data, form.phone.data,
                                      form.badge_code.data)

    return handle_form(form, create_person, success=lambda person: redirect_to("people.detail", person_id=person.id),
                       page="people/form.html", context={"person": None})


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@permission_required("people.manage")
def edit(person_id: int):
    person = _person_or_404(person_id)
    require("people.manage", person)
    form = _person_form(person)

    def update_person():
        department_id = to_int(form.department_id.data)
        require_within("people.manage", db.session.get(Department, department_id) if department_id else None)
        services.update_person(person.id, form.name.data, department_id, form.job_title.data, form.phone.data,
                               form.badge_code.data)

    return handle_form(form, update_person, success=lambda _none: redirect_to("people.detail", person_id=person.id),
                       page="people/form.html", context=lambda: {"person": person})


@bp.post("/<int:person_id>/responsibilities")
@permission_required("people.manage")
def add_responsibility(person_id: int):
    person = _person_or_404(person_id)
    require("people.manage", person)
    form = _responsibility_form()
    return handle_form(form, lambda: services.add_responsibility(person.id, form.title.data,
                                                                 to_int(form.location_id.data), form.description.data),
                       success=lambda _added: _profile(person, _responsibility_form(formdata=None)),
                       page=lambda status, error, field: _profile(person, form, status=status))


@bp.post("/<int:person_id>/responsibilities/<int:responsibility_id>/end")
@permission_required("people.manage")
def end_responsibility(person_id: int, responsibility_id: int):
    person = _person_or_404(person_id)
    require("people.manage", person)
    if not ActionForm().validate_on_submit():
        abort(400)
    if responsibility_id not in {r.id for r in services.responsibilities_of(person.id)}:
        abort(404)
    services.end_responsibility(responsibility_id)
    return redirect_to("people.detail", person_id=person.id)


@bp.get("/departments")
@permission_required("people.view")
def departments():
    return render("people/departments.html", departments=services.departments(),
                  depth=services.department_depth)


@bp.route("/departments/new", methods=["GET", "POST"])
@permission_required("people.manage")
def create_department():
    form = DepartmentForm()
    form.parent_id.choices = _department_choices()
    form.head_person_id.choices = [("", _l("— none —"))] + services.person_choices()

    def create_department():
        parent_id = to_int(form.parent_id.data)
        require_within("people.manage", db.session.get(Department, parent_id) if parent_id else None)
        services.create_department(form.name.data, parent_id, to_int(form.head_person_id.data))

    return handle_form(form, create_department, success="people.departments", page="people/department_form.html",
                       context={"department": None})


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@permission_required("people.manage")
def edit_department(department_id: int):
    department = db.session.get(Department, department_id)
    if department is None or department.archived_at is not None:
        abort(404)
    require("people.manage", department)
    form = DepartmentForm(obj=department if request.method == "GET" else None)
    form.parent_id.choices = [("", "—")]
    form.head_person_id.choices = [("", _l("— none —"))] + services.person_choices()
    if request.method == "GET":
        form.head_person_id.data = str(department.head_person_id or "")
    return handle_form(form, lambda: services.update_department(department.id, form.name.data,
                                                                to_int(form.head_person_id.data)),
                       success="people.departments", page="people/department_form.html",
                       context=lambda: {"department": department})
