"""Roles are decided in one place: the permission table (accounts/permissions.py).

Anywhere else, code asks ``has_capability`` / ``require`` (or a route's gate); this test
fails on any comparison of a role (``user.role == …``, ``… in {Role.OWNER, …}``, a query
filtered by role) outside the table, naming the file and line. The demo clinic may look
its personas up by role (it sets them up; it decides nothing)."""

from __future__ import annotations

import ast
from pathlib import Path

PALPA = Path(__file__).resolve().parents[2]
ROLE_NAMES = {"owner", "therapist", "front_desk", "biller"}
QUERIES = {"filter", "exclude", "get", "get_or_create", "update_or_create"}
EXEMPT = ("accounts/permissions.py", "demo/")


def _is_role(node: ast.AST) -> bool:
    """``x.role``, ``Role.OWNER``, or a role's name as a string."""
    if isinstance(node, ast.Attribute) and node.attr == "role":
        return True
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        # Role.values and its kin list the valid roles (input validation), deciding nothing
        return node.value.id == "Role" and node.attr not in {"values", "choices", "labels"}
    if isinstance(node, ast.Constant) and node.value in ROLE_NAMES:
        return True
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return any(_is_role(e) for e in node.elts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in {"frozenset", "set"} and any(_is_role(a) for a in node.args)
    return False


def _from_table(node: ast.AST) -> bool:
    """``roles_with(capability)``: the roles the table gives a capability."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "roles_with"
    )


def _compares_a_role(node: ast.AST) -> bool:
    return isinstance(node, ast.Compare) and any(
        _is_role(n) for n in [node.left, *node.comparators]
    )


def _queries_by_role(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in QUERIES
        and any(k.arg in {"role", "role__in"} and not _from_table(k.value) for k in node.keywords)
    )


def role_checks(tree: ast.AST) -> list[int]:
    return [
        node.lineno  # type: ignore[attr-defined]
        for node in ast.walk(tree)
        if _compares_a_role(node) or _queries_by_role(node)
    ]


def test_no_module_but_the_permission_table_compares_roles() -> None:
    found = []
    for path in sorted(PALPA.rglob("*.py")):
        relative = path.relative_to(PALPA).as_posix()
        if "/tests/" in relative or "/migrations/" in relative or relative.startswith(EXEMPT):
            continue
        found += [f"{relative}:{n}" for n in role_checks(ast.parse(path.read_text()))]
    assert not found, f"decide by capability (accounts.permissions), not by role: {found}"


def test_the_check_finds_what_it_looks_for() -> None:
    code = """
if actor.role != "owner": pass
if user.role in {Role.OWNER, Role.BILLER}: pass
User.objects.filter(organization=org, role=Role.OWNER)
ok = has_capability(user, Capability.CLINICAL_READ)
User.objects.filter(role__in=roles_with(Capability.SCHEDULE_CONFIGURE))
if role not in Role.values: pass
"""
    assert role_checks(ast.parse(code)) == [2, 3, 4]
