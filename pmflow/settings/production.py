"""Production: PostgreSQL + Redis from the environment; the secret key must be given."""

import os

from django.core.exceptions import ImproperlyConfigured

from pmflow.settings.base import *  # noqa: F403
from pmflow.settings.base import env, env_bool, env_int

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set to a random string of 50+ characters.")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# Structured logs: one JSON object per line, with the request id (pmflow/ops/logging.py).
PMFLOW_JSON_LOGS = env_bool("PMFLOW_JSON_LOGS", True)
LOGGING["handlers"]["console"]["formatter"] = "json" if PMFLOW_JSON_LOGS else "plain"  # noqa: F405
# Secret key rotation (docs/operations.md): the previous key(s), comma-separated, still accepted
# for existing sessions and signed links until they are removed.
SECRET_KEY_FALLBACKS = [k.strip() for k in (env("DJANGO_SECRET_KEY_FALLBACKS", "") or "").split(",") if k.strip()]
