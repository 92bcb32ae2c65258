"""Settings for the outbox integration workers: the test settings, but e-mail goes over real SMTP
to the sink server the test starts, and the worker consumes its own queue (so a session-wide test
worker on the default queue cannot take its tasks)."""

from pmflow.settings.test import *  # noqa: F403
from pmflow.settings.test import env

EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(env("PMFLOW_TEST_SMTP_PORT", "2525") or 2525)
EMAIL_USE_TLS = False
EMAIL_TIMEOUT = 5
CELERY_TASK_DEFAULT_QUEUE = env("PMFLOW_TEST_QUEUE", "celery")
# The crash test shortens the time after which a ``sending`` row left by a dead worker is retried.
PMFLOW = {**PMFLOW, "DELIVERY_SENDING_TIMEOUT": float(env("PMFLOW_TEST_SENDING_TIMEOUT", "600") or 600)}  # noqa: F405
