"""The one settings module: everything that differs between machines comes from the environment.

DJANGO_DEBUG          "1" for development (default off)
DJANGO_SECRET_KEY     required unless DJANGO_DEBUG is on
DJANGO_ALLOWED_HOSTS  comma-separated host names (default: localhost names in debug, none otherwise)
DATABASE_URL          e.g. postgres://user@host:5432/db (default: SQLite file db.sqlite3)
DJANGO_HTTPS          "0" serves plain HTTP; on by default outside debug (SSL redirect, HSTS, secure cookies)
DJANGO_TASKS_BACKEND  the task backend (default: django_tasks_db.DatabaseBackend, tasks in the database)
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from calculator.engine import limits

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if value.strip().lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (got {value!r})")


DEBUG = env_flag("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it to a long random string for any real deployment, "
            "or set DJANGO_DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DJANGO_DEBUG"

_hosts = os.environ.get("DJANGO_ALLOWED_HOSTS", "")
ALLOWED_HOSTS = [h.strip() for h in _hosts.split(",") if h.strip()] or (
    ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    "pricing_site",
    "ratecards",
    "calculator",
    "plans",
    "accounts",
    "customers",
    "quotes",
    "usage",
    "impact",
]

MIDDLEWARE = [
    "pricing_site.middleware.request_id_middleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "pricing_site.edge.EdgeTextMiddleware",  # NUL and lone surrogates: 400 (after CSRF, see edge.py)
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "pricing_site.middleware.OverBudgetMiddleware",
]

ROOT_URLCONF = "pricing_site.urls"
WSGI_APPLICATION = "pricing_site.wsgi.application"
# WSGI applications wrapped around the site's (pricing_site/wsgi.py), named here as MIDDLEWARE is: Meta's
# webhook POSTs are checked and stored before Django's request cycle (usage/live_wsgi.py).
WSGI_WRAPPERS = ["usage.live_wsgi.webhook_fast_path"]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the task worker share the SQLite file: WAL lets readers go on while one
    # writes, IMMEDIATE takes the write lock when a transaction starts (no deadlock on upgrading a read
    # lock), and a writer waits up to 20 s for the other process instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })
else:
    # Django's own queries bind on the client and are never prepared; this lets the two statements of
    # every webhook POST (usage.live._run_per_post) be prepared once per connection.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("prepare_threshold", 5)
# Secrets stored in the database (a workspace's app secret and Graph API token) are encrypted with these
# Fernet keys: the first encrypts, each decrypts (pricing_site/encryption.py). Unset: one derived from SECRET_KEY.
FIELD_ENCRYPTION_KEYS = [key.strip() for key in os.environ.get("FIELD_ENCRYPTION_KEY", "").split(",") if key.strip()]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (Django's Tasks framework). The default backend keeps tasks in this database
# (django-tasks-db): a task row commits in the same transaction as the data it is about, so a task is
# never lost nor run for data that was rolled back, and no second store has to be kept durable.
# `python manage.py run_worker` (the Procfile's worker line) runs them. Tests and scripts may set
# DJANGO_TASKS_BACKEND=django.tasks.backends.immediate.ImmediateBackend to run tasks at once, in process.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("DJANGO_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# Called by `run_worker` when it starts, after tasks of dead workers are queued again: work a dead
# process stored but did not queue (a webhook payload whose web worker died before queueing its task).
TASK_WORKER_STARTUP = ["usage.live.schedule_pending"]
# Live webhook payloads loaded in one transaction by the worker: bigger batches, more throughput; the
# dashboard is behind by about one batch's time.
LIVE_WEBHOOK_BATCH = int(os.environ.get("LIVE_WEBHOOK_BATCH", "5000"))
# A burst's task runs this many seconds after its first payload, so that it loads the burst as one batch
# instead of the worker running one task per few POSTs while they arrive (README, "Live webhooks").
LIVE_WEBHOOK_GATHER_SECONDS = float(os.environ.get("LIVE_WEBHOOK_GATHER_SECONDS", "0.5"))

# Cache (rate limits, shared by every worker): Redis when REDIS_URL is set, as in any deployment of
# more than one process; otherwise this process's memory, which is enough for `make run`.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    # Short socket timeouts: an unreachable Redis costs a request half a second at most, after which
    # the rate limiter counts per process for a while (pricing_site/ratelimit.py).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL,
                          "KEY_PREFIX": "pricing",
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Requests per client and window (seconds). The API and the calculator are public.
RATE_LIMITS = {
    "api": (int(os.environ.get("RATE_LIMIT_API_PER_MINUTE", "600")), 60),
    "calculator": (int(os.environ.get("RATE_LIMIT_CALCULATOR_PER_MINUTE", "600")), 60),
    "login": (int(os.environ.get("RATE_LIMIT_LOGIN_PER_MINUTE", "10")), 60),
}
# Behind a trusted proxy: the META key whose first address is the client's (e.g. HTTP_X_FORWARDED_FOR).
RATE_LIMIT_CLIENT_HEADER = os.environ.get("DJANGO_CLIENT_IP_HEADER", "")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # tests/conftest.py swaps in plain storage: tests do not depend on a collectstatic run.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# A replay of 100,000 events is about 10 MB of JSON; larger bodies are refused before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024
# The usage upload page's limit; bigger files go through `manage.py ingest_webhooks`.
USAGE_UPLOAD_MAX_BYTES = int(os.environ.get("USAGE_UPLOAD_MAX_MB", "50")) * 1024 * 1024
# Uploads bigger than this load in the task worker (the page shows progress); smaller ones at once.
USAGE_UPLOAD_BACKGROUND_BYTES = int(float(os.environ.get("USAGE_UPLOAD_BACKGROUND_MB", "4")) * 1024 * 1024)
# What-if replays of months with more messages than this run in the task worker; smaller ones at once.
USAGE_WHATIF_BACKGROUND_MESSAGES = int(os.environ.get("USAGE_WHATIF_BACKGROUND_MESSAGES", "20000"))
# What one upload request can finish within gunicorn's timeout (README, "Limits of one request").
USAGE_UPLOAD_MAX_LINES = int(os.environ.get("USAGE_UPLOAD_MAX_LINES", limits.UPLOAD_MAX_LINES))
USAGE_UPLOAD_MAX_UNCOMPRESSED_MB = int(os.environ.get("USAGE_UPLOAD_MAX_UNCOMPRESSED_MB",
                                                      limits.UPLOAD_MAX_UNCOMPRESSED_MB))

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Security headers on every response. Plotly sets element styles from JavaScript and adds one
# <style> element, so style-src allows inline styles; scripts never run inline.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

HTTPS = env_flag("DJANGO_HTTPS", not DEBUG)
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
if os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER"):
    # e.g. "HTTP_X_FORWARDED_PROTO,https" behind a TLS-terminating proxy that sets that header.
    _header, _, _value = os.environ["DJANGO_SECURE_PROXY_SSL_HEADER"].partition(",")
    SECURE_PROXY_SSL_HEADER = (_header.strip(), _value.strip() or "https")
_csrf_origins = os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "")
CSRF_TRUSTED_ORIGINS = [o.strip() for o in _csrf_origins.split(",") if o.strip()]

# Password-reset e-mail. Outside debug the site needs a decision, or it refuses to start: SMTP
# (DJANGO_SMTP_HOST), or DJANGO_PASSWORD_RESET_MAIL=0, which turns password reset by e-mail off (the
# pages say to ask an administrator). Mail printed to a console would be lost in production, and
# Django's `check --deploy` refuses it (mail.E001). In debug, mail is printed to the console.
PASSWORD_RESET_BY_MAIL = env_flag("DJANGO_PASSWORD_RESET_MAIL", True)
if not PASSWORD_RESET_BY_MAIL:
    MAILERS = {"default": {"BACKEND": "pricing_site.mail.NoMailBackend"}}
elif os.environ.get("DJANGO_SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["DJANGO_SMTP_HOST"],
                "port": int(os.environ.get("DJANGO_SMTP_PORT", "587")),
                "username": os.environ.get("DJANGO_SMTP_USER", ""),
                "password": os.environ.get("DJANGO_SMTP_PASSWORD", ""),
                "use_tls": env_flag("DJANGO_SMTP_TLS", True),
                "timeout": 10,
            },
        }
    }
elif DEBUG:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    raise ImproperlyConfigured(
        "No mail setting: set DJANGO_SMTP_HOST (and DJANGO_SMTP_USER, DJANGO_SMTP_PASSWORD) so password-reset "
        "mail is sent, or DJANGO_PASSWORD_RESET_MAIL=0 to turn password reset by e-mail off."
    )
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_FROM_EMAIL", "pricing@localhost")

# Meta's Graph API, for the daily pull of each workspace's pricing_analytics (usage/graph.py). Tests point
# the base URL at a fake server on loopback.
GRAPH_API_BASE_URL = os.environ.get("GRAPH_API_BASE_URL", "https://graph.facebook.com")
GRAPH_API_VERSION = os.environ.get("GRAPH_API_VERSION", "v25.0")
GRAPH_API_TIMEOUT = float(os.environ.get("GRAPH_API_TIMEOUT", "30"))  # seconds per request
GRAPH_API_MAX_ATTEMPTS = int(os.environ.get("GRAPH_API_MAX_ATTEMPTS", "5"))  # tries per page, rate limits included
GRAPH_API_BACKOFF_SECONDS = float(os.environ.get("GRAPH_API_BACKOFF_SECONDS", "2"))  # first wait; doubles
# The hour (UTC) of the daily run on the task queue: the pull above, then the alert digest (usage/scheduled.py).
USAGE_DAILY_TASKS_HOUR = int(os.environ.get("USAGE_DAILY_TASKS_HOUR", "6"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "pricing_site.middleware.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pricing_site.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("DJANGO_LOG_FORMAT", "plain"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools log every PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # The MCP SDK logs a session manager's start and end at INFO, once per /mcp request.
        "mcp": {"level": "WARNING"},
    },
}
