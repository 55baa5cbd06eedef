"""Route gates: every staff page and every API operation names the capability it needs.

A gate is declared on the route's view, checked before the view runs (on the API before
the request's body is read, so a refused role gets 403 whatever it sends), and readable
by tests and tools: ``view.palpa_gate`` on a page, ``x-palpa-capability`` in the OpenAPI
document for an operation. The capabilities and the roles that hold them are the table
in ``permissions.py``; a gate only says which row a route needs.

- ``requires(capability, post=…)``: a staff page; ``post`` when writing needs another
  capability than reading.
- ``requires_by(kwarg, {value: capability})``: one view serving several actions whose
  URL passes the action (billing's account actions).
- ``requires(…, record=Record(…))``: the page acts on one record named in its URL. It is
  looked up in the caller's organization before the role is checked, so another
  organization's record is 404 whatever the role; with ``author``, the record belongs to
  one practitioner (a draft note, a plan): its author writes it, anyone else needs
  ``Record.others`` (None: nobody else).
- ``public``: no sign-in (the patient's and physician's links, online booking, login).
- ``api_requires(capability, record=…)``: the same for an API operation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponseBase
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from palpa.accounts.models import ApiToken, User
from palpa.accounts.permissions import Capability, require, require_own_or
from palpa.core.api import TokenAuth, VerifiedSessionAuth
from palpa.core.views import staff_user

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Record:
    """The record the URL's ``kwarg`` names (its public id), of ``model``.

    The gate looks it up in the caller's organization first: another organization's
    record (or none) is left to the view, which answers 404 whatever the caller's role.
    With ``author`` (the path to the author's account, e.g. ``practitioner__user_id``)
    only that account writes the record; anyone else needs ``others`` (None: nobody), and
    is refused with 403, or with 404 when ``hidden`` (the record is not shown to them at
    all, like another therapist's calendar feed)."""

    kwarg: str
    model: type[Model]
    author: str = ""
    others: Capability | None = None
    what: str = "the record"
    hidden: bool = False
    reads: bool = False  # the author rule holds for reading too (not only for writes)

    def find(self, user: User, kwargs: Mapping[str, Any]) -> tuple[bool, int | None]:
        """(found in the user's organization, the author's account id)."""
        try:
            public_id = uuid.UUID(str(kwargs[self.kwarg]))
        except (KeyError, ValueError):
            return False, None
        rows = self.model._default_manager.filter(
            organization_id=user.organization_id, public_id=public_id
        ).values_list("pk", self.author or "pk")
        for _, author in rows[:1]:
            return True, author
        return False, None


@dataclass(frozen=True)
class Gate:
    read: Capability | None = None  # GET and HEAD (and every method unless ``write``)
    write: Capability | None = None  # POST, PUT, PATCH, DELETE, when it differs
    record: Record | None = None
    by: tuple[str, Mapping[str, Gate]] | None = None  # the gate of each value of a kwarg
    public: bool = False

    def select(self, kwargs: Mapping[str, Any]) -> Gate | None:
        """The gate that applies to a request with these URL kwargs (None: an unknown
        action, which the view answers with 404)."""
        if self.by is None:
            return self
        kwarg, gates = self.by
        return gates.get(str(kwargs.get(kwarg, "")))

    def capability(self, method: str, kwargs: Mapping[str, Any]) -> Capability | None:
        gate = self.select(kwargs)
        if gate is None or gate.public:
            return None
        if gate is not self:
            return gate.capability(method, kwargs)
        if method in SAFE_METHODS:
            return self.read
        return self.write or self.read

    def check(self, user: User, method: str, kwargs: Mapping[str, Any]) -> None:
        gate = self.select(kwargs)
        if gate is None:
            return
        if gate is not self:
            gate.check(user, method, kwargs)
            return
        record = self.record
        found, author = record.find(user, kwargs) if record is not None else (True, None)
        if not found:
            return  # another organization's record, or none: the view answers 404
        capability = self.capability(method, kwargs)
        if capability is not None:
            require(user, capability)
        if record is not None and record.author and (record.reads or method not in SAFE_METHODS):
            try:
                require_own_or(user, record.others, own=author == user.pk, what=record.what)
            except PermissionDenied:
                if record.hidden:
                    raise Http404(f"No such {record.model._meta.verbose_name}.") from None
                raise

    def openapi(self) -> dict[str, Any]:
        out: dict[str, Any] = {"x-palpa-capability": self.read.value if self.read else None}
        record = self.record
        if record is not None and record.author:
            out["x-palpa-author-only"] = True
            out["x-palpa-others"] = record.others.value if record.others else None
            out["x-palpa-others-see-404"] = record.hidden
            out["x-palpa-author-only-reads-too"] = record.reads
        return out


V = TypeVar("V", bound=Callable[..., HttpResponseBase])


def _guard(gate: Gate) -> Callable[[V], V]:
    def decorate(view: V) -> V:
        if gate.public:
            view.palpa_gate = gate  # type: ignore[attr-defined]
            return view

        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:  # as login_required: sign in first
                return redirect_to_login(request.get_full_path())
            gate.check(staff_user(request), request.method or "GET", kwargs)
            return view(request, *args, **kwargs)

        wrapper.palpa_gate = gate  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def requires(
    capability: Capability, *, post: Capability | None = None, record: Record | None = None
) -> Callable[[V], V]:
    """A staff page needing ``capability`` (and ``post`` to write, when given)."""
    return _guard(Gate(read=capability, write=post, record=record))


def requires_by(kwarg: str, gates: Mapping[str, Capability | Gate]) -> Callable[[V], V]:
    """A staff page whose URL kwarg ``kwarg`` names the action, each with its own gate (or
    just its capability)."""
    table = {k: g if isinstance(g, Gate) else Gate(read=g) for k, g in gates.items()}
    return _guard(Gate(by=(kwarg, table)))


def public[W: Callable[..., HttpResponseBase]](view: W) -> W:
    """A page anyone may open without signing in (it checks its own link or token)."""
    return _guard(Gate(public=True))(view)


def gate_of(view: Any) -> Gate | None:
    found = getattr(view, "palpa_gate", None)
    return found if isinstance(found, Gate) else None


# --- the API ------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])


def _api_check(gate: Gate) -> Callable[[HttpRequest, User], None]:
    def check(request: HttpRequest, user: User) -> None:
        match = request.resolver_match
        gate.check(user, request.method or "GET", match.kwargs if match is not None else {})

    return check


def api_requires(capability: Capability, *, record: Record | None = None) -> Callable[[F], F]:
    """An API operation needing ``capability``; put it right under ``@router.<method>``.

    The check runs in the operation's authentication, before the body is parsed, and
    the OpenAPI document names the capability (``x-palpa-capability``)."""
    gate = Gate(read=capability, record=record)

    def contribute(operation: Operation) -> None:
        check = _api_check(gate)
        operation.auth_param = [TokenAuth(check=check), VerifiedSessionAuth(check=check)]
        operation._set_auth(operation.auth_param)
        operation.openapi_extra = {**(operation.openapi_extra or {}), **gate.openapi()}

    def decorate(view_func: F) -> F:
        contribute_operation_callback(view_func, contribute)
        view_func.palpa_gate = gate  # type: ignore[attr-defined]
        return view_func

    return decorate


# Staff API tokens: one's own, or any with organization.manage (the tokens pages and API).
OWN_TOKEN = Record(
    "public_id", ApiToken, "user_id", Capability.ORGANIZATION_MANAGE, what="the token"
)
OWN_TOKEN_API = Record(
    "token_id", ApiToken, "user_id", Capability.ORGANIZATION_MANAGE, what="the token"
)
