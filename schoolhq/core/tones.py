"""Status colours. Each area's declaration maps its models' statuses to tones; one macro
(templates/macros/status.html) draws the tag and the stylesheet colours tones, never
statuses, so a status word shared by two areas ("submitted", "approved") cannot take the
other area's colour."""

from __future__ import annotations

from functools import cache

TONES = ("ok", "warn", "danger", "info", "muted", "plain")


@cache
def status_tones() -> dict[type, dict[str, str]]:
    """model -> {status: tone}, from every area's declaration."""
    from schoolhq.areas import declared

    found: dict[type, dict[str, str]] = {}
    for area in declared():
        for model, tones in area.status_tones.items():
            unknown = set(tones.values()) - set(TONES)
            if unknown:
                raise ValueError(f"{area.name}: unknown tones for {model.__name__}: {sorted(unknown)}")
            found[model] = tones
    return found


def tone_of(record, status: str | None = None) -> str:
    """The tone of a record's status (or of `status` for a model); "plain" for a status
    the area has not given one (tests/core/test_tones.py keeps that list empty)."""
    model = record if isinstance(record, type) else type(record)
    status = record.status if status is None else status
    return status_tones().get(model, {}).get(status, "plain")
