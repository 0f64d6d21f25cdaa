"""One settings module, driven by the environment.

Every knob is an environment variable with a safe development default. Production sets
``TIERCARD_PRODUCTION=1`` (or ``DEBUG=0``), a real ``SECRET_KEY`` and ``ALLOWED_HOSTS``, and
``DATABASE_URL`` for PostgreSQL; ``manage.py check --deploy`` is then clean.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("TIERCARD_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


PRODUCTION = env_bool("TIERCARD_PRODUCTION", False)
DEBUG = env_bool("DEBUG", not PRODUCTION)

_DEV_SECRET = "dev-only-insecure-key-change-me-0123456789-abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = os.environ.get("SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when TIERCARD_PRODUCTION=1")
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "tiercard.accounts.admin_config.TiercardAdminConfig",  # django.contrib.admin, admins only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI from local static files, not a CDN
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "tiercard.core",
    "tiercard.accounts",
    "tiercard.audit",
    "tiercard.customers",
    "tiercard.sales",
    "tiercard.interactions",
    "tiercard.outbox",
    "tiercard.loyalty",
    "tiercard.servicedesk",
    "tiercard.demo",
    "tiercard.cards",
    "tiercard.analytics",
    "tiercard.listviews",
    "tiercard.dedupe",
    "tiercard.imports",
    "tiercard.privacy",
    "tiercard.printing",
    "tiercard.web",
    "tiercard.api",
    "tiercard.cli",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tiercard.web.middleware.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tiercard.web.middleware.AuditInterfaceMiddleware",
]

ROOT_URLCONF = "tiercard.urls"
WSGI_APPLICATION = "tiercard.wsgi.application"
ASGI_APPLICATION = "tiercard.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tiercard" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
# SQLite is the embedded default: WAL journal, IMMEDIATE transactions so that writers queue at
# BEGIN instead of failing on lock upgrade, and a busy timeout. PostgreSQL via DATABASE_URL.
SQLITE_PATH = Path(os.environ.get("TIERCARD_SQLITE_PATH", VAR_DIR / "tiercard.sqlite3"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    # ``core.batch`` binds the purchase's statements server-side; psycopg prepares each once it
    # has run five times on a connection (Django turns preparing off unless told). A pooler
    # that hands each transaction another server connection and does not track prepared
    # statements (PgBouncer in transaction mode before 1.21) needs TIERCARD_PG_PREPARE=off.
    # Django's own statements are bound client-side and never prepared either way.
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        5 if env_bool("TIERCARD_PG_PREPARE", True) else None
    )
else:
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                    "PRAGMA cache_size=-65536;"
                    # Checkpoint every ~40 MB of WAL instead of SQLite's default ~4 MB: a
                    # checkpoint (copy + fsync) runs inside whichever commit crosses the mark,
                    # and at the default every fortieth purchase or so paid for one (p99).
                    # Fewer, larger checkpoints also write a hot page once instead of ten times.
                    "PRAGMA wal_autocheckpoint=10000;"
                    "PRAGMA journal_size_limit=67108864;"
                ),
            },
            # A file, not :memory:, so concurrency tests see real locking (WAL, busy timeout);
            # one per process so parallel test runs never share a database.
            "TEST": {
                "NAME": os.environ.get("TIERCARD_SQLITE_TEST_PATH")
                or str(Path(tempfile.gettempdir()) / f"tiercard-test-{os.getpid()}.sqlite3")
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:customer_list"
LOGOUT_REDIRECT_URL = "web:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "tiercard" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
# Business days, "today", birthdays and reporting periods are computed in this zone.
TIERCARD_TIME_ZONE = os.environ.get("TIERCARD_TIME_ZONE", "Asia/Shanghai")
TIERCARD_CURRENCY = os.environ.get("TIERCARD_CURRENCY", "CNY")
TIERCARD_DEFAULT_COUNTRY_CODE = os.environ.get("TIERCARD_DEFAULT_COUNTRY_CODE", "86")
# The dashboard: a customer counts as lapsed after this many days without a purchase; its
# precomputed figures are stale after this many seconds, and a page refreshes them itself
# when the book has at most this many customers (larger books: `tiercard dashboard_refresh`).
TIERCARD_LAPSED_DAYS = env_int("TIERCARD_LAPSED_DAYS", 180)
TIERCARD_DASHBOARD_REFRESH_SECONDS = env_int("TIERCARD_DASHBOARD_REFRESH_SECONDS", 600)
TIERCARD_DASHBOARD_INLINE_CUSTOMERS = env_int("TIERCARD_DASHBOARD_INLINE_CUSTOMERS", 20000)
# Imports: a file larger than this many MiB is refused before it is read (web, API, CLI), with
# a message giving the limit. 100 MiB takes a million purchase rows as CSV (~55 MiB).
TIERCARD_IMPORT_MAX_BYTES = env_int("TIERCARD_IMPORT_MAX_MB", 100) * 2**20

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "tiercard" / "static"]

# --- Email and background tasks ---------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tiercard@localhost")
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Sessions and security --------------------------------------------------------------------
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# API paging: a hard cap so one request cannot pull the whole book.
TIERCARD_API_MAX_PAGE_SIZE = 200
