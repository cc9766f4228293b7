"""The shared core for tests: a school calendar around the held clock."""

from __future__ import annotations

from schoolhq.core.timeutil import local_today
from schoolhq.demo import add_school_year, school_year_of


def school_years() -> None:
    """Last school year, this one and the next, around the held clock: whatever day a test
    runs on, there are school days behind it and ahead of it."""
    this_year = school_year_of(local_today())
    for year in (this_year - 1, this_year, this_year + 1):
        add_school_year(year)


#: routes of this area that also narrow by the record (a file is its owner's)
OWN_RECORDS_ONLY = {"core.attachment"}


def route_values() -> dict:
    """Real ids for the route walk (tests/test_routes.py), from the demo school."""
    import io

    from PIL import Image
    from sqlalchemy import select
    from werkzeug.datastructures import FileStorage

    from schoolhq.core.models import LabelLayout
    from schoolhq.core.uploads import save_upload
    from schoolhq.extensions import db

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    buffer.seek(0)
    return {"attachment_id": save_upload(FileStorage(buffer, filename="photo.png")).id,
            "layout_id": db.session.scalar(select(LabelLayout.id).order_by(LabelLayout.id))}
