"""The client's address behind trusted reverse proxies.

Behind a TLS proxy every request arrives from the proxy's address, so rate limits,
sign-in lockout and audit entries would lump every client together. Each proxy that
forwards a request appends the address it received it from to ``X-Forwarded-For``.
Walking that list from the right, starting at the peer that connected to us, every hop
that is a trusted proxy (``PALPA_TRUSTED_PROXIES``: addresses or networks) is skipped;
the first address that is not is the client. A peer that is not trusted is itself the
client and its ``X-Forwarded-For`` (and ``X-Forwarded-Proto``) is ignored, so a client
cannot spoof its address by sending the header.

Trusted proxies are named by address rather than counted: a count would believe a
spoofed header from a client that reached Palpa without passing through the proxy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str], setting: str = "PALPA_TRUSTED_PROXIES") -> list[Network]:
    """``["10.0.0.1", "172.16.0.0/12", "::1"]`` as networks; a bad entry names the setting."""
    networks: list[Network] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"{setting}: {entry!r} is not an IP address or network (e.g. 10.0.0.1 or "
                "10.0.0.0/8)"
            ) from exc
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:51234
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: list[Network]
) -> bool:
    return any(address in network for network in networks)


def client_address(peer: str, forwarded_for: str, networks: list[Network]) -> str:
    """The client's address given the connecting ``peer`` and its ``X-Forwarded-For``."""
    peer_address = _address(peer)
    if peer_address is None or not networks or not _trusted(peer_address, networks):
        return peer
    hops = [hop for hop in forwarded_for.split(",") if hop.strip()] if forwarded_for else []
    current = peer_address
    for hop in reversed(hops):
        if not _trusted(current, networks):
            break
        address = _address(hop)
        if address is None:  # a trusted proxy would not write this: stop at the proxy
            break
        current = address
    return str(current)


@lru_cache(maxsize=1)
def _configured(entries: tuple[str, ...]) -> list[Network]:
    return parse_networks(entries)


def trusted_networks() -> list[Network]:
    return _configured(tuple(getattr(settings, "PALPA_TRUSTED_PROXIES", ())))


class TrustedProxyMiddleware:
    """Sets ``REMOTE_ADDR`` to the client's address (see the module), first of all, so
    lockout, rate limits and the audit see the client; drops ``X-Forwarded-Proto`` and
    ``X-Forwarded-For`` that an untrusted peer sent."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = str(meta.get("REMOTE_ADDR", "") or "")
        networks = trusted_networks()
        peer_address = _address(peer)
        if peer_address is not None and networks and _trusted(peer_address, networks):
            meta["REMOTE_ADDR"] = client_address(
                peer, str(meta.get("HTTP_X_FORWARDED_FOR", "")), networks
            )
        else:
            meta.pop("HTTP_X_FORWARDED_PROTO", None)
            meta.pop("HTTP_X_FORWARDED_FOR", None)
        return self.get_response(request)


def request_client_address(request: HttpRequest) -> str:
    """The client's address (after ``TrustedProxyMiddleware``); django-axes asks this."""
    return str(request.META.get("REMOTE_ADDR", "") or "")
