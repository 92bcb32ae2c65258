"""Tests: PostgreSQL and Redis on 127.0.0.1 unless DATABASE_URL / REDIS_URL say otherwise."""

from pmflow.settings.base import *  # noqa: F403
from pmflow.settings.base import cache_settings, celery_transport_options, database_from_url, env, env_bool

DATABASES = {"default": database_from_url(env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"))}
DATABASES["default"]["TEST"] = {"NAME": env("PMFLOW_TEST_DB_NAME", "test_pmflow")}
if env_bool("PMFLOW_USE_TEST_DB", False):
    # A Celery worker started by the tests (tests/worker.py) must use the test database itself,
    # not the database pytest-django derives it from.
    DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The audit table refuses TRUNCATE (pmflow/migrations/0101) unless the connection allows it;
    # Django's flush between transactional tests is one TRUNCATE of every table.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = (_options.get("options", "") + " -c pmflow.audit_truncate=allow").strip()
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = celery_transport_options(CELERY_BROKER_URL)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AXES_ENABLED = True
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
# Tests never run collectstatic: give WhiteNoise an (empty) folder so it does not warn on every
# request; the live server serves static files from the app folders.
STATIC_ROOT = BASE_DIR / ".test-static"  # noqa: F405
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "1000/min", "writes": "100000/min"}}  # noqa: F405
CACHES = cache_settings(REDIS_URL)
