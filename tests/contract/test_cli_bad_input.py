"""Every ``palpa`` command of Palpa given bad input: exit 2, a message naming the
argument, never a traceback (docs/input.md).

Run in-process through ``call_command``: a command's own refusal is a ``CommandError``
with ``returncode`` 2 (``palpa`` exits with it); an argparse type error is a
``CommandError`` naming the argument (argparse exits 2 on the command line).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

# command and arguments -> the text that names the argument and the rule
REFUSED = [
    (["license_check", "nobody@example.com"], "EMAIL: no practitioner signs in as"),
    (["demo_code", "nobody@example.com"], "EMAIL: 'nobody@example.com' is not an account"),
    (["fhir_client", "nowhere", "Hub"], "ORGANIZATION: no organization has the slug"),
    (["fhir_client", "nowhere", "Hub\x00"], "NAME contains U+0000"),
    (["units", "97124=99999999999999999999"], "97124=99999999999999999999"),
    (["units", "97124=\uff13\uff10"], "97124="),
    (["score", "NPRS", "--answers", "[" * 5000 + "]" * 5000], "--answers"),
    (["limb_volume", "--interval", "4", "--affected", "22,-1"], "--affected"),
    (["limb_volume", "--affected", "22,24"], "--interval"),
    (["screen", "/nonexistent/facts.json"], "/nonexistent/facts.json"),
    (["roles", "--write", "/nonexistent/dir/roles.md"], "--write"),
    (["audit", "verify", "--checkpoints", "/nonexistent.jsonl"], "--checkpoints: no such file"),
    (["restore", "/nonexistent/backup"], "DIR: /nonexistent/backup is not a directory"),
    (["episodes", "rebuild", "--organization", ""], "--organization: no organization has the slug"),
    (["episodes", "sweep", "--on", "2026-02-30"], "--on: '2026-02-30' is not a date"),
    (["outcomes", "report", "--from", "2026-02-30", "--to", "2026-03-01"], "--from: '2026-02-30'"),
]
ARGPARSE = [
    (["serve", "--port", "99999"], "argument --port: 99999 is not between 1 and 65535"),
    (["serve", "--port", "\uff18\uff10"], "argument --port: '\uff18\uff10' is not a whole number"),
    (["serve", "--workers", "0"], "argument --workers: 0 is not between 1 and 64"),
    (["license_check", "a@b.example", "--on", "2026-02-30"], "argument --on"),
]


def _run(args: list[str]) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue() + err.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), REFUSED, ids=[" ".join(a)[:40] for a, _ in REFUSED])
def test_a_refused_argument_exits_2_naming_it(args: list[str], message: str) -> None:
    with pytest.raises((CommandError, SystemExit)) as refused:
        _run(args)
    error = refused.value
    code = error.returncode if isinstance(error, CommandError) else getattr(error, "code", None)
    assert code == 2, f"{args[0]} exits {code}: {error}"
    if isinstance(error, CommandError):
        assert message in str(error)


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), ARGPARSE, ids=[" ".join(a)[:40] for a, _ in ARGPARSE])
def test_an_argument_of_the_wrong_type_is_named(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _run(args)


@pytest.mark.django_db
def test_an_empty_organization_is_refused_not_read_as_every_organization() -> None:
    err = io.StringIO()
    with pytest.raises(SystemExit) as refused:
        call_command("capture_charges", "--organization", "", stdout=io.StringIO(), stderr=err)
    assert refused.value.code == 2
    assert "--organization: no organization has the slug ''" in err.getvalue()


def test_the_samples_cover_every_palpa_command() -> None:
    """A new command of Palpa's own gets a bad-input case here."""
    import palpa

    root = Path(palpa.__file__).parent
    commands = {
        p.stem for p in root.glob("*/management/commands/*.py") if not p.stem.startswith("_")
    }
    sampled = {args[0] for args, _ in REFUSED + ARGPARSE} | {"capture_charges"}
    # commands that take no argument a caller could get wrong (only Django's own options)
    without_arguments = {"send_reminders", "fhir_export_cleanup", "build_static", "demo"}
    missing = commands - sampled - without_arguments - {"backup"}
    assert not missing, f"give these commands a bad-input case: {sorted(missing)}"
