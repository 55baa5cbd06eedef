"""Password reset by email: the same answer whether or not the address has an account,
a link that works once, and a limit on requests."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from palpa.accounts.models import User
from palpa.audit.models import AuditEvent


def test_a_staff_member_resets_their_password_by_email(front_desk: User) -> None:
    response = Client().post("/accounts/password-reset/", {"email": "desk@bayside.example"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox[-1].to == ["desk@bayside.example"]
    body = str(mail.outbox[-1].body)
    link = re.search(r"https?://[^/\s]+(/accounts/password-reset/[^\s]+/)", body)
    assert link is not None
    client = Client()
    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "pebble-harbour-91x", "new_password2": "pebble-harbour-91x"},
    )
    assert done.status_code == 302
    front_desk.refresh_from_db()
    assert front_desk.check_password("pebble-harbour-91x")
    assert AuditEvent.objects.filter(detail__event="password reset by email").exists()


def test_an_unknown_address_gets_the_same_answer_and_no_email(owner: User) -> None:
    response = Client().post("/accounts/password-reset/", {"email": "nobody@bayside.example"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


@pytest.mark.django_db
def test_too_many_reset_requests_from_one_address_are_refused(settings: object) -> None:
    client = Client()
    answers = [
        client.post("/accounts/password-reset/", {"email": "x@y.example"}).status_code
        for _ in range(6)
    ]
    assert answers == [302] * 5 + [429]


def test_the_sign_in_page_links_to_the_password_reset(owner: User) -> None:
    assert "/accounts/password-reset/" in Client().get("/accounts/login/").content.decode()
