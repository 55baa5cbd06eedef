"""Palpa's one settings module: everything that varies comes from the environment.

Each setting is read with a typed helper. A secret ``NAME`` may also be given as a file
path in ``NAME_FILE`` (the way container secrets are mounted). See docs/configuration.md.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from palpa.audit.keys import key_problem as audit_key_problem
from palpa.audit.keys import split_keys as split_audit_keys
from palpa.core.keys import weakness
from palpa.core.proxies import parse_networks

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def _raw(name: str) -> str | None:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name)


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None or value == "" else value


def env_int(name: str, default: int) -> int:
    value = _raw(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


# Under pytest the test settings apply unless PALPA_ENV says otherwise, so running pytest
# directly (not through bin/test) tests what bin/test tests.
PALPA_ENV = env_str("PALPA_ENV", "test" if "pytest" in sys.modules else "development")
if PALPA_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured("PALPA_ENV must be development, test or production")
PRODUCTION = PALPA_ENV == "production"

DEFAULT_SECRET_KEY = "palpa-insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", DEFAULT_SECRET_KEY)
if PRODUCTION:
    _weak = (
        "it is the development key" if SECRET_KEY == DEFAULT_SECRET_KEY else weakness(SECRET_KEY)
    )
    if _weak:
        raise ImproperlyConfigured(
            f"Palpa refuses to start in production with this SECRET_KEY: {_weak}. Set "
            "SECRET_KEY or SECRET_KEY_FILE to 50 or more random characters (e.g. the output "
            "of `openssl rand -base64 48`)."
        )

DEBUG = env_bool("DEBUG", not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured(
        "Palpa refuses to start in production with DEBUG=true: debug pages show settings "
        "and patient data to anyone who causes an error. Unset DEBUG."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must name the hosts Palpa serves in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks_db",
    "oauth2_provider",
    "palpa.core",
    "palpa.audit",
    "palpa.accounts",
    "palpa.practitioners",
    "palpa.patients",
    "palpa.referrals",
    "palpa.screening",
    "palpa.outcomes",
    "palpa.scheduling",
    "palpa.care",
    "palpa.billing",
    "palpa.reports",
    "palpa.lymphoedema",
    "palpa.analytics",
    "palpa.fhir",
    "palpa.portal",
    "palpa.demo",
]

MIDDLEWARE = [
    # First: every later layer (HTTPS redirect, lockout, rate limits, audit) sees the
    # client's address and scheme as the trusted proxies report them.
    "palpa.core.proxies.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "palpa.audit.middleware.RequestContextMiddleware",
    "palpa.core.limits.BodyLimitMiddleware",  # 413 on /api/ and /fhir/ before any read
    "palpa.core.webinput.NulRefusalMiddleware",  # 400 for NUL in a page's query or form
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "palpa.accounts.otp.AccountOTPMiddleware",  # django-otp's, the device read with the account
    "palpa.accounts.middleware.StaffSessionMiddleware",
    "palpa.accounts.middleware.LocalTimeMiddleware",  # the organization's zone is active
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Last (innermost): Palpa's error pages instead of Django's technical ones in DEBUG.
    "palpa.core.error_pages.FriendlyErrorPagesMiddleware",
]

if PRODUCTION:  # static files from the app server itself, compressed and cached
    MIDDLEWARE.insert(2, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "palpa.urls"
WSGI_APPLICATION = "palpa.wsgi.application"
ASGI_APPLICATION = "palpa.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "palpa.accounts.context_processors.staff",
            ],
            # ``|local:place``: aware datetimes at a location's or organization's time.
            "builtins": ["palpa.core.templatetags.local_time"],
        },
    }
]

# --- Database -------------------------------------------------------------------------
# SQLite by default (one file next to the data directory), PostgreSQL via DATABASE_URL.
DATA_DIR = Path(env_str("PALPA_DATA_DIR", str(PROJECT_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60), conn_health_checks=True
        )
    }
    # The statements on every request's path (palpa.core.db.hot_cursor) are prepared once
    # per connection after this many runs (ADR 0007). Off (None) behind a pooler in
    # transaction mode that cannot keep prepared statements. Django's own queries are not
    # affected: they bind on the client.
    if env_bool("PALPA_DB_PREPARED_STATEMENTS", True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
else:
    DATABASES = {
        "default": {
            # Django's SQLite backend whose flush, like PostgreSQL's TRUNCATE, leaves
            # row triggers (the audit log's append-only ones) unfired (ADR 0008).
            "ENGINE": "palpa.core.sqlite",
            "NAME": str(DATA_DIR / "palpa.sqlite3"),
            # Tests: an in-memory database per process (Django's default for SQLite),
            # named so, because pytest-django recognizes the default only by the ENGINE.
            "TEST": {"NAME": ":memory:"},
            "OPTIONS": {
                # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two
                # writers never deadlock on lock upgrade; they queue for busy_timeout.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication and sessions ------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend reading the account with its organization (and practitioner) at once.
    "palpa.accounts.backends.StaffBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

# Inactivity timeout: the session expires after this many minutes without a request. An
# organization may set a shorter value for its staff. A staff session is renewed (saved)
# when a minute has passed since its last renewal, not on every request
# (accounts.middleware.StaffSessionMiddleware); the portal renews its own on each request.
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Lockout after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_CLIENT_IP_CALLABLE = "palpa.core.proxies.request_client_address"

# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or
# networks; palpa/core/proxies.py). Production trusts a proxy on the same machine.
PALPA_TRUSTED_PROXIES = env_list(
    "PALPA_TRUSTED_PROXIES", ["127.0.0.1", "::1"] if PRODUCTION else []
)
parse_networks(PALPA_TRUSTED_PROXIES)  # a malformed entry stops Palpa at start

OTP_TOTP_ISSUER = "Palpa"

# --- Security headers -----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- Static files, i18n ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# palpa/static belongs to no app, so the app-directories finder does not see it.
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Background work (django.tasks with the database backend) --------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Email (Django 6.1 MAILERS; SMTP configured by environment in production) ------------
# Development (the demo) writes each email to a file under the data directory's outbox/
# instead of printing it on the console among the server's lines; tests use the console.
_EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend"
    if PALPA_ENV == "development"
    else "django.core.mail.backends.console.EmailBackend",
)
_EMAIL_OPTIONS: dict[str, object] = {}
if _EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    _EMAIL_OPTIONS = {"file_path": env_str("EMAIL_FILE_PATH", str(DATA_DIR / "outbox"))}
if _EMAIL_BACKEND.endswith("smtp.EmailBackend"):
    _EMAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
MAILERS = {"default": {"BACKEND": _EMAIL_BACKEND, "OPTIONS": _EMAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Palpa <palpa@localhost>")

# --- Palpa ----------------------------------------------------------------------------
# Days before a license's expiry at which the owner's dashboard lists it.
PALPA_LICENSE_WARNING_DAYS = env_int("PALPA_LICENSE_WARNING_DAYS", 60)
# Days without contact (no signed note, no booked visit ahead) after which an episode of
# care with no discharge counts as dropped out (docs/outcome-analytics.md).
PALPA_EPISODE_DROPOUT_DAYS = env_int("PALPA_EPISODE_DROPOUT_DAYS", 30)
# How often the worker sweeps the episode table for drop-outs, in hours (0: off; run
# `palpa episodes sweep` from cron then). Off in tests, like the audit checkpoints: the
# test database's migrate queues no task.
PALPA_EPISODE_SWEEP_HOURS = env_int("PALPA_EPISODE_SWEEP_HOURS", 0 if PALPA_ENV == "test" else 24)
if PALPA_EPISODE_SWEEP_HOURS < 0:
    raise ImproperlyConfigured("PALPA_EPISODE_SWEEP_HOURS must be 0 (off) or more")
# Read and search audit entries are committed without waiting for the WAL flush (ADR 0005);
# true makes them wait like every other entry.
PALPA_AUDIT_SYNCHRONOUS_READS = env_bool("PALPA_AUDIT_SYNCHRONOUS_READS", False)
# The audit key (ADR 0008): each entry's MAC and the checkpoints are made with it. It
# never goes into the database. Required in production; development and test make one
# once in <PALPA_DATA_DIR>/audit.key. Old keys verify entries made before a rotation.
PALPA_AUDIT_KEY = env_str("PALPA_AUDIT_KEY", "")
PALPA_AUDIT_OLD_KEYS = split_audit_keys(env_str("PALPA_AUDIT_OLD_KEYS", ""))
if PRODUCTION and (_audit_key_problem := audit_key_problem(PALPA_AUDIT_KEY, secret_key=SECRET_KEY)):
    raise ImproperlyConfigured(
        f"Palpa refuses to start in production with this PALPA_AUDIT_KEY: {_audit_key_problem} "
        "(make one with `palpa audit new-key`; set PALPA_AUDIT_KEY or PALPA_AUDIT_KEY_FILE)."
    )
# Signed checkpoints of every audit chain, appended outside the database by
# `palpa audit checkpoint` and by the worker every PALPA_AUDIT_CHECKPOINT_MINUTES (0: off;
# off by default in tests, which write their own).
PALPA_AUDIT_CHECKPOINT_FILE = env_str(
    "PALPA_AUDIT_CHECKPOINT_FILE", str(DATA_DIR / "audit-checkpoints.jsonl")
)
PALPA_AUDIT_CHECKPOINT_MINUTES = env_int(
    "PALPA_AUDIT_CHECKPOINT_MINUTES", 0 if PALPA_ENV == "test" else 15
)
if PALPA_AUDIT_CHECKPOINT_MINUTES < 0:
    raise ImproperlyConfigured("PALPA_AUDIT_CHECKPOINT_MINUTES must be 0 (off) or more")
# The patient's one-time link to fill outcome instruments before a visit.
PALPA_INSTRUMENT_LINK_DAYS = env_int("PALPA_INSTRUMENT_LINK_DAYS", 7)
PALPA_INSTRUMENT_LINK_RATE_LIMIT = env_int("PALPA_INSTRUMENT_LINK_RATE_LIMIT", 20)
PALPA_INSTRUMENT_LINK_RATE_WINDOW_MINUTES = env_int("PALPA_INSTRUMENT_LINK_RATE_WINDOW_MINUTES", 15)
# Exposes /bench/baseline/<pk>, a bare primary-key read used as the benchmark's baseline.
PALPA_BENCH_BASELINE = env_bool("PALPA_BENCH_BASELINE", False)
# Largest scanned prescription a referral accepts (bytes).
PALPA_PRESCRIPTION_MAX_BYTES = env_int("PALPA_PRESCRIPTION_MAX_BYTES", 10 * 1024 * 1024)
# A referral warns at this many visits or days left (organizations set their own).
PALPA_REFERRAL_WARN_VISITS = env_int("PALPA_REFERRAL_WARN_VISITS", 2)
PALPA_REFERRAL_WARN_DAYS = env_int("PALPA_REFERRAL_WARN_DAYS", 7)
# Progress reports to the physician: deployment defaults (organizations set their own).
PALPA_REPORT_EVERY_VISITS = env_int("PALPA_REPORT_EVERY_VISITS", 10)
PALPA_REPORT_EVERY_DAYS = env_int("PALPA_REPORT_EVERY_DAYS", 30)
PALPA_REPORT_LINK_DAYS = env_int("PALPA_REPORT_LINK_DAYS", 14)
PALPA_REPORT_LINK_RATE_LIMIT = env_int("PALPA_REPORT_LINK_RATE_LIMIT", 20)
PALPA_REPORT_LINK_RATE_WINDOW_MINUTES = env_int("PALPA_REPORT_LINK_RATE_WINDOW_MINUTES", 15)
# Patient messages (online booking, reminders; docs/scheduling.md). Links in them start
# with PALPA_SITE_URL (in production: https:// and the first ALLOWED_HOSTS unless set).
# SMS go through a pluggable backend.
PALPA_SITE_URL = env_str(
    "PALPA_SITE_URL",
    f"https://{ALLOWED_HOSTS[0]}" if PRODUCTION else "http://localhost:8000",
)
PALPA_SMS_BACKEND = env_str("PALPA_SMS_BACKEND", "palpa.core.sms.ConsoleBackend")
PALPA_SMS_OUTBOX = env_str("PALPA_SMS_OUTBOX", str(DATA_DIR / "sms-outbox"))
# The patient message ledger (docs/patient-side.md): a failed send is tried again this many
# times in all, waiting PALPA_MESSAGE_RETRY_SECONDS, then 4x, 16x as long between tries.
PALPA_MESSAGE_ATTEMPTS = env_int("PALPA_MESSAGE_ATTEMPTS", 4)
PALPA_MESSAGE_RETRY_SECONDS = env_int("PALPA_MESSAGE_RETRY_SECONDS", 60)
PALPA_ONLINE_BOOKING_RATE_LIMIT = env_int("PALPA_ONLINE_BOOKING_RATE_LIMIT", 30)
PALPA_ONLINE_BOOKING_CODE_LIMIT = env_int("PALPA_ONLINE_BOOKING_CODE_LIMIT", 5)
PALPA_ONLINE_BOOKING_RATE_WINDOW_MINUTES = env_int("PALPA_ONLINE_BOOKING_RATE_WINDOW_MINUTES", 15)
PALPA_FEED_RATE_LIMIT = env_int("PALPA_FEED_RATE_LIMIT", 60)
PALPA_FEED_RATE_WINDOW_MINUTES = env_int("PALPA_FEED_RATE_WINDOW_MINUTES", 15)

# --- FHIR R4 boundary (palpa.fhir; see docs/fhir-mapping.md) ----------------------------
# OAuth2 for FHIR clients (django-oauth-toolkit): client credentials for system clients,
# SMART scopes per client (palpa.fhir.scopes.ClientScopes), tokens stored hashed.
OAUTH2_PROVIDER = {
    "SCOPES_BACKEND_CLASS": "palpa.fhir.scopes.ClientScopes",
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("PALPA_FHIR_TOKEN_SECONDS", 3600),
    # No grant with redirects is offered; were one added, only https redirects.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    # Every RFC 9700 (OAuth security best practice) gate enforced.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "TOKEN_STORAGE",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
}
OAUTH2_PROVIDER_APPLICATION_MODEL = "oauth2_provider.Application"
# Largest page a FHIR search returns (_count above it is capped), and the default page.
PALPA_FHIR_MAX_COUNT = env_int("PALPA_FHIR_MAX_COUNT", 100)
PALPA_FHIR_DEFAULT_COUNT = env_int("PALPA_FHIR_DEFAULT_COUNT", 20)
# Hours a finished bulk $export's files stay downloadable (then `palpa fhir_export_cleanup`).
PALPA_FHIR_EXPORT_HOURS = env_int("PALPA_FHIR_EXPORT_HOURS", 24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}
