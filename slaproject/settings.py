"""Django settings, all read from the environment (django-environ).

Every variable is documented in ``.env.example``. With nothing set the project runs on an embedded
default: SQLite in ``var/`` (WAL mode, busy timeout) and kombu's ``filesystem://`` broker in
``var/broker/``, so web, worker and beat work on one machine with no server installed.
"""

import datetime
import re
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (or .env); only DEBUG=true runs "
            "without one."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-used-with-debug-off"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "csp",
    "ninja",  # the JSON API (slaproject.api_site); its Swagger UI files are served as static
    "axes",  # before settings_app, whose admin replaces axes' own
    "settings_app",
    "tickets",
    "tickets.outbound",
    "tickets.inbound",
    "tickets.webhooks",
    "tickets.api_auth",  # the API's tokens and idempotency keys (label "apiauth")
    "slaproject.health",
]

MIDDLEWARE = [
    # First: proxy headers (client address, HTTPS) count only from TRUSTED_PROXIES.
    "slaproject.client_address.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the browser's (Accept-Language) or the one picked on a signed-out page;
    # ViewerTimeZoneMiddleware below puts an agent's preference over it.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "slaproject.headers.SecurityHeadersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Every answer under /api/ is JSON, also Django's 404 and 405 pages.
    "slaproject.api.ApiJsonErrorsMiddleware",
    "tickets.middleware.ViewerTimeZoneMiddleware",
    # Last (as axes asks): turns a refused sign-in into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "slaproject.urls"
WSGI_APPLICATION = "slaproject.wsgi.application"

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
                "slaproject.context_processors.viewer_zone",
            ],
            # The "date" filter in each language's way: "5 dec" in Swedish (slaproject/dates.py).
            "builtins": ["slaproject.template_dates"],
        },
    },
    {
        # The queue page and the hot fragments rendered once per row (slaproject/jinja2.py).
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "slaproject.jinja2.environment",
            "autoescape": True,
            # A page rendered with its request has what the Django templates' pages have.
            "context_processors": [
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "slaproject.context_processors.viewer_zone",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat write at once: WAL lets readers go on during a write, the busy
    # timeout makes a writer wait instead of failing with "database is locked", and IMMEDIATE
    # transactions take the write lock up front so two writers never deadlock on an upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The sign-in lockout's backend comes first: it refuses a locked (username, address) pair and
# authenticates nobody itself; ModelBackend checks the password.
AUTHENTICATION_BACKENDS = [
    "slaproject.sign_in.SignInBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Django's database sessions, their read on every request written once (slaproject/sessions.py).
SESSION_ENGINE = "slaproject.sessions"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Time and language ----------------------------------------------------------------------
# English (the default) and Swedish, the language of the source article (SPEC §9). The catalogues
# are locale/<lang>/LC_MESSAGES/django.po (Python and templates) and djangojs.po (static/js), with
# their compiled .mo files committed beside them (docs/TRANSLATING.md).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("sv", "Svenska")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True  # every moment is stored in UTC

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_STORAGE",
            default="django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security (production values come from the environment) ---------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
if env.bool("BEHIND_TLS_PROXY", default=False):
    # Believed only from TRUSTED_PROXIES (slaproject.client_address.TrustedProxyMiddleware).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4's format): scripts, styles, fonts and images from the app's
# own origin only. No inline <script>, no style="" attributes, no eval: JavaScript lives in
# static/js/, CSS in static/css/ (htmx's injected indicator style is switched off in base.html).
# "data:" images: Bootstrap draws its form controls' arrows and checks as data: SVGs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Browser features no page of the help desk uses, switched off for every page.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
# Monitors probe /healthz over the internal network, without TLS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- Email (console by default; EMAIL_URL=smtp+tls://user:pass@host:587 for SMTP) ------------
# EMAIL_URL=eml:// writes each email as an .eml file in var/mail/ (eml:///path: elsewhere); it is
# what `./dev run` uses.
_email_url = env.str("EMAIL_URL", default="consolemail://")
if _email_url.startswith("eml://"):
    EMAIL_BACKEND = "tickets.outbound.backends.EmlFileBackend"
    EMAIL_FILE_PATH = _email_url.removeprefix("eml://") or str(VAR_DIR / "mail")
else:
    EMAIL_CONFIG = env.email_url_config(_email_url)
    vars().update(EMAIL_CONFIG)
# Seconds one step of an SMTP conversation may take (connect, each command): a mail server that
# hangs fails that email's attempt, which is retried later, and holds nothing else up.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="helpdesk@localhost")
# Absolute address of the app, for links in emails.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
BROKER_DIR = Path(env.str("BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's file transport: one folder for in and out, so producer and worker meet there.
    for _sub in ("queue", "processed", "control"):
        (BROKER_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or REDIS_URL or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# The ticket page polls for new messages, changes, clock states and who else is on the ticket
# this often (seconds); someone counts as viewing a ticket for TICKET_PRESENCE_SECONDS after their
# page last polled (default: three polls).
TICKET_LIVE_SECONDS = env.float("TICKET_LIVE_SECONDS", default=10.0)
TICKET_PRESENCE_SECONDS = env.float("TICKET_PRESENCE_SECONDS", default=3 * TICKET_LIVE_SECONDS)

# How often Celery beat sweeps the SLA clocks (seconds).
SLA_SWEEP_SECONDS = env.float("SLA_SWEEP_SECONDS", default=60.0)
# Up to this many open tickets the dry run of a settings change is worked out in the request;
# above it in the background (Celery), with progress (docs/DECISIONS.md, "The dry run").
SLA_PREVIEW_INLINE_MAX_TICKETS = env.int("SLA_PREVIEW_INLINE_MAX_TICKETS", default=100_000)
# After a recompute run, the ticket and clock indexes are rebuilt (PostgreSQL, REINDEX
# CONCURRENTLY) for each table whose rows the run rewrote to at least this share (0 to 1; above 1:
# never). Half: below it the index's free room mostly takes the new entries (docs/SCALING.md).
SLA_REINDEX_MIN_SHARE = env.float("SLA_REINDEX_MIN_SHARE", default=0.5)
# How often a worker proves it runs (a beat-scheduled task that stamps a row; /healthz and the
# recompute progress read it). An unclaimed heartbeat expires rather than piling up.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=15.0)
CELERY_BEAT_SCHEDULE = {
    "sla-sweep": {"task": "tickets.tasks.sla_sweep_task", "schedule": SLA_SWEEP_SECONDS},
    "worker-heartbeat": {
        "task": "health.tasks.worker_heartbeat",
        "schedule": WORKER_HEARTBEAT_SECONDS,
        "options": {"expires": WORKER_HEARTBEAT_SECONDS},
    },
}
# /healthz: a beat sweep older than this is stale (default: 3 sweep intervals, at least 180 s),
# and a worker heartbeat older than this (default 60 s).
HEALTH_BEAT_SWEEP_STALE_SECONDS = env.float("HEALTH_BEAT_SWEEP_STALE_SECONDS", default=None)
HEALTH_WORKER_STALE_SECONDS = env.float("HEALTH_WORKER_STALE_SECONDS", default=None)

# --- Inbound email (SPEC §8 "In") ------------------------------------------------------------
# The largest message taken in, attachments included (bytes); a larger one is refused with a
# clear answer and kept, up to this size, in the admin's rejected mail.
INBOUND_EMAIL_MAX_BYTES = env.int("INBOUND_EMAIL_MAX_BYTES", default=25 * 1024 * 1024)
# A secret for POST /api/inbound-email/?key=… (mail services that cannot send a token header);
# blank: only an API token is accepted.
INBOUND_EMAIL_KEY = env.str("INBOUND_EMAIL_KEY", default="")
# The mailbox Celery beat reads: imaps://user:password@host/INBOX (blank: no polling).
IMAP_URL = env.str("IMAP_URL", default="")
# Where a taken message is moved (created when missing); blank: flag it seen instead and read
# only unseen mail.
IMAP_DONE_FOLDER = env.str("IMAP_DONE_FOLDER", default="Processed")
IMAP_POLL_SECONDS = env.float("IMAP_POLL_SECONDS", default=60.0)
IMAP_TIMEOUT = env.float("IMAP_TIMEOUT", default=30.0)
if IMAP_URL:
    CELERY_BEAT_SCHEDULE["imap-poll"] = {
        "task": "inbound.tasks.imap_poll_task",
        "schedule": IMAP_POLL_SECONDS,
    }

# --- Webhooks (SPEC §7) ---------------------------------------------------------------------
# Seconds each step of a delivery may take (connect, TLS, send, each read); a receiver that hangs
# fails that attempt, which is retried with backoff for 24 hours.
WEBHOOKS_TIMEOUT = env.float("WEBHOOKS_TIMEOUT", default=10.0)
# true: endpoints may be private, loopback or link-local addresses and plain http:// (tests, a
# receiver on the same machine). Off in production: an admin could otherwise reach internal
# services through the help desk.
WEBHOOKS_ALLOW_PRIVATE = env.bool("WEBHOOKS_ALLOW_PRIVATE", default=False)

# --- Cache (rate-limit counters) -----------------------------------------------------------
# With REDIS_URL every web process and machine shares one cache (atomic increments), as the rate
# limits need; without it, each process counts in its own memory (one machine, embedded default).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env.str("CACHE_URL", default="") or REDIS_URL,
            "KEY_PREFIX": "helpdesk",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Brute force and spam (slaproject/sign_in.py, slaproject/rate_limits.py) ----------------
# Both switches are read at request time (tests may flip them with override_settings).
LOGIN_LOCKOUT_ENABLED = env.bool("LOGIN_LOCKOUT_ENABLED", default=True)
RATE_LIMITS_ENABLED = env.bool("RATE_LIMITS_ENABLED", default=True)
# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks). Behind
# the README's proxy on the same machine that is the loopback address.
TRUSTED_PROXIES = env.list(
    "TRUSTED_PROXIES",
    default=["127.0.0.1", "::1"] if env.bool("BEHIND_TLS_PROXY", default=False) else [],
)
# Failed sign-ins per (username, client address): from the LOGIN_SLOW_AFTER-th on, each try
# waits (5 s, doubling, at most 60 s); the LOGIN_FAILURE_LIMIT-th locks the pair for
# LOGIN_LOCKOUT_MINUTES. docs/DECISIONS.md says why these numbers.
LOGIN_SLOW_AFTER = env.int("LOGIN_SLOW_AFTER", default=5)
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "slaproject.sign_in.SignInAttemptsHandler"
AXES_LOCKOUT_CALLABLE = "slaproject.sign_in.lockout_response"
AXES_CLIENT_IP_CALLABLE = "slaproject.client_address.client_address"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# Tries refused during a wait or a lock are not counted: the lock ends on time.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False


def _rates(text: str) -> list[tuple[int, int]]:
    """ "5/m,30/h" -> [(5, 60), (30, 3600)]: at most 5 a minute and 30 an hour."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    rates = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = re.fullmatch(r"(\d+)\s*/\s*(\d*)\s*([smhd])", part)
        if match is None:
            raise ImproperlyConfigured(f"Not a rate: {part!r} (write e.g. 5/m or 30/h)")
        rates.append((int(match[1]), int(match[2] or 1) * units[match[3]]))
    return rates


# Per scope, the rates a client may not exceed (fixed windows; docs/DECISIONS.md says why).
RATE_LIMITS = {
    # The public request form, per client address.
    "request_form": _rates(env.str("RATE_LIMIT_REQUEST_FORM", default="5/m,30/h")),
    # The inbound-email endpoint, per client address (callers with a token: per token).
    "inbound_email": _rates(env.str("RATE_LIMIT_INBOUND_EMAIL", default="60/m,600/h")),
    # Every API call made with a token, per token.
    "api_token": _rates(env.str("RATE_LIMIT_API_TOKEN", default="1200/m")),
}

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes.apps announces itself in every process at INFO; its lockout warnings stay.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes.apps": {"level": "WARNING"}},
}
