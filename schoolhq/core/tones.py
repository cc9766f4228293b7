"""Status colours. Each area says, next to its status names, which tone each status has;
one macro (templates/macros/status.html) draws the tag and the stylesheet colours tones,
never statuses, so a status word shared by two areas ("submitted", "approved") cannot
take the other area's colour."""

from __future__ import annotations

TONES = ("ok", "warn", "danger", "info", "muted", "plain")

#: model -> {status: tone}; filled by each area's services as they are imported
STATUS_TONES: dict[type, dict[str, str]] = {}


def register(model: type, tones: dict[str, str]) -> dict[str, str]:
    unknown = set(tones.values()) - set(TONES)
    if unknown:
        raise ValueError(f"unknown tones for {model.__name__}: {sorted(unknown)}")
    STATUS_TONES[model] = tones
    return tones


def tone_of(record, status: str | None = None) -> str:
    """The tone of a record's status (or of `status` for a model); "plain" for a status
    the area has not given one (tests/core/test_tones.py keeps that list empty)."""
    model = record if isinstance(record, type) else type(record)
    status = record.status if status is None else status
    return STATUS_TONES.get(model, {}).get(status, "plain")
