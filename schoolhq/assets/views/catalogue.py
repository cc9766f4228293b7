"""The catalogue (the school's asset categories and operational kinds); the old address of the asset
settings."""

from __future__ import annotations

from flask import redirect, request, url_for

from schoolhq.assets import services
from schoolhq.assets.views import (
    bp,
)
from schoolhq.core.permissions import permission_required
from schoolhq.core.web import get_or_404, handle_form, render


def _class_choices():
    from schoolhq.assets.catalogue import domain

    return [("", "—")] + [(row["code"], f"{row['code']} {row['zh']}") for row in domain()["gbt14885_2010_classes"]]


def _category_form(category=None):
    from schoolhq.assets.forms import CategoryForm

    form = CategoryForm(obj=category if request.method == "GET" and category else None)
    form.class_2010.choices = _class_choices()
    if category is not None:
        del form.code
    return form


def _kind_text(kind) -> tuple[str, str]:
    fields = "\n".join(f"{f['key']} | {f['zh']} | {f.get('en', '')} | {f.get('type', 'text')}" for f in kind.fields)
    checklist = "\n".join(f"{c['zh']} | {c.get('en', '')}" for c in kind.return_checklist)
    return fields, checklist


@bp.route("/catalogue", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def catalogue():
    from schoolhq.assets import catalogue as cat
    from schoolhq.assets.forms import KindForm

    category_form, kind_form = _category_form(), KindForm(prefix="kind")
    # the page has two forms; "which" says which one was sent
    saves = {
        "category": (category_form, lambda: cat.save_category(
            category_form.code.data, category_form.name.data, category_form.depreciation_years.data,
            category_form.class_2010.data)),
        "kind": (kind_form, lambda: cat.save_kind(
            kind_form.key.data, kind_form.name_zh.data, kind_form.name_en.data, kind_form.loanable.data,
            kind_form.fields.data, kind_form.checklist.data)),
    }

    def page(status, error, field):
        return render("assets/catalogue.html", status=status, categories=services.categories(),
                      kinds=services.kinds(), category_form=category_form, kind_form=kind_form,
                      depth=lambda c: c.path.count("/") - 2)

    if request.method == "POST" and request.form.get("which") not in saves:
        return page(422, None, None)
    form, save = saves.get(request.form.get("which"), (None, None))
    return handle_form(form, save, success="assets.catalogue", page=page)


@bp.route("/catalogue/categories/<int:category_id>", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def category_edit(category_id: int):
    from schoolhq.assets import catalogue as cat
    from schoolhq.assets.models import AssetCategory

    category = get_or_404(AssetCategory, category_id)
    form = _category_form(category)
    title = f"{category.code} {category.name}"
    return handle_form(form, lambda: cat.save_category(category.code, form.name.data, form.depreciation_years.data,
                                                       form.class_2010.data, category_id=category.id),
                       success="assets.catalogue", page="assets/catalogue_edit.html", context={"title": title})


@bp.route("/catalogue/kinds/<int:kind_id>", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def kind_edit(kind_id: int):
    from schoolhq.assets import catalogue as cat
    from schoolhq.assets.forms import KindForm
    from schoolhq.assets.models import AssetKind

    kind = get_or_404(AssetKind, kind_id)
    form = KindForm()
    del form.key
    if request.method == "GET":
        form.name_zh.data, form.name_en.data, form.loanable.data = kind.name_zh, kind.name_en, kind.loanable_default
        form.fields.data, form.checklist.data = _kind_text(kind)
    title = f"{kind.key} · {kind.name_zh}"
    return handle_form(form, lambda: cat.save_kind(kind.key, form.name_zh.data, form.name_en.data,
                                                   form.loanable.data, form.fields.data, form.checklist.data,
                                                   kind_id=kind.id),
                       success="assets.catalogue", page="assets/catalogue_edit.html", context={"title": title})


@bp.route("/settings", methods=["GET", "POST"])
@permission_required("assets.settings", school_wide=True)
def settings_page():
    """The asset settings moved to the area's generic settings page; old links and
    bookmarks land there (307 keeps a POST a POST: an old form's fields are unknown there
    and refused, nothing is saved)."""
    return redirect(url_for("assets_settings.page"), code=302 if request.method == "GET" else 307)
