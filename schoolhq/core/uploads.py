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
    _write_pending(upload_folder() / stored_name, data)
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



def save_if_given(file: FileStorage | None, *, images_only: bool = False) -> int | None:
    """The id of the file saved, or None when the form's file field was left empty."""
    if file is None or not getattr(file, "filename", ""):
        return None
    return save_upload(file, images_only=images_only).id

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


#: a file being written, or written by a request that has not committed yet
PENDING = ".part"
#: a pending file this old belongs to no request still running
ABANDONED_AFTER_SECONDS = 3600


def _write_pending(final: Path, data: bytes) -> None:
    """Write under a pending name; the file takes its real name once the request commits
    (keep_uploads_of_committed_request). A full disk leaves nothing behind and says so."""
    import errno

    pending = final.with_name(final.name + PENDING)
    try:
        pending.write_bytes(data)
    except OSError as error:
        pending.unlink(missing_ok=True)
        if error.errno == errno.ENOSPC:
            raise ServiceError(DISK_FULL) from None
        raise
    if has_request_context():
        g.setdefault("schoolhq_uploaded_files", []).append(pending)
    else:  # a command or a job: its own commit follows at once
        pending.replace(final)


DISK_FULL = _l("The server's disk is full, so nothing was saved. Please tell the school's IT person.")


def keep_uploads_of_committed_request() -> None:
    """The request committed: its files take their real names."""
    for pending in g.pop("schoolhq_uploaded_files", []):
        pending.replace(pending.with_name(pending.name.removesuffix(PENDING)))


def discard_uploads_of_failed_request() -> None:
    """A request that rolls back leaves no file behind: its rows never existed."""
    for path in g.pop("schoolhq_uploaded_files", []):
        path.unlink(missing_ok=True)


def sweep_pending() -> int:
    """Files a crashed or killed request left half-done: named on if their row was
    committed (the process stopped between commit and rename), removed if not."""
    import time

    folder = upload_folder()
    if not folder.is_dir():
        return 0
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    swept = 0
    for pending in folder.glob("*" + PENDING):
        if pending.stat().st_mtime > cutoff:
            continue  # perhaps a request still running
        final = pending.with_name(pending.name.removesuffix(PENDING))
        from sqlalchemy import select

        if db.session.scalar(select(Attachment.id).where(Attachment.stored_name == final.name)) is not None:
            pending.replace(final)
        else:
            pending.unlink(missing_ok=True)
        swept += 1
    return swept


def path_of(attachment: Attachment) -> Path:
    """The file; within the request that saved it, still under its pending name."""
    final = upload_folder() / attachment.stored_name
    pending = final.with_name(final.name + PENDING)
    return pending if not final.exists() and pending.exists() else final
