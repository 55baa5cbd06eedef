"""Dependencies point one way (DESIGN.md, docs/architecture.md): an app imports only apps
on a lower line, and apps on one line do not import each other. Imports made only for
type checking don't count. The few places that must reach across are listed here with
their reason; anything else fails, naming the file and line."""

from __future__ import annotations

import ast
from pathlib import Path

LINES = {
    "demo": 9,
    "fhir": 8,
    "analytics": 8,
    "portal": 8,
    "billing": 7,
    "reports": 7,
    "lymphoedema": 7,
    "care": 6,
    "scheduling": 5,
    "screening": 4,
    "outcomes": 4,
    "referrals": 3,
    "practitioners": 2,
    "patients": 2,
    "accounts": 1,
    "core": 0,
    "audit": 0,
}

PALPA = Path(__file__).resolve().parents[2]

# (importing file or folder, imported app): why it may.
ALLOWED = {
    ("core/api.py", "accounts"): "the API's bearer-token and session auth return a User",
    ("core/views.py", "accounts"): "staff_user() checks the signed-in User",
    (
        "core/urls.py",
        "accounts",
    ): "the dashboard's route gate (accounts.gates) names its capability",
    ("audit/views.py", "accounts"): "the owner's audit log page checks the User",
    ("audit/queries.py", "accounts"): "the log's query checks the reader's capability",
    ("audit/views.py", "patients"): "the audit log page finds a patient by MRN or name and "
    "names each entry's patient (never by an internal id)",
    ("audit/management/commands/audit.py", "accounts"): "verify names the organizations",
    ("audit/", "core"): "core's database and view plumbing sits below audit",
    ("core/backup.py", "audit"): "a backup's manifest records the audit chain heads; restore "
    "records the restore in the audit checkpoints and verifies the chains",
}


def _allowed(relative: str, other: str) -> bool:
    return any(
        (relative == path or (path.endswith("/") and relative.startswith(path)))
        and app in {other, "*"}
        for path, app in ALLOWED
    )


def _runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for n in ast.walk(node))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def test_every_app_is_on_a_line() -> None:
    apps = {p.parent.name for p in PALPA.glob("*/apps.py")}
    assert apps <= set(LINES), f"put these apps on a line: {sorted(apps - set(LINES))}"


def test_imports_point_down() -> None:
    wrong: list[str] = []
    for path in sorted(PALPA.rglob("*.py")):
        relative = path.relative_to(PALPA).as_posix()
        app = relative.split("/", 1)[0]
        if app not in LINES or "/tests/" in relative or "/migrations/" in relative:
            continue
        for lineno, module in _runtime_imports(ast.parse(path.read_text())):
            parts = module.split(".")
            if parts[0] != "palpa" or len(parts) < 2 or parts[1] not in LINES:
                continue
            other = parts[1]
            if other == app or LINES[other] < LINES[app] or _allowed(relative, other):
                continue
            wrong.append(f"palpa/{relative}:{lineno} ({app}, line {LINES[app]}) imports {module}")
    assert wrong == [], "\n".join(wrong)


def test_the_rule_is_checked() -> None:
    """The check finds an upward import when there is one."""
    tree = ast.parse("from palpa.care.queries import patient_notes\n")
    assert _runtime_imports(tree) == [(1, "palpa.care.queries")]
    assert not _allowed("patients/views.py", "care")
    assert not _allowed("core/dashboard.py", "care")
