"""The upload service: limits, types, re-encoding, random names under the instance."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from schoolhq.core.errors import ServiceError
from schoolhq.core.models import Attachment
from schoolhq.core.uploads import path_of, save_upload
from schoolhq.extensions import db
from tests.conftest import login, make_account


def _jpeg_with_exif(size=(4000, 3000)) -> bytes:
    image = Image.new("RGB", size, "blue")
    exif = Image.Exif()
    exif[0x010F] = "SecretCameraMaker"
    exif[0x8825] = {1: "N"}  # GPS info
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_images_are_reencoded_shrunk_and_stripped(ctx):
    attachment = save_upload(FileStorage(io.BytesIO(_jpeg_with_exif()), filename="../../etc/passwd.jpg"))
    stored = path_of(attachment)
    assert stored.exists() and stored.parent.name == "uploads"
    assert attachment.original_name == "passwd.jpg"
    assert ".." not in attachment.stored_name
    with Image.open(stored) as image:
        assert max(image.size) == 1600
        assert not image.getexif()
    assert b"SecretCameraMaker" not in stored.read_bytes()


def test_bad_files_are_refused_and_nothing_is_written(ctx):
    cases = [
        FileStorage(io.BytesIO(b"MZ\x90\x00 not an image"), filename="virus.exe"),
        FileStorage(io.BytesIO(b"not a pdf at all"), filename="report.pdf"),
        FileStorage(io.BytesIO(b""), filename="empty.png"),
        None,
    ]
    for case in cases:
        with pytest.raises(ServiceError):
            save_upload(case)
    with pytest.raises(ServiceError):
        save_upload(FileStorage(io.BytesIO(b"%PDF-1.4 ..."), filename="report.pdf"), images_only=True)
    with pytest.raises(ServiceError):
        save_upload(FileStorage(io.BytesIO(_jpeg_with_exif((50, 50))), filename="a.jpg"), max_bytes=10)
    assert db.session.scalar(select(func.count(Attachment.id))) == 0


def test_files_are_served_only_to_those_who_may_see_them(app, client):
    with app.test_request_context():
        owner = make_account("someone")
        make_account("other")
        attachment = save_upload(FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename="inspection.pdf"))
        attachment.uploaded_by_id = owner.id
        db.session.commit()
        attachment_id = attachment.id
    assert client.get(f"/files/{attachment_id}").status_code == 302
    other = app.test_client()
    login(other, "other")
    assert other.get(f"/files/{attachment_id}").status_code == 403  # ids are guessable, files are not public
    login(client, "someone")
    response = client.get(f"/files/{attachment_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert client.get("/files/999999").status_code == 404


def test_an_oversized_request_gets_a_clear_413(app, client):
    with app.app_context():
        make_account("someone")
    login(client, "someone")
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        response = client.post("/lang", data={"language": "en", "blob": "x" * 4096})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert "上传的文件过大" in response.get_data(as_text=True)


def test_a_failed_request_leaves_no_uploaded_file_behind(app):
    """Files written by a request that ends in an error go with its rolled-back rows."""
    from flask import make_response

    from schoolhq.core.database import _finish_request

    with app.test_request_context(method="POST"):
        kept = save_upload(FileStorage(io.BytesIO(_jpeg_with_exif((40, 30))), filename="a.jpg"))
        _finish_request(make_response("ok", 200))
        doomed = save_upload(FileStorage(io.BytesIO(_jpeg_with_exif((40, 30))), filename="b.jpg"))
        doomed_path = path_of(doomed)
        assert doomed_path.exists()
        _finish_request(make_response("no", 422))
        assert not doomed_path.exists()
        assert path_of(kept).exists()
