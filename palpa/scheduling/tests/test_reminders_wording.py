"""The clinic's wording: only known placeholders, clear messages, safe filling."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from palpa.scheduling import wording


def test_the_default_wordings_use_only_known_placeholders_and_say_how_to_cancel() -> None:
    for text in (
        wording.DEFAULT_EMAIL_SUBJECT,
        wording.DEFAULT_EMAIL_BODY,
        wording.DEFAULT_SMS_BODY,
    ):
        wording.check(text)
    for body in (wording.DEFAULT_EMAIL_BODY, wording.DEFAULT_SMS_BODY):
        names = wording.placeholders_in(body)
        assert {"what", "date", "time", "location", "address", "manage_link"} <= set(names)


def test_placeholders_are_filled_and_literal_braces_kept() -> None:
    text = "Hi {first_name}, see you {date} {{bring shorts}}"
    assert wording.render(text, {"first_name": "Rosa", "date": "Tuesday"}) == (
        "Hi Rosa, see you Tuesday {bring shorts}"
    )


def test_an_unknown_placeholder_is_named_with_the_list_of_known_ones() -> None:
    with pytest.raises(wording.WordingError, match=r"Unknown placeholder \{birthday\}.*\{date\}"):
        wording.check("Happy {birthday}")


def test_a_required_placeholder_that_is_missing_is_named() -> None:
    with pytest.raises(wording.WordingError, match=r"must contain \{manage_link\}"):
        wording.check("See you {date}", required=("manage_link",))


@pytest.mark.parametrize("text", ["{date", "date}", "{date.year}", "{date!r}", "{date:>10}", "{0}"])
def test_broken_or_clever_templates_are_refused(text: str) -> None:
    with pytest.raises(wording.WordingError):
        wording.check(text)


PARTS = st.lists(
    st.one_of(
        st.text(max_size=20).map(lambda t: ("literal", t)),
        st.sampled_from(sorted(wording.PLACEHOLDERS)).map(lambda n: ("placeholder", n)),
    ),
    max_size=12,
)


@given(PARTS)
def test_a_template_renders_to_its_literals_and_values_in_order(
    parts: list[tuple[str, str]],
) -> None:
    values = {name: f"<{name}>" for name in wording.PLACEHOLDERS}
    template = "".join(
        t.replace("{", "{{").replace("}", "}}") if kind == "literal" else "{" + t + "}"
        for kind, t in parts
    )
    expected = "".join(t if kind == "literal" else values[t] for kind, t in parts)
    assert wording.render(template, values) == expected


@given(st.text(max_size=200))
def test_any_text_is_either_refused_clearly_or_renders(text: str) -> None:
    problem = ""
    try:
        wording.check(text)
    except wording.WordingError as exc:
        problem = str(exc)
    if problem:
        assert problem.endswith(".")
    else:
        wording.render(text, {})
