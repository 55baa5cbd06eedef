"""Who is acting, from where, in which request: set once per request, read by audit."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    client_address: str = ""
    via: str = "cli"


_current: ContextVar[RequestContext | None] = ContextVar("palpa_request_context", default=None)


def current() -> RequestContext:
    return _current.get() or RequestContext()


def set_context(ctx: RequestContext) -> object:
    return _current.set(ctx)


def reset_context(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
