"""Refusals by a clinical or business rule (not bad input): the API answers 409."""

from __future__ import annotations


class Refused(Exception):
    """The request is well-formed but a rule forbids it now; the message says which and why."""

    code = "refused"
