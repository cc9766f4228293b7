from __future__ import annotations

from flask import Blueprint, abort, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from schoolhq.core.forms import ActionForm
from schoolhq.core.labels import label_url, qr_svg
from schoolhq.core.permissions import permission_required, require, require_within
from schoolhq.core.web import get_or_404, handle_form, int_arg, redirect_to, render, to_int
from schoolhq.people import services as people
from schoolhq.places import services
from schoolhq.places.forms import LabelsForm, LocationForm, MoveForm
from schoolhq.places.models import KINDS, Location

bp = Blueprint("places", __name__, url_prefix="/places")


def _location_or_404(location_id: int, include_archived: bool = False) -> Location:
    location = get_or_404(Location, location_id)
    if location.archived_at is not None and not include_archived:
        abort(404)
    return location


def _person_choices():
    return [("", _l("— nobody yet —"))] + people.person_choices()


@bp.get("/")
@permission_required("places.view")
def index():
    locations = services.tree(selectinload(Location.responsible))
    unassigned = bool(request.args.get("unassigned"))
    if unassigned:
        locations = [loc for loc in locations if loc.kind == "room" and loc.responsible_person_id is None]
    return render("places/index.html", locations=locations, unassigned=unassigned)


@bp.get("/<int:location_id>")
@permission_required("places.view")
def detail(location_id: int):
    location = _location_or_404(location_id, include_archived=True)
    path = services.ancestors(location)
    responsibilities = people.responsibilities_at([*location.ancestor_ids, location.id])
    return render("places/detail.html", location=location, path=path,
                  children=services.children(location.id), responsibilities=responsibilities,
                  qr=qr_svg(label_url(location.token), scale=4), label_link=label_url(location.token),
                  kind_label=services.kind_label)


def _form_choices(form: LocationForm, parent: Location | None) -> None:
    form.responsible_person_id.choices = _person_choices()
    if parent is not None:
        allowed = KINDS[KINDS.index(parent.kind) + 1:]
        form.kind.choices = [c for c in form.kind.choices if c[0] in allowed]


@bp.route("/new", methods=["GET", "POST"])
@permission_required("places.manage")
def create():
    parent_id = int_arg("parent")
    parent = _location_or_404(parent_id) if parent_id else None
    # Creating inside a place is acting on that place: a scoped role must cover it.
    require_within("places.manage", parent)
    form = LocationForm()
    _form_choices(form, parent)
    return handle_form(form, lambda: services.create_location(
        form.kind.data, form.name.data, parent.id if parent else None, form.code.data,
        to_int(form.responsible_person_id.data), form.sort_order.data or 0),
        success=lambda location: redirect_to("places.detail", location_id=location.id),
        page="places/form.html", context=lambda: {"parent": parent, "location": None})


@bp.route("/<int:location_id>/edit", methods=["GET", "POST"])
@permission_required("places.manage")
def edit(location_id: int):
    location = _location_or_404(location_id)
    require("places.manage", location)
    form = LocationForm(obj=location if request.method == "GET" else None)
    del form.kind  # a place keeps its kind; moving changes its parent
    form.responsible_person_id.choices = _person_choices()
    if request.method == "GET":
        form.responsible_person_id.data = str(location.responsible_person_id or "")
    return handle_form(form, lambda: services.update_location(
        location.id, form.name.data, form.code.data, to_int(form.responsible_person_id.data), form.sort_order.data),
        success=lambda _location: redirect_to("places.detail", location_id=location.id),
        page="places/form.html", context=lambda: {"parent": location.parent, "location": location})


@bp.route("/<int:location_id>/move", methods=["GET", "POST"])
@permission_required("places.manage")
def move(location_id: int):
    location = _location_or_404(location_id)
    require("places.manage", location)
    form = MoveForm()
    form.parent_id.choices = [(str(p.id), p.full_name) for p in services.possible_parents(location)]

    def move_to_parent():
        target = _location_or_404(to_int(form.parent_id.data) or 0)
        require("places.manage", target)
        services.move_location(location.id, target.id)

    return handle_form(form, move_to_parent,
                       success=lambda _none: redirect_to("places.detail", location_id=location.id),
                       page="places/move.html", context=lambda: {"location": location})


@bp.post("/<int:location_id>/archive")
@permission_required("places.manage")
def archive(location_id: int):
    location = _location_or_404(location_id)
    require("places.manage", location)
    if not ActionForm().validate_on_submit():
        abort(400)
    services.archive_location(location.id)
    return redirect_to("places.detail", location_id=location.id)


@bp.get("/labels")
@permission_required("places.view")
def labels():
    """Room labels on an A4 sticker sheet, for the whole school or one building or floor."""
    from schoolhq.core import labels as sheets

    form = LabelsForm(request.args)
    form.within.choices = [("", _l("The whole school"))] + services.choices(exclude_kind="room")
    within = _location_or_404(to_int(form.within.data)) if to_int(form.within.data) else None
    rooms = services.subtree(within, "room") if within else [loc for loc in services.tree() if loc.kind == "room"]
    layout = sheets.get_layout(int_arg("layout"))
    skip = int_arg("skip") or 0
    items = [(room, sheets.qr_svg(sheets.label_url(room.token))) for room in rooms]
    return render("places/labels.html", form=form, count=len(rooms), within=within, layout=layout,
                  layouts=sheets.layouts(), skip=skip, pages=sheets.sheets(layout, items, skip))
