"""The catalogue (the school's asset categories and operational kinds) and the asset settings."""

from __future__ import annotations

from flask import request

from schoolhq.assets import services
from schoolhq.assets.forms import AssetSettingsForm
from schoolhq.assets.views import (
    bp,
)
from schoolhq.core.money import parse_yuan, yuan
from schoolhq.core.permissions import permission_required
from schoolhq.core.web import get_or_404, handle_form, redirect_to, render


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
    """The asset rules a school sets itself: thresholds (财政部令 rules as defaults), numbering."""
    from schoolhq.core import settings

    form = AssetSettingsForm()
    if request.method == "GET":
        form.fixed_asset_threshold.data = yuan(settings.get("assets.fixed_asset_threshold_fen"))
        form.special_equipment_threshold.data = yuan(settings.get("assets.special_equipment_threshold_fen"))
        form.number_pattern.data = settings.get("assets.number_pattern")
        form.disposal_threshold.data = yuan(settings.get("assets.disposal_principal_threshold_fen"))
        form.after_school.data = settings.get("assets.after_school")
        form.public_label_info.data = settings.get("assets.public_label_info")
    return handle_form(form, lambda: settings.update({
        "assets.fixed_asset_threshold_fen": parse_yuan(form.fixed_asset_threshold.data, "fixed_asset_threshold"),
        "assets.special_equipment_threshold_fen": parse_yuan(form.special_equipment_threshold.data,
                                                             "special_equipment_threshold"),
        "assets.number_pattern": form.number_pattern.data,
        "assets.disposal_principal_threshold_fen": parse_yuan(form.disposal_threshold.data, "disposal_threshold"),
        "assets.after_school": form.after_school.data,
        "assets.public_label_info": bool(form.public_label_info.data),
    }), success=lambda _saved: redirect_to("assets.settings_page", saved=1), page="assets/settings.html",
        context={"saved": request.args.get("saved")})
