"""Settings shared by every environment. Everything that varies is read from the environment here,
in one place (cookiecutter-django style); the dev/test/production modules only choose defaults."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


SECRET_KEY = env("DJANGO_SECRET_KEY", "dev-only-insecure-key-change-me")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = [
    h.strip() for h in (env("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver") or "").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in (env("DJANGO_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_fsm",
    "django_celery_beat",
    "django_htmx",
    "django_filters",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "csp",
    "pmflow.apps.PmflowConfig",
    "pmflow.ops.apps.OpsConfig",
    "projects.apps.ProjectsConfig",
    "milestones.apps.MilestonesConfig",
]

MIDDLEWARE = [
    # First: the request id (X-Request-ID) and the per-view latency histogram see the whole request.
    "pmflow.ops.request_id.RequestIdMiddleware",
    "pmflow.ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    # Under DEBUG (make run) the app's own 404 / 500 pages, not Django's debug pages.
    "pmflow.middleware.FriendlyErrorPagesMiddleware",
]

ROOT_URLCONF = "pmflow.urls"
WSGI_APPLICATION = "pmflow.wsgi.application"
AUTH_USER_MODEL = "pmflow.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pmflow" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            # The navigation frame reads roles from every app, so its tags live on the top floor.
            "libraries": {"pmflow_nav": "pmflow.portfolio.nav"},
        },
    },
]


# --- Database: DATABASE_URL, default a SQLite file (the embedded set-up) ---
def database_from_url(url: str, conn_max_age: int = 0) -> dict:
    """The ``DATABASES`` entry for ``url``, with the options each engine needs (the test settings
    use it too, so that tests run with the same options as production)."""
    database = dj_database_url.parse(url, conn_max_age=conn_max_age)
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # Web, worker and beat share the file: wait for a writer instead of failing at once.
        options["timeout"] = 30
    elif database["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # Prepared statements, by psycopg's documented automatic preparation: with server-side
        # binding (Django's documented OPTION; the client-side-binding cursor Django uses by default
        # never prepares) psycopg prepares a statement once it has run prepare_threshold times on a
        # connection — the API's hot reads (pmflow/compiled.py: token, project list and detail) send
        # the same SQL text every time and so are planned once per connection. Django's default
        # (None) disables them; DATABASE_PREPARED_STATEMENTS=0 keeps that, for a transaction-pooling
        # PgBouncer older than 1.21 (docs/deploy.md).
        options.setdefault("server_side_binding", True)
        options.setdefault("prepare_threshold", 5)
        # Those statements keep one generic plan per connection: PostgreSQL otherwise re-plans a
        # parameterised statement on every run when the generic plan's estimate looks worse (the
        # project list's visibility subqueries: 1.2 ms a run with re-planning, 0.8 ms without). Only
        # prepared statements have a plan cache, so this changes nothing for the other queries.
        # JIT off: a web request's queries are short, but correlated subqueries (visibility, the
        # gate lists' tab predicates) give estimates above jit_above_cost, and compiling them cost
        # seconds (the chair's gate list at 10,000 projects: 10.3 s of JIT for a 0.4 s query).
        options.setdefault("options", "-c plan_cache_mode=force_generic_plan -c jit=off")
    return database


DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The outbox key relies on NULLS NOT DISTINCT, which SQLite lacks; the embedded set-up is for a
    # single-user demo, production and the tests run on PostgreSQL where the constraint exists.
    SILENCED_SYSTEM_CHECKS = ["models.W047"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- i18n: Simplified Chinese first, English available ---
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "pmflow" / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Redis and Celery ---
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")


def cache_settings(redis_url: str | None) -> dict:
    """Django's cache: Redis when a URL is given (production, tests — one cache for every worker
    process and machine: the API's cached list pages and details, DRF's throttle counters, the
    dashboard figures), local memory otherwise (the embedded ``make run``, one process)."""
    if redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}}
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = cache_settings(os.environ.get("REDIS_URL"))
CELERY_DATA_DIR = Path(env("CELERY_DATA_DIR", str(BASE_DIR / ".celery")))
# Default broker needs no server: kombu's filesystem transport in a local folder.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", None)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Publishing from a web request must fail fast, never hang, when the broker is down.
CELERY_PUBLISH_MAX_RETRIES = env_int("CELERY_PUBLISH_MAX_RETRIES", 2)
CELERY_PUBLISH_TIMEOUT = float(env("CELERY_PUBLISH_TIMEOUT", "2.0") or 2.0)
_PUBLISH_RETRY = {"max_retries": CELERY_PUBLISH_MAX_RETRIES, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def celery_transport_options(broker_url: str, data_dir: Path | None = None) -> dict[str, object]:
    """Transport options for the broker in use: folders for the filesystem broker (under
    ``data_dir``, default CELERY_DATA_DIR), bounded retries and socket timeouts for a networked one."""
    if broker_url.startswith("filesystem://"):
        data_dir = data_dir or CELERY_DATA_DIR
        for sub in ("out", "processed"):
            (data_dir / sub).mkdir(parents=True, exist_ok=True)
        return {
            "data_folder_in": str(data_dir / "out"),
            "data_folder_out": str(data_dir / "out"),
            "processed_folder": str(data_dir / "processed"),
            "store_processed": False,
            "polling_interval": 0.5,
        }
    return {
        **_PUBLISH_RETRY,
        "socket_timeout": CELERY_PUBLISH_TIMEOUT,
        "socket_connect_timeout": CELERY_PUBLISH_TIMEOUT,
        "visibility_timeout": 3600,
    }


CELERY_BROKER_TRANSPORT_OPTIONS = celery_transport_options(CELERY_BROKER_URL)
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_PUBLISH_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = True
CELERY_TASK_PUBLISH_RETRY_POLICY = _PUBLISH_RETRY
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TIMEZONE = TIME_ZONE
# One beat at a time: the database schedule, run only by the beat holding the beat lock (pmflow/beat.py).
# pmflow.ops.beat adds a heartbeat row per tick for /readyz.
CELERY_BEAT_SCHEDULER = "pmflow.ops.beat:HeartbeatBeatScheduler"

# --- E-mail ---
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "pmflow <noreply@pmflow.local>")

# --- Domain settings ---
# The earliest and latest date any write accepts (pmflow.parsing.date_bounds).
PMFLOW_DATE_MIN = env("PMFLOW_DATE_MIN", "2000-01-01")
PMFLOW_DATE_MAX = env("PMFLOW_DATE_MAX", "2100-12-31")
PMFLOW = {
    # A task is at risk when its progress trails the straight line from start to due by more than
    # this many percentage points, or it is due within AT_RISK_DUE_DAYS and under AT_RISK_DUE_PROGRESS.
    "AT_RISK_THRESHOLD": env_int("PMFLOW_AT_RISK_THRESHOLD", 20),
    "AT_RISK_DUE_DAYS": 7,
    "AT_RISK_DUE_PROGRESS": 80,
    # Non-consensus (risk-controlled) track: first tranche capped at this share of the award.
    "NON_CONSENSUS_FIRST_TRANCHE_SHARE": "0.20",
    # ... and the first gate this many working days earlier than the template would put it.
    "NON_CONSENSUS_FIRST_GATE_EARLIER_WORKDAYS": 20,
    # A screening gate whose reviewers' weighted scores spread (population std dev) at least this much
    # counts as split even when 2/3 agree on a recommendation.
    "NON_CONSENSUS_SPREAD_THRESHOLD": env_int("PMFLOW_NON_CONSENSUS_SPREAD_THRESHOLD", 20),
    "GATE_REVIEW_WORKDAYS": 10,
    "REMINDER_WORKDAYS": (3, 1),
    # Base of every link in notifications and e-mails (pmflow.links); `make run` sets it from HOST/PORT.
    "SITE_URL": env("PMFLOW_SITE_URL", "http://127.0.0.1:8000"),
    # PMFLOW_DEBUG_PAGES=1: Django's debug 404 / 500 pages under DEBUG instead of the app's own.
    "DEBUG_PAGES": env_bool("PMFLOW_DEBUG_PAGES", False),
}

# --- REST framework and OpenAPI ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # One error body everywhere (docs/api.md); API views also set it on their base class.
    "EXCEPTION_HANDLER": "pmflow.api.exceptions.api_exception_handler",
    # JSON with bounded nesting depth (pmflow/api/parsers.py); API views also set it on their base class.
    "DEFAULT_PARSER_CLASSES": ["pmflow.api.parsers.BoundedJSONParser"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {
        "token": env("PMFLOW_THROTTLE_TOKEN", "20/min"),
        "writes": env("PMFLOW_THROTTLE_WRITES", "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "pmflow API",
    "DESCRIPTION": "项目经理团队 programme management: projects, milestones, phase gates, change requests.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One component name per choice set (the API issue; `spectacular --fail-on-warn` stays clean).
    "ENUM_NAME_OVERRIDES": {
        "ProjectStateEnum": "projects.models.projects.ProjectState",
        "HealthEnum": "projects.models.projects.Health",
        "SupportModeEnum": "projects.models.projects.SupportMode",
        "RouteStateEnum": "projects.models.projects.TechnologyRoute.RouteState",
        "AwardStateEnum": "projects.models.funding.FundingAward.AwardState",
        "TaskStatusEnum": "projects.models.tasks.TaskStatus",
        "RatioBaseEnum": "projects.models.reference.SupportMeasure.RatioBase",
        "MilestoneStateEnum": "milestones.models.milestones.MilestoneState",
        "GateStateEnum": "milestones.models.gates.GateState",
        "GateKindEnum": "milestones.models.gates.GateKind",
        "RecommendationEnum": "milestones.models.gates.Recommendation",
        "DecisionOutcomeEnum": "milestones.models.gates.DecisionOutcome",
        "ChangeStateEnum": "milestones.models.changes.ChangeState",
        "ChangeKindEnum": "milestones.models.changes.ChangeKind",
        "RatingEnum": "milestones.models.changes.Rating",
        "AssessmentRecommendationEnum": "milestones.models.changes.AssessmentRecommendation",
        "NotificationKindEnum": "pmflow.models.NotificationKind",
        "NotificationStatusEnum": "pmflow.models.NotificationStatus",
    },
}

# --- Security: failed-login lockout and CSP (self-hosted assets only) ---
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The friendly lockout page (429) is shown on the attempt that locks, not only on later ones.
AXES_LOCKOUT_CALLABLE = "pmflow.views.lockout_response"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Operations (pmflow/ops, docs/operations.md): readiness, metrics, logs ---
PMFLOW_OPS = {
    "READY_BEAT_STALE_SECONDS": env_int("PMFLOW_READY_BEAT_STALE_SECONDS", 300),
    "READY_OUTBOX_MAX_AGE_SECONDS": env_int("PMFLOW_READY_OUTBOX_MAX_AGE_SECONDS", 3600),
    "READY_TIMEOUT_SECONDS": float(env("PMFLOW_READY_TIMEOUT_SECONDS", "2.0") or 2.0),
    # /metrics answers a request with "Authorization: Bearer <token>" or a staff login.
    "METRICS_TOKEN": env("PMFLOW_METRICS_TOKEN", "") or "",
}
# One JSON object per log line (production turns it on; PMFLOW_JSON_LOGS=0 turns it off).
PMFLOW_JSON_LOGS = env_bool("PMFLOW_JSON_LOGS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "pmflow.ops.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "pmflow.ops.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if PMFLOW_JSON_LOGS else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
