"""The models' relationships load lazily unless a query says otherwise (the platform
issue, §4): a default eager load runs on every query of the model, wanted or not, and
chains into the relations of the related models. Each is typed, as the columns are."""

from __future__ import annotations

import re

from sqlalchemy.orm import RelationshipDirection

from schoolhq.extensions import db

#: "Class.relationship": why it may load eagerly by default
EAGER_ALLOWED = {
    # and the process cache keeps a version detached with its items (checks.services.template_version)
    "CheckTemplate.items": "a template is read for its few questions by every page, save and job that reads it",
}
EAGER = ("joined", "selectin", "subquery", "immediate")


def _relationships(app):
    with app.app_context():
        db.Model.registry.configure()
        for mapper in db.Model.registry.mappers:
            for rel in mapper.relationships:
                yield mapper.class_, rel


def test_relationships_load_lazily_unless_allowed(app):
    eager = {f"{cls.__name__}.{rel.key}": rel.lazy for cls, rel in _relationships(app) if rel.lazy in EAGER}
    assert set(eager) <= set(EAGER_ALLOWED), (
        "load these at the query (joinedload / selectinload) instead of on the model: "
        f"{sorted(set(eager) - set(EAGER_ALLOWED))}")
    assert set(EAGER_ALLOWED) <= set(eager), f"allowed but no longer eager: {sorted(set(EAGER_ALLOWED) - set(eager))}"


def test_relationships_are_typed_as_what_they_hold(app):
    wrong = []
    for cls, rel in _relationships(app):
        annotation = next((vars(c)["__annotations__"].get(rel.key) for c in cls.__mro__
                           if rel.key in vars(c).get("__annotations__", {})), None)
        target = rel.mapper.class_.__name__
        if rel.uselist:
            expected = rf"Mapped\[list\[{target}\]\]"
        elif rel.direction is RelationshipDirection.MANYTOONE and not any(c.nullable for c in rel.local_columns):
            expected = rf"Mapped\[{target}\]"
        else:
            expected = rf"Mapped\[{target} \| None\]"
        if not re.fullmatch(expected, str(annotation)):
            wrong.append(f"{cls.__name__}.{rel.key}: {annotation!r}, expected {expected.replace(chr(92), '')}")
    assert not wrong, "\n".join(wrong)
