"""Behind trusted proxies the client's address comes from X-Forwarded-For; from anyone
else the header is ignored (palpa.core.proxies)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent
from palpa.core.proxies import client_address, parse_networks

PROXIES = parse_networks(["10.0.0.5", "192.168.0.0/16"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        # A client behind one trusted proxy.
        ("10.0.0.5", "203.0.113.7", "203.0.113.7"),
        # Behind two trusted proxies (the nearest appends the next one's address).
        ("10.0.0.5", "203.0.113.7, 192.168.1.9", "203.0.113.7"),
        # The client sent its own header: only the address the proxy saw counts.
        ("10.0.0.5", "1.2.3.4, 203.0.113.7", "203.0.113.7"),
        # Not from a trusted proxy: the header is ignored, the peer is the client.
        ("203.0.113.7", "1.2.3.4", "203.0.113.7"),
        # Every hop trusted: the leftmost is the client.
        ("10.0.0.5", "192.168.4.4", "192.168.4.4"),
        # No header from the proxy: the proxy is the peer.
        ("10.0.0.5", "", "10.0.0.5"),
        # Garbage the proxy passed on: stop at the proxy rather than believe it.
        ("10.0.0.5", "not-an-address", "10.0.0.5"),
        ("10.0.0.5", "[2001:db8::1]:443", "2001:db8::1"),
        ("10.0.0.5", "203.0.113.7:51234", "203.0.113.7"),
    ],
)
def test_the_client_is_the_first_untrusted_hop_from_the_right(
    peer: str, forwarded: str, expected: str
) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected


def test_without_trusted_proxies_the_header_means_nothing() -> None:
    assert client_address("127.0.0.1", "1.2.3.4", []) == "127.0.0.1"


@override_settings(PALPA_TRUSTED_PROXIES=["127.0.0.1"])
def test_audit_entries_record_the_client_behind_a_trusted_proxy(owner: User) -> None:
    client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")
    client.post("/accounts/login/", {"username": owner.email, "password": "wrong"})
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).latest("seq")
    assert entry.client_address == "203.0.113.7"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(owner: User) -> None:
    client = Client(
        REMOTE_ADDR="198.51.100.20",
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_X_FORWARDED_PROTO="https",
    )
    response = client.post("/accounts/login/", {"username": owner.email, "password": "wrong"})
    assert response.status_code == 200
    entry = AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN_FAILED).latest("seq")
    assert entry.client_address == "198.51.100.20"


@override_settings(PALPA_TRUSTED_PROXIES=["127.0.0.1"], AXES_FAILURE_LIMIT=3)
def test_lockout_counts_each_client_behind_the_proxy_apart(owner: User) -> None:
    def attempt(client_ip: str) -> int:
        client = Client(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client_ip)
        response = client.post("/accounts/login/", {"username": owner.email, "password": "nope"})
        return response.status_code

    for _ in range(3):
        attempt("203.0.113.7")
    assert attempt("203.0.113.7") == 429  # that client is locked out
    # Another patient on the same proxy is not.
    assert attempt("203.0.113.8") == 200
