"""Hostile input against every page of the UI: no answer is a server error.

Every staff page of the permission walk (tests/permissions: the URL resolver's routes and
the fixture clinic's record behind each URL parameter) and every patient-facing page
(intake, online booking, before-visit instrument link, report link, calendar feed, the
patient portal's sign-in) is
sent, as a persona the permission table lets in:

- GETs whose query parameters (every name a view or form of Palpa reads) carry hostile
  values: 2**63 and beyond, -1, NUL, C0 controls, the right-to-left override, full-width
  digits, malformed and unknown UUIDs, a 10,000-character string, dates at the calendar's
  edges and ones that do not exist, and each name repeated with two different values;
- the same values in the path where a route takes a free string (a token, a part name);
- form POSTs whose every field (every field of every form of Palpa) carries them.

The values are a fixed list (no randomness), rotated over the parameter names. A page
first gets every name at once; then the names it read get the values in rounds
(``_rounds``): every value reaches the page, and each name meets at least ``MIN_ROUNDS``
values in a row of the list, which alternates kinds (numbers, long or empty strings,
dates, control characters, UUID-like strings), so at least four kinds; then each name
repeated. (Each read name used to meet all 16 values, 16 requests a page and method; a
page that reads three or more names now takes 5 or 6.) Each request runs in a
savepoint rolled back after it. The bar: no 5xx, no exception out of a view, no traceback
in any page.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django import forms
from django.db import transaction
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils.datastructures import MultiValueDict
from pytest_django import DjangoDbBlocker

import palpa
from tests.permissions import walk
from tests.permissions.clinic import FAST_HASHERS, NOW, PERSONAS, Clinic, restore
from tests.permissions.test_every_route import ALL_PAGES, PAGE_ARGS, _value

# Kinds alternate (numbers; long or empty; dates; control characters; UUID-like), so that
# any MIN_ROUNDS values in a row hold at least four of the five kinds.
HOSTILE: tuple[str, ...] = (
    str(2**63),
    "x" * 10_000,
    "-1",
    "0001-01-01",
    "\x00",
    "not-a-uuid",
    "-" + "9" * 30,
    "\uff13\uff10",  # full-width digits 30
    "2026-02-30",
    "\x01\x02\x1b[31m\x7f",
    "",
    "1e309",
    "9999-12-31",
    "NaN",
    "\u202eevil\u202c",
    "00000000-0000-0000-0000-000000000000",
)
MIN_ROUNDS = 5

# Query parameters the views read by name (request.GET.get), besides form fields.
QUERY_NAMES = (
    "q",
    "on",
    "day",
    "date",
    "week",
    "start",
    "end",
    "since",
    "until",
    "from",
    "to",
    "page",
    "offset",
    "limit",
    "location",
    "practitioner",
    "patient",
    "patient_id",
    "appointment",
    "appointment_type",
    "type",
    "kind",
    "room",
    "instrument",
    "status",
    "mode",
    "view",
    "show",
    "all",
    "active",
    "anyone",
    "action",
    "actor",
    "next",
    "tap",
    "side",
    "reason",
    "name",
    "per_week",
    "move_date",
    "format",
    "_format",
    "first_day",
    "form",  # which form of a page of several was posted
    "closed_day",
    # the Outcomes pages' filters (palpa.analytics.figures)
    "condition_group",
    "technique_mix",
    "period",
)

TRACEBACK = re.compile(rb"Traceback \(most recent call last\)|<title>\w*Error at ")


def _form_field_names() -> list[str]:
    """Every field name of every Django form in Palpa."""
    names: set[str] = set()
    for module_info in pkgutil.walk_packages(palpa.__path__, "palpa."):
        if not module_info.name.endswith(("forms", "views")) or ".tests" in module_info.name:
            continue
        module = importlib.import_module(module_info.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, forms.BaseForm):
                names.update(getattr(obj, "base_fields", {}))
    return sorted(names)


FIELD_NAMES = _form_field_names()
# Pages whose form is not a Django form: the limb measurement grid (lymphoedema.views).
GRID_NAMES = (
    "measured_on",
    "region",
    "affected_side",
    "method",
    "landmark",
    "interval_cm",
    "points",
    "left_0",
    "left_1",
    "right_0",
    "right_1",
    "left_volume_ml",
    "right_volume_ml",
)
# The CDT phase forms and the note's MLD and bandaging section (lymphoedema.cdt_views,
# lymphoedema.mld_views): plain forms too.
CDT_MLD_NAMES = (
    "on",
    "reason",
    "sequence",
    "bandaged_limb",
    "bandage_layers",
    "bandage_materials",
    "short_stretch",
    "skin_check",
)
ALL_NAMES = sorted(set(QUERY_NAMES) | set(FIELD_NAMES) | set(GRID_NAMES) | set(CDT_MLD_NAMES))


def _rotated(names: list[str], shift: int) -> list[tuple[str, str]]:
    return [(name, HOSTILE[(shift + i) % len(HOSTILE)]) for i, name in enumerate(names)]


def _rounds(names: list[str]) -> list[list[tuple[str, str]]]:
    """The requests for the names a page read: name ``i`` gets values ``i*R`` to
    ``i*R + R - 1`` of HOSTILE (cyclically) over ``R`` rounds, ``R`` the fewest rounds (at
    least MIN_ROUNDS) that bring every value to the page."""
    count = len(HOSTILE)
    rounds = min(count, max(MIN_ROUNDS, -(-count // len(names))))
    return [
        [(name, HOSTILE[(i * rounds + r) % count]) for i, name in enumerate(names)]
        for r in range(rounds)
    ]


def _encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in pairs)


@pytest.fixture(scope="module")
def clinic(walk_clinic: dict[str, Any], django_db_blocker: DjangoDbBlocker) -> Iterator[Clinic]:
    """The fixture clinic (built once per session), put back for this module and rolled
    back after it."""
    with (
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = restore(walk_clinic)
        with time_machine.travel(NOW, tick=False):
            built.clients = {p: built.web(p) for p in PERSONAS}
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _send(client: Client, method: str, url: str, **kwargs: Any) -> tuple[int, bytes, str]:
    """One request in a rolled-back savepoint; an exception out of the view is a 500."""
    try:
        with transaction.atomic():
            response = client.generic(method, url, **kwargs)
            transaction.set_rollback(True)
    except Exception as error:
        return 500, b"", f"{type(error).__name__}: {str(error)[:200]}"
    content = b"".join(response) if response.streaming else response.content
    return response.status_code, content, ""


def _judge(what: str, result: tuple[int, bytes, str]) -> list[str]:
    status, content, error = result
    if status >= 500:
        return [f"{what}: {status} {error or content[:200]!r}"]
    if TRACEBACK.search(content):
        return [f"{what}: {status} with a traceback in the page"]
    return []


PREFERRED = ("therapist", "owner", "front_desk", "biller", "other_therapist")


def _persona(clinic: Clinic, page: walk.Page, method: str, kwargs: dict[str, str]) -> str | None:
    """The first persona the table lets through this page with this method."""
    gate = walk.page_gate(page)
    assert gate is not None
    if gate.public:
        return "anonymous"
    rule = walk.rule_of_gate(gate, method, {**page.default_kwargs, **kwargs})
    for persona in PREFERRED:
        role = clinic.users[persona].role
        expected = walk.expect(persona, role, rule, names_our_record=True, write=method != "GET")
        if expected == walk.ALLOWED:
            return persona
    return None


# The record behind each URL parameter of the patient-facing pages.
PUBLIC_ARGS: dict[str, dict[str, str]] = {
    "intake:form": {"token": "intake_token"},
    "instrument_link:form": {"token": "instrument_token"},
    "online:start": {"location": "location"},
    "online:details": {"location": "location"},
    "online:verify": {"location": "location"},
    "online:link": {"token": "=unknown-code"},
    "online:manage": {"token": "=unknown-token"},
    "online:move": {"token": "=unknown-token"},
    "online:feed": {"token": "feed_token"},
    "report_link:open": {"token": "=unknown-token"},
    "accounts:invitation": {"token": "=unknown-token"},
    "accounts:password_reset_confirm": {"uidb64": "=MQ", "token": "=set-password"},
    # The patient portal: its own session (none here: the pages send the visitor to sign in).
    "portal:cancel": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:move": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:superbill": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:receipt": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:report": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:home_care_done": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:fill_form": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:home_care_picture": {"public_id": "=6f1c2b9e-8a4d-4c3e-9b7a-2d5e8f1a0c47"},
    "portal:withdraw": {"kind": "=contact_email"},
}
SKIP = {"accounts:logout", "bench_baseline"}  # signing out would end the session


def _cases() -> Iterator[Any]:
    for page in ALL_PAGES:
        if page.name in SKIP:
            continue
        yield pytest.param(page, id=page.name)


def _client(clinic: Clinic, persona: str) -> Client:
    if persona == "anonymous":
        return Client()
    return clinic.clients[persona]


@contextmanager
def _reading() -> Iterator[set[str]]:
    """The parameter names the code reads from any query or form data meanwhile."""
    read: set[str] = set()
    originals = {name: getattr(MultiValueDict, name) for name in READERS}

    def wrap(original: Any) -> Any:
        def method(self: MultiValueDict[str, Any], key: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(self, QueryDict) and isinstance(key, str):
                read.add(key)
            return original(self, key, *args, **kwargs)

        return method

    for name, original in originals.items():
        setattr(MultiValueDict, name, wrap(original))
    try:
        yield read
    finally:
        for name, original in originals.items():
            setattr(MultiValueDict, name, original)


READERS = ("__getitem__", "get", "getlist", "__contains__")


def _fuzz(client: Client, method: str, url: str, names: list[str], who: str) -> list[str]:
    """First every name at once (rotated values); then, for the names the page read, the
    values in rotation (see the module's docstring) and each name repeated."""

    def send(pairs: list[tuple[str, str]]) -> list[str]:
        encoded = _encode(pairs)
        if method == "GET":
            result = _send(client, "GET", url, QUERY_STRING=encoded)
            what = f"GET {url}?{encoded[:160]} as {who}"
        else:
            form = "application/x-www-form-urlencoded"
            result = _send(client, "POST", url, data=encoded, content_type=form)
            what = f"POST {url} [{encoded[:160]}] as {who}"
        return _judge(what, result)

    with _reading() as read:
        wrong = send(_rotated(names, 0))
        if read:
            wrong += [w for pairs in _rounds(sorted(read)) for w in send(pairs)]
        if read:
            repeated = sorted(read)
            wrong += send(
                [
                    p
                    for i, n in enumerate(repeated)
                    for p in ((n, "1"), (n, HOSTILE[i % len(HOSTILE)]))
                ]
            )
    return wrong


@pytest.mark.parametrize("page", list(_cases()))
def test_no_hostile_input_gives_a_server_error(clinic: Clinic, page: walk.Page, db: None) -> None:
    args = PAGE_ARGS.get(page.name) or PUBLIC_ARGS.get(page.name, {})
    kwargs = {name: _value(clinic, spec) for name, spec in args.items()}
    try:
        url = reverse(page.name, kwargs=kwargs)
    except NoReverseMatch:
        pytest.fail(f"{page.name}: give it a record in PAGE_ARGS or PUBLIC_ARGS")
    wrong: list[str] = []
    for method, names in (("GET", list(QUERY_NAMES)), ("POST", ALL_NAMES)):
        persona = _persona(clinic, page, method, kwargs)
        if persona is not None:
            wrong += _fuzz(_client(clinic, persona), method, url, names, persona)
    for name in page.params:  # a free string in the path (a token, a part name)
        if name not in kwargs or _is_typed(page, name):
            continue
        persona = _persona(clinic, page, "GET", kwargs) or "owner"
        for value in HOSTILE:
            if value.strip():
                path = url.replace(quote(kwargs[name]), quote(value, safe=""), 1)
                result = _send(_client(clinic, persona), "GET", path)
                wrong += _judge(f"GET {path[:160]} as {persona}", result)
    assert not wrong, "\n".join(dict.fromkeys(wrong))


def _is_typed(page: walk.Page, name: str) -> bool:
    """Whether the route's converter for ``name`` already refuses what is not its type."""
    return f"<uuid:{name}>" in page.route or f"<int:{name}>" in page.route


def _kind(value: str) -> str:
    if len(value) > 100 or not value:
        return "long or empty"
    if any(ord(c) < 32 or c in "\x7f\u202e" for c in value):
        return "control"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return "date"
    if "uuid" in value or len(value) == 36:
        return "uuid"
    return "number"


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 16, 40])
def test_the_rounds_bring_every_value_to_a_page_and_four_kinds_to_each_name(count: int) -> None:
    names = [f"n{i}" for i in range(count)]
    rounds = _rounds(names)
    assert {value for pairs in rounds for _name, value in pairs} == set(HOSTILE)
    for name in names:
        met = [value for pairs in rounds for n, value in pairs if n == name]
        assert len(met) >= MIN_ROUNDS
        assert len({_kind(value) for value in met}) >= 4, (name, met)
    assert {_kind(value) for value in HOSTILE} == {
        "number",
        "long or empty",
        "control",
        "uuid",
        "date",
    }
