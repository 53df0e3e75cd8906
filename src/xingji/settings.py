"""Django settings of the xingji platform, driven by the environment.

One module serves both deployments:

* **embedded** (the default, ``xingji demo``): no environment at all; SQLite
  file ``xingji.sqlite3`` in the data directory, a secret key generated once
  and kept in that directory;
* **production** (``xingji serve``): ``DATABASE_URL`` (PostgreSQL),
  ``SECRET_KEY``, ``ALLOWED_HOSTS`` from the environment, ``DEBUG`` off.

Environment variables
---------------------
``XINGJI_DATA_DIR``
    data directory (default: the platform's user data directory, e.g.
    ``~/.local/share/xingji``): SQLite file, attachments, collected static
    files, the generated secret key.
``DATABASE_URL``
    e.g. ``postgres://user:password@host:5432/xingji``; default the SQLite file.
``SECRET_KEY``
    required when ``DATABASE_URL`` is set and ``DEBUG`` is off.
``DEBUG``
    ``1``/``true``/``yes``/``on`` to enable; default off.
``ALLOWED_HOSTS``
    comma-separated, default ``127.0.0.1,localhost``.
``XINGJI_HTTPS``
    default on when ``DEBUG`` is off: secure cookies, HTTPS redirect, HSTS.
    Set ``0`` only to serve plain HTTP on a trusted machine (the demo on
    127.0.0.1).
``XINGJI_PROXY_SSL_HEADER``
    ``1`` when a reverse proxy terminates TLS and sets ``X-Forwarded-Proto``.
``XINGJI_LOGIN_FAILURE_LIMIT`` (5, per account and client address),
``XINGJI_IP_FAILURE_LIMIT`` (50, per client address), ``XINGJI_LOCKOUT_MINUTES`` (30),
``XINGJI_IDLE_TIMEOUT_MINUTES`` (30), ``XINGJI_PASSWORD_MIN_LENGTH`` (8),
``XINGJI_PASSWORD_MIN_CLASSES`` (3), ``XINGJI_HSTS_SECONDS`` (31536000)
    the security baseline (等保 2.0 practice), all configurable.
``XINGJI_API_RATE_PER_MINUTE`` (120), ``XINGJI_API_PAGE_SIZE`` (100), ``XINGJI_API_MAX_PAGE_SIZE`` (500)
    the integration API at ``/api/v1/``: requests per token and minute, items per page.
``XINGJI_LOG_LEVEL`` (INFO), ``XINGJI_LOG_DIR`` (unset: console only),
``XINGJI_LOG_RETENTION_DAYS`` (180)
    with ``XINGJI_LOG_DIR`` set, logs also go to a file rotated daily and kept
    for the retention period (等保 asks for at least 180 days).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
import platformdirs
from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE_WORDS:
        return True
    if value in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} should be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} should be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("XINGJI_DATA_DIR") or platformdirs.user_data_dir("xingji")).expanduser().resolve()

DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

# --- database ----------------------------------------------------------------

EMBEDDED = not os.environ.get("DATABASE_URL")
if EMBEDDED:
    # SQLite needs its directory to exist before the first connection; it
    # holds personal data, so only its owner may enter it.
    DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'xingji.sqlite3'}",
        conn_max_age=env_int("XINGJI_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes the write lock when a transaction starts, so that two
        # concurrent writers queue instead of one failing half-way ("database
        # is locked" on upgrade from a read lock).
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # WAL lets readers proceed while one transaction writes.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- secret key ----------------------------------------------------------------


def embedded_secret_key(data_dir: Path) -> str:
    """Read the embedded install's key, creating it (mode 0600) on first use.

    The key is written to a private temporary file and then linked into
    place, so that processes starting together all end up with the one key.
    """
    key_file = data_dir / "secret_key"
    if not key_file.exists():
        draft = data_dir / f".secret_key.{os.getpid()}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, key_file)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return key_file.read_text(encoding="ascii").strip()


SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "django-insecure-development-only-never-use-this-key-in-production-0123456789"
    elif EMBEDDED:
        # A single-machine install has no operator to set a key: one is
        # generated once and kept beside the database it protects.
        SECRET_KEY = embedded_secret_key(DATA_DIR)
    else:
        # Several app servers behind a load balancer must share one key, so a
        # per-machine generated key would silently break their sessions.
        raise ImproperlyConfigured("SECRET_KEY must be set when DATABASE_URL is set and DEBUG is off")

# --- applications --------------------------------------------------------------

INSTALLED_APPS = [
    "xingji.apps.XingjiAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # django-axes and django-otp's TOTP devices, named in Chinese for the back office.
    "xingji.accounts.vendor_apps.AxesConfig",
    "django_otp",
    "xingji.accounts.vendor_apps.TOTPConfig",
    "treebeard",
    # The task queue (django-tasks, Django 6's django.tasks backported) and its database backend.
    "django_tasks",
    "xingji.ops.vendor_apps.TasksDatabaseConfig",
    "xingji.orgs",
    "xingji.accounts",
    "xingji.audit",
    "xingji.records",
    "xingji.campaigns",
    "xingji.surveys",
    "xingji.ledger",
    "xingji.branchwork",
    "xingji.supervision",
    "xingji.reports",
    "xingji.dues",
    # The integration API; django-ninja listed so that its docs page uses its vendored Swagger UI, not a CDN.
    "ninja",
    "xingji.api",
    "xingji.web",
    "xingji.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # The ballot's two pages skip what follows except the host check and X-Frame-Options (no session, user,
    # message or CSRF token there): what a meeting voting at once waits for.
    "xingji.surveys.middleware.BallotMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires, so that it sees the response of the login view.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xingji.urls"
WSGI_APPLICATION = "xingji.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "xingji.web.context_processors.navigation",
                "xingji.web.context_processors.security",
            ],
        },
    },
]

# --- accounts and the security baseline -------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

XINGJI_PASSWORD_MIN_LENGTH = env_int("XINGJI_PASSWORD_MIN_LENGTH", 8)
XINGJI_PASSWORD_MIN_CLASSES = env_int("XINGJI_PASSWORD_MIN_CLASSES", 3)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": XINGJI_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Reads XINGJI_PASSWORD_MIN_CLASSES when it validates.
    {"NAME": "xingji.accounts.validators.CharacterClassValidator"},
]

AUTHENTICATION_BACKENDS = [
    # First, so that a locked-out client is refused before any password check.
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, whose user of each request comes with its node's path (see the module).
    "xingji.accounts.backends.ScopedModelBackend",
]

XINGJI_LOGIN_FAILURE_LIMIT = env_int("XINGJI_LOGIN_FAILURE_LIMIT", 5)
XINGJI_LOCKOUT_MINUTES = env_int("XINGJI_LOCKOUT_MINUTES", 30)
# Failed logins from one client address, whatever the accounts, before that address is locked.
XINGJI_IP_FAILURE_LIMIT = env_int("XINGJI_IP_FAILURE_LIMIT", 50)
AXES_FAILURE_LIMIT = XINGJI_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=XINGJI_LOCKOUT_MINUTES)
# An account is locked after the limit on the client address that failed
# (account lockout, 等保), not on every address: a unit behind one NAT address
# is not locked out by one colleague's typing. A client address is locked
# after its own, higher ceiling whatever the accounts it tries (guessing
# across accounts): ``xingji.accounts.lockout.LockoutHandler``.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "xingji.accounts.lockout.LockoutHandler"
# A try during the lockout does not restart it, so the page can say how long is left.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
# The client address behind a trusted proxy (XINGJI_CLIENT_IP_HEADER), as for public objections.
AXES_CLIENT_IP_CALLABLE = "xingji.accounts.lockout.client_address"
# The lockout page says, in Chinese, why and how many minutes are left (HTTP 429).
AXES_LOCKOUT_CALLABLE = "xingji.accounts.lockout.lockout_response"
# No English start-up line ("AXES: BEGIN …") before every command's output.
AXES_VERBOSE = False

# Idle logout: the session expires after this much inactivity, because every
# request saves the session and so pushes the expiry forward.
XINGJI_IDLE_TIMEOUT_MINUTES = env_int("XINGJI_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = XINGJI_IDLE_TIMEOUT_MINUTES * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

# Roles whose users must pass a TOTP second factor (django-otp) even before
# enrolling a device; a user with a confirmed device always must. Empty by
# default: the second factor is optional, as the design says. Role codes,
# comma-separated (e.g. committee_office); an unknown code stops the start
# (``xingji.accounts.checks``).
XINGJI_OTP_REQUIRED_ROLES = env_list("XINGJI_OTP_REQUIRED_ROLES", [])
OTP_TOTP_ISSUER = "星级创建管理平台"

# --- HTTPS, cookies, headers ------------------------------------------------------

XINGJI_HTTPS = env_bool("XINGJI_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = XINGJI_HTTPS
SESSION_COOKIE_SECURE = XINGJI_HTTPS
CSRF_COOKIE_SECURE = XINGJI_HTTPS
SECURE_HSTS_SECONDS = env_int("XINGJI_HSTS_SECONDS", 31536000) if XINGJI_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("XINGJI_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("XINGJI_HSTS_PRELOAD", False)
if env_bool("XINGJI_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SILENCED_SYSTEM_CHECKS = [
    # HSTS preload is a commitment of the whole domain that its owner makes
    # (XINGJI_HSTS_PRELOAD=1); intranet host names are usually not eligible.
    "security.W021",
]

# --- language, time ---------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static files and attachments -------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
if EMBEDDED:
    # Before the first collectstatic, so that whitenoise finds the directory.
    STATIC_ROOT.mkdir(mode=0o755, exist_ok=True)
# Attachments (evidence records) live outside any web root: no MEDIA_URL is
# routed, they are served only through views that check access.
ATTACHMENTS_ROOT = DATA_DIR / "attachments"
MEDIA_ROOT = ATTACHMENTS_ROOT
# The task queue (全面评定 runs, …): rows in this database, taken by `xingji worker`
# (any number, on any machine: SELECT … FOR UPDATE SKIP LOCKED); `xingji demo` runs
# one in-process. No broker, nothing else to install. Progress lives in the database,
# so any app server shows it and a run whose worker died is resumed by another.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
XINGJI_RATING_RUN_CHUNK_SIZE = env_int("XINGJI_RATING_RUN_CHUNK_SIZE", 500)
XINGJI_RATING_RUN_STALE_MINUTES = env_int("XINGJI_RATING_RUN_STALE_MINUTES", 15)
# Objections to a public notice: a global cap per notice and hour against flooding.
XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR = env_int("XINGJI_OBJECTIONS_PER_NOTICE_PER_HOUR", 100)
# A cache every app server shares, kept in the database (no extra server; created by a migration) or in
# Redis when REDIS_URL is set: throttling counters must not be per process. See ``shared_cache`` below.
# Public objections: at most this many per client address and hour (and see the per-notice cap below).
XINGJI_OBJECTIONS_PER_CLIENT_PER_HOUR = env_int("XINGJI_OBJECTIONS_PER_CLIENT_PER_HOUR", 5)
# Behind a reverse proxy, the request header holding the client address (e.g. HTTP_X_REAL_IP).
XINGJI_CLIENT_IP_HEADER = os.environ.get("XINGJI_CLIENT_IP_HEADER", "")
# Evidence attachments: checked by type (extension and content) and by size.
XINGJI_ATTACHMENT_MAX_BYTES = env_int("XINGJI_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
# Focus management: an organization of one star or none with no re-check for this many days is due one.
XINGJI_RECHECK_INTERVAL_DAYS = env_int("XINGJI_RECHECK_INTERVAL_DAYS", 90)
# Printed PDFs (plaques, survey slips): a TrueType Chinese font; empty = WenQuanYi Zen Hei (fonts-wqy-zenhei).
XINGJI_PDF_FONT = os.environ.get("XINGJI_PDF_FONT", "")
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": ATTACHMENTS_ROOT, "base_url": None},
    },
    "staticfiles": {
        # Hashed, compressed names after collectstatic; before it (a fresh
        # demo), plain names served through the finders.
        "BACKEND": "xingji.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = True


def object_storage(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """The attachments' storage in S3-compatible object storage (MinIO on an intranet), or None for the data folder.

    Set ``XINGJI_S3_BUCKET`` (and usually ``XINGJI_S3_ENDPOINT_URL``, e.g. ``http://minio.intranet:9000``), so that
    every app server reads and writes the same attachments (django-storages' S3 backend). Credentials:
    ``XINGJI_S3_ACCESS_KEY`` / ``XINGJI_S3_SECRET_KEY``, else boto3's own (``AWS_ACCESS_KEY_ID``, …).
    Attachments are never public: no ACL, and they are served only through the views that check access.
    """
    bucket = environ.get("XINGJI_S3_BUCKET", "").strip()
    if not bucket:
        return None
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": environ.get("XINGJI_S3_PREFIX", "attachments").strip("/"),
        "default_acl": None,
        "file_overwrite": False,
        "querystring_auth": True,
        "signature_version": "s3v4",
        "addressing_style": environ.get("XINGJI_S3_ADDRESSING_STYLE", "path"),
    }
    optional = {
        "endpoint_url": "XINGJI_S3_ENDPOINT_URL",
        "region_name": "XINGJI_S3_REGION",
        "access_key": "XINGJI_S3_ACCESS_KEY",
        "secret_key": "XINGJI_S3_SECRET_KEY",
    }
    options.update({option: environ[name] for option, name in optional.items() if environ.get(name)})
    return {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options}


def shared_cache(environ: Mapping[str, str]) -> dict[str, Any]:
    """The cache every app server shares: Redis when ``REDIS_URL`` is set (Django's own backend), else the database."""
    if environ.get("REDIS_URL"):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": environ["REDIS_URL"]}
    return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "xingji_cache"}


STORAGES["default"] = object_storage(os.environ) or STORAGES["default"]
CACHES = {"default": shared_cache(os.environ)}
# Sessions live in the database (Django's default engine), so any app server takes any request.
SESSION_ENGINE = "django.contrib.sessions.backends.db"

# --- integration API (/api/v1/) -----------------------------------------------------

# Requests per token and minute (HTTP 429 with Retry-After beyond); the counters live in the shared cache.
XINGJI_API_RATE_PER_MINUTE = env_int("XINGJI_API_RATE_PER_MINUTE", 120)
# Items per page of a list (``?limit=`` may ask fewer, or more up to the maximum).
XINGJI_API_PAGE_SIZE = env_int("XINGJI_API_PAGE_SIZE", 100)
XINGJI_API_MAX_PAGE_SIZE = env_int("XINGJI_API_MAX_PAGE_SIZE", 500)

# --- e-mail, cache ----------------------------------------------------------------

# Mail (the daily digest of what is due, `xingji notify_due`): without EMAIL_HOST nothing is sent.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
# The site's address for links in mail and on the printed survey slips, e.g. https://xingji.example.gov.cn
# (empty: the slips use the address the page was opened at; `xingji demo --lan` sets the LAN address).
XINGJI_BASE_URL = os.environ.get("XINGJI_BASE_URL", "")
# Navigation counts of what is due are cached per user for this many seconds (0: computed on every page).
XINGJI_DUE_COUNT_SECONDS = env_int("XINGJI_DUE_COUNT_SECONDS", 60)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "xingji@localhost")

# --- logging ----------------------------------------------------------------------

XINGJI_LOG_LEVEL = os.environ.get("XINGJI_LOG_LEVEL", "INFO").upper()
XINGJI_LOG_DIR = os.environ.get("XINGJI_LOG_DIR", "")
XINGJI_LOG_RETENTION_DAYS = env_int("XINGJI_LOG_RETENTION_DAYS", 180)
LOGGING: dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "{asctime} {levelname} {name} {message}", "style": "{"},
    },
    "filters": {
        # A refused request (403, 404) is one line, not a traceback.
        "one_line_refusals": {"()": "xingji.common.log_filters.OneLineRefusals"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": XINGJI_LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": XINGJI_LOG_LEVEL, "propagate": False},
        # No handler of its own: its lines reach the console (and file) through "django".
        "django.request": {"filters": ["one_line_refusals"], "propagate": True},
        "axes": {"handlers": ["console"], "level": XINGJI_LOG_LEVEL, "propagate": False},
    },
}
if XINGJI_LOG_DIR:
    Path(XINGJI_LOG_DIR).mkdir(parents=True, exist_ok=True)
    LOGGING["handlers"]["file"] = {
        "class": "logging.handlers.TimedRotatingFileHandler",
        "filename": str(Path(XINGJI_LOG_DIR) / "xingji.log"),
        "when": "midnight",
        "backupCount": XINGJI_LOG_RETENTION_DAYS,
        "encoding": "utf-8",
        "formatter": "plain",
    }
    for logger in (LOGGING["root"], *LOGGING["loggers"].values()):
        if "handlers" in logger:
            logger["handlers"].append("file")
