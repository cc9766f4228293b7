"""Importing a school's existing 资产台账: upload, the check (sheet, header row, columns,
missing places and people, batch rows), the run, the template."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _

from schoolhq.assets.views import (
    bp,
)
from schoolhq.core.errors import ServiceError
from schoolhq.core.permissions import permission_required
from schoolhq.core.web import handle_form, redirect_to, render, to_int


def _choice_from_form():
    """The person's choices on the check page. A new sheet or header row guesses the
    columns afresh: the old column numbers belong to the old header."""
    from schoolhq.assets import importer

    form = request.form
    sheet, header_row = to_int(form.get("sheet")), to_int(form.get("header_row"))
    mapping = None
    if form.get("layout") == f"{sheet}:{header_row}":
        mapping = {}
        for key in importer.FIELDS:
            index = to_int(form.get(f"map-{key}"))
            if index is not None:
                mapping[key] = index
    return importer.Choice(sheet=sheet, header_row=header_row, mapping=mapping,
                           places_parent_id=to_int(form.get("places_parent")),
                           create_people=bool(form.get("create_people")),
                           create_departments=bool(form.get("create_departments")),
                           split_batches=form.get("batches") == "split")


@bp.route("/import", methods=["GET", "POST"])
@permission_required("assets.manage", school_wide=True)
def import_start():
    from schoolhq.assets import importer
    from schoolhq.core.forms import ActionForm

    if request.method == "POST" and not ActionForm().validate_on_submit():
        abort(400)
    # a readable file goes straight on to its check
    return handle_form(None, lambda: importer.store(request.files.get("file")), page="assets/import.html",
                       success=lambda token: _import_page(token, importer.Choice()))


def _import_page(token: str, choice, status: int = 200, error=None):
    from schoolhq.assets import importer
    from schoolhq.places import services as places

    try:
        plan = importer.prepare(token, choice)
    except ServiceError as exc:
        return render("assets/import.html", status=422, error=str(exc.message))
    if plan.mapping_error and status == 200:
        status = 422
    return render("assets/import_check.html", status=status, token=token, plan=plan, error=error,
                  file_name=importer.file_name(token), fields=importer.FIELDS, required=importer.REQUIRED,
                  parents=places.choices(exclude_kind="room"))


@bp.post("/import/<token>")
@permission_required("assets.manage", school_wide=True)
def import_run(token: str):
    from schoolhq.assets import importer
    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    choice = _choice_from_form()
    action = request.form.get("action", "check")
    if action in ("all", "valid"):
        # the file stays a day (a second try then shows every row as imported)
        return handle_form(None, lambda: importer.run(token, choice, only_valid=action == "valid"),
                           success=lambda counts: redirect_to("assets.index", imported=counts[0], skipped=counts[1]),
                           page=lambda status, error, field: _import_page(token, choice, status=status,
                                                                          error=str(error)))
    return _import_page(token, choice)


@bp.get("/import/template.xlsx")
@permission_required("assets.manage")
def import_template():
    from schoolhq.assets import importer
    from schoolhq.core.xlsx import download

    header, rows = importer.template_rows()
    return download("asset-import-template.xlsx", [(_("Assets"), header, rows)])
