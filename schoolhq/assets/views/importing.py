"""Importing a school's existing 资产台账: upload, column mapping, the check, the run, the template."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _

from schoolhq.assets.views import (
    bp,
)
from schoolhq.core.errors import ServiceError
from schoolhq.core.permissions import permission_required
from schoolhq.core.web import handle_form, redirect_to, render, to_int


def _mapping_from_form(header_len: int) -> dict[str, int]:
    from schoolhq.assets import importer

    mapping = {}
    for key in importer.FIELDS:
        index = to_int(request.form.get(f"map-{key}"))
        if index is not None and index < header_len:
            mapping[key] = index
    return mapping


@bp.route("/import", methods=["GET", "POST"])
@permission_required("assets.manage", school_wide=True)
def import_start():
    from schoolhq.assets import importer
    from schoolhq.core.forms import ActionForm

    if request.method == "POST" and not ActionForm().validate_on_submit():
        abort(400)

    def read_upload():
        token = importer.store(request.files.get("file"))
        header, _rows = importer.read_table(token)
        return token, header

    # a readable file goes straight on to matching its columns
    return handle_form(None, read_upload, page="assets/import.html",
                       success=lambda upload: _import_page(*upload, importer.guess_mapping(upload[1])))


def _import_page(token: str, header: list[str], mapping: dict[str, int], status: int = 200, error=None, done=None):
    from schoolhq.assets import importer

    results = None
    if error is None and done is None:
        try:
            results = importer.check(token, mapping)
        except ServiceError as exc:
            error, status = str(exc.message), 422
    return render("assets/import_check.html", status=status, token=token, header=header, mapping=mapping,
                  fields=importer.FIELDS, required=importer.REQUIRED, results=results, error=error)


@bp.post("/import/<token>")
@permission_required("assets.manage", school_wide=True)
def import_run(token: str):
    from schoolhq.assets import importer
    from schoolhq.core.forms import ActionForm

    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        header, _rows = importer.read_table(token)
    except ServiceError as exc:
        return render("assets/import.html", status=422, error=str(exc.message))
    mapping = _mapping_from_form(len(header))
    action = request.form.get("action", "check")
    if action in ("all", "valid"):
        return handle_form(None, lambda: importer.run(token, mapping, only_valid=action == "valid"),
                           success=lambda counts: redirect_to("assets.index", imported=counts[0], skipped=counts[1]),
                           page=lambda status, error, field: _import_page(token, header, mapping, status=status,
                                                                          error=str(error)))
    return _import_page(token, header, mapping)


@bp.get("/import/template.xlsx")
@permission_required("assets.manage")
def import_template():
    from schoolhq.assets import importer
    from schoolhq.core.xlsx import download

    header, rows = importer.template_rows()
    return download("asset-import-template.xlsx", [(_("Assets"), header, rows)])
