"""The upload service for every area: size and type limits, random names under the
instance folder, and images re-encoded (EXIF and anything hidden dropped, longest side
at most 1600 px)."""

from __future__ import annotations

import base64
import io
import secrets
import warnings
from pathlib import Path

from flask import current_app, g, has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from schoolhq.core.errors import ServiceError
from schoolhq.core.models import Attachment
from schoolhq.extensions import db

MAX_IMAGE_SIDE = 1600
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/png"}
DOCUMENT_TYPES = {".pdf": ("application/pdf", b"%PDF-")}

Image.MAX_IMAGE_PIXELS = 60_000_000


def upload_folder() -> Path:
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _reencode(data: bytes) -> tuple[bytes, str, str]:
    try:
        with warnings.catch_warnings():
            # A picture of more than MAX_IMAGE_PIXELS is refused, never decoded.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return _reencode_image(data)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            ValueError) as exc:
        raise ServiceError(_l("This file is not an image we can read.")) from exc


def _reencode_image(data: bytes) -> tuple[bytes, str, str]:
    """Decode only the formats a camera or canvas makes, and write a fresh file."""
    with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
        fmt = image.format
        image = ImageOps.exif_transpose(image)
        image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
        out = io.BytesIO()
        if fmt == "JPEG":
            image.convert("RGB").save(out, "JPEG", quality=85)
            return out.getvalue(), "image/jpeg", ".jpg"
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.save(out, "PNG", optimize=True)
        return out.getvalue(), "image/png", ".png"


def save_upload(file: FileStorage | None, *, images_only: bool = False, max_bytes: int | None = None) -> Attachment:
    if file is None or not file.filename:
        raise ServiceError(_l("Choose a file to upload."))
    data = file.read()
    limit = max_bytes or current_app.config["MAX_CONTENT_LENGTH"]
    if len(data) > limit:
        raise ServiceError(_l("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)))
    if not data:
        raise ServiceError(_l("The file is empty."))
    suffix = Path(file.filename).suffix.lower()
    if suffix in DOCUMENT_TYPES and not images_only:
        content_type, magic = DOCUMENT_TYPES[suffix]
        if not data.startswith(magic):
            raise ServiceError(_l("This file is not a PDF."))
    else:
        try:
            data, content_type, suffix = _reencode(data)
        except ServiceError:
            if images_only:
                raise
            raise ServiceError(_l("Only images (JPEG, PNG, WebP) and PDF files can be uploaded.")) from None
    stored_name = secrets.token_urlsafe(18) + suffix
    (upload_folder() / stored_name).write_bytes(data)
    _written_in_this_request(upload_folder() / stored_name)
    attachment = Attachment(
        stored_name=stored_name,
        original_name=Path(file.filename).name[:200],
        content_type=content_type,
        size=len(data),
        uploaded_by_id=current_user.id if current_user and current_user.is_authenticated else None,
    )
    db.session.add(attachment)
    db.session.flush()
    return attachment


def save_signature(data_url: str | None, unsigned_message) -> Attachment:
    """A signature drawn on the tablet's canvas, posted as a PNG data URL."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        raise ServiceError(unsigned_message, "signature")
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except ValueError:
        raise ServiceError(_l("The signature could not be read; please sign again."), "signature") from None
    if len(raw) > 2 * 1024 * 1024:
        raise ServiceError(_l("The signature is too large; please sign again."), "signature")
    return save_upload(FileStorage(io.BytesIO(raw), filename="signature.png"), images_only=True)


def may_open(attachment: Attachment, account) -> bool:
    """An area that owns the file decides (its declaration's upload rules answer True,
    False, or None when the file is not theirs); a file no area claims is its uploader's."""
    from schoolhq.areas import declared

    for rule in (rule for area in declared() for rule in area.upload_rules):
        verdict = rule(attachment, account)
        if verdict is not None:
            return verdict
    return attachment.uploaded_by_id is not None and attachment.uploaded_by_id == account.id


def _written_in_this_request(path: Path) -> None:
    if has_request_context():
        g.setdefault("schoolhq_uploaded_files", []).append(path)


def discard_uploads_of_failed_request() -> None:
    """A request that rolls back leaves no file behind: its rows never existed."""
    for path in g.pop("schoolhq_uploaded_files", []):
        path.unlink(missing_ok=True)


def path_of(attachment: Attachment) -> Path:
    return upload_folder() / attachment.stored_name
