"""The permission table is one table (role by capability), and the README's Roles section
is written from it (`palpa roles --write README.md`), so the two cannot drift."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from palpa.accounts.management.commands.roles import END, START, replace_table, table_in
from palpa.accounts.models import Role
from palpa.accounts.permissions import ROLES, TABLE, Capability, roles_markdown, roles_with

README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_roles_table_is_the_permission_table() -> None:
    assert table_in(README.read_text(encoding="utf-8")) == roles_markdown(), (
        "README.md's roles table differs from palpa/accounts/permissions.py: "
        "run `palpa roles --write README.md`"
    )


def test_palpa_roles_prints_the_table_as_markdown() -> None:
    out = io.StringIO()
    call_command("roles", "--markdown", stdout=out)
    assert out.getvalue() == roles_markdown()
    lines = out.getvalue().splitlines()
    assert lines[0] == "| capability | allows | owner | therapist | front desk | biller |"
    assert len(lines) == 2 + len(Capability)


def test_every_capability_has_one_row_and_every_role_a_column() -> None:
    assert set(TABLE) == set(Capability)
    assert set(ROLES) == set(Role.values)
    for capability, grant in TABLE.items():
        assert grant.roles, f"{capability} is held by no role"
        assert grant.roles <= set(Role.values)


def test_the_rows_that_decide_the_open_questions() -> None:
    # billers do not see screening decisions anywhere
    assert roles_with(Capability.SCREENING_READ_DECISION) == ["owner", "therapist", "front_desk"]
    # writing clinical records and addenda needs a practitioner, whatever the role
    assert TABLE[Capability.CLINICAL_AUTHOR].practitioner
    assert TABLE[Capability.CLINICAL_ADDENDUM].practitioner
    assert roles_with(Capability.CLINICAL_ADDENDUM) == ["owner", "therapist"]
    assert roles_with(Capability.CLINICAL_CORRECT_OTHERS) == ["owner"]
    assert "yes, as a practitioner" in roles_markdown()


def test_write_replaces_only_the_part_between_the_markers(tmp_path: Path) -> None:
    target = tmp_path / "README.md"
    target.write_text(f"# Title\n\nbefore\n{START}\n| old |\n{END}\nafter\n", encoding="utf-8")
    call_command("roles", "--write", str(target), stdout=io.StringIO())
    written = target.read_text(encoding="utf-8")
    assert written == f"# Title\n\nbefore\n{START}\n{roles_markdown()}{END}\nafter\n"
    call_command("roles", "--write", str(target), stdout=io.StringIO())
    assert target.read_text(encoding="utf-8") == written  # idempotent


def test_write_refuses_a_file_without_the_markers(tmp_path: Path) -> None:
    target = tmp_path / "README.md"
    target.write_text("# No table here\n", encoding="utf-8")
    with pytest.raises(CommandError, match="markers are missing") as caught:
        call_command("roles", "--write", str(target), stdout=io.StringIO())
    assert caught.value.returncode == 2
    assert target.read_text(encoding="utf-8") == "# No table here\n"
    with pytest.raises(ValueError, match="markers"):
        replace_table("no markers", "| t |\n")
