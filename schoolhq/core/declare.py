"""What an area declares about itself, in its own `<area>/area.py`: the `Area` record.

`schoolhq/areas.py` lists the areas in order; the application factory, the templates, the
seeding, the scheduler, the scan box, the uploads, the dashboard, the audit page and the
tests all read these declarations, and nothing else. docs/architecture.md shows how to add
an area.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: every built-in role, for permissions everyone who signs in has
EVERY_ROLE = ("principal", "logistics_head", "storekeeper", "canteen_manager", "canteen_staff",
              "maintenance", "school_doctor", "accountant", "staff", "admin")

#: the header's groups, in order: one's own work, the logistics office's, the administrator's
NAV_GROUPS = ("mine", "logistics", "administration")


@dataclass(frozen=True)
class NavLink:
    """One link in the header (in a group of NAV_GROUPS) or in an area's own menu (no
    group). `targets` are (permission, endpoint) pairs: the link goes to the first endpoint
    whose permission the person holds (None: anyone signed in), and is shown when any of
    them is held. It is the current page for `endpoints` if given, else for every page of
    `blueprint` except `except_endpoints`."""

    label: Any
    group: str | None
    targets: tuple[tuple[str | None, str], ...]
    blueprint: str | None = None
    endpoints: tuple[str, ...] = ()
    except_endpoints: tuple[str, ...] = ()

    def __post_init__(self):
        if self.group is not None and self.group not in NAV_GROUPS:
            raise ValueError(f"nav group {self.group!r} is not one of {NAV_GROUPS}")

    def endpoint_for(self, holds: Callable[[str], bool]) -> str | None:
        for permission, endpoint in self.targets:
            if permission is None or holds(permission):
                return endpoint
        return None

    def is_current(self, endpoint: str | None, blueprint: str | None) -> bool:
        if self.endpoints:
            return endpoint in self.endpoints
        return blueprint == self.blueprint and endpoint not in self.except_endpoints


#: how the generic settings page edits a setting; "custom" ones have a page of their own
SETTING_KINDS = ("text", "number", "money", "bool", "time", "custom")


@dataclass(frozen=True)
class Setting:
    """One of an area's settings: its default, the validator that returns the clean value
    or raises ServiceError, and how the area's settings page shows it. Money is stored in
    fen and typed in yuan."""

    key: str
    default: Any
    validator: Callable[[Any], Any] | None
    label: Any
    kind: str = "text"
    hint: Any = ""

    def __post_init__(self):
        if self.kind not in SETTING_KINDS:
            raise ValueError(f"setting {self.key}: kind {self.kind!r} is not one of {SETTING_KINDS}")


@dataclass(frozen=True)
class AuditField:
    """One key of the before/after values an area's audit entries keep, as the audit
    page shows it: its label, and how its value reads. `refers` names the table whose
    record ids the field holds (their names are loaded with the page, as the entries'
    own records are); `shows` turns a stored code into words (a status, a kind); a
    `hidden` field is left out (a file's id, an internal key)."""

    label: Any
    refers: str | None = None
    shows: Callable[[Any], Any] | None = None
    hidden: bool = False


@dataclass(frozen=True)
class AuditTrail:
    """How the audit page reads an area's entries, for a principal: what each action
    did in words, the names of the records they touched, the labels of their fields."""

    #: action key ("asset.registered") -> what was done, in words (lazy_gettext)
    actions: dict[str, Any] = field(default_factory=dict)
    #: table name -> names(ids, reader) -> {id: audit.Named(text, url)}: one query for
    #: every record of that table on the page; the url only where the reader may open it
    records: dict[str, Callable[[set[int], Any], dict]] = field(default_factory=dict)
    #: before/after key -> AuditField; the entry's area is asked first, then core's, then
    #: the others', so a field another area already declares need not be repeated
    fields: dict[str, AuditField] = field(default_factory=dict)
    #: action key -> summaries(texts) -> {text: words}, for actions whose stored summary
    #: holds keys (a template's key, a role's code); None: never shown. The summary is
    #: shown only where the record itself cannot be named (it is gone, or there is none)
    summaries: dict[str, Callable[[set[str]], dict] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordAnswer:
    """A check item answered from an area's own records rather than by hand: pass or
    fail, what the records say, and where to read them."""

    #: pass, fail, warn or na; "" to have `value` judged against the item like a typed answer
    outcome: str
    note: str
    link: str = ""
    #: the value as a hand answer would hold it (a date_expiry item's date)
    value: str = ""


@dataclass(frozen=True)
class Area:
    """Everything one area contributes. Callables are plain functions of the area's own
    modules; the registry calls them, nothing registers itself on import."""

    #: one word: the package, blueprint, URL prefix, template and test folder, audit label
    name: str
    #: what the audit trail and the settings call it
    label: Any
    #: "module:attribute" of the Blueprint, imported when the app is made
    blueprint: str | None = None
    #: permission name -> label; a name's prefix is its permission group ("admin.users")
    permissions: dict[str, Any] = field(default_factory=dict)
    #: built-in role code -> permissions it gets when they first appear
    grants: dict[str, tuple[str, ...] | list[str]] = field(default_factory=dict)
    nav: tuple[NavLink, ...] = ()
    #: the area's own menu above its pages (links without a group)
    subnav: tuple[NavLink, ...] = ()
    #: the area's settings; those not "custom" are edited on its generic settings page
    settings: tuple[Setting, ...] = ()
    #: who may edit them there
    settings_permission: str = "admin.settings"
    #: the endpoint of the area's own settings page, where it has one instead
    settings_page: str | None = None
    #: idempotent loaders of the area's first content (categories, kinds, packs …)
    seeders: tuple[Callable[[], None], ...] = ()
    #: name -> job, run by the scheduler (`schoolhq serve` every minute, `schoolhq tick`)
    jobs: dict[str, Callable[[], int]] = field(default_factory=dict)
    #: account -> dashboard items that need that person's attention
    dashboard: Callable[[Any], list] | None = None
    #: label token -> LabelTarget or None (the QR labels the area prints)
    label_resolvers: tuple[Callable, ...] = ()
    #: scanned text -> URL or None (its own codes: asset numbers, barcodes, badges)
    code_resolvers: tuple[Callable[[str], str | None], ...] = ()
    #: LabelTarget -> notices its public card shows anyone who scans it (a point out of use)
    label_notices: tuple[Callable, ...] = ()
    #: (attachment, account) -> True, False or None when the file is not the area's
    upload_rules: tuple[Callable, ...] = ()
    #: page name ("places.room", "assets.asset") -> panel(record, account) -> HTML or ""
    panels: dict[str, Callable] = field(default_factory=dict)
    #: certificate type key ("health") -> () -> person ids who need it beyond the roles the
    #: type names (the canteen's roster: staff without a sign-in hold no role)
    certificate_needs: dict[str, Callable[[], set[int]]] = field(default_factory=dict)
    #: role code ("canteen_staff") -> () -> person ids who do that work without holding the
    #: role by a sign-in (the canteen's roster): training requirements by role reach them
    role_members: dict[str, Callable[[], set[int]]] = field(default_factory=dict)
    #: (duty key, person ids, day) -> {person id: why unfit}: what an area knows that stops or
    #: warns about a duty another area asks of (canteen.morning, repairs.electrical)
    duty_problems: Callable | None = None
    #: record key ("canteen.samples") -> reader(round, subject id) -> RecordAnswer or None:
    #: check items of any area's rounds (a pack item's `from_record`) that this area
    #: answers from its records; the subject is the asset on per-asset rounds, else 0
    record_items: dict[str, Callable] = field(default_factory=dict)
    #: the area's section of the principal's monthly report: (year, month) -> HTML (later)
    report_section: Callable | None = None
    #: model -> {status: tone (ok, warn, danger, info, muted, plain)} for its status tags
    status_tones: dict[type, dict[str, str]] = field(default_factory=dict)
    #: demo(rng, size) -> None: the demo school's part of this area; size is "full" or
    #: "small" (the tests' quicker school)
    demo: Callable | None = None
    #: files the area ships, relative to its package (packaged in the wheel)
    data_files: tuple[str, ...] = ()
    #: how the audit page words its entries (its `audit_trail.py`)
    audit: AuditTrail = field(default_factory=AuditTrail)


def menu(*entries: tuple) -> tuple[NavLink, ...]:
    """An area's own menu from (label, targets, current endpoints) rows: a single
    endpoint string stands for ((None, endpoint),); current endpoints default to the
    targets' endpoints."""
    links = []
    for label, targets, *current in entries:
        if isinstance(targets, str):
            targets = ((None, targets),)
        endpoints = tuple(current[0]) if current else tuple(dict.fromkeys(e for _p, e in targets))
        links.append(NavLink(label, None, tuple(targets), endpoints=endpoints))
    return tuple(links)
