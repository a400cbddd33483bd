"""Kanalvakt's settings: one module, driven by the environment.

With nothing set, Kanalvakt runs on embedded defaults (SQLite and Celery's filesystem transport, both
in ``var/``). ``DATABASE_URL`` switches to PostgreSQL and ``CELERY_BROKER_URL`` to Redis.
``KANALVAKT_ENV=production`` turns on the production posture: DEBUG off, ``SECRET_KEY`` and
``ALLOWED_HOSTS`` required, secure cookies and HSTS (``manage.py check --deploy`` is clean).
The README lists every variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

from core.env import EnvironmentConfigError, env_bool, env_int, env_list, env_str
from core.secrets import check_keys

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KANALVAKT_VAR_DIR", str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

KANALVAKT_ENV = env_str("KANALVAKT_ENV", "development")
if KANALVAKT_ENV not in {"development", "production"}:
    raise EnvironmentConfigError("KANALVAKT_ENV must be 'development' or 'production'.")
PRODUCTION = KANALVAKT_ENV == "production"

DEBUG = env_bool("DEBUG", default=not PRODUCTION)


def _development_secret_key() -> str:
    # A development machine keeps one random key in var/ so sessions survive restarts.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env_str("SECRET_KEY") if PRODUCTION else env_str("SECRET_KEY", _development_secret_key())


def _development_secrets_key() -> str:
    # The key the platforms' tokens are encrypted with (core/secrets.py), kept in var/ like the secret key.
    path = VAR_DIR / "secrets_key"
    if not path.exists():
        from cryptography.fernet import Fernet

        path.write_text(Fernet.generate_key().decode("ascii"))
        path.chmod(0o600)
    return path.read_text().strip()


# Production has no default: `manage.py check --deploy` reports it missing (core/checks.py).
KANALVAKT_SECRETS_KEY = env_str("KANALVAKT_SECRETS_KEY", "" if PRODUCTION else _development_secrets_key())
if KANALVAKT_SECRETS_KEY and (_secrets_problem := check_keys(KANALVAKT_SECRETS_KEY)):
    raise EnvironmentConfigError(_secrets_problem)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise EnvironmentConfigError("ALLOWED_HOSTS must be set in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "guardian",
    "simple_history",
    "rest_framework",
    "drf_spectacular",
    "axes",
    "core",
    "governance",
    "accounts",
    "moderation",
    "connectors",
    "archive",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session and the user, which read the database: 503 while PostgreSQL is unreachable.
    "core.unavailable.DatabaseUnavailableMiddleware",
    # Outside the session, so that it sees the answer as it leaves: private, no-store when signed in.
    "core.middleware.PrivateCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.SwedishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Deny by default: every view needs a login unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # The person's roles, permissions and headed units in one query (core.principal).
    "core.principal.PrincipalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the messages, so that a sign-out for idleness can say so on the sign-in page.
    "core.middleware.SessionLimitsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    # Last, as django-axes asks: it turns a refused sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.navigation",
                "core.context_processors.banners",  # core.banners: e.g. the active crisis (KAU-CRISIS)
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kanalvakt.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker started by a test sees the test's rows; one per
    # test process, so that two test runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: Kanalvakt's queries are short, and on a large registry the planner's cost
    # estimate crosses jit_above_cost and spends more time compiling than the query takes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- People and permissions -------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out user name before any password is checked (django-axes).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None  # Kanalvakt never grants anything to anonymous visitors.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Language and time ------------------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Stockholm"
USE_TZ = True

# --- Static and uploaded files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise looks here even before collectstatic
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
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
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- E-mail -----------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kanalvakt@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if env_str("EMAIL_HOST", "") or PRODUCTION:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
    EMAIL_PORT = env_int("EMAIL_PORT", 25)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
else:
    # On a development machine every e-mail is a file in var/mail/ to read.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Kanalvakt ---------------------------------------------------------------------------------------
# The address people reach Kanalvakt at: links in e-mails are built on it.
KANALVAKT_BASE_URL = env_str("KANALVAKT_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# The profile guide (kontoprofilguide) as data; another institution points this at its own file.
if env_str("PROFILE_GUIDE_PATH", ""):
    PROFILE_GUIDE_PATH = env_str("PROFILE_GUIDE_PATH")

# --- The connector API (/api/v1/, schema at /api/schema/) -------------------------------------------
# The shared cache holds the API's rate-limit counters. CACHE_URL redis://host:6379/1 (or rediss://)
# shares them across every process and host; file:///path across the processes of one machine;
# unset, a file cache in var/cache. Never the per-process memory cache: each gunicorn worker would
# count on its own and the limit would be multiplied by the number of workers.
_CACHE_URL = env_str("CACHE_URL", "")
if _CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _CACHE_URL,
            "KEY_PREFIX": "kanalvakt",
        }
    }
elif not _CACHE_URL or _CACHE_URL.startswith("file://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": _CACHE_URL.removeprefix("file://") or str(VAR_DIR / "cache"),
        }
    }
else:
    raise EnvironmentConfigError("CACHE_URL must start with redis://, rediss:// or file://.")
API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600/min")
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_LIMIT):
    raise EnvironmentConfigError("API_RATE_LIMIT must be a number of requests per unit, e.g. 600/min.")
REST_FRAMEWORK = {
    # The token first, so that a request without one answers 401 with WWW-Authenticate: Bearer.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "moderation.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: the browsable API would need inline scripts and styles the CSP refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per token, counted in the shared cache (CACHES below), so that the limit holds across every
    # process and host: a guard against a runaway connector.
    "DEFAULT_THROTTLE_RATES": {"connector": API_RATE_LIMIT},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Kanalvakt connector API",
    "DESCRIPTION": "Connectors send the posts, comments and messages of the university's accounts.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Deny by default: the schema needs a sign-in or a valid token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
}

# KAU-DIARY-ACTION: the PDF/A flavour of diary packages, "2b" (default) or "1b".
KANALVAKT_PDFA_FLAVOUR = env_str("KANALVAKT_PDFA_FLAVOUR", "2b")
if KANALVAKT_PDFA_FLAVOUR not in {"2b", "1b"}:
    raise EnvironmentConfigError("KANALVAKT_PDFA_FLAVOUR must be '2b' or '1b'.")

# --- Celery -----------------------------------------------------------------------------------------
# "localhost" only keeps kombu from warning that no host was given; the folders below are the broker.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
KANALVAKT_BROKER_VISIBILITY_TIMEOUT = 2 * 60 * 60  # seconds; see the Redis transport options below
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    _control_dir = VAR_DIR / "celery" / "control"  # broadcast (pidbox) messages; kombu's default is ./control
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "store_processed": False,
        "control_folder": str(_control_dir),
    }
else:
    # Redis hands an unacknowledged message (acks_late) to another worker after this many seconds. It
    # is above every task's hard time limit (the longest: archive.tasks.run_export, an hour) and above
    # archive.exports.STALE_AFTER, so that a task still running is never started twice, and a message
    # left by a worker that died comes back when its work can be taken over.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": KANALVAKT_BROKER_VISIBILITY_TIMEOUT}
# All state is in PostgreSQL (deadlines, alerts, the outbox): the broker carries only wake-ups, and a
# lost or flushed message delays work until beat's next run, never loses it.
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", "") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = TIME_ZONE
# Each task sets its own time limits, acks_late and reject_on_worker_lost, with the reason, in its
# app's tasks.py (tests/core/test_faults.py checks them all); these are the defaults behind them.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A broker that is down is waited for however long it takes: worker and beat come back by themselves.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Every periodic job expires before its next run is sent, so that a backlog of messages (a worker down
# for an hour) runs each job once, not once per missed interval.
NOTIFICATION_DELIVERY_INTERVAL = env_int("NOTIFICATION_DELIVERY_INTERVAL", 60)
DEADLINE_SWEEP_INTERVAL = env_int("DEADLINE_SWEEP_INTERVAL", 120)
HEARTBEAT_INTERVAL = env_int("HEARTBEAT_INTERVAL", 60)
THREAT_REALERT_INTERVAL = env_int("THREAT_REALERT_INTERVAL", 300)
if (
    min(NOTIFICATION_DELIVERY_INTERVAL, DEADLINE_SWEEP_INTERVAL, HEARTBEAT_INTERVAL, THREAT_REALERT_INTERVAL)
    < 1
):
    raise EnvironmentConfigError("The beat intervals are whole seconds, at least 1.")


def _beat(task: str, schedule: float | crontab, *, expires: int) -> dict[str, Any]:
    return {"task": task, "schedule": schedule, "options": {"expires": expires}}


def _every(task: str, seconds: int, *, margin: int) -> dict[str, Any]:
    """A job run every ``seconds``, expiring ``margin`` seconds before the next run is sent."""
    return _beat(task, float(seconds), expires=max(seconds - margin, 1))


# Every periodic job, in one visible place.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": _every("core.tasks.heartbeat", HEARTBEAT_INTERVAL, margin=1),
    # A safety net: notifications are delivered right after their transaction commits; this run
    # picks up any whose wake-up message was lost or whose mail server was down.
    "deliver-notifications": _every(
        "core.tasks.deliver_notifications", NOTIFICATION_DELIVERY_INTERVAL, margin=5
    ),
    # KAU-RESP-DAILY: look 14 days ahead for days when nobody can watch an account.
    "check-coverage": _beat("accounts.tasks.check_coverage", crontab(hour=6, minute=5), expires=3600),
    # KAU-RESP-OWNER: an owner or deputy who has left is reported the same day.
    "flag-deactivated-people": _beat(
        "accounts.tasks.flag_deactivated_people", crontab(minute=20), expires=3000
    ),
    # KAU-FOLLOWUP: remind owners before a follow-up is due.
    "remind-followups": _beat("accounts.tasks.remind_followups", crontab(hour=6, minute=15), expires=3600),
    # KAU-RESPONSE-DEADLINE: remind of items past due, escalate items past the outer limit.
    "sweep-deadlines": _every("moderation.tasks.sweep_deadlines", DEADLINE_SWEEP_INTERVAL, margin=5),
    # KAU-THREAT: a threat nobody acknowledged within its working hours goes to the officer and the lead.
    "realert-threats": _every("moderation.tasks.realert_threats", THREAT_REALERT_INTERVAL, margin=5),
    # E-mail digests (core.digests): hourly on the hour in working hours, daily at the working day's start.
    "send-digests": _beat("core.tasks.send_digests", crontab(minute=1), expires=3000),
    # KAU-STARTPAGE: capture start pages where allowed, remind owners where not, then deputies and head.
    "check-startpages": _beat("archive.tasks.check_startpages", crontab(hour=6, minute=25), expires=3600),
    # Trusted timestamps still missing (the TSA was down): asked for again, each with its own delay.
    "timestamp-ledger": _every("archive.tasks.timestamp_pending", 300, margin=10),
    # Arkivlagen 10 §: list the records past their retention period for the archivist; never disposes.
    "propose-disposal": _beat("archive.tasks.propose_disposal", crontab(hour=4, minute=35), expires=3600),
    "clear-expired-sessions": _beat(
        "core.tasks.clear_expired_sessions", crontab(hour=3, minute=17), expires=3600
    ),
    # The connectors. A safety net behind the wake-up sent after each stored webhook delivery; the
    # reconciliation poll (each connection at most hourly, KAU-RESP-DAILY); and the safety net of the
    # answers and removals sent to the platforms.
    "process-deliveries": _every("connectors.tasks.process_deliveries", 60, margin=5),
    "reconcile-connections": _every("connectors.tasks.reconcile_due", 5 * 60, margin=30),
    "sweep-outgoing": _every("connectors.tasks.sweep_outgoing", 5 * 60, margin=30),
    # The platforms that push nothing (YouTube, LinkedIn, TikTok, Bluesky, Mastodon): each connection
    # is polled on its platform's interval (CONNECTOR_POLL_SECONDS); this run claims those due.
    "poll-connections": _every("connectors.tasks.poll_due", 60, margin=5),
    # KAU-FOLLOWUP: the platforms' own numbers (followers, running totals), read once a day at dawn.
    "record-figures": _beat("connectors.tasks.record_figures", crontab(hour=5, minute=40), expires=3600),
}

# --- Security ---------------------------------------------------------------------------------------
# Sessions live in the database. core.middleware.SessionLimitsMiddleware ends a sign-in after
# SESSION_IDLE_TIMEOUT seconds without a request (30 minutes) and SESSION_COOKIE_AGE seconds after the
# sign-in itself (12 hours), whatever the activity; core.sessions indexes every session by person, so
# that deactivating a person ends all their sessions at once.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 60 * 60)
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
if SESSION_IDLE_TIMEOUT <= 0 or SESSION_COOKIE_AGE <= 0:
    raise EnvironmentConfigError("SESSION_IDLE_TIMEOUT and SESSION_COOKIE_AGE must be positive.")
SESSION_COOKIE_HTTPONLY = True
# Lax, not Strict: a Strict cookie is not sent on the top-level redirect back from a single sign-on
# provider, nor on a link in a notification e-mail, and either would look like a sign-out.
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Browser features Kanalvakt never uses, refused for every page (core.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), usb=()"
)
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure, for this host only
    # and for the whole site: a sibling subdomain cannot plant or overwrite it.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    if env_bool("BEHIND_TLS_PROXY", default=True):
        # The reverse proxy in front of gunicorn terminates TLS and says so in this header.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Sign-in lockout (django-axes). After AXES_FAILURE_LIMIT failed sign-ins the same user name from the
# same address is refused for AXES_COOLOFF_TIME; every failure and lockout is in the database (admin:
# "Access attempts") and in the log (logger "axes"). Locked per user name *and* address: one address
# for a whole campus behind a proxy or NAT never locks out everyone, and a stranger guessing at a
# colleague's name locks out only their own address. Behind a proxy that does not pass the client's
# address, the address is the proxy's and the lock is in effect per user name, which is still not
# per institution. Distributed guessing is left to the password rules (AUTH_PASSWORD_VALIDATORS).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A failure during the lockout does not restart it, so the time the lockout page gives holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.sessions.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.sessions.client_ip"
# How many reverse proxies in front of gunicorn append to X-Forwarded-For; 0 reads REMOTE_ADDR only.
# Set it only when every proxy appends, or a client could choose its own address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_HTTP_RESPONSE_CODE = 429

# No CDN and no outside calls: everything the browser loads comes from Kanalvakt itself. No inline
# script, style or event handler anywhere (tests/core/test_security.py reads every template).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
        **({"upgrade-insecure-requests": True} if PRODUCTION else {}),
    }
}

# --- Logging ----------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Single sign-on (SAML 2.0 through the university's identity provider, e.g. in SWAMID) -----------
# Off unless KANALVAKT_SSO=saml. With it on, the sign-in page leads with the university account and
# a password signs in only people marked break_glass (core/sso.py says why).
KANALVAKT_SSO = env_str("KANALVAKT_SSO", "")
if KANALVAKT_SSO not in {"", "saml"}:
    raise EnvironmentConfigError("KANALVAKT_SSO must be empty (off) or 'saml'.")
# The one identity provider whose responses are accepted, even when the metadata is a federation's.
SAML_IDP_ENTITY_ID = env_str("SAML_IDP_ENTITY_ID", "")
# Its metadata: a local file, or a URL whose signature is checked with SAML_IDP_METADATA_CERT_FILE.
SAML_IDP_METADATA_FILE = env_str("SAML_IDP_METADATA_FILE", "")
SAML_IDP_METADATA_URL = env_str("SAML_IDP_METADATA_URL", "")
SAML_IDP_METADATA_CERT_FILE = env_str("SAML_IDP_METADATA_CERT_FILE", "")
SAML_METADATA_CACHE_SECONDS = env_int("SAML_METADATA_CACHE_SECONDS", 3600)
# Kanalvakt as a service provider: its entity ID and the key pair it signs and decrypts with.
SAML_SP_ENTITY_ID = env_str("SAML_SP_ENTITY_ID", f"{KANALVAKT_BASE_URL}/saml2/metadata/")
SAML_SP_KEY_FILE = env_str("SAML_SP_KEY_FILE", "")
SAML_SP_CERT_FILE = env_str("SAML_SP_CERT_FILE", "")
SAML_XMLSEC_BINARY = env_str("SAML_XMLSEC_BINARY", "")  # empty: xmlsec1 on the PATH
SAML_ACCEPTED_TIME_DIFF = env_int("SAML_ACCEPTED_TIME_DIFF", 60)  # seconds of clock skew allowed
# Which SAML attribute (friendly name) fills which field; the person is matched on "uid", then "email".
SAML_ATTRIBUTES = {
    "uid": env_str("SAML_ATTRIBUTE_UID", "eduPersonPrincipalName"),
    "email": env_str("SAML_ATTRIBUTE_EMAIL", "mail"),
    "first_name": env_str("SAML_ATTRIBUTE_GIVEN_NAME", "givenName"),
    "last_name": env_str("SAML_ATTRIBUTE_SURNAME", "sn"),
}
# Deliberate provisioning: an unknown person is refused unless this lets them in, without any role.
KANALVAKT_SSO_CREATE_USERS = env_bool("KANALVAKT_SSO_CREATE_USERS", default=False)
# djangosaml2: the AuthnRequest goes by redirect (no inline script for the CSP to refuse), and the
# CSP is left as it is.
SAML_DEFAULT_BINDING = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
SAML_CSP_HANDLER = ""
SAML_SESSION_COOKIE_NAME = "kanalvakt_saml"
if KANALVAKT_SSO == "saml":
    if not SAML_IDP_ENTITY_ID:
        raise EnvironmentConfigError("KANALVAKT_SSO=saml needs SAML_IDP_ENTITY_ID.")
    if not (SAML_IDP_METADATA_FILE or SAML_IDP_METADATA_URL):
        raise EnvironmentConfigError(
            "KANALVAKT_SSO=saml needs SAML_IDP_METADATA_FILE or SAML_IDP_METADATA_URL."
        )
    if SAML_IDP_METADATA_URL and not SAML_IDP_METADATA_CERT_FILE:
        raise EnvironmentConfigError("SAML_IDP_METADATA_URL needs SAML_IDP_METADATA_CERT_FILE to verify it.")
    if not (SAML_SP_KEY_FILE and SAML_SP_CERT_FILE):
        raise EnvironmentConfigError("KANALVAKT_SSO=saml needs SAML_SP_KEY_FILE and SAML_SP_CERT_FILE.")
    # The SAML session has its own cookie (SameSite=None), because the identity provider's answer
    # is a cross-site POST that the Lax session cookie does not come with.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware") + 1,
        "djangosaml2.middleware.SamlSessionMiddleware",
    )
    # Passwords through the break-glass backend, in ModelBackend's place; then the SAML backend.
    _password_backend = AUTHENTICATION_BACKENDS.index("django.contrib.auth.backends.ModelBackend")
    AUTHENTICATION_BACKENDS[_password_backend : _password_backend + 1] = [
        "core.sso.BreakGlassModelBackend",
        "core.sso.SamlBackend",
    ]

# --- Outbound requests (core/outbound.py) ----------------------------------------------------------
# Kanalvakt fetches only public addresses on ports 80 and 443. For tests and local development only,
# these networks (e.g. 127.0.0.1/32, a page the test serves) are let through too, on any port. Empty
# by default; refused under production settings, where it would let a capture reach the inside.
KANALVAKT_OUTBOUND_ALLOW_NETWORKS = env_list("KANALVAKT_OUTBOUND_ALLOW_NETWORKS", [])
if PRODUCTION and KANALVAKT_OUTBOUND_ALLOW_NETWORKS:
    raise EnvironmentConfigError("KANALVAKT_OUTBOUND_ALLOW_NETWORKS must be empty in production.")
for _network in KANALVAKT_OUTBOUND_ALLOW_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError as _error:
        raise EnvironmentConfigError(
            f"KANALVAKT_OUTBOUND_ALLOW_NETWORKS holds {_network!r}, not a network such as 127.0.0.1/32."
        ) from _error
# Captures a person may ask for, and captures of one account by everyone, counted in the shared cache
# (CACHES) like the API's rate. The daily start-page job is not counted.
CAPTURE_RATE_PER_PERSON = env_str("CAPTURE_RATE_PER_PERSON", "5/min")
CAPTURE_RATE_PER_ACCOUNT = env_str("CAPTURE_RATE_PER_ACCOUNT", "30/hour")
for _name in ("CAPTURE_RATE_PER_PERSON", "CAPTURE_RATE_PER_ACCOUNT"):
    if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", globals()[_name]):
        raise EnvironmentConfigError(f"{_name} must be a number of captures per unit, e.g. 5/min.")

# --- Trusted timestamps (archive/timestamps.py) ------------------------------------------------------
# RFC 3161: with a timestamp authority (TSA) configured, every file entering the fixity ledger gets a
# token signed by the TSA over its SHA-256, asked for after the entry commits and retried with a
# growing delay while the TSA is down. TSA_URL is its address (http or https; an outbound request like
# any other, so a public address on port 80 or 443); TSA_CA_CERT a PEM file of the certificate(s) its
# tokens are verified against (its root CA, or its own certificate when self-signed). Requests need
# both; with neither, nothing is asked for or checked. TSA_GRACE_HOURS: how long an entry may await
# its token before verify_archive reports it.
TSA_URL = env_str("TSA_URL", "")
TSA_CA_CERT = env_str("TSA_CA_CERT", "")
TSA_TIMEOUT = env_int("TSA_TIMEOUT", 10)
TSA_GRACE_HOURS = env_int("TSA_GRACE_HOURS", 24)
if TSA_TIMEOUT < 1 or TSA_GRACE_HOURS < 1:
    raise EnvironmentConfigError("TSA_TIMEOUT and TSA_GRACE_HOURS are whole numbers, at least 1.")

# --- The platform connectors (connectors/): config/platform_settings.py -----------------------------
from config.platform_settings import (  # noqa: E402, F401 (settings, read by name)
    BLUESKY_DEFAULT_SERVER,
    CONNECTOR_POLL_SECONDS,
    CONNECTOR_RETRY_DELAY,
    CONNECTOR_TIMEOUT,
    LINKEDIN_API_URL,
    LINKEDIN_API_VERSION,
    META_APP_ID,
    META_APP_SECRET,
    META_GRAPH_RETRY_DELAY,
    META_GRAPH_TIMEOUT,
    META_GRAPH_URL,
    META_LOGIN_CONFIG_ID,
    META_LOGIN_URL,
    META_VERIFY_TOKEN,
    TIKTOK_API_URL,
    TIKTOK_APP_ID,
    TIKTOK_APP_SECRET,
    YOUTUBE_API_KEY,
    YOUTUBE_API_URL,
    YOUTUBE_CLIENT_ID,
    YOUTUBE_CLIENT_SECRET,
    YOUTUBE_DAILY_QUOTA,
    YOUTUBE_TOKEN_URL,
)
