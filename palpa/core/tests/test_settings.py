"""Settings come from the environment; production refuses unsafe configurations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from palpa import settings as palpa_settings

ROOT = Path(__file__).resolve().parents[3]
STRONG_KEY = "k" * 20 + "-production-secret-key-for-tests-only-0123456789"
AUDIT_KEY = "Tq8-audit-key-for-the-settings-tests-Vb3Nm6Lp0Zx4Wc7"


def _palpa(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PALPA_", "DJANGO_"))}
    base.pop("DATABASE_URL", None)
    base.pop("SECRET_KEY", None)
    base.pop("PALPA_AUDIT_KEY", None)
    return subprocess.run(
        [sys.executable, "-m", "palpa.cli", *args],
        cwd=ROOT,
        env={**base, "PALPA_DATA_DIR": str(ROOT / "var" / "settings-test"), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_with_the_default_secret_key() -> None:
    result = _palpa("check", PALPA_ENV="production", ALLOWED_HOSTS="palpa.example")
    assert result.returncode != 0
    assert "refuses to start in production with this SECRET_KEY: it is the development key" in (
        result.stderr
    )


def test_production_refuses_a_short_secret_key() -> None:
    result = _palpa(
        "check", PALPA_ENV="production", ALLOWED_HOSTS="palpa.example", SECRET_KEY="short"
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("a" * 50, "uses fewer than 12 different characters"),
        ("abcdefghijklm" * 4, "repeats a short pattern"),
        ("0123456789abcdef" * 3 + "01", "repeats a short pattern"),
    ],
)
def test_production_refuses_a_low_entropy_secret_key(key: str, reason: str) -> None:
    result = _palpa("check", PALPA_ENV="production", ALLOWED_HOSTS="palpa.example", SECRET_KEY=key)
    assert result.returncode != 0
    assert f"with this SECRET_KEY: it {reason}" in result.stderr


def test_production_refuses_debug() -> None:
    result = _palpa(
        "check",
        PALPA_ENV="production",
        ALLOWED_HOSTS="palpa.example",
        SECRET_KEY=STRONG_KEY,
        DEBUG="true",
    )
    assert result.returncode != 0
    assert "refuses to start in production with DEBUG=true" in result.stderr


def test_a_malformed_trusted_proxy_stops_palpa_at_start() -> None:
    result = _palpa("check", PALPA_TRUSTED_PROXIES="10.0.0.1, the-proxy")
    assert result.returncode != 0
    assert "PALPA_TRUSTED_PROXIES: 'the-proxy' is not an IP address or network" in result.stderr


def test_check_deploy_reports_nothing_in_production(tmp_path: Path) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text(STRONG_KEY + "\n")
    result = _palpa(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        PALPA_ENV="production",
        ALLOWED_HOSTS="palpa.example",
        SECRET_KEY_FILE=str(key_file),
        PALPA_AUDIT_KEY=AUDIT_KEY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


@pytest.mark.parametrize(
    ("audit_key", "reason"),
    [
        ("", "it is not set"),
        ("x" * 60, "it uses fewer than 12 different characters"),
        (STRONG_KEY, "it is the same as SECRET_KEY"),
    ],
)
def test_production_refuses_to_start_without_a_strong_audit_key(
    tmp_path: Path, audit_key: str, reason: str
) -> None:
    key_file = tmp_path / "secret"
    key_file.write_text(STRONG_KEY + "\n")
    result = _palpa(
        "check",
        PALPA_ENV="production",
        ALLOWED_HOSTS="palpa.example",
        SECRET_KEY_FILE=str(key_file),
        PALPA_AUDIT_KEY=audit_key,
    )
    assert result.returncode != 0
    assert "refuses to start in production with this PALPA_AUDIT_KEY: " + reason in result.stderr


def test_development_check_deploy_does_warn_so_the_production_test_means_something() -> None:
    result = _palpa("check", "--deploy", "--fail-level", "WARNING", PALPA_ENV="development")
    assert result.returncode != 0
    assert "security.W" in result.stderr + result.stdout


def test_a_secret_can_come_from_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret-from-file\n")
    monkeypatch.setenv("EMAIL_HOST_PASSWORD_FILE", str(secret))
    assert palpa_settings.env_str("EMAIL_HOST_PASSWORD", "") == "s3cret-from-file"


def test_typed_helpers_name_the_variable_on_bad_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "half an hour")
    with pytest.raises(ImproperlyConfigured, match="SESSION_IDLE_MINUTES must be an integer"):
        palpa_settings.env_int("SESSION_IDLE_MINUTES", 30)
    monkeypatch.setenv("AXES_ENABLED", "perhaps")
    with pytest.raises(ImproperlyConfigured, match="AXES_ENABLED must be true or false"):
        palpa_settings.env_bool("AXES_ENABLED", True)
    monkeypatch.setenv("ALLOWED_HOSTS", "a.example, b.example")
    assert palpa_settings.env_list("ALLOWED_HOSTS", []) == ["a.example", "b.example"]


def test_sqlite_is_configured_for_concurrent_use() -> None:
    options = palpa_settings.DATABASES["default"].get("OPTIONS", {})
    if palpa_settings.DATABASE_URL:
        pytest.skip("this run uses PostgreSQL (DATABASE_URL is set); SQLite options unused")
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert "busy_timeout" in options["init_command"]
